"""Incidents and proactive notices: who is affected (``segment``), declaring one
(``declare``), queuing each customer's one notice into the delivery log (``release``),
pause, resume and cancel (``control``), what an affected customer who writes is told
(``awareness``) and the report (``report``). docs/incidents.md has the rules."""
