"""Customers: how they are known on each channel (``identities``), their omnichannel
``timeline``, contacts on other channels (``interactions``) and what an operator should know
before answering (``context``: orders, promises, churn risk).

May import: ``core.cases``, ``core.reports`` (churn signals), ``core.platform`` and the base.
"""
