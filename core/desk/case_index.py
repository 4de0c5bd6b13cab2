"""A lexical index of resolved cases, for "how were cases like this one resolved?".

Each resolved case is indexed by its topic and its customer's first messages (what the customer
said, before anyone answered). Built at start-up from one SQL query, then kept current with
:meth:`CaseIndex.refresh`, which reads only cases resolved since the last refresh (an indexed
range on ``case.resolved_at``). Pure Python: an inverted index with IDF weights; terms carried
by more than ``max_df`` of the cases are ignored. 50,000 cases: see benchmarks/bench_suggestions.py.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.domain import match_text
from core.models import Author, Case, CaseStatus, Message

_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)
STEM = 6
FIRST_MESSAGES = 2
MIN_DOCS_FOR_CUTOFF = 1000
"""Below this many cases no term is too common to search by."""


def terms(text: str) -> list[str]:
    """Lower-cased words of 3+ letters, cut to ``STEM`` characters (a crude, language-free stem)."""
    return [w[:STEM] for w in _WORD.findall(text.lower())]


@dataclass(frozen=True, slots=True)
class Hit:
    case_id: int
    score: float
    topic: str | None
    resolution: str | None
    resolution_code: str | None


@dataclass(slots=True)
class _Doc:
    case_id: int
    topic: str | None
    resolution: str | None
    resolution_code: str | None
    resolved_at: datetime | None


class CaseIndex:
    def __init__(self, *, max_df: float = 0.25) -> None:
        self.max_df = max_df
        self.docs: list[_Doc | None] = []
        self.by_case: dict[int, int] = {}
        self.postings: dict[str, list[int]] = defaultdict(list)
        self.watermark: datetime | None = None

    def __len__(self) -> int:
        return len(self.by_case)

    def add(self, case: Case, text: str) -> None:
        assert case.id is not None
        old = self.by_case.get(case.id)
        if old is not None:
            self.docs[old] = None  # re-resolved: the newer resolution replaces the old one
        words = set(terms(f"{case.topic or ''} {match_text(text)}"))
        slot = len(self.docs)
        self.docs.append(
            _Doc(case.id, case.topic, case.resolution, case.resolution_code, case.resolved_at)
        )
        self.by_case[case.id] = slot
        for word in words:
            self.postings[word].append(slot)

    async def refresh(self, session: AsyncSession) -> int:
        """Index cases resolved since the last refresh. Returns how many were added."""
        stmt = select(Case).where(
            col(Case.status).in_((CaseStatus.RESOLVED, CaseStatus.CLOSED)),
            col(Case.resolution).is_not(None),
        )
        if self.watermark is not None:
            stmt = stmt.where(col(Case.resolved_at) >= self.watermark)
        found = [
            c
            for c in (await session.exec(stmt.order_by(col(Case.resolved_at)))).all()
            if not self._current(c)
        ]
        texts = await first_customer_text(session, [c.id for c in found if c.id is not None])
        for case in found:
            assert case.id is not None
            self.add(case, texts.get(case.id, ""))
            if case.resolved_at and (self.watermark is None or case.resolved_at > self.watermark):
                self.watermark = case.resolved_at
        return len(found)

    def _current(self, case: Case) -> bool:
        slot = self.by_case.get(case.id or -1)
        doc = self.docs[slot] if slot is not None else None
        return doc is not None and doc.resolved_at == case.resolved_at

    def search(
        self, text: str, *, topic: str | None = None, k: int = 30, exclude: int | None = None
    ) -> list[Hit]:
        n = max(len(self.by_case), 1)
        query = set(terms(f"{topic or ''} {match_text(text)}"))
        scores: dict[int, float] = defaultdict(float)
        total = 0.0
        for word in query:
            posting = self.postings.get(word)
            if not posting or (n >= MIN_DOCS_FOR_CUTOFF and len(posting) > self.max_df * n):
                continue
            idf = math.log(1 + n / len(posting))
            total += idf
            for slot in posting:
                scores[slot] += idf
        if not scores or total == 0:
            return []
        ranked = heapq.nlargest(k * 3, scores.items(), key=lambda kv: kv[1])
        hits = []
        for slot, raw in ranked:
            doc = self.docs[slot]
            if doc is None or doc.case_id == exclude:
                continue
            coverage = raw / total
            score = coverage * (1.0 if not topic or doc.topic == topic else 0.85)
            hits.append(
                Hit(doc.case_id, round(score, 4), doc.topic, doc.resolution, doc.resolution_code)
            )
        hits.sort(key=lambda h: h.score, reverse=True)
        return hits[:k]


async def first_customer_text(session: AsyncSession, case_ids: list[int]) -> dict[int, str]:
    """The first ``FIRST_MESSAGES`` customer messages of each case, joined."""
    out: dict[int, list[str]] = defaultdict(list)
    for start in range(0, len(case_ids), 5000):
        chunk = case_ids[start : start + 5000]
        stmt = (
            select(Message.case_id, Message.text)
            .where(col(Message.case_id).in_(chunk), Message.author == Author.CUSTOMER)
            .order_by(col(Message.case_id), col(Message.id))
        )
        for case_id, text in (await session.exec(stmt)).all():
            if len(out[case_id]) < FIRST_MESSAGES:
                out[case_id].append(text)
    return {cid: "\n".join(parts) for cid, parts in out.items()}


async def build_case_index(session: AsyncSession) -> CaseIndex:
    index = CaseIndex()
    await index.refresh(session)
    return index
