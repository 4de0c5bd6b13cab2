"""Past cases by meaning: "how were cases like this one resolved?" (other customers' coded
cases) and "what has this customer told us before?" (their own cases, ours and the CRM's).

The case memory (``core.ports.CaseMemory``, a Chroma collection in ``knowledge``) is kept
current here with the cases we resolve and those a CRM sync brings:

* ours, by the case's topic and the customer's first messages; the version is when it was
  resolved, so a case resolved again is embedded again;
* a CRM's, by its subject and the customer's first messages; the version is when it was synced.

A :class:`Recollection` is one process's memory and how far it has read each source. A pass
re-reads the last ``LAG`` before that mark (a case can commit after a later one) and embeds only
what the memory does not hold at its current version, so passes are idempotent and several
processes may run them. A whole pass keeps its marks with the memory, so a process that starts
resumes there instead of reading every case again. The API runs one every
``CXC_CASE_MEMORY_INTERVAL_S`` (``follow``) and a bounded one on recent cases before each
suggestion; ``cxc cases remember`` runs a whole one with a progress bar.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.domain import match_text
from core.errors import BackendUnavailable
from core.models import Author, Case, CaseStatus, CrmCase, Message
from core.models.base import utcnow
from core.ports import CaseMemo, CaseMemory

log = logging.getLogger(__name__)
LAG = timedelta(minutes=5)
RECENT = timedelta(hours=1)
"""How far back the bounded pass before a suggestion looks when no whole pass has run."""
RECENT_LIMIT = 32
BATCH = 256
ROWS_AT_ONCE = 2000
FIRST_MESSAGES = 2
OTHER_TOPIC = 0.85
"""A similar case on another topic counts this much of its score."""
Progress = Callable[[str, int, int], None]
"""Called with the source ("case" or "crm"), how many of its cases are done and how many to do."""


@dataclass(frozen=True, slots=True)
class Hit:
    case_id: int
    score: float
    topic: str | None
    resolution_code: str | None


@dataclass(slots=True)
class Remembered:
    cases: int = 0
    crm_cases: int = 0
    checked: int = 0


class Recollection:
    """A process's case memory and how far each source has been read into it."""

    def __init__(self, memory: CaseMemory) -> None:
        self.memory = memory
        self.marks: dict[str, datetime | None] = {"case": None, "crm": None}
        self.confirmed: dict[str, tuple[str, datetime | None]] = {}
        """Key -> version of the cases a pass found remembered, within the last ``LAG``: the
        next pass asks the memory only about the others."""
        self.lock = asyncio.Lock()
        self.resumed = False
        """Whether the marks kept with the memory were read (on the first pass)."""


@dataclass(frozen=True, slots=True)
class _Row:
    key: str
    ref: int
    customer_id: int
    version: str
    at: datetime | None
    topic: str | None = None
    code: str | None = None


async def remember_cases(
    session: AsyncSession,
    *,
    recollection: Recollection,
    recent_only: bool = False,
    progress: Progress | None = None,
) -> Remembered:
    """Embed the resolved and CRM cases the memory lacks. ``recent_only``: at most
    ``RECENT_LIMIT`` of them, from the last hour unless a whole pass has run (before a
    suggestion: the request never waits on a backlog, nor on a whole pass under way)."""
    done = Remembered()
    if recent_only and recollection.lock.locked():
        return done
    async with recollection.lock:
        if not recollection.resumed:
            await _resume(recollection)
        before = dict(recollection.marks)
        for source, rows_of, texts_of in (
            ("case", _resolved_rows, _case_texts),
            ("crm", _crm_rows, _crm_texts),
        ):
            mark = recollection.marks[source]
            since = _since(mark, recent_only)
            rows = await rows_of(session, since)
            done.checked += len(rows)
            confirmed = recollection.confirmed
            unsure = [r for r in rows if confirmed.get(r.key, ("", None))[0] != r.version]
            known = await recollection.memory.versions([r.key for r in unsure])
            todo = [r for r in unsure if known.get(r.key) != r.version]
            capped = recent_only and len(todo) > RECENT_LIMIT
            todo = todo[-RECENT_LIMIT:] if capped else todo
            for start in range(0, len(todo), BATCH):
                part = todo[start : start + BATCH]
                texts = await texts_of(session, [r.ref for r in part])
                await recollection.memory.remember([_memo(r, texts.get(r.ref, "")) for r in part])
                if progress:
                    progress(source, start + len(part), len(todo))
            setattr(done, "cases" if source == "case" else "crm_cases", len(todo))
            if rows and not capped and (mark is not None or not recent_only):
                recollection.marks[source] = rows[-1].at
                _confirm(recollection, rows, source)
        if not recent_only and recollection.marks != before:
            marks = {source: at for source, at in recollection.marks.items() if at is not None}
            await recollection.memory.keep_marks(marks)
    return done


async def _resume(recollection: Recollection) -> None:
    """A process's first pass starts where the last whole pass over this memory ended, by
    whichever process: from the beginning, it asked the memory about every case (50,000 cases
    held the model thread for seconds, and every question of the process waited)."""
    for source, at in (await recollection.memory.marks()).items():
        if source in recollection.marks and recollection.marks[source] is None:
            recollection.marks[source] = at
    recollection.resumed = True


def _since(mark: datetime | None, recent_only: bool) -> datetime | None:
    """Where a pass starts reading: a whole pass re-reads the ``LAG`` before the mark (a case
    can commit after a later one), the bounded pass before a suggestion starts at the mark."""
    if mark is not None:
        return mark if recent_only else mark - LAG
    return utcnow() - RECENT if recent_only else None


