"""A small disk a test can fill: a tmpfs mounted on a temporary folder (as root; the test is
skipped, saying why, where mounting is not permitted), filled with one file until the kernel
answers ENOSPC and emptied again. It is unmounted on the way out, whatever happened."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


class SmallDisk:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.filler = path / "filler.bin"

    def fill(self) -> None:
        """Take every free byte (the SQLite databases' write-ahead logs are emptied first, so
        their next write needs new space, as it would on a disk that filled up over time)."""
        for db in self.path.rglob("*.db"):
            checkpoint(db)
        block = b"\0" * (1 << 16)
        with self.filler.open("ab") as f:
            try:
                while True:
                    f.write(block)
                    f.flush()
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc
        with contextlib.suppress(OSError), self.filler.open("ab") as f:
            for _ in range(1 << 16):  # the last partial block
                f.write(b"\0")
                f.flush()

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)

    def free_bytes(self) -> int:
        stat = os.statvfs(self.path)
        return stat.f_bavail * stat.f_frsize


def checkpoint(db: Path) -> None:
    """Move a SQLite database's write-ahead log into it and empty the log."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def integrity(db: Path) -> str:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


@contextmanager
def small_disk(size_mb: int = 16) -> Iterator[SmallDisk]:
    if shutil.which("mount") is None:
        pytest.skip("cannot mount a tmpfs here: no mount command")
    folder = Path(tempfile.mkdtemp(prefix="cxc-small-disk-"))
    mount = ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(folder)]
    done = subprocess.run(mount, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        folder.rmdir()
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
    try:
        yield SmallDisk(folder)
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True, check=False)
        with contextlib.suppress(OSError):
            folder.rmdir()
