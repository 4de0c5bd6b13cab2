"""CX Copilot's domain core: settings, models, typed errors, ports and the use cases, one folder
per feature (layered top to bottom; a folder imports only those below it):

    worker | desk            the background jobs; what an operator does on a case
    learning                 the knowledge record, candidates, review
    conversation | compensation
    feedback | customers     pulses and answers; identities, timeline, context
    reports | cases          supervisor figures; the case state machine and promises
    platform                 users and tokens, update inbox, delivery log

Use cases are async functions, the session first and everything else keyword-only. Only they
add to and commit the session; they reach the outside world (knowledge base, channels, CRMs)
through the Protocols in ``core.ports``, handed in by the runtime.

May import: the standard library, pydantic / pydantic-settings, SQLModel / SQLAlchemy, Alembic,
PyYAML. It imports none of our other packages and no web, bot, LLM or vector-store library
(fastapi, aiogram, langchain, chromadb, openai, httpx): those live behind the Protocols in
``core.ports`` and are wired in by the start-up code. import-linter enforces this.
"""
