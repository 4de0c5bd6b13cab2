"""The API's contract: the OpenAPI document declares, for every operation, each error it can
answer with, all in the one error shape (``copilot.errors.ErrorOut``):

* every operation: 413 (a body over ``CXC_MAX_BODY_BYTES``), 422 (malformed input, also a NUL
  in any query value: ``copilot.input_guard``) and 503 (the database or another backend down);
* an operation that needs a token: 401 (none or unknown), 403 (not this user's to do) and 429
  (over ``CXC_RATE_LIMIT_API``);
* an operation counted per caller without a token (``limited_by``: the web chat per visitor,
  ``/v1/ask`` per client address): 429;
* an operation with inputs (what it names may not exist) or that changes something: 404;
* an operation that changes something: 409 (a state it conflicts with) and 507 (no space left
  where the data is kept: nothing was written).

A response a route declares itself (``/health``'s 503 is its report) is kept.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from copilot.errors import ErrorOut

ERROR = {"$ref": "#/components/schemas/ErrorOut"}
WHY = {
    401: "No bearer token, or one that is unknown or revoked",
    403: "The user may not do this",
    404: "What the request names does not exist",
    409: "It conflicts with the object's current state",
    413: "The request body is over the size limit",
    422: "Malformed input",
    429: "Too many requests with this token (see Retry-After)",
    503: "The database or another backend is unavailable (see Retry-After)",
    507: "No space left where the data is kept: nothing was written",
}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}
CHANGES = {"post", "put", "patch", "delete"}
LIMITED_BY = "x-rate-limited"


def limited_by(who: str) -> dict[str, Any]:
    """A route's ``openapi_extra``: it is counted per ``who`` ("from this visitor")."""
    return {LIMITED_BY: who}


def install_contract(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            declare_errors(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def declare_errors(schema: dict[str, Any]) -> None:
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas["ErrorOut"] = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    for operations in schema.get("paths", {}).values():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for status in statuses(method, operation):
                if str(status) not in responses or status == 422:  # FastAPI's own 422 shape
                    responses[str(status)] = _response(status)
            if LIMITED_BY in operation and not operation.get("security"):
                why = f"Too many requests {operation[LIMITED_BY]} (see Retry-After)"
                responses["429"]["description"] = why


def statuses(method: str, operation: dict[str, Any]) -> list[int]:
    found = [413, 422, 503]
    if operation.get("security"):
        found += [401, 403, 429]
    elif LIMITED_BY in operation:
        found.append(429)
    if operation.get("parameters") or operation.get("requestBody") or method in CHANGES:
        found.append(404)
    if method in CHANGES:
        found += [409, 507]
    return sorted(found)


def _response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": WHY[status],
        "content": {"application/json": {"schema": ERROR}},
    }
    if status in (429, 503):
        response["headers"] = RETRY_AFTER
    return response
