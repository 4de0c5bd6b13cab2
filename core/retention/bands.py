"""Churn-risk bands of a churn score (core.reports.churn): what a retention action was started
on, so that its outcome can be checked against the prediction."""

from __future__ import annotations

BANDS = ("high", "medium", "low", "none")
HIGH_FROM = 9
"""Three strong signals (low scores, broken promises), or more."""
MEDIUM_FROM = 5


def churn_band(score: int) -> str:
    """``high`` from 9, ``medium`` 5-8, ``low`` 1-4, ``none`` for no signal."""
    if score >= HIGH_FROM:
        return "high"
    if score >= MEDIUM_FROM:
        return "medium"
    return "low" if score > 0 else "none"
