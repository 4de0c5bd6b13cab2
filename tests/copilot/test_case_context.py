"""One case context per request: opening a case's suggestions (or the case, or making an offer)
asks the CRM once and reads the active compensation policy once."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from core.compensation.policy_store import active_policy
from core.ports import CrmRecord
from tests.copilot.conftest import Users, seed_case


class RecordingCrm:
    """Stands in for a CRM's HTTP API; counts the calls."""

    def __init__(self) -> None:
        self.calls: list[list[tuple[str, str]]] = []

    async def customer_history(self, identities: Sequence[tuple[str, str]]) -> list[CrmRecord]:
        self.calls.append(list(identities))
        order = {"total": 1200, "items": [{"name": "Молоко 3,2%", "price": 120, "missing": True}]}
        when = datetime(2030, 1, 1, tzinfo=UTC)
        return [CrmRecord("order", "O-9", when, title="Order O-9", data=order)]


class PolicyReads:
    """Counts the SQL statements that read the compensation policy table."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "compensation_policy" in statement:
            self.count += 1


@pytest.fixture
def crm(app: FastAPI) -> RecordingCrm:
    app.state.crm = RecordingCrm()
    return app.state.crm  # type: ignore[no-any-return]


@pytest.fixture
def policy_reads(db_session: AsyncSession) -> Iterator[PolicyReads]:
    bind = db_session.get_bind()
    engine = bind.engine if not isinstance(bind, AsyncEngine) else bind.sync_engine
    reads = PolicyReads()
    event.listen(engine, "before_cursor_execute", reads)
    yield reads
    event.remove(engine, "before_cursor_execute", reads)


async def _ready(db_session: AsyncSession, reads: PolicyReads) -> int:
    """A case about a missing item; the policy already stored (its first use writes it)."""
    case = await seed_case(db_session, text="Не положили молоко", topic="missing_item")
    await active_policy(db_session)
    reads.count = 0
    assert case.id is not None
    return case.id


async def test_suggestions_ask_the_crm_and_read_the_policy_once(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    users: Users,
    crm: RecordingCrm,
    policy_reads: PolicyReads,
) -> None:
    case_id = await _ready(db_session, policy_reads)
    res = await client.get(f"/v1/cases/{case_id}/suggestions", headers=users.operator)
    assert res.status_code == 200, res.text
    body = res.json()
    assert crm.calls == [[("telegram", "5001")]]
    assert policy_reads.count == 1
    assert body["compensation"] is not None  # the CRM order fed the offer...
    assert [o["id"] for o in body["context"]["orders"]] == ["O-9"]  # ...and the context


async def test_the_case_view_and_an_offer_ask_the_crm_once_each(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    users: Users,
    crm: RecordingCrm,
    policy_reads: PolicyReads,
) -> None:
    case_id = await _ready(db_session, policy_reads)
    view = await client.get(f"/v1/cases/{case_id}", headers=users.operator)
    assert view.status_code == 200, view.text
    assert view.json()["crm_records"][0]["external_id"] == "O-9"
    assert len(crm.calls) == 1

    res = await client.post("/v1/compensations", headers=users.operator, json={"case_id": case_id})
    assert res.status_code == 201, res.text
    assert len(crm.calls) == 2 and policy_reads.count == 2
