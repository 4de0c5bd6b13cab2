"""Compensation offers: facts from the case and customer (never asked again), the policy's offer,
limits enforced here, supervisor approval, issuing, and an audit row for every step.

Order data comes from the customer context: ``Customer.attributes["orders"]`` (a list of
``{"id", "total", "items": [{"name", "price", "missing"?}]}``), ``attributes["last_order"]``, and
the CRM (``CrmRecord(kind="order")``) when a connector is configured. ``attributes["order"]`` (a
Telegram deep link) picks the order the customer wrote about.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core import i18n
from core.cases import lifecycle
from core.compensation import limits
from core.compensation.case_context import load_case_context
from core.compensation.policy import (
    Facts,
    Offer,
    approval_limit,
    detect_issue,
    evaluate,
)
from core.compensation.policy_store import active_policy
from core.customers.context import CaseContext, pick_order
from core.errors import InvalidInput, InvalidTransition, NotAllowed
from core.models import (
    Author,
    Case,
    Compensation,
    CompensationAudit,
    CompensationStatus,
    Message,
    User,
)
from core.models.base import utcnow
from core.platform import auth
from core.platform.records import claim, fetch
from core.ports import CrmConnector


@dataclass(frozen=True, slots=True)
class Proposal:
    offer: Offer
    facts: Facts


async def propose(
    session: AsyncSession,
    *,
    context: CaseContext,
    user: User,
    issue_type: str | None = None,
    affected_amount: float | None = None,
    language: str | None = None,
    customer_text: str | None = None,
) -> Proposal:
    """What the policy offers for the loaded case, from what the company already knows, its
    reason worded in ``language`` (else the customer's, else the language of their words).
    ``customer_text``: all the customer wrote on the case, when the caller has read it."""
    policy, case = context.policy, context.case
    assert case.id is not None
    text = customer_text
    if text is None:
        text = await _customer_text(session, case_id=case.id)
    issue = (
        issue_type
        or _topic_issue(policy.document, case.topic)
        or detect_issue(policy.document, text)
    )
    if issue is None:
        raise InvalidInput("cannot tell the issue type from the case; pass issue_type")
    facts = await _facts(session, context=context, issue=issue, text=text, affected=affected_amount)
    limit = approval_limit(policy.document, user.role, user.compensation_limit)
    language = language or context.customer.language or i18n.detect_language(text)
    offer = evaluate(policy.document, facts, version=policy.version, limit=limit, language=language)
    return Proposal(offer=offer, facts=facts)


async def offer(
    session: AsyncSession,
    *,
    case_id: int,
    user: User,
    issue_type: str | None = None,
    affected_amount: float | None = None,
    crm: CrmConnector | None = None,
) -> Compensation:
    """Record the policy's offer. When it, with what the case and the customer (within the
    policy window) already got, is above the user's limit it waits for a supervisor."""
    context = await load_case_context(session, case_id=case_id, crm=crm, user=user)
    case = context.case
    await limits.lock_customer(session, customer_id=case.customer_id)
    proposal = await propose(
        session,
        context=context,
        user=user,
        issue_type=issue_type,
        affected_amount=affected_amount,
    )
    o = proposal.offer
    document = context.policy.document
    already = await limits.committed_total(
        session,
        case_id=case_id,
        customer_id=case.customer_id,
        window_days=limits.window_days(document),
    )
    limit = approval_limit(document, user.role, user.compensation_limit)
    if not o.requires_approval and already + o.value > limit:
        o = replace(o, requires_approval=True)
    comp = Compensation(
        case_id=case_id,
        customer_id=case.customer_id,
        policy_version=o.policy_version,
        issue_type=o.issue_type,
        items=[{"type": i.type, "amount": i.amount, "value": i.value} for i in o.items],
        value=o.value,
        currency=o.currency,
        reason=o.reason,
        facts=_facts_dict(proposal.facts),
        status=CompensationStatus.PENDING_APPROVAL
        if o.requires_approval
        else CompensationStatus.APPROVED,
        requires_approval=o.requires_approval,
        created_by=user.name,
    )
    session.add(comp)
    await session.flush()
    action = "offered_pending_approval" if o.requires_approval else "offered"
    _audit(session, comp, action, user, value=o.value)
    await session.commit()
    return comp


async def approve(session: AsyncSession, *, compensation_id: int, user: User) -> Compensation:
    auth.require_role(user, auth.SUPERVISING)
    comp = await _pending(session, compensation_id, "approve")
    policy = await active_policy(session)
    await limits.lock_customer(session, customer_id=comp.customer_id)
    limit = approval_limit(policy.document, user.role, user.compensation_limit)
    already = await limits.committed_total(
        session,
        case_id=comp.case_id,
        customer_id=comp.customer_id,
        window_days=limits.window_days(policy.document),
        exclude_id=compensation_id,
    )
    if already + comp.value > limit:
        await session.commit()  # nothing written: ends the transaction
        raise NotAllowed(
            f"{comp.value:g} with the {already:g} already given is above {user.name}'s "
            f"approval limit of {limit:g}"
        )
    return await _decide(session, comp, user, CompensationStatus.APPROVED, "approved")


async def reject(
    session: AsyncSession, *, compensation_id: int, user: User, note: str = ""
) -> Compensation:
    auth.require_role(user, auth.SUPERVISING)
    comp = await _pending(session, compensation_id, "reject")
    return await _decide(session, comp, user, CompensationStatus.REJECTED, "rejected", note=note)


