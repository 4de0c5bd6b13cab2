"""Use cases of the core: async functions, the session first and everything else keyword-only.

Only services add to and commit the session. They reach the outside world (knowledge base,
channels, CRMs) through the Protocols in ``core.ports``, handed in by the start-up code.
"""
