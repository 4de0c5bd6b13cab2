"""Compensation: the policy as data (``policy``, YAML, versioned in the database by
``policy_store``), and offers made under it with approvals, issue and audit (``offers``).

May import: ``core.customers``, ``core.cases``, ``core.platform`` and the base.
"""
