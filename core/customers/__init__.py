"""Customers: how they are known on each channel (``identities``, with the identity ``keys``
that compare phones in E.164), their omnichannel ``timeline``, contacts on other channels
(``interactions``), what an operator should know before answering (``context``: orders,
promises, churn risk), and what a CRM knows about them: the incremental sync (``crm_sync``),
its upserts (``crm_store``), one customer's ``profile`` and import, and a phone a customer
proves (``linking``).

May import: ``core.cases``, ``core.reports`` (churn signals), ``core.platform`` and the base.
"""
