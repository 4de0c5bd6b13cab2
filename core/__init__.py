"""CX Copilot's domain core: settings, models, typed errors, ports and use-case services.

May import: the standard library, pydantic / pydantic-settings, SQLModel / SQLAlchemy, Alembic,
PyYAML. It imports none of our other packages and no web, bot, LLM or vector-store library
(fastapi, aiogram, langchain, chromadb, openai, httpx): those live behind the Protocols in
``core.ports`` and are wired in by the start-up code. import-linter enforces this.
"""
