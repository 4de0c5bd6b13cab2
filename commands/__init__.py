"""The ``cxc`` command line's sub-commands (``admin``: users, knowledge versions, the database;
``data``: CRM sync and the case memory) and what every command shares (``common``). Wiring
only, like ``cli.py``: each command builds what it needs and calls one thing.

May import: ``core``, ``runtime``, ``crm_adapters``, ``knowledge`` (as ``cli.py`` does).
"""
