"""Every process logs one line per event, without secrets or personal data, and a lost
database is one line and a retry, not a traceback."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.config import Settings
from runtime.logs import OneLineFormatter, configure_logging

ROOT = Path(__file__).resolve().parents[1]


def _record(message: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    record = logging.makeLogRecord(
        {
            "name": "cxc.test",
            "levelno": logging.ERROR,
            "levelname": "ERROR",
            "msg": message,
            "args": args,
            "exc_info": (type(exc), exc, None) if exc else None,
            "case_id": 7,
        }
    )
    return record


def test_one_line_with_the_error_and_no_secrets() -> None:
    try:
        raise ConnectionRefusedError("connect to 10.0.0.5:5432 failed\nmore detail")
    except ConnectionRefusedError as exc:
        record = _record(
            "sent via https://api.telegram.org/bot123456:AAFakeTokenFakeTokenFakeToken12/sendMessage"
            " to +7 912 000-02-37 (olga@mail.ru), card 4111 1111 1111 1111, db %s",
            "postgresql://cxc:s3cret@db/cxc",
            exc=exc,
        )
    line = OneLineFormatter(as_json=False, tracebacks=False).format(record)
    assert "\n" not in line
    assert "error=ConnectionRefusedError: connect to 10.0.0.5:5432 failed" in line
    assert "case_id=7" in line
    for secret in ("AAFakeToken", "912 000", "olga@mail.ru", "4111 1111", "s3cret"):
        assert secret not in line


def test_json_lines_parse() -> None:
    line = OneLineFormatter(as_json=True, tracebacks=False).format(_record("hello %s", "x"))
    event = json.loads(line)
    assert event["msg"] == "hello x" and event["level"] == "ERROR" and event["case_id"] == 7


def test_level_comes_from_the_settings(tmp_path: Path) -> None:
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    try:
        configure_logging(Settings(data_dir=tmp_path, log_level="WARNING"))
        assert root.level == logging.WARNING
        configure_logging(Settings(data_dir=tmp_path, log_level="DEBUG", log_format="json"))
        ours = [h for h in root.handlers if isinstance(h.formatter, OneLineFormatter)]
        assert len(ours) == 1 and root.level == logging.DEBUG  # idempotent: one handler
    finally:
        for h in [h for h in root.handlers if h not in handlers]:
            root.removeHandler(h)
        root.setLevel(level)


@pytest.mark.slow
def test_an_unreachable_database_is_one_line_and_a_retry(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "CXC_DATA_DIR": str(tmp_path),
        "CXC_DATABASE_URL": "postgresql+asyncpg://cxc:s3cret@127.0.0.1:1/nowhere",
        "CXC_DATABASE_WAIT_S": "1.5",
    }
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "cli.py"),
            "users",
            "create",
            "--name",
            "olga",
            "--role",
            "operator",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "s3cret" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert any("retrying in" in line for line in lines)
    assert lines[-1].startswith("error: the database postgresql+asyncpg://cxc:***@127.0.0.1:1")
    assert len(lines) <= 6


def test_fields_are_redacted_and_ordinary_lines_kept_as_they_are() -> None:
    record = _record("update handled in %s ms", 12)
    record.who = "olga@mail.ru, +7 912 000-02-37"
    line = OneLineFormatter(as_json=False, tracebacks=False).format(record)
    assert "who=[email], [phone]" in line and "update handled in 12 ms" in line
