"""Retention actions for customers at risk of leaving (docs/metrics.md, "Retention"): a
supervisor starts a call task, an offer within the compensation policy or an early check-in
after a first order (``actions``); its outcome is recorded, and ``report`` sets the churn-risk
band the customer was in against how it ended.

May import: reports (the churn score), compensation (the policy and its limits) and below.
"""
