"""Platform services every feature stands on: copilot users and API tokens (``auth``), the
persisted inbound update queue and outbound delivery log (``updates``, ``deliveries``), the
delivery-log side every channel's sender shares (``sender.QueuedSender``: Telegram and e-mail
only say how one message goes out), and loading a row by key (``records``).

May import: ``core.models``, ``core.errors``, ``core.config`` and the value types of
``core.ports`` (``Delivery``). Nothing else of ``core``.
"""
