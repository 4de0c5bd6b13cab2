"""What a request costs beside its own work: the dependencies every route shares run on the
event loop, never one thread pool hop each (FastAPI runs a plain ``def`` dependency on its
thread pool); ``/v1/ask`` hands the query to the model thread and nothing else."""

from __future__ import annotations

import inspect
from typing import Any

import httpx
import pytest
from fastapi.dependencies.models import Dependant
from starlette import concurrency

from copilot import deps, operator_deps
from copilot.routes import ask as ask_routes


def _calls(dependant: Dependant) -> list[Any]:
    found = []
    for sub in dependant.dependencies:
        found.append(sub.call)
        found.extend(_calls(sub))
    return found


def test_the_shared_dependencies_are_coroutines() -> None:
    shared = [
        value
        for module in (deps, operator_deps)
        for name, value in vars(module).items()
        if name.startswith("get_") and inspect.isfunction(value)
    ]
    assert len(shared) >= 7
    assert all(inspect.iscoroutinefunction(f) or inspect.isasyncgenfunction(f) for f in shared)


async def test_ask_takes_no_thread_pool_hop(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    ask = next(r for r in ask_routes.router.routes if getattr(r, "path", "") == "/v1/ask")
    assert deps.get_retriever in _calls(ask.dependant)  # type: ignore[attr-defined]
    hops: list[str] = []
    original = concurrency.run_in_threadpool

    async def counted(func: Any, *args: Any, **kwargs: Any) -> Any:
        hops.append(getattr(func, "__name__", repr(func)))
        return await original(func, *args, **kwargs)

    monkeypatch.setattr("fastapi.dependencies.utils.run_in_threadpool", counted)
    monkeypatch.setattr("fastapi.routing.run_in_threadpool", counted)
    response = await client.post("/v1/ask", json={"text": "how can I get my money back?"})
    assert response.status_code == 200 and response.json()["entry_id"] == "refund"
    assert hops == []
