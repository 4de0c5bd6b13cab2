"""The compensation engine: the policy's rules and modifiers, versions in the database, limits,
and the audit trail -- on SQLite and PostgreSQL."""

from __future__ import annotations

import copy

import pytest
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.compensation import limits, offers, policy_store, wording
from core.compensation.policy import Facts, OfferItem, evaluate, load_policy_file
from core.desk.drafts import render_draft
from core.errors import InvalidInput, InvalidTransition, NotAllowed
from core.models import Case, ChannelIdentity, CompensationPolicy, Customer, Message, User
from core.platform import auth

POLICY = load_policy_file()


def test_missing_item_worth_1200_gets_more_than_that_plus_free_delivery() -> None:
    facts = Facts(
        issue_type="missing_item",
        order_id="A-1",
        order_value=4000,
        affected_value=1200,
        affected_items=("Молоко",),
    )
    offer = evaluate(POLICY, facts, version=1, limit=2000)
    kinds = {i.type: i.amount for i in offer.items}
    assert kinds["promo_code"] > 1200 and kinds["free_delivery"] > 0
    assert not offer.requires_approval
    assert "Молоко" in offer.reason and "A-1" in offer.reason
    assert "more than what was missing" in offer.reason


def test_modifiers_tier_churn_and_repeated_compensations() -> None:
    base = Facts(issue_type="late_delivery", order_value=5000)
    plain = evaluate(POLICY, base, version=1, limit=2000)
    vip = evaluate(
        POLICY,
        Facts(issue_type="late_delivery", order_value=5000, tier="vip", churn_risk=True),
        version=1,
        limit=2000,
    )
    assert vip.value > plain.value and "vip" in vip.reason
    many = evaluate(
        POLICY,
        Facts(issue_type="late_delivery", order_value=5000, recent_compensations=3),
        version=1,
        limit=2000,
    )
    assert many.value < plain.value and many.requires_approval


def test_refunds_are_not_inflated_and_unknown_values_are_refused() -> None:
    offer = evaluate(
        POLICY,
        Facts(issue_type="wrong_charge", affected_value=777.5, tier="vip"),
        version=1,
        limit=100,
    )
    refund = next(i for i in offer.items if i.type == "refund")
    assert refund.amount == 777.5 and offer.requires_approval
    with pytest.raises(InvalidInput, match="affected_amount"):
        evaluate(POLICY, Facts(issue_type="damaged_item"), version=1, limit=100)


async def _case(session: AsyncSession, text: str, **customer: object) -> Case:
    c = Customer(name="Ира", **customer)  # type: ignore[arg-type]
    session.add(c)
    await session.flush()
    assert c.id is not None
    session.add(ChannelIdentity(customer_id=c.id, channel="telegram", external_id=f"t{c.id}"))
    case = Case(customer_id=c.id, origin_channel="telegram", owner="human")
    session.add(case)
    await session.flush()
    assert case.id is not None
    session.add(
        Message(case_id=case.id, direction="in", channel="telegram", author="customer", text=text)
    )
    await session.commit()
    return case


async def _user(session: AsyncSession, name: str, role: str) -> User:
    user, _ = await auth.create_user(session, name=name, role=role)
    return user


async def test_policy_versions_and_offer_lifecycle(any_session: AsyncSession) -> None:
    first = await policy_store.active_policy(any_session)
    assert first.version == 1
    changed = copy.deepcopy(first.document)
    changed["approval_limits"]["operator"] = 100
    second = await policy_store.store_policy(
        any_session, document=changed, source="t", actor="root"
    )
    same = await policy_store.store_policy(any_session, document=changed, source="t", actor="root")
    assert second.version == 2 and same.id == second.id
    rows = (await any_session.exec(select(CompensationPolicy))).all()
    assert [p.active for p in sorted(rows, key=lambda p: p.version)] == [False, True]

    order = {"id": "B-2", "total": 3000, "items": [{"name": "Кофе в зёрнах", "price": 1200}]}
    case = await _case(any_session, "Не положили кофе в заказ", attributes={"orders": [order]})
    assert case.id is not None
    operator = await _user(any_session, "op", "operator")
    sup = await _user(any_session, "sup", "supervisor")
    comp = await offers.offer(any_session, case_id=case.id, user=operator)
    assert comp.status == "pending_approval" and comp.policy_version == 2
    assert comp.facts["affected_value"] == 1200 and comp.facts["order_id"] == "B-2"
    with pytest.raises(NotAllowed):
        await offers.approve(any_session, compensation_id=comp.id or 0, user=operator)
    with pytest.raises(InvalidTransition):
        await offers.issue(any_session, compensation_id=comp.id or 0, user=operator)
    await offers.approve(any_session, compensation_id=comp.id or 0, user=sup)
    issued = await offers.issue(any_session, compensation_id=comp.id or 0, user=operator)
    assert issued.status == "issued" and issued.issued_at is not None
    log = await offers.audit_log(any_session, compensation_id=comp.id or 0)
    assert [(a.action, a.actor) for a in log] == [
        ("offered_pending_approval", "op"),
        ("approved", "sup"),
        ("issued", "op"),
    ]
    assert await limits.recent_count(any_session, customer_id=case.customer_id, days=90) == 1


async def test_a_supervisor_cannot_approve_above_their_own_limit(session: AsyncSession) -> None:
    case = await _case(session, "Двойное списание с карты")
    assert case.id is not None
    operator = await _user(session, "op", "operator")
    sup, _ = await auth.create_user(session, name="small", role="supervisor", compensation_limit=50)
    comp = await offers.offer(session, case_id=case.id, user=operator, affected_amount=9000)
    with pytest.raises(NotAllowed, match="approval limit"):
        await offers.approve(session, compensation_id=comp.id or 0, user=sup)


async def test_an_offer_speaks_the_customers_language_and_names_what_the_draft_names(
    session: AsyncSession,
) -> None:
    """A Russian case got an English reason ("An item was missing… Offer: a promo code for 1800
    RUB"), and the console listed the offer's total worth (promo code plus free delivery) in
    English money while the draft named the promo code in Russian money."""
    order = {"id": "A-7", "total": 2000, "items": [{"name": "Молоко", "price": 1200}]}
    case = await _case(session, "В заказе не хватает молока", attributes={"orders": [order]})
    english = await _case(session, "Milk is missing from my order", language="en")
    operator = await _user(session, "op", "operator")
    comp = await offers.offer(session, case_id=case.id or 0, user=operator)
    items = wording.items_text(OfferItem.stored(comp.items), comp.currency, "ru")
    nbsp = "\xa0"  # Babel's grouping and currency spaces
    assert items == f"промокод на 1{nbsp}500{nbsp}₽ и бесплатную доставку следующего заказа"
    assert comp.reason.startswith(f"В заказе не хватало товара (Молоко, на 1{nbsp}200{nbsp}₽)")
    assert f"Предложить: {items}." in comp.reason and "Offer" not in comp.reason
    proposal = evaluate(POLICY, Facts(**comp.facts), version=1, limit=2000, language="ru")
    draft = render_draft(language="ru", name="Ира", body=None, offer=proposal)
    assert f"мы дарим вам {items}." in draft
    other = await offers.offer(session, case_id=english.id or 0, user=operator, affected_amount=400)
    assert other.reason.startswith("An item was missing from the order.")
    assert "a promo code for RUB500 and free delivery on your next order" in other.reason
