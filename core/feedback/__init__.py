"""Customer feedback: CSAT/CES pulses and NPS rounds (``surveys``), what they say
(``pulse_texts``) and their answers, comments and recovery cases (``pulse_answers``).

May import: ``core.cases``, ``core.platform`` and the base.
"""
