"""The day's processes: `cxc serve`, `cxc bot --webhook-worker` and `cxc worker` on one data
directory (SQLite, or the PostgreSQL database of a URL), each with its log file; a process that
dies is started again (as a service manager would), and a kill -9 is a method."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, str(ROOT / "cli.py")]
TOKEN = "123456789:AAFakeTokenForTheContactCentreDay-xyz"
SECRET = "day-webhook-secret"
COMMANDS = {
    "api": ["serve", "--host", "127.0.0.1"],
    "bot": ["bot", "--webhook-worker"],
    "worker": ["worker"],
}

CLAIM_LEASE_S = 10
"""Short, so the claims a kill -9 leaves are taken over within the day."""


@dataclass
class Settings:
    """The environment every process of the day shares."""

    data_dir: Path
    bot_api_url: str
    database_url: str | None = None
    port: int = 0
    extra: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CXC_")}
        env.update(
            {
                "CXC_ENV": "test",
                "CXC_DATA_DIR": str(self.data_dir),
                "CXC_AUTO_MIGRATE": "false",  # `cxc db upgrade` ran once, before anyone
                "CXC_TELEGRAM_TOKEN": TOKEN,
                "CXC_TELEGRAM_API_URL": self.bot_api_url,
                "CXC_TELEGRAM_WEBHOOK_SECRET": SECRET,
                "CXC_PULSE_DELAY_S": "0",
                "CXC_PULSE_SAMPLE_RATE": "1",
                "CXC_PULSE_MIN_INTERVAL_DAYS": "0",  # every resolution of the day gets its pulse
                "CXC_WORKER_INTERVAL_S": "0.2",
                "CXC_CLAIM_LEASE_S": str(CLAIM_LEASE_S),  # a killed process's claims come back
                "CXC_DELIVERY_BACKOFF_MAX_S": "5",  # retries catch up soon after an outage
                "CXC_TELEGRAM_PER_CHAT_INTERVAL_S": "0.05",
                "CXC_TELEGRAM_GLOBAL_RATE_PER_S": "500",
                # a whole day in minutes (and a load from one address): far more requests per
                # token, chat and address than real time
                "CXC_RATE_LIMIT_API": "",
                "CXC_RATE_LIMIT_CHAT": "",
                "CXC_RATE_LIMIT_ASK": "",
                "CXC_RATE_LIMIT_WEBCHAT": "",
                "CXC_LOG_LEVEL": "INFO",
                "PYTHONUNBUFFERED": "1",
            }
        )
        if self.database_url:
            env["CXC_DATABASE_URL"] = self.database_url
        env.update(self.extra)
        return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cxc(settings: Settings, *args: str, timeout: float = 300) -> str:
    """Run one `cxc` command to the end; its stdout (raises with its stderr on failure)."""
    done = subprocess.run(
        [*CLI, *args],
        env=settings.env(),
        cwd=settings.data_dir,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"cxc {' '.join(args)} failed: {done.stderr[-3000:]}")
    return done.stdout


class Service:
    """One long-running `cxc` process, restarted when it exits while the day goes on."""

    def __init__(self, name: str, settings: Settings) -> None:
        self.name = name
        self.settings = settings
        self.log_path = settings.data_dir / f"{name}.log"
        self.proc: asyncio.subprocess.Process | None = None
        self.starts = 0
        self.exits: list[int] = []
        self._keep = True
        self._watch: asyncio.Task[None] | None = None
        self._spawned = asyncio.Event()

    async def start(self) -> None:
        await self._spawn()
        self._watch = asyncio.create_task(self._supervise())

    async def _spawn(self) -> None:
        args = list(COMMANDS[self.name])
        if self.name == "api":
            args += ["--port", str(self.settings.port)]
        with self.log_path.open("ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                *CLI,
                *args,
                env=self.settings.env(),
                cwd=self.settings.data_dir,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.starts += 1
        self._spawned.set()

    async def _supervise(self) -> None:
        while self._keep:
            assert self.proc is not None
            code = await self.proc.wait()
            if not self._keep:
                return
            self.exits.append(code)
            await asyncio.sleep(0.5)
            if self._keep:
                await self._spawn()

    def kill9(self) -> None:
        """SIGKILL: no clean-up of any kind; the supervisor starts it again."""
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)

    async def kill9_and_wait(self) -> None:
        """SIGKILL; wait until the process is gone (its sockets closed) and another started."""
        proc = self.proc
        self._spawned.clear()
        self.kill9()
        if proc is not None:
            await proc.wait()
        if self._keep:  # until the supervisor started it again
            await self._spawned.wait()

    async def stop(self, within_s: float = 30) -> int | None:
        self._keep = False
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
        if self.proc is None or self.proc.returncode is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.proc.wait(), within_s)
        except TimeoutError:
            self.proc.kill()
            return await self.proc.wait()

    def log(self) -> str:
        return self.log_path.read_text("utf-8", errors="replace") if self.log_path.exists() else ""


async def reset_postgres(url: str) -> None:
    """Empty the database of ``url`` (its public schema) for a fresh day."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()
