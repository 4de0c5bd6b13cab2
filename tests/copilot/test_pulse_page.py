"""The survey page behind signed links: shows the questions, stores the answers, refuses
forged, expired and unsent links, and a low score opens a recovery case."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.cases import lifecycle
from core.feedback import pulse_answers, surveys
from core.models import Case, ChannelIdentity, Customer, Pulse
from core.models.base import utcnow


async def _sent(session: AsyncSession, app: FastAPI, *, language: str = "en") -> Pulse:
    settings = app.state.settings
    customer = Customer(name="Ivy", language=language)
    session.add(customer)
    await session.flush()
    assert customer.id is not None
    session.add(ChannelIdentity(customer_id=customer.id, channel="email", external_id="i@x.io"))
    await session.commit()
    case = await lifecycle.open_case(
        session, customer_id=customer.id, channel="email", topic="refund"
    )
    await lifecycle.resolve(session, case_id=case.id or 0, code="refunded")
    pulse = await surveys.schedule_pulse(session, case_id=case.id or 0, settings=settings)
    await surveys.claim_due(session, now=pulse.due_at)
    return await surveys.mark_sent(session, pulse_id=pulse.id or 0, settings=settings)


async def test_page_shows_the_questions_and_stores_answers(
    app: FastAPI, client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    pulse = await _sent(db_session, app)
    token = pulse_answers.link_token(pulse, settings=app.state.settings)
    page = await client.get(f"/pulse/{token}")
    assert page.status_code == 200
    assert 'name="csat"' in page.text and 'name="ces"' in page.text and "How easy" in page.text
    done = await client.post(f"/pulse/{token}", data={"csat": "5", "ces": "6", "comment": "Great"})
    assert done.status_code == 200 and "Thank you" in done.text
    await db_session.refresh(pulse)
    assert (pulse.status, pulse.csat, pulse.ces, pulse.comment) == ("answered", 5, 6, "Great")
    wrong = await client.post(f"/pulse/{token}", data={"csat": "9"})
    assert wrong.status_code == 422 and "csat must be 1-5" in wrong.text


async def test_low_score_on_the_page_opens_a_recovery_case(
    app: FastAPI, client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    pulse = await _sent(db_session, app, language="ru")
    token = pulse_answers.link_token(pulse, settings=app.state.settings)
    page = await client.get(f"/pulse/{token}")
    assert "Насколько" in page.text
    done = await client.post(f"/pulse/{token}", data={"csat": "1", "comment": "Ужасно"})
    assert done.status_code == 200 and "Спасибо" in done.text
    await db_session.refresh(pulse)
    assert pulse.recovery_case_id is not None
    recovery = (await db_session.exec(select(Case).where(Case.id == pulse.recovery_case_id))).one()
    assert (recovery.owner, recovery.status, recovery.topic) == (
        "human",
        "open",
        "recovery: refund",
    )


async def test_forged_expired_and_unsent_links_are_refused(
    app: FastAPI, client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    pulse = await _sent(db_session, app)
    token = pulse_answers.link_token(pulse, settings=app.state.settings)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert (await client.get(f"/pulse/{forged}")).status_code == 404
    assert (await client.post(f"/pulse/{pulse.token}", data={"csat": "5"})).status_code == 404
    pulse.expires_at = utcnow() - timedelta(seconds=1)
    db_session.add(pulse)
    await db_session.commit()
    gone = await client.get(f"/pulse/{token}")
    assert gone.status_code == 410 and "expired" in gone.text
    assert (await client.post(f"/pulse/{token}", data={"csat": "5"})).status_code == 410
    await db_session.refresh(pulse)
    assert pulse.csat is None
