"""A web chat visitor's pulse: the worker records it for pick-up, the visitor's page fetches it
(with its signed survey link) once per cursor, and it counts as sent."""

from __future__ import annotations

from datetime import timedelta

from pydantic import SecretStr
from sqlmodel.ext.asyncio.session import AsyncSession

from core import db
from core.cases import lifecycle
from core.config import Settings
from core.feedback import pulse_answers, surveys
from core.models import ChannelIdentity, Customer
from core.models.base import utcnow
from core.platform import pickup
from core.worker import run_worker_once


async def test_a_web_visitors_pulse_waits_for_the_page_and_is_handed_over_once(
    any_session: AsyncSession,
) -> None:
    settings = Settings(  # type: ignore[call-arg]
        env="test", pulse_delay_s=0, pulse_link_secret=SecretStr("k" * 20), _env_file=None
    )
    customer = Customer(name="Web visitor")
    any_session.add(customer)
    await any_session.flush()
    assert customer.id is not None
    any_session.add(ChannelIdentity(customer_id=customer.id, channel="web", external_id="v-1"))
    await any_session.commit()
    case = await lifecycle.open_case(
        any_session, customer_id=customer.id, channel="web", now=utcnow() - timedelta(hours=1)
    )
    assert case.id is not None
    await lifecycle.resolve(any_session, case_id=case.id, code="answered")
    pulse = await surveys.schedule_pulse(any_session, case_id=case.id, settings=settings)
    assert pulse.channel == "web"

    factory = db.session_factory(any_session.bind)  # type: ignore[arg-type]
    web = pickup.PickupOutbound(factory)
    done = await run_worker_once(factory, settings=settings, outbound={"web": web})
    assert (done.sent, done.failed) == (1, 0)

    [row] = await pickup.pick_up(any_session, external_id="v-1")
    assert pulse_answers.link(pulse, settings=settings) in row.text and row.status == "sent"
    assert await pickup.pick_up(any_session, external_id="v-1", after=row.id or 0) == []
    assert await pickup.pick_up(any_session, external_id="v-2") == []
