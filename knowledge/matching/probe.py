"""What a change of the matcher does to the answers it gives: the known phrasings of some
entries are asked of the matcher before and after, and those answered differently are
reported (``core.domain.PhrasingCheck``). Used to check a learned phrasing before it is added.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from core.domain import AnswerChange, Decision, PhrasingCheck
from knowledge.matching.decision import QUERY_KINDS
from knowledge.matching.matcher import Matcher

NEIGHBOURS = 3  # the new phrasing's nearest entries whose phrasings are probed too


def answered_by(matcher: Matcher, text: str, vector: np.ndarray) -> str | None:
    """The entry the matcher answers ``text`` with; None when it clarifies or escalates."""
    match = matcher.match(text, vector)
    return match.ranked[0].entry_id if match.decision == Decision.ANSWER and match.ranked else None


def check_phrasing(
    before: Matcher, after: Matcher, *, entry_id: str, text: str, vector: np.ndarray
) -> PhrasingCheck:
    """Compare ``before`` and ``after`` (``before`` with ``text`` added to ``entry_id``) on the
    new phrasing and on the question phrasings of the entry and of its nearest entries.

    A change counts when one of the entry's own phrasings is answered otherwise, or when a
    neighbour's phrasing would now be answered by ``entry_id`` (the new phrasing takes it)."""
    nearest = [r.entry_id for r in before.match(text, vector, k=NEIGHBOURS).ranked]
    probed = {entry_id, *nearest}
    changes = []
    for row in _query_rows(before, probed):
        phrasing, row_vector = before.phrasings[row], before.vectors[row]
        was = answered_by(before, phrasing.text, row_vector)
        now = answered_by(after, phrasing.text, row_vector)
        own = phrasing.entry_id == entry_id
        if was != now and (own or now == entry_id):
            changes.append(AnswerChange(phrasing.text, phrasing.entry_id, was, now))
    return PhrasingCheck(
        entry_id=entry_id,
        text=text,
        answered_by=answered_by(after, text, vector),
        changes=tuple(changes),
    )


def _query_rows(matcher: Matcher, entry_ids: Iterable[str]) -> list[int]:
    wanted = set(entry_ids)
    return [
        i for i, p in enumerate(matcher.phrasings) if p.entry_id in wanted and p.kind in QUERY_KINDS
    ]
