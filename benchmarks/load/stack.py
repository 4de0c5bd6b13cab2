"""The processes under load: `cxc serve --workers N` and `cxc bot --webhook-worker`, started
as an operator starts them (the contact-centre day's environment: benchmarks/contact_centre),
each writing its log beside the data, and stopped with SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx

from benchmarks.contact_centre.processes import CLI, Settings, free_port

__all__ = ["Server", "Settings", "bot_workers", "cpu_seconds", "database_url", "free_port", "serve"]
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of ``pid`` and every process below it, from /proc."""
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:  # gone meanwhile
                continue
            stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS)
    tree, total = {pid}, 0.0
    for _ in range(4):  # uvicorn: the supervisor, its workers (and their helpers)
        tree |= {p for p, (parent, _) in stats.items() if parent in tree}
    for p in tree:
        total += stats.get(p, (0, 0.0))[1]
    return total


def database_url(settings: Settings) -> str:
    """The processes' database: the settings' URL, else SQLite in the data directory."""
    return settings.database_url or (
        f"sqlite+aiosqlite:///{(settings.data_dir / 'cxc.db').resolve()}"
    )


@dataclass(frozen=True)
class Server:
    """A running `cxc serve`: where it listens and its process."""

    base_url: str
    pid: int

    def cpu_s(self) -> float:
        return cpu_seconds(self.pid)


async def _start(settings: Settings, name: str, *args: str) -> asyncio.subprocess.Process:
    log = settings.data_dir / f"{name}.log"
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            *CLI,
            *args,
            env=settings.env(),
            cwd=settings.data_dir,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def _stop(proc: asyncio.subprocess.Process, within_s: float = 30) -> None:
    if proc.returncode is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(proc.wait(), within_s)
    except TimeoutError:
        proc.kill()
        await proc.wait()


async def _healthy(base_url: str, proc: asyncio.subprocess.Process, log: Path) -> None:
    deadline = time.monotonic() + 300
    async with httpx.AsyncClient(base_url=base_url, timeout=5) as http:
        while time.monotonic() < deadline:
            if proc.returncode is not None:
                raise RuntimeError(f"cxc serve exited ({proc.returncode}): {_tail(log)}")
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get("/health")).status_code == 200:
                    return
            await asyncio.sleep(0.3)
    raise RuntimeError(f"cxc serve was not healthy within 300 s: {_tail(log)}")


def _tail(log: Path) -> str:
    return log.read_text("utf-8", errors="replace")[-3000:] if log.exists() else ""


@contextlib.asynccontextmanager
async def serve(settings: Settings, workers: int) -> AsyncIterator[Server]:
    """`cxc serve --workers N` on a free loopback port; yields it once healthy."""
    port = free_port()
    name = f"serve-w{workers}"
    proc = await _start(
        settings, name, "serve", "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(workers),
    )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}"
    try:
        await _healthy(base_url, proc, settings.data_dir / f"{name}.log")
        yield Server(base_url, proc.pid)
    finally:
        await _stop(proc)


@contextlib.asynccontextmanager
async def bot_workers(
    settings: Settings, replicas: int = 1
) -> AsyncIterator[list[asyncio.subprocess.Process]]:
    """``replicas`` processes of `cxc bot --webhook-worker` on one queue, against the settings'
    Bot API, until the block ends. Several share the cores out between their encoders, as
    `cxc serve --workers N` does for its workers (docs/deploy.md, "CPU threads")."""
    if replicas > 1:
        share = str(max(1, len(os.sched_getaffinity(0)) // replicas))
        settings = replace(settings, extra={"CXC_EMBEDDING_THREADS": share, **settings.extra})
    procs: list[asyncio.subprocess.Process] = []
    try:
        for n in range(replicas):
            procs.append(await _start(settings, f"bot-{n}", "bot", "--webhook-worker"))
        yield procs
    finally:
        await asyncio.gather(*(_stop(p) for p in procs))
