"""Load a :class:`~core.customers.context.CaseContext` once per request: the case, its customer
and their identities, their stored orders and past CRM cases (a sync or an import), one CRM
call, the churn-risk figures and one read of the active compensation policy.

It lives here, not in ``customers``, because the active policy is compensation's
(``policy_store``); the case view, the suggestions and the offers all take the loaded context.
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from core.cases.lifecycle import get_case
from core.compensation.policy_store import active_policy
from core.customers.context import (
    CaseContext,
    CrmHistory,
    case_record,
    churn_risk,
    crm_history,
    orders_of,
)
from core.customers.identities import get_customer, identities_of
from core.customers.profile import stored_cases, stored_orders
from core.models import User
from core.platform.auth import require_case_access
from core.ports import CrmConnector


async def load_case_context(
    session: AsyncSession,
    *,
    case_id: int,
    crm: CrmConnector | None = None,
    user: User | None = None,
) -> CaseContext:
    """Everything a request about case ``case_id`` needs. With ``user``, they must be allowed to
    act on the case (checked before anything else is loaded or the CRM is asked)."""
    case = await get_case(session, case_id)
    if user is not None:
        require_case_access(user, case)
    customer = await get_customer(session, case.customer_id)
    assert customer.id is not None
    identities = await identities_of(session, customer_id=customer.id)
    stored = await stored_orders(session, customer_id=customer.id)
    crm_cases = await stored_cases(session, customer_id=customer.id)
    past = [case_record(c) for c in crm_cases]
    history = await crm_history(crm, identities)
    return CaseContext(
        case=case,
        customer=customer,
        identities=identities,
        crm=CrmHistory(past + history.records, history.error),
        orders=orders_of(customer, history.records, stored[::-1]),
        churn=await churn_risk(session, customer=customer),
        policy=await active_policy(session),
        crm_cases=crm_cases,
    )
