"""``cxc health --process worker|bot``: a container's health check. Exit 0 when a process of
that kind on this host renewed its heartbeat within ``--max-age`` seconds, 1 otherwise (no beat,
a stale one, a database that does not answer); one line either way."""

from __future__ import annotations

import asyncio
import socket
from typing import Annotated

import typer

from commands.common import load, out
from core.config import Settings
from core.platform.beats import ProcessCheck, ProcessKind

TIMEOUT_S = 5.0
"""The database gets this long to answer before the check fails."""


def health(
    process: Annotated[
        ProcessKind, typer.Option(help="The kind of process that must be alive on this host.")
    ],
    max_age: Annotated[
        float,
        typer.Option(min=1.0, help="Seconds since its last heartbeat (CXC_HEARTBEAT_S) at most."),
    ] = 60.0,
) -> None:
    """Exit 0 when a bot or worker on this host beat recently, else 1 (for health checks)."""
    settings = load()
    check = asyncio.run(_check(settings, process, max_age))
    out.print(check.line, highlight=False, soft_wrap=True, markup=False)
    raise typer.Exit(0 if check.alive else 1)


async def _check(settings: Settings, kind: ProcessKind, max_age_s: float) -> ProcessCheck:
    from core import db
    from core.platform.beats import check_process

    host = socket.gethostname()
    engine = db.create_engine(settings.resolved_database_url)
    try:
        async with asyncio.timeout(TIMEOUT_S), db.session_factory(engine)() as session:
            return await check_process(session, kind=kind, host=host, max_age_s=max_age_s)
    except Exception as exc:  # no database, no table, no answer: not alive, one line
        return ProcessCheck(
            False, f"{kind} on {host}: heartbeats unreadable ({type(exc).__name__})"
        )
    finally:
        await engine.dispose()
