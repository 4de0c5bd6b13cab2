"""A full disk, recognised wherever a write fails for want of space: an ``OSError`` with
ENOSPC or EDQUOT, SQLite's SQLITE_FULL ("database or disk is full"), PostgreSQL's
``disk_full`` (SQLSTATE 53100). The places that write (``core.db``'s engines, the knowledge
store) raise ``core.errors.StorageFull`` instead, which every front end translates."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager

from core.errors import StorageFull

SQLITE_IOERR = 10
SQLITE_FULL = 13
LOW_BYTES = 1 << 20
"""Less free space than this under a directory counts as full (see ``io_error_for_space``)."""
PG_DISK_FULL = "53100"
MARKERS = ("database or disk is full", "no space left on device", "disk quota exceeded")
"""What libraries that re-raise the error as their own type (Chroma) keep of its message."""


def is_disk_full(exc: BaseException) -> bool:
    """``exc``, or an error it wraps (``orig``, its cause or context), says the disk (or the
    user's quota) is full."""
    return any(_full(e) for e in _chain(exc))


def io_error_for_space(exc: BaseException, directory: str) -> bool:
    """SQLite's "disk I/O error" where ``directory`` has (next to) no space left: what a new
    connection gets when it cannot create its shared-memory file on a full disk."""
    if not any(_sqlite_code(e) == SQLITE_IOERR for e in _chain(exc)):
        return False
    try:
        stat = os.statvfs(directory)
    except OSError:
        return False
    return stat.f_bavail * stat.f_frsize < LOW_BYTES


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for link in (getattr(current, "orig", None), current.__cause__, current.__context__):
            if isinstance(link, BaseException):
                todo.append(link)


def _sqlite_code(exc: BaseException) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF
    if "disk i/o error" in str(exc).lower() and not hasattr(exc, "statement"):
        return SQLITE_IOERR
    return None


def _full(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    if _sqlite_code(exc) == SQLITE_FULL:
        return True
    if getattr(exc, "sqlstate", None) == PG_DISK_FULL:
        return True
    if hasattr(exc, "statement"):  # SQLAlchemy's wrapper: its text holds the statement's data
        return False
    text = str(exc).lower()
    return any(marker in text for marker in MARKERS)


@contextmanager
def storage_errors(where: str) -> Iterator[None]:
    """Raise ``StorageFull(where)`` for a write in the block that failed for want of space."""
    try:
        yield
    except StorageFull:
        raise
    except Exception as exc:
        if is_disk_full(exc):
            raise StorageFull(where) from exc
        raise
