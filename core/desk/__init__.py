"""The operator's desk: what an operator does on a case (``operators``: take, reply, note,
resolve, hand back), suggestions for a case (``suggestions``), reply drafts (``drafts``) and the
index of resolved cases behind "similar cases" (``case_index``).

May import: every feature below it (learning, compensation, feedback, customers, cases,
platform) and the base.
"""
