"""What counts as a full disk (core.storage): the kernel's ENOSPC and EDQUOT, SQLite's
SQLITE_FULL, PostgreSQL's disk_full (SQLSTATE 53100), also wrapped; SQLite's "disk I/O error"
only where the directory has no space left; never a statement that merely holds the words. The
CLI names the directory of one that no writer translated."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

import pytest
import typer
from sqlalchemy.exc import IntegrityError, OperationalError

from core.errors import StorageFull
from core.storage import io_error_for_space, is_disk_full, storage_errors


class PgDiskFull(Exception):
    sqlstate = "53100"


def _sqlite(code: int, message: str) -> sqlite3.OperationalError:
    exc = sqlite3.OperationalError(message)
    exc.sqlite_errorcode = code
    return exc


@pytest.mark.parametrize(
    "exc",
    [
        OSError(errno.ENOSPC, "No space left on device"),
        OSError(errno.EDQUOT, "Disk quota exceeded"),
        _sqlite(13, "database or disk is full"),
        PgDiskFull("could not extend file"),
        OperationalError("COMMIT", {}, _sqlite(13, "database or disk is full")),
        RuntimeError("Chroma: database or disk is full"),
    ],
)
def test_a_full_disk_is_recognised(exc: BaseException) -> None:
    assert is_disk_full(exc)


def test_a_cause_is_looked_through() -> None:
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError as inner:
            raise RuntimeError("indexing failed") from inner
    except RuntimeError as outer:
        assert is_disk_full(outer)


@pytest.mark.parametrize(
    "exc",
    [
        OSError(errno.ECONNREFUSED, "Connection refused"),
        _sqlite(5, "database is locked"),
        IntegrityError("INSERT ... 'database or disk is full'", {}, _sqlite(19, "UNIQUE")),
    ],
)
def test_anything_else_is_not(exc: BaseException) -> None:
    assert not is_disk_full(exc)


def test_an_io_error_counts_only_where_there_is_no_space(tmp_path: Path) -> None:
    io_error = _sqlite(10, "disk I/O error")
    assert not io_error_for_space(io_error, str(tmp_path))  # the test's disk has room
    assert not io_error_for_space(_sqlite(13, "full"), str(tmp_path))


def test_storage_errors_names_the_directory() -> None:
    full = pytest.raises(StorageFull, match="no space left in /data/index")
    with full, storage_errors("/data/index"):
        raise OSError(errno.ENOSPC, "No space left on device")
    with pytest.raises(ValueError), storage_errors("/data/index"):
        raise ValueError("not a disk")


def test_the_cli_names_the_directory_of_a_raw_full_disk(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from commands.common import errors_to_exit  # the front end's translation

    with pytest.raises(typer.Exit) as stopped, errors_to_exit():
        raise OSError(errno.ENOSPC, "No space left on device", "/var/lib/cxc/export.csv")
    assert stopped.value.exit_code == 1
    err = capsys.readouterr().err
    assert "no space left in /var/lib/cxc" in err and "Traceback" not in err
