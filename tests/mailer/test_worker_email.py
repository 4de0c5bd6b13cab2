"""``cxc worker`` with only an SMTP server configured: it sends the pulse of a phone case to the
customer's e-mail address (where they can answer, by the signed link) and the operator replies
the API queued on e-mail cases."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from core import db
from core.cases import lifecycle
from core.config import Settings
from core.desk import operators
from core.feedback import pulse_answers, surveys
from core.models import ChannelIdentity, Customer, Pulse
from core.models.base import utcnow
from core.platform import auth
from tests.smtp_server import Mailbox, smtp_server
from worker import run_worker


@pytest.fixture
async def factory(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = db.create_engine(database_url)
    yield db.session_factory(engine)
    await engine.dispose()


def _settings(tmp_path: Path, database_url: str, port: int) -> Settings:
    return Settings(  # type: ignore[call-arg]
        env="test",
        data_dir=tmp_path / "data",
        database_url=database_url,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_tls="none",
        pulse_delay_s=0,
        pulse_link_secret=SecretStr("a-long-link-secret"),
        public_base_url="https://cx.example",
        worker_interval_s=0.05,
        _env_file=None,
    )


async def _customer(session: AsyncSession, *identities: tuple[str, str]) -> int:
    customer = Customer(name="Petra", language="en")
    session.add(customer)
    await session.flush()
    assert customer.id is not None
    for channel, external_id in identities:
        session.add(
            ChannelIdentity(customer_id=customer.id, channel=channel, external_id=external_id)
        )
    await session.commit()
    return customer.id


async def _run_until(settings: Settings, done: Callable[[], bool]) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(run_worker(settings, stop=stop))
    try:
        for _ in range(200):
            if done() or task.done():
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)  # a few more passes: nothing goes out twice
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


async def test_the_pulse_of_a_phone_case_goes_by_email_with_its_link(
    tmp_path: Path, database_url: str, factory: async_sessionmaker[AsyncSession]
) -> None:
    async with factory() as session:
        customer_id = await _customer(
            session, ("phone", "+37360000001"), ("email", "petra@customer.example")
        )
        case = await lifecycle.open_case(
            session, customer_id=customer_id, channel="phone", now=utcnow() - timedelta(hours=1)
        )
        assert case.id is not None
        await lifecycle.resolve(session, case_id=case.id, code="answered")
        pulse = await surveys.schedule_pulse(session, case_id=case.id)
    assert pulse.channel == "email"

    mailbox: Mailbox
    with smtp_server() as mailbox:
        settings = _settings(tmp_path, database_url, mailbox.port)
        await _run_until(settings, lambda: bool(mailbox.received))

    [mail] = mailbox.received
    assert mail["To"] == "petra@customer.example"
    signed = pulse_answers.link_token(pulse, settings=settings)
    assert f"https://cx.example/pulse/{signed}" in mail.get_content()
    async with factory() as session:
        [row] = (await session.exec(select(Pulse))).all()
    assert row.status == "sent"


async def test_a_customer_without_an_address_gets_the_pulse_on_telegram(
    factory: async_sessionmaker[AsyncSession],
) -> None:
    async with factory() as session:
        customer_id = await _customer(session, ("phone", "+37360000002"), ("telegram", "99"))
        case = await lifecycle.open_case(session, customer_id=customer_id, channel="store")
        assert case.id is not None
        await lifecycle.resolve(session, case_id=case.id, code="answered")
        pulse = await surveys.schedule_pulse(session, case_id=case.id)
    assert pulse.channel == "telegram"


async def test_the_worker_sends_queued_email_replies(
    tmp_path: Path, database_url: str, factory: async_sessionmaker[AsyncSession]
) -> None:
    async with factory() as session:
        customer_id = await _customer(session, ("email", "lev@customer.example"))
        case = await lifecycle.open_case(session, customer_id=customer_id, channel="email")
        assert case.id is not None
        user, _ = await auth.create_user(session, name="olga", role="operator")
        await operators.reply(
            session, case_id=case.id, user=user, text="Found it.", queued=("email",)
        )
    with smtp_server() as mailbox:
        settings = _settings(tmp_path, database_url, mailbox.port)
        await _run_until(settings, lambda: bool(mailbox.received))
    assert [m.get_content().strip() for m in mailbox.received] == ["Found it."]


async def test_a_phone_case_of_a_customer_on_telegram_with_an_address_goes_by_email(
    factory: async_sessionmaker[AsyncSession],
) -> None:
    async with factory() as session:
        customer_id = await _customer(
            session, ("telegram", "98"), ("phone", "+37360000003"), ("email", "x@customer.example")
        )
        case = await lifecycle.open_case(session, customer_id=customer_id, channel="phone")
        assert case.id is not None
        await lifecycle.resolve(session, case_id=case.id, code="answered")
        assert (await surveys.schedule_pulse(session, case_id=case.id)).channel == "email"
        chat = await lifecycle.open_case(session, customer_id=customer_id, channel="telegram")
        assert chat.id is not None
        await lifecycle.resolve(session, case_id=chat.id, code="answered")
        assert (await surveys.schedule_pulse(session, case_id=chat.id)).channel == "telegram"
