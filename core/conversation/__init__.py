"""The conversation: one customer message in, at most one reply out (``turn``), the
reply and its intents (``replies``), buttons under a reply (``buttons``) and free-text questions
to the knowledge base (``questions``, behind ``/v1/ask``).

May import: ``core.customers``, ``core.feedback``, ``core.cases``, ``core.platform`` and the base.
"""
