"""The API keeps its contract: a schemathesis run over the app's own OpenAPI document with its
response checks (every status declared, every body and header as declared, the content types),
as a supervisor with valid data and, for operations with inputs, with invalid data. Every
error an operation answers with is one it declares, in the one error shape (ErrorOut)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import given
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlmodel.ext.asyncio.session import AsyncSession

from tests.copilot.conftest import Users, seed_case
from tests.copilot.test_schemathesis import BASE_URL, _budget, _httpx_kwargs

pytestmark = pytest.mark.slow
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


def _conform(schema: Any, send: Any, headers: dict[str, str], mode: GenerationMode) -> list[str]:
    """Every operation's failures, as ``label: failure`` lines (empty: the contract holds)."""
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        has_inputs = any(operation.iter_parameters()) or len(operation.body) > 0
        if mode is GenerationMode.NEGATIVE and not has_inputs:
            continue

        @_budget(6 if mode is GenerationMode.POSITIVE else 3)
        @given(case=operation.as_strategy(generation_mode=mode))
        def check(case: Any) -> None:
            response = send(case.as_transport_kwargs(base_url=BASE_URL, headers=headers))
            try:
                case.validate_response(response, checks=CHECKS)
            except Exception as exc:  # a FailureGroup of the failed checks
                lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
                failures.append(
                    f"{case.operation.label} -> {response.status_code}: {' | '.join(lines[1:5])}"
                )

        check()
    return failures


async def _contract(app: FastAPI, headers: dict[str, str], mode: GenerationMode) -> list[str]:
    schema = schemathesis.openapi.from_dict(app.openapi())
    loop = asyncio.get_running_loop()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL, timeout=30) as client:

        def send(kwargs: dict[str, Any]) -> httpx.Response:
            request = client.request(**_httpx_kwargs(kwargs))
            return asyncio.run_coroutine_threadsafe(request, loop).result(timeout=60)

        return await asyncio.to_thread(_conform, schema, send, headers, mode)


@pytest.fixture
async def seeded(db_session: AsyncSession) -> None:
    await seed_case(db_session, text="Где мой заказ?")


@pytest.mark.usefixtures("seeded")
async def test_every_response_is_declared_and_in_shape(app: FastAPI, users: Users) -> None:
    failures = await _contract(app, users.supervisor, GenerationMode.POSITIVE)
    failures += await _contract(app, users.supervisor, GenerationMode.NEGATIVE)
    assert not failures, "\n".join(sorted(set(failures)))


def test_every_operation_declares_its_errors_in_one_shape(app: FastAPI) -> None:
    document = app.openapi()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            declared = set(operation["responses"])
            assert {"413", "422", "503"} <= declared, f"{method} {path}"
            if operation.get("security"):
                assert {"401", "403", "429"} <= declared, f"{method} {path}"
            if method != "get":
                assert {"404", "409"} <= declared, f"{method} {path}"
            shape = operation["responses"]["422"]["content"]["application/json"]["schema"]
            assert shape == {"$ref": "#/components/schemas/ErrorOut"}, f"{method} {path}"


def test_operations_limited_without_a_token_declare_429(app: FastAPI) -> None:
    document = app.openapi()
    for path in ("/v1/ask", "/chat/session", "/chat/messages", "/chat/pick"):
        refused = document["paths"][path]["post"]["responses"]["429"]
        assert refused["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorOut"
        }, path
        assert "Retry-After" in refused["headers"], path
    assert (
        "visitor" in document["paths"]["/chat/messages"]["post"]["responses"]["429"]["description"]
    )
    assert "address" in document["paths"]["/v1/ask"]["post"]["responses"]["429"]["description"]
    assert (
        "address" in document["paths"]["/chat/session"]["post"]["responses"]["429"]["description"]
    )
    assert "429" not in document["paths"]["/chat/messages"]["get"]["responses"]  # polling