def _confirm(recollection: Recollection, rows: list[_Row], source: str) -> None:
    """Remember which of ``source``'s cases near the mark are in the memory at their version,
    forgetting those before the re-read window."""
    mark = recollection.marks[source]
    assert mark is not None
    start, prefix = mark - LAG, f"{source}:"
    confirmed = recollection.confirmed | {r.key: (r.version, r.at) for r in rows}
    recollection.confirmed = {
        key: (version, at)
        for key, (version, at) in confirmed.items()
        if not key.startswith(prefix) or (at is not None and at >= start)
    }


def _memo(row: _Row, text: str) -> CaseMemo:
    about = match_text(f"{row.topic or ''}\n{text}".strip()) or row.key
    return CaseMemo(row.key, row.customer_id, about, row.version, row.topic, row.code)


async def _resolved_rows(session: AsyncSession, since: datetime | None) -> list[_Row]:
    """The resolved cases' keys and what the memory keeps of them: columns, not whole cases,
    read in parts (a whole pass over 50,000 cases loaded as objects held the event loop for
    2 s; as columns at once, 0.55 s)."""
    columns = (Case.id, Case.customer_id, Case.resolved_at, Case.topic, Case.resolution_code)
    stmt = select(*columns).where(  # type: ignore[call-overload]
        col(Case.status).in_((CaseStatus.RESOLVED, CaseStatus.CLOSED)),
        col(Case.resolved_at).is_not(None),
    )
    if since is not None:
        stmt = stmt.where(col(Case.resolved_at) >= since)
    found = await session.stream(stmt.order_by(col(Case.resolved_at), col(Case.id)))
    out: list[_Row] = []
    async for part in found.partitions(ROWS_AT_ONCE):  # the event loop runs between parts
        out += [
            _Row(f"case:{i}", i, customer, at.isoformat(), at, topic, code)
            for i, customer, at, topic, code in part
            if i is not None and at is not None
        ]
    return out


async def _crm_rows(session: AsyncSession, since: datetime | None) -> list[_Row]:
    stmt = select(CrmCase.id, CrmCase.customer_id, CrmCase.synced_at)
    if since is not None:
        stmt = stmt.where(col(CrmCase.synced_at) >= since)
    rows = (await session.exec(stmt.order_by(col(CrmCase.synced_at), col(CrmCase.id)))).all()
    return [_Row(f"crm:{i}", i, c, at.isoformat(), at) for i, c, at in rows if i is not None]


async def _case_texts(session: AsyncSession, case_ids: list[int]) -> dict[int, str]:
    """The first ``FIRST_MESSAGES`` customer messages of each case, joined."""
    out: dict[int, list[str]] = defaultdict(list)
    stmt = (
        select(Message.case_id, Message.text)
        .where(col(Message.case_id).in_(case_ids), Message.author == Author.CUSTOMER)
        .order_by(col(Message.case_id), col(Message.id))
    )
    for case_id, text in (await session.exec(stmt)).all():
        if len(out[case_id]) < FIRST_MESSAGES and text:
            out[case_id].append(text)
    return {cid: "\n".join(parts) for cid, parts in out.items()}


async def _crm_texts(session: AsyncSession, ids: list[int]) -> dict[int, str]:
    """A CRM case's subject and its customer's first messages (any first messages when the
    CRM does not say who wrote them)."""
    stmt = select(CrmCase.id, CrmCase.subject, CrmCase.messages).where(col(CrmCase.id).in_(ids))
    out = {}
    for ref, subject, messages in (await session.exec(stmt)).all():
        said = [_text(m) for m in messages if str(m.get("author", "")).lower() == "customer"]
        said = [t for t in said or [_text(m) for m in messages] if t][:FIRST_MESSAGES]
        if ref is not None:
            out[ref] = "\n".join([subject, *said]).strip()
    return out


def _text(message: dict[str, Any]) -> str:
    return str(message.get("text") or "").strip()


async def similar_hits(
    recollection: Recollection | None,
    text: str,
    *,
    topic: str | None,
    exclude: int | None,
    k: int = 30,
) -> list[Hit]:
    """Resolved, coded cases like ``text``, best first (none when the memory is unreachable)."""
    if recollection is None:
        return []
    try:
        found = await recollection.memory.similar(text, k=k + 1)
    except BackendUnavailable as exc:
        log.warning("similar cases skipped: %s", exc)
        return []
    hits = [
        Hit(
            r.ref,
            round(r.score * (1.0 if not topic or r.topic == topic else OTHER_TOPIC), 4),
            r.topic,
            r.code,
        )
        for r in found
        if r.kind == "case" and r.ref != exclude
    ]
    return sorted(hits, key=lambda h: h.score, reverse=True)[:k]


async def follow(
    sessions: Callable[[], AsyncSession],
    *,
    recollection: Callable[[], Awaitable[Recollection | None]],
    interval_s: float,
    stop: asyncio.Event,
) -> None:
    """Remember new cases every ``interval_s`` until ``stop`` (the first pass after one
    interval, so a short-lived process never starts a backlog)."""
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval_s)
            return
        except TimeoutError:
            pass
        try:
            memory = await recollection()
            if memory is None:
                return
            async with sessions() as session:
                done = await remember_cases(session, recollection=memory)
            if done.cases or done.crm_cases:
                log.info(
                    "case memory: %d cases, %d CRM cases remembered", done.cases, done.crm_cases
                )
        except BackendUnavailable as exc:
            log.warning("case memory not updated: %s", exc)
