"""The operator's desk: what an operator does on a case (``operators``: take, reply, note,
resolve, hand back), suggestions for a case (``suggestions``), reply drafts (``drafts``) and the
case memory behind similar cases (``case_memory``) and a customer's own past cases
(``past_cases``).

May import: every feature below it (learning, compensation, feedback, customers, cases,
platform) and the base.
"""
