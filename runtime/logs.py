"""Logging for every process: one line per event, at ``CXC_LOG_LEVEL``, as text or JSON
(``CXC_LOG_FORMAT``), with secrets and personal data taken out before a line is written.

An exception is written as one line (its type and message); the traceback follows only at
DEBUG, where a developer asked for it. A line written while an HTTP request is served carries
its ``request_id`` (``copilot.observability`` sets :data:`request_id`). Bot tokens (in Telegram
API URLs), bearer tokens, passwords in database URLs, phone numbers, e-mail addresses and card
numbers are replaced.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from contextvars import ContextVar
from typing import Any

from core.config import Settings
from core.privacy import mask

_SECRETS = (
    (re.compile(r"bot\d{3,}:[\w-]{20,}"), "bot<token>"),
    (re.compile(r"(?i)(bearer\s+)[\w.~+/=-]+"), r"\1<token>"),
    (re.compile(r"(://[^:/@\s]+:)[^@\s]+@"), r"\1<password>@"),
)
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
"""The id of the HTTP request being served in this context (None outside one)."""
_STANDARD = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}
NOISY = ("httpx", "httpcore", "aiogram.event", "chromadb", "sqlalchemy.engine", "alembic")
"""Libraries whose INFO lines are per request or per query: WARNING unless DEBUG is asked."""


_MAYBE_PERSONAL = re.compile(r"@|\d(?:[\s().-]*\d){6,}")
"""What a phone, card, IBAN or e-mail needs: most lines have neither and skip the search."""


def redact(text: str) -> str:
    """``text`` without secrets or personal data."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return mask(text) if _MAYBE_PERSONAL.search(text) else text


class OneLineFormatter(logging.Formatter):
    """``time level logger: message key=value ...`` or one JSON object per line."""

    def __init__(self, *, as_json: bool, tracebacks: bool) -> None:
        super().__init__()
        self.as_json = as_json
        self.tracebacks = tracebacks

    def format(self, record: logging.LogRecord) -> str:
        fields = {
            k: redact(v) if isinstance(v, str) else v
            for k, v in vars(record).items()
            if k not in _STANDARD
        }
        rid = request_id.get()
        if rid is not None:
            fields.setdefault("request_id", rid)
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            fields["error"] = redact(f"{type(exc).__name__}: {exc}".splitlines()[0][:500])
        line = self._line(record, fields)
        if self.tracebacks and record.exc_info:
            line += "\n" + redact(self.formatException(record.exc_info))
        return line

    def _line(self, record: logging.LogRecord, fields: dict[str, Any]) -> str:
        """The header (time, level, logger) as it is; the message and fields redacted."""
        when = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        message = redact(record.getMessage().replace("\n", " "))
        if self.as_json:
            event = {"ts": f"{when}Z", "level": record.levelname, "logger": record.name}
            return json.dumps({**event, "msg": message, **fields}, default=str)
        extra = " ".join(f"{k}={v}" for k, v in fields.items())
        return f"{when}Z {record.levelname} {record.name}: {message}" + (
            f" {extra}" if extra else ""
        )


def configure_logging(settings: Settings) -> None:
    """Send the process's log to stderr, one line per event (idempotent)."""
    level = logging.getLevelName(settings.log_level.upper())
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(level)  # libraries that set their own logger to DEBUG stay quiet too
    handler.setFormatter(
        OneLineFormatter(as_json=settings.log_format == "json", tracebacks=level <= logging.DEBUG)
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h.formatter, OneLineFormatter)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in NOISY:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
