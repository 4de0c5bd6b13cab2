"""Real servers a test can stop and start again: a throwaway PostgreSQL cluster (initdb +
pg_ctl on a free port, never the shared one on 5432) and a Chroma server (`chroma run`).
Outage tests point the product at them, stop them mid-test and bring them back."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.smtp_server import free_port


def _pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if found:
        return found[-1].parent
    on_path = shutil.which("pg_ctl")
    return Path(on_path).parent if on_path else None


class Postgres:
    """One PostgreSQL cluster in a temporary folder; ``stop()`` and ``start()`` it at will."""

    def __init__(self, folder: Path, bindir: Path) -> None:
        self.folder, self.bindir, self.port = folder, bindir, free_port()
        self.data = folder / "data"
        self.url = f"postgresql+asyncpg://cxc@127.0.0.1:{self.port}/postgres"

    def run(self, *args: str) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def init(self) -> None:
        self.run("initdb", "-D", str(self.data), "-U", "cxc", "-A", "trust", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.run("pg_ctl", "-D", str(self.data), "-o", options, "-w", "-l",
                  str(self.folder / "log"), "start")  # fmt: skip

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def database(self, name: str) -> str:
        """The URL of another database on this server."""
        return self.url.rsplit("/", 1)[0] + f"/{name}"

    def tool(self, name: str, *args: str) -> None:
        """A client tool (pg_dump, pg_restore, createdb) against this server."""
        self.run(name, "-h", "127.0.0.1", "-p", str(self.port), "-U", "cxc", *args)


@contextmanager
def postgres_server() -> Iterator[Postgres]:
    """A running throwaway PostgreSQL (skipped where the server binaries are missing)."""
    bindir = _pg_bin()
    if bindir is None or not (bindir / "initdb").exists():
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    folder = Path(tempfile.mkdtemp(prefix="cxc-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    server = Postgres(folder, bindir)
    server.init()
    server.start()
    try:
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # stopped by the test
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)


class Chroma:
    """`chroma run` on a free port over one folder; ``stop()`` and ``start()`` it at will."""

    def __init__(self, folder: Path) -> None:
        self.exe = Path(sys.executable).with_name("chroma")
        self.folder, self.port = folder, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                str(self.exe),
                "run",
                "--path",
                str(self.folder),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],  # fmt: skip
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=1) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the chroma server did not start") from None
                time.sleep(0.2)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
        self.proc = None


@contextmanager
def chroma_server(folder: Path) -> Iterator[Chroma]:
    server = Chroma(folder)
    if not server.exe.exists():
        pytest.skip(f"the chromadb CLI is not installed at {server.exe}")
    server.start()
    try:
        yield server
    finally:
        server.stop()
