"""A long-running process's heartbeat: one row per process (the bot, ``cxc worker``), its
``beat_at`` renewed by the process's own loop (``core.platform.beats``)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from core.models.base import UTCDateTime, utcnow


class ProcessBeat(SQLModel, table=True):
    __tablename__ = "process_beat"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16, index=True)
    """``bot`` or ``worker``."""
    host: str = Field(max_length=255)
    """The machine (or container) the process runs on: its host name."""
    pid: int
    started: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    beat_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
