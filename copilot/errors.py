"""Translate core errors into HTTP responses."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from core.db import is_outage
from core.errors import (
    BackendUnavailable,
    CxcError,
    InvalidInput,
    InvalidTransition,
    NotAllowed,
    NotFound,
)

log = logging.getLogger(__name__)
OUTAGE = "DatabaseUnavailable"

STATUS: list[tuple[type[CxcError], int]] = [
    (NotFound, 404),
    (InvalidTransition, 409),
    (NotAllowed, 403),
    (InvalidInput, 422),
    (BackendUnavailable, 503),
]


def status_for(exc: CxcError) -> int:
    for kind, status in STATUS:
        if isinstance(exc, kind):
            return status
    return 500


async def _handle(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CxcError)
    return JSONResponse(
        status_code=status_for(exc), content={"detail": str(exc), "error": type(exc).__name__}
    )


RETRY_AFTER_S = 5


async def _outage(_request: Request, exc: Exception) -> JSONResponse:
    """The database is unreachable: 503 in the one error shape (never a 500 or a traceback);
    anything else is a real defect and stays a 500."""
    if not is_outage(exc):
        raise exc
    log.warning("database unavailable: %s", type(exc).__name__)
    return JSONResponse(
        status_code=503,
        content={"detail": "the database is unavailable; try again shortly", "error": OUTAGE},
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(CxcError, _handle)
    app.add_exception_handler(SQLAlchemyError, _outage)
    app.add_exception_handler(OSError, _outage)
