"""The case view: the customer's timeline across cases and channels, in order; CRM history for
this customer only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from core.compensation.case_context import load_case_context
from core.customers.timeline import case_view
from core.errors import BackendUnavailable
from core.models import Case, ChannelIdentity, Customer, Message
from core.ports import CrmRecord

T0 = datetime(2030, 3, 1, tzinfo=UTC)


class RecordingCrm:
    """Stands in for a CRM's HTTP API; records which identities it was asked about."""

    def __init__(self, fail: bool = False) -> None:
        self.asked: list[list[tuple[str, str]]] = []
        self.fail = fail

    async def customer_history(self, identities: Sequence[tuple[str, str]]) -> list[CrmRecord]:
        self.asked.append(list(identities))
        if self.fail:
            raise BackendUnavailable("CRM timed out")
        return [
            CrmRecord(
                kind="order",
                external_id="O-1",
                occurred_at=T0,
                title="Order O-1",
                data={"total": 990},
            )
        ]


async def test_timeline_spans_cases_and_channels(any_session: AsyncSession) -> None:
    anna = Customer(name="Анна")
    other = Customer(name="Борис")
    any_session.add_all([anna, other])
    await any_session.flush()
    assert anna.id is not None and other.id is not None
    any_session.add(ChannelIdentity(customer_id=anna.id, channel="telegram", external_id="1"))
    any_session.add(ChannelIdentity(customer_id=anna.id, channel="email", external_id="a@x.io"))
    old = Case(customer_id=anna.id, origin_channel="email", status="resolved", opened_at=T0)
    new = Case(customer_id=anna.id, origin_channel="telegram", opened_at=T0 + timedelta(days=2))
    foreign = Case(customer_id=other.id, origin_channel="telegram")
    any_session.add_all([old, new, foreign])
    await any_session.flush()
    for case, channel, text, minutes in (
        (new, "telegram", "третье", 2 * 24 * 60),
        (old, "email", "первое", 0),
        (old, "phone", "второе", 60),
        (foreign, "telegram", "чужое", 30),
    ):
        assert case.id is not None
        any_session.add(
            Message(
                case_id=case.id,
                direction="in",
                channel=channel,
                author="customer",
                text=text,
                created_at=T0 + timedelta(minutes=minutes),
            )
        )
    await any_session.commit()

    crm = RecordingCrm()
    context = await load_case_context(any_session, case_id=new.id or 0, crm=crm)
    view = await case_view(any_session, context=context)
    assert [(m.channel, m.text) for m in view.timeline] == [
        ("email", "первое"),
        ("phone", "второе"),
        ("telegram", "третье"),
    ]
    assert [c.id for c in view.cases] == [old.id, new.id]
    assert crm.asked == [[("telegram", "1"), ("email", "a@x.io")]]
    assert view.crm_records[0].external_id == "O-1"
    assert [o["id"] for o in context.orders] == ["O-1"] and not context.churn.flag

    context = await load_case_context(any_session, case_id=new.id or 0, crm=RecordingCrm(fail=True))
    failing = await case_view(any_session, context=context)
    assert failing.crm_records == [] and failing.crm_error == "CRM timed out"
