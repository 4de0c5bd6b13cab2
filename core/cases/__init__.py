"""Cases: the ownership state machine (bot -> human -> resolved -> reopened -> closed,
``lifecycle``) and the promises an operator makes on a case (``promises``).

May import: ``core.platform`` and the shared base (models, errors, config, domain, ports).
"""
