"""Supervisor reports: the summary figures (``metrics``, defined in docs/metrics.md), the
resolution log and charts (``resolution_log``), their shared filter and queries (``query``),
churn risk (``churn``), and the language model's calls and their cost (``llm_usage``).

May import: the base only (models, config, errors, ports).
"""