async def issue(session: AsyncSession, *, compensation_id: int, user: User) -> Compensation:
    """Issue an approved offer: promo codes get their code. Approval cannot be skipped."""
    comp = await get_compensation(session, compensation_id)
    auth.require_case_access(user, await lifecycle.get_case(session, comp.case_id))
    items = []
    for item in comp.items:
        code = "CX-" + secrets.token_hex(4).upper() if item["type"] == "promo_code" else None
        items.append({**item, "code": code} if code else dict(item))
    issued = {"items": items, "status": CompensationStatus.ISSUED, "issued_at": utcnow()}
    approved = [col(Compensation.status) == CompensationStatus.APPROVED]
    if not await claim(session, Compensation, compensation_id, where=approved, values=issued):
        await session.commit()  # nothing written: ends the transaction
        comp = await get_compensation(session, compensation_id)
        raise InvalidTransition(f"compensation {compensation_id} is {comp.status}, not approved")
    _audit(session, comp, "issued", user, codes=[i["code"] for i in items if i.get("code")])
    await session.commit()
    return await get_compensation(session, compensation_id)


async def get_compensation(session: AsyncSession, compensation_id: int) -> Compensation:
    return await fetch(session, Compensation, compensation_id, kind="compensation")


async def list_compensations(
    session: AsyncSession,
    *,
    case_id: int | None = None,
    customer_id: int | None = None,
    status: str | None = None,
    user: User | None = None,
    limit: int = 100,
) -> list[Compensation]:
    """Newest first; with ``user``, only those on cases the user may see."""
    stmt = select(Compensation)
    visible = auth.visible_cases(user) if user is not None else None
    if visible is not None:
        stmt = stmt.join(Case, col(Case.id) == col(Compensation.case_id)).where(visible)
    if case_id is not None:
        stmt = stmt.where(Compensation.case_id == case_id)
    if customer_id is not None:
        stmt = stmt.where(Compensation.customer_id == customer_id)
    if status:
        stmt = stmt.where(Compensation.status == status)
    return list((await session.exec(stmt.order_by(col(Compensation.id).desc()).limit(limit))).all())


async def audit_log(session: AsyncSession, *, compensation_id: int) -> list[CompensationAudit]:
    stmt = (
        select(CompensationAudit)
        .where(CompensationAudit.compensation_id == compensation_id)
        .order_by(col(CompensationAudit.id))
    )
    return list((await session.exec(stmt)).all())


async def _facts(
    session: AsyncSession,
    *,
    context: CaseContext,
    issue: str,
    text: str,
    affected: float | None,
) -> Facts:
    customer = context.customer
    order = pick_order(customer, context.orders)
    items = order.get("items", []) if order else []
    hit = [i for i in items if i.get("missing") or i.get("damaged")] or _named_in(items, text)
    if affected is None and hit:
        affected = float(sum(float(i.get("price", 0)) * float(i.get("qty", 1)) for i in hit))
    window = int(context.policy.document.get("window_days", 90))
    recent = await limits.recent_count(session, customer_id=context.customer_id, days=window)
    return Facts(
        issue_type=issue,
        order_id=str(order["id"]) if order and order.get("id") is not None else None,
        order_value=float(order["total"]) if order and order.get("total") is not None else None,
        affected_value=affected,
        affected_items=tuple(str(i.get("name")) for i in hit),
        tier=customer.tier,
        lifetime_value=customer.lifetime_value,
        churn_risk=context.churn.flag,
        recent_compensations=recent,
    )


def _named_in(items: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    """Order items the customer named ("не положили молоко" names "Молоко 3,2%")."""
    lowered = text.lower()
    found = []
    for item in items:
        words = [w for w in str(item.get("name", "")).lower().split() if len(w) >= 4]
        if any(w[: max(4, len(w) - 2)] in lowered for w in words):
            found.append(item)
    return found


def _topic_issue(document: dict[str, Any], topic: str | None) -> str | None:
    return topic if topic in document["issue_types"] else None


async def _customer_text(session: AsyncSession, *, case_id: int) -> str:
    stmt = select(Message.text).where(Message.case_id == case_id, Message.author == Author.CUSTOMER)
    return "\n".join((await session.exec(stmt)).all())


def _facts_dict(facts: Facts) -> dict[str, Any]:
    return {name: getattr(facts, name) for name in Facts.__dataclass_fields__}


async def _pending(session: AsyncSession, compensation_id: int, action: str) -> Compensation:
    comp = await get_compensation(session, compensation_id)
    if comp.status != CompensationStatus.PENDING_APPROVAL:
        raise InvalidTransition(
            f"cannot {action} compensation {compensation_id}: it is {comp.status}"
        )
    return comp


async def _decide(
    session: AsyncSession,
    comp: Compensation,
    user: User,
    status: CompensationStatus,
    action: str,
    **detail: Any,
) -> Compensation:
    decided = {"status": status, "decided_by": user.name, "decided_at": utcnow()}
    pending = [col(Compensation.status) == CompensationStatus.PENDING_APPROVAL]
    assert comp.id is not None
    if not await claim(session, Compensation, comp.id, where=pending, values=decided):
        await session.commit()  # nothing written: ends the transaction
        await _pending(session, comp.id, action.removesuffix("d"))  # raises: who won
        raise InvalidTransition(f"cannot {action} compensation {comp.id}: it changed meanwhile")
    _audit(session, comp, action, user, **{k: v for k, v in detail.items() if v})
    await session.commit()
    return await get_compensation(session, comp.id)


def _audit(
    session: AsyncSession, comp: Compensation, action: str, user: User, **detail: Any
) -> None:
    assert comp.id is not None
    session.add(
        CompensationAudit(
            compensation_id=comp.id,
            action=action,
            actor=user.name,
            detail={"role": user.role, **detail},
        )
    )
