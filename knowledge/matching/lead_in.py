"""Leading clauses that say nothing the knowledge base knows, dropped before matching.

Messenger customers rarely open with the question: "Добрый день! Подскажите, ...", "so
basically here's the thing: my card ...", "короче, такая ситуация: ...". Embedded whole, such
a lead-in pulls the query's vector away from every entry, and the matcher escalates questions
it would have answered.

A message is split into clauses at punctuation (``, : ; . ! ?``, a dash between spaces, a line
break). Leading clauses are dropped until the first one with an *informative word the knowledge
base knows*: a word whose stem is in the KB's vocabulary and is not the stem of one of the
most frequent words of its language (:func:`knowledge.matching.lexicon.function_stems`). A
message none of whose clauses has one is matched whole, so an off-topic message keeps all of its
words.
Only matching sees the shorter text; the message itself is stored as written.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from knowledge.matching.text import normalize

CLAUSE = re.compile(r"[,:;.!?\n]+|\s[-–—]+\s")


def drop_lead_in(text: str, informative: Callable[[str], bool]) -> str:
    """``text`` from its first clause for which ``informative`` holds; whole if none does."""
    clauses = _clauses(text)
    if len(clauses) < 2:
        return text
    first = next((i for i, (_, c) in enumerate(clauses) if informative(c)), 0)
    return text if first == 0 else text[clauses[first][0] :].strip()


def _clauses(text: str) -> list[tuple[int, str]]:
    """(offset, clause) pairs of the clauses that have a word."""
    spans, start = [], 0
    for separator in CLAUSE.finditer(text):
        spans.append((start, text[start : separator.start()]))
        start = separator.end()
    spans.append((start, text[start:]))
    return [(offset, clause) for offset, clause in spans if normalize(clause)]
