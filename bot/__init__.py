"""The Telegram self-service bot (aiogram 3) with honest human handoff.

It turns Telegram updates into calls of the core services (``core.conversation.turn``) and
sends their replies back, through :class:`bot.outbound.TelegramOutbound`, which also delivers
operator replies (it implements ``core.ports.OutboundChannel``). Entry points: ``bot.app``
(``run_polling``, ``run_webhook_worker``) and ``bot.dispatcher.create_dispatcher``.

May import: core and aiogram (with aiohttp and redis, which aiogram uses). Never copilot or
knowledge: the Retriever is handed in by the start-up code.
"""
