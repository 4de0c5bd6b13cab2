"""Heartbeats of the long-running processes (the bot, ``cxc worker``): a row per process (kind,
host, pid, started, beat_at) whose ``beat_at`` the process's own loop renews every
``CXC_HEARTBEAT_S`` seconds (:class:`Heart`). A loop that is stuck stops beating, so
``cxc health --process worker`` (a container's health check) finds the beat stale
(:func:`check_process`); ``GET /health`` lists the recent beats (:func:`recent_beats`).
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.models import ProcessBeat
from core.models.base import utcnow

log = logging.getLogger(__name__)
KEPT = timedelta(days=1)
"""A process that has not beaten for this long is gone: its row is removed."""


class ProcessKind(StrEnum):
    BOT = "bot"
    WORKER = "worker"


@dataclass(frozen=True, slots=True)
class Beat:
    kind: str
    host: str
    pid: int
    started: datetime
    beat_at: datetime


@dataclass(frozen=True, slots=True)
class ProcessCheck:
    alive: bool
    line: str
    """One line for a person or a health check's log: what was found."""


@dataclass(slots=True)
class Heart:
    """This process's heartbeat. The process's loop calls :meth:`beat` on every turn; a row is
    written at most every ``interval_s`` seconds. A failed write (the database down) is logged
    and tried again on the next turn: the beat goes stale, which is what it should show."""

    sessions: Callable[[], AsyncSession]
    kind: ProcessKind
    interval_s: float
    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)
    started: datetime = field(default_factory=utcnow)
    row_id: int | None = None
    _due: float = 0.0

    async def beat(self, *, now: datetime | None = None) -> bool:
        """Renew the beat when it is due; whether a row was written."""
        if time.monotonic() < self._due:
            return False
        try:
            async with self.sessions() as session:
                self.row_id = await record_beat(session, heart=self, now=now or utcnow())
        except Exception as exc:
            log.warning("%s heartbeat not recorded (%s: %s)", self.kind, type(exc).__name__, exc)
            return False
        self._due = time.monotonic() + self.interval_s
        return True


async def record_beat(session: AsyncSession, *, heart: Heart, now: datetime) -> int:
    """Renew the process's row (or add it, removing rows of processes long gone); its id."""
    if heart.row_id is not None:
        stmt = update(ProcessBeat).where(col(ProcessBeat.id) == heart.row_id).values(beat_at=now)
        renewed: Any = await session.exec(stmt)  # type: ignore[call-overload]
        if renewed.rowcount:
            await session.commit()
            return heart.row_id
    await session.exec(  # type: ignore[call-overload]
        delete(ProcessBeat).where(col(ProcessBeat.beat_at) < now - KEPT)
    )
    row = ProcessBeat(
        kind=heart.kind, host=heart.host, pid=heart.pid, started=heart.started, beat_at=now
    )
    session.add(row)
    await session.commit()
    assert row.id is not None
    return row.id


async def recent_beats(session: AsyncSession, *, now: datetime | None = None) -> list[Beat]:
    """Every process that beat within the last day, by kind and host."""
    since = (now or utcnow()) - KEPT
    rows = await session.exec(
        select(ProcessBeat)
        .where(col(ProcessBeat.beat_at) >= since)
        .order_by(col(ProcessBeat.kind), col(ProcessBeat.host), col(ProcessBeat.pid))
    )
    return [Beat(r.kind, r.host, r.pid, r.started, r.beat_at) for r in rows]


async def check_process(
    session: AsyncSession,
    *,
    kind: ProcessKind,
    host: str,
    max_age_s: float,
    now: datetime | None = None,
) -> ProcessCheck:
    """Whether a process of ``kind`` on ``host`` beat within ``max_age_s`` seconds."""
    now = now or utcnow()
    last = (
        await session.exec(
            select(ProcessBeat)
            .where(col(ProcessBeat.kind) == kind, col(ProcessBeat.host) == host)
            .order_by(col(ProcessBeat.beat_at).desc())
            .limit(1)
        )
    ).first()
    if last is None:
        return ProcessCheck(False, f"{kind} on {host}: no heartbeat recorded")
    age = (now - last.beat_at).total_seconds()
    alive = age <= max_age_s
    state = "alive" if alive else f"stale (over {max_age_s:.0f} s)"
    return ProcessCheck(
        alive, f"{kind} on {host} (pid {last.pid}): last beat {age:.0f} s ago, {state}"
    )
