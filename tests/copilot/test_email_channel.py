"""The e-mail channel end to end: an operator's reply on an e-mail case is queued by the API and
delivered by the worker's e-mail sender to a real SMTP server on loopback; a server that defers
is retried with backoff until the retry window ends, then the reply is failed and shown so on
the case; a server that refuses fails it at once."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import select

from copilot.main import create_app
from core.config import Settings
from core.models import (
    Author,
    Case,
    ChannelIdentity,
    Customer,
    Direction,
    Message,
    OutboundDelivery,
    Owner,
)
from core.models.base import utcnow
from mailer import EmailOutbound
from tests.copilot.conftest import Users, _users
from tests.smtp_server import Mailbox, free_port, smtp_server


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as box:
        yield box


@pytest.fixture
def smtp_settings(tmp_path: Path, database_url: str, mailbox: Mailbox) -> Settings:
    return Settings(  # type: ignore[call-arg]
        env="test",
        data_dir=tmp_path / "data",
        database_url=database_url,
        smtp_host="127.0.0.1",
        smtp_port=mailbox.port,
        smtp_tls="none",
        smtp_from="help@shop.example",
        delivery_retry_window_s=60,
        _env_file=None,
    )


@pytest.fixture
async def mail_app(smtp_settings: Settings, kb: Any) -> AsyncIterator[FastAPI]:
    application = create_app(smtp_settings, retriever=kb)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def mail_client(mail_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=mail_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


@pytest.fixture
async def mail_users(mail_app: FastAPI) -> Users:
    async with mail_app.state.session_factory() as session:
        return await _users(session)


async def _email_case(app: FastAPI, address: str = "ann@customer.example") -> int:
    async with app.state.session_factory() as session:
        customer = Customer(name="Ann", language="en")
        session.add(customer)
        await session.flush()
        assert customer.id is not None
        session.add(ChannelIdentity(customer_id=customer.id, channel="email", external_id=address))
        case = Case(customer_id=customer.id, origin_channel="email", owner=Owner.HUMAN)
        session.add(case)
        await session.flush()
        assert case.id is not None
        session.add(
            Message(
                case_id=case.id,
                direction=Direction.INBOUND,
                channel="email",
                author=Author.CUSTOMER,
                text="hi",
            )
        )
        await session.commit()
        return case.id


def _sender(app: FastAPI, settings: Settings) -> EmailOutbound:
    return EmailOutbound(settings=settings, session_factory=app.state.session_factory)


async def _reply(client: httpx.AsyncClient, users: Users, case_id: int, text: str) -> int:
    res = await client.post(
        f"/v1/cases/{case_id}/messages", headers=users.operator, json={"text": text}
    )
    assert res.status_code == 201, res.text
    return int(res.json()["id"])


async def _delivery_of(app: FastAPI, message_id: int) -> OutboundDelivery:
    async with app.state.session_factory() as session:
        stmt = select(OutboundDelivery).where(OutboundDelivery.message_id == message_id)
        return (await session.exec(stmt)).one()


async def _timeline_delivery(client: httpx.AsyncClient, users: Users, case_id: int) -> str:
    view = (await client.get(f"/v1/cases/{case_id}", headers=users.operator)).json()
    [reply] = [m for m in view["timeline"] if m["author"] == "operator"]
    return str(reply["meta"]["delivery"])


async def test_a_reply_on_an_email_case_reaches_the_customers_mailbox_once(
    mail_app: FastAPI,
    mail_client: httpx.AsyncClient,
    mail_users: Users,
    mailbox: Mailbox,
    smtp_settings: Settings,
) -> None:
    case_id = await _email_case(mail_app)
    message_id = await _reply(mail_client, mail_users, case_id, "Your refund left today.")
    assert await _timeline_delivery(mail_client, mail_users, case_id) == "pending"

    sender = _sender(mail_app, smtp_settings)
    assert await sender.deliver_queued() == 1
    assert await sender.deliver_queued() == 0  # never twice

    [mail] = mailbox.received
    assert mail["To"] == "ann@customer.example" and mail["From"] == "help@shop.example"
    assert mail["Subject"] == "Re: your support request"  # the catalogue's, in Ann's language
    assert mail.get_content().strip() == "Your refund left today."
    assert mailbox.envelopes == [("help@shop.example", ["ann@customer.example"])]
    row = await _delivery_of(mail_app, message_id)
    assert (
        row.status == "sent" and row.attempts == 1 and row.provider_message_id == mail["Message-ID"]
    )
    assert await _timeline_delivery(mail_client, mail_users, case_id) == "sent"


async def test_the_subject_is_in_the_customers_language_unless_one_is_configured(
    mail_app: FastAPI, mailbox: Mailbox, smtp_settings: Settings
) -> None:
    async with mail_app.state.session_factory() as session:
        customer = Customer(name="Олена", language="uk")
        session.add(customer)
        await session.flush()
        assert customer.id is not None
        session.add(ChannelIdentity(customer_id=customer.id, channel="email", external_id="o@x.ua"))
        await session.commit()
    await _sender(mail_app, smtp_settings).send("o@x.ua", "Вітаємо!")
    fixed = smtp_settings.model_copy(update={"smtp_subject": "Lavka support"})
    await _sender(mail_app, fixed).send("o@x.ua", "Ще раз")
    assert [m["Subject"] for m in mailbox.received] == [
        "Re: ваше звернення до підтримки",
        "Lavka support",
    ]


async def test_a_deferring_server_is_retried_with_backoff_then_the_reply_fails_visibly(
    mail_app: FastAPI,
    mail_client: httpx.AsyncClient,
    mail_users: Users,
    mailbox: Mailbox,
    smtp_settings: Settings,
) -> None:
    mailbox.refuse = "451 4.3.0 mailbox busy, try later"
    case_id = await _email_case(mail_app)
    message_id = await _reply(mail_client, mail_users, case_id, "We are on it.")
    sender = _sender(mail_app, smtp_settings)

    start = utcnow()
    assert await sender.deliver_queued(now=start) == 1
    row = await _delivery_of(mail_app, message_id)
    assert row.status == "pending" and row.attempts == 1 and "451" in (row.error or "")
    assert row.next_attempt_at is not None and row.next_attempt_at > start
    assert await sender.deliver_queued(now=start) == 0  # waits for its backoff

    later = row.next_attempt_at + timedelta(seconds=1)
    assert await sender.deliver_queued(now=later) == 1
    assert (await _delivery_of(mail_app, message_id)).attempts == 2

    past_window = start + timedelta(seconds=smtp_settings.delivery_retry_window_s + 5)
    assert await sender.deliver_queued(now=past_window) == 1
    row = await _delivery_of(mail_app, message_id)
    assert row.status == "failed" and (row.error or "").startswith("gave up after 3 attempts")
    assert mailbox.received == []
    assert await _timeline_delivery(mail_client, mail_users, case_id) == "failed"
    listed = await mail_client.get("/v1/deliveries?status=failed", headers=mail_users.supervisor)
    assert [d["id"] for d in listed.json()] == [row.id]


async def test_a_refused_address_fails_at_once(
    mail_app: FastAPI,
    mail_client: httpx.AsyncClient,
    mail_users: Users,
    mailbox: Mailbox,
    smtp_settings: Settings,
) -> None:
    mailbox.refuse = "550 5.1.1 no such mailbox"
    case_id = await _email_case(mail_app)
    message_id = await _reply(mail_client, mail_users, case_id, "Hello again.")
    assert await _sender(mail_app, smtp_settings).deliver_queued() == 1
    row = await _delivery_of(mail_app, message_id)
    assert row.status == "failed" and row.attempts == 1 and "550" in (row.error or "")


async def test_a_server_silent_after_the_message_went_out_is_never_retried(
    mail_app: FastAPI,
    mail_client: httpx.AsyncClient,
    mail_users: Users,
    mailbox: Mailbox,
    smtp_settings: Settings,
) -> None:
    mailbox.stall_s = 3
    case_id = await _email_case(mail_app)
    message_id = await _reply(mail_client, mail_users, case_id, "Maybe twice?")
    impatient = smtp_settings.model_copy(update={"smtp_timeout_s": 1})
    assert await _sender(mail_app, impatient).deliver_queued() == 1
    row = await _delivery_of(mail_app, message_id)
    assert row.status == "failed" and (row.error or "").startswith("outcome unknown")
    assert await _sender(mail_app, impatient).deliver_queued() == 0  # at most once


async def test_an_unreachable_server_is_retried(
    mail_app: FastAPI, mail_client: httpx.AsyncClient, mail_users: Users, smtp_settings: Settings
) -> None:
    case_id = await _email_case(mail_app)
    message_id = await _reply(mail_client, mail_users, case_id, "Soon.")
    down = smtp_settings.model_copy(update={"smtp_port": free_port(), "smtp_timeout_s": 2})
    assert await _sender(mail_app, down).deliver_queued() == 1
    row = await _delivery_of(mail_app, message_id)
    assert row.status == "pending" and row.next_attempt_at is not None


async def test_without_smtp_an_email_reply_is_still_refused(
    any_app: FastAPI, any_client: httpx.AsyncClient, any_users: Users
) -> None:
    case_id = await _email_case(any_app)
    res = await any_client.post(
        f"/v1/cases/{case_id}/messages", headers=any_users.operator, json={"text": "ok"}
    )
    assert res.status_code == 409 and res.json()["error"] == "ChannelUndeliverable"
