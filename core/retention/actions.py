"""Starting a retention action for a customer and recording how it ended.

An offer stays within the compensation policy: the supervisor's approval limit covers the
offer plus what the customer got within the policy window (approved and issued compensations,
and retention offers not lost). An early check-in follows the customer's first stored order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.compensation.limits import COMMITTED, lock_customer, window_days
from core.compensation.policy import approval_limit
from core.compensation.policy_store import active_policy
from core.config import Settings
from core.errors import CustomerNotFound, InvalidInput, InvalidTransition, NotFound
from core.models import (
    Compensation,
    CompensationPolicy,
    Customer,
    CustomerOrder,
    RetentionAction,
    RetentionKind,
    RetentionOutcome,
    User,
)
from core.models.base import utcnow
from core.platform.records import claim
from core.reports.churn import band, customer_churn

CHECK_IN_AFTER = timedelta(days=3)
"""An early check-in is due this long after the first order (or now, when that has passed)."""
CALL_WITHIN = timedelta(days=1)
NEXT: dict[RetentionOutcome, tuple[RetentionOutcome, ...]] = {
    RetentionOutcome.CONTACTED: (RetentionOutcome.PENDING,),
    RetentionOutcome.ACCEPTED: (RetentionOutcome.PENDING, RetentionOutcome.CONTACTED),
    RetentionOutcome.CHURNED: (RetentionOutcome.PENDING, RetentionOutcome.CONTACTED),
}
"""Each outcome and the outcomes it may follow: accepted and churned are final."""


@dataclass(frozen=True, slots=True)
class NewAction:
    customer_id: int
    kind: RetentionKind
    note: str | None = None
    due_at: datetime | None = None
    offer_value: float | None = None


async def start_action(
    session: AsyncSession,
    *,
    action: NewAction,
    user: User,
    settings: Settings,
    now: datetime | None = None,
) -> RetentionAction:
    """Record the action with the customer's churn score and band now; one open action of a
    kind per customer (a second one is refused)."""
    now = now or utcnow()
    if await session.get(Customer, action.customer_id) is None:
        raise CustomerNotFound(action.customer_id)
    # the policy first: storing the default opens a session of its own, before the lock
    policy = await active_policy(session) if action.kind == RetentionKind.OFFER else None
    await lock_customer(session, customer_id=action.customer_id)
    await _refuse_duplicate(session, action)
    churn = await customer_churn(
        session, customer_id=action.customer_id, settings=settings, now=now
    )
    row = RetentionAction(
        customer_id=action.customer_id,
        kind=action.kind,
        churn_score=churn.score,
        churn_band=band(churn.score),
        note=action.note,
        due_at=action.due_at or now + CALL_WITHIN,
        created_by=user.name,
        created_at=now,
    )
    if policy is not None:
        await _price_offer(session, row, action, user, policy, now)
    elif action.kind == RetentionKind.CHECK_IN:
        await _follow_first_order(session, row, action, now)
    session.add(row)
    await session.commit()
    await session.refresh(row)
    return row


async def record_outcome(
    session: AsyncSession,
    *,
    action_id: int,
    outcome: RetentionOutcome,
    user: User,
    note: str | None = None,
    now: datetime | None = None,
) -> RetentionAction:
    """Move the action to ``outcome``; 409 when it already ended or moved on."""
    if outcome not in NEXT:
        raise InvalidInput(f"outcome must be one of {', '.join(NEXT)}")
    if await session.get(RetentionAction, action_id) is None:
        raise NotFound("retention action", action_id)
    done = await claim(
        session,
        RetentionAction,
        action_id,
        where=[col(RetentionAction.outcome).in_(NEXT[outcome])],
        values={
            "outcome": outcome,
            "outcome_note": note,
            "outcome_by": user.name,
            "outcome_at": now or utcnow(),
        },
    )
    if not done:
        raise InvalidTransition(f"retention action {action_id} cannot become {outcome}")
    await session.commit()
    row = await session.get(RetentionAction, action_id, populate_existing=True)
    assert row is not None
    return row


async def list_actions(
    session: AsyncSession,
    *,
    customer_id: int | None = None,
    open_only: bool = False,
    limit: int = 200,
) -> list[RetentionAction]:
    """Newest first; ``open_only``: those not accepted or churned yet."""
    stmt = select(RetentionAction)
    if customer_id is not None:
        stmt = stmt.where(col(RetentionAction.customer_id) == customer_id)
    if open_only:
        stmt = stmt.where(col(RetentionAction.outcome).in_(_OPEN))
    stmt = stmt.order_by(col(RetentionAction.created_at).desc(), col(RetentionAction.id).desc())
    return list((await session.exec(stmt.limit(limit))).all())


_OPEN = (RetentionOutcome.PENDING, RetentionOutcome.CONTACTED)


async def _refuse_duplicate(session: AsyncSession, action: NewAction) -> None:
    stmt = select(func.count()).where(
        col(RetentionAction.customer_id) == action.customer_id,
        col(RetentionAction.kind) == action.kind,
        col(RetentionAction.outcome).in_(_OPEN),
    )
    if (await session.exec(stmt)).one():
        raise InvalidTransition(
            f"customer {action.customer_id} already has an open {action.kind} action"
        )


async def _price_offer(
    session: AsyncSession,
    row: RetentionAction,
    action: NewAction,
    user: User,
    policy: CompensationPolicy,
    now: datetime,
) -> None:
    if action.offer_value is None or action.offer_value <= 0:
        raise InvalidInput("an offer needs offer_value above 0")
    limit = approval_limit(policy.document, user.role, user.compensation_limit)
    since = now - timedelta(days=window_days(policy.document))
    given = await _given_since(session, action.customer_id, since)
    if given + action.offer_value > limit:
        raise InvalidInput(
            f"offer_value {action.offer_value:g} plus {given:g} given within "
            f"{window_days(policy.document)} days exceeds the {user.role} limit {limit:g} "
            f"of compensation policy version {policy.version}"
        )
    row.offer_value = action.offer_value
    row.currency = str(policy.document["currency"])
    row.policy_version = policy.version


async def _given_since(session: AsyncSession, customer_id: int, since: datetime) -> float:
    paid = select(func.coalesce(func.sum(col(Compensation.value)), 0.0)).where(
        col(Compensation.customer_id) == customer_id,
        col(Compensation.status).in_(COMMITTED),
        col(Compensation.created_at) >= since,
    )
    offered = select(func.coalesce(func.sum(col(RetentionAction.offer_value)), 0.0)).where(
        col(RetentionAction.customer_id) == customer_id,
        col(RetentionAction.outcome) != RetentionOutcome.CHURNED,
        col(RetentionAction.created_at) >= since,
    )
    given = [(await session.exec(stmt)).one() for stmt in (paid, offered)]
    return sum(float(v or 0.0) for v in given)


async def _follow_first_order(
    session: AsyncSession, row: RetentionAction, action: NewAction, now: datetime
) -> None:
    stmt = (
        select(CustomerOrder)
        .where(col(CustomerOrder.customer_id) == action.customer_id)
        .order_by(col(CustomerOrder.placed_at).asc().nulls_last(), col(CustomerOrder.id))
    )
    first = (await session.exec(stmt)).first()
    if first is None:
        raise InvalidInput(f"customer {action.customer_id} has no stored order to check in after")
    row.order_id = first.id
    if action.due_at is None and first.placed_at is not None:
        row.due_at = max(now, first.placed_at + CHECK_IN_AFTER)
