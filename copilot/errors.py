"""Translate core errors into HTTP responses."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from core.errors import (
    BackendUnavailable,
    CxcError,
    InvalidInput,
    InvalidTransition,
    NotAllowed,
    NotFound,
)

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


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(CxcError, _handle)
