"""Supervisor reports: the summary figures (``metrics``, defined in docs/metrics.md), the
resolution log and charts (``resolution_log``), their shared filter and queries (``query``),
the cases behind a figure (``drilldown``), and churn risk and its bands (``churn``).

May import: the base only (models, config, errors).
"""
