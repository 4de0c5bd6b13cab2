"""The conversation: one customer message in, at most one reply out (``turn``: the
:class:`~core.conversation.turn.Conversation` built at start-up), what a front end hands it
(``inbound``: ``Identity``, ``Inbound``), taking a message in (``intake``) and storing the
bot's reply (``respond``), a phone shared to find one's orders (``contact``), what the
customer's words ask for (``intents``: "still not fixed", greetings and thanks, in
ru/uk/ro/en), the reply (``replies``), buttons under a reply (``buttons``), a pulse's comment
written as a message (``comments``) and free-text questions to the knowledge base
(``questions``, behind ``/v1/ask``).

May import: ``core.incidents``, ``core.customers``, ``core.feedback``, ``core.cases``,
``core.platform`` and the base.
"""
