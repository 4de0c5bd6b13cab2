"""Translate errors into HTTP responses, all in one shape (``ErrorOut``): ``{"detail": ...,
"error": "<kind>"}``; ``detail`` is a sentence, or for a 422 on malformed input the list of
what is wrong with which field (FastAPI's validation errors). A full disk is 507
``StorageFull`` (naming the directory), logged as one line."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException

from core.db import is_outage
from core.errors import (
    BackendUnavailable,
    CxcError,
    InvalidInput,
    InvalidTransition,
    NotAllowed,
    NotFound,
    RateLimited,
    StorageFull,
)
from core.storage import is_disk_full

log = logging.getLogger(__name__)
OUTAGE = "DatabaseUnavailable"
VALIDATION = "ValidationError"
KINDS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "NotAllowed",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "InvalidTransition",
    413: "PayloadTooLarge",
    422: "InvalidInput",
    429: "RateLimited",
    503: "BackendUnavailable",
    507: "StorageFull",
}


class ErrorOut(BaseModel):
    """Every error the API answers with."""

    detail: str | list[dict[str, Any]] = Field(
        description="What went wrong; for malformed input, one item per field"
    )
    error: str = Field(description="The kind: NotFound, InvalidTransition, RateLimited, ...")


def error_body(detail: Any, kind: str) -> dict[str, Any]:
    return {"detail": detail, "error": kind}


STATUS: list[tuple[type[CxcError], int]] = [
    (NotFound, 404),
    (InvalidTransition, 409),
    (NotAllowed, 403),
    (InvalidInput, 422),
    (BackendUnavailable, 503),
    (RateLimited, 429),
    (StorageFull, 507),
]


def status_for(exc: CxcError) -> int:
    for kind, status in STATUS:
        if isinstance(exc, kind):
            return status
    return 500


async def _handle(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CxcError)
    wait = {"Retry-After": str(exc.retry_after_s)} if isinstance(exc, RateLimited) else None
    if isinstance(exc, StorageFull):  # the operator's to fix: one line in the log
        log.error("%s", exc)
    return JSONResponse(
        status_code=status_for(exc),
        content={"detail": str(exc), "error": type(exc).__name__},
        headers=wait,
    )


RETRY_AFTER_S = 5


async def _outage(_request: Request, exc: Exception) -> JSONResponse:
    """The database is unreachable: 503 in the one error shape (never a 500 or a traceback);
    anything else is a real defect and stays a 500."""
    if is_disk_full(exc):  # a full disk a writer did not name: the data directory's
        name = getattr(exc, "filename", None)
        where = str(Path(name).parent) if isinstance(name, str) else "the data directory"
        return await _handle(_request, StorageFull(where))
    if not is_outage(exc):
        raise exc
    log.warning("database unavailable: %s", type(exc).__name__)
    return JSONResponse(
        status_code=503,
        content=error_body("the database is unavailable; try again shortly", OUTAGE),
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


async def _http(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    kind = KINDS.get(exc.status_code, "HttpError")
    return JSONResponse(
        error_body(exc.detail, kind), status_code=exc.status_code, headers=exc.headers
    )


async def _invalid(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse(error_body(jsonable_encoder(exc.errors()), VALIDATION), status_code=422)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(CxcError, _handle)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(SQLAlchemyError, _outage)
    app.add_exception_handler(OSError, _outage)
