"""Supervisor reports: the summary figures (``metrics``, defined in docs/metrics.md), the
resolution log and charts (``resolution_log``), their shared filter and queries (``query``),
and churn risk (``churn``).

May import: the base only (models, config, errors).
"""
