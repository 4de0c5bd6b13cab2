"""Platform services every feature stands on: copilot users and API tokens (``auth``), the
persisted inbound update queue and outbound delivery log (``updates``), and loading a row by
key (``records``).

May import: ``core.models``, ``core.errors``, ``core.config``. Nothing else of ``core``.
"""
