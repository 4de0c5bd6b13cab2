"""Supervisor reports: the summary figures (``metrics``, defined in docs/metrics.md), the
resolution log and charts (``resolution_log``), their shared filter and queries (``query``),
the cases behind a figure (``drilldown``), churn risk and its bands (``churn``), and the
language model's calls and their cost (``llm_usage``).

May import: the base only (models, config, errors, ports).
"""
