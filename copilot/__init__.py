"""The operator copilot's HTTP API (FastAPI): ``create_app(settings)`` in ``copilot.main``.

May import: core, and at start-up only (``copilot.main``) the concrete knowledge and CRM
implementations it hands to core services. Never imports ``bot``. Routes translate HTTP to
core service calls and back; the decisions are the core's.
"""
