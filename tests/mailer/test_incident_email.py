"""Incident notices by e-mail through a loopback SMTP server: a 4xx reply is retried later and
the notice arrives once; a 5xx refusal fails it, reported and not retried."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlmodel import select

from core import db
from core.config import Settings
from core.incidents import control, release
from core.incidents.declare import IncidentDraft, declare_incident
from core.incidents.segment import Segment
from core.models import ChannelIdentity, Customer, DeliveryStatus, OutboundDelivery
from core.models.base import utcnow
from core.platform import auth
from mailer import EmailOutbound
from tests.smtp_server import smtp_server


async def test_email_notices_retry_4xx_and_report_5xx(tmp_path: Path, database_url: str) -> None:
    engine = db.create_engine(database_url)
    sessions = db.session_factory(engine)
    with smtp_server(refuse="451 4.3.0 try again later") as mailbox:
        settings = Settings(  # type: ignore[call-arg]
            env="test",
            data_dir=tmp_path,
            database_url=database_url,
            smtp_host="127.0.0.1",
            smtp_port=mailbox.port,
            smtp_tls="none",
            _env_file=None,
        )
        async with sessions() as s:
            ids = []
            for n in range(3):
                customer = Customer(name=f"M{n}", language="ro")
                s.add(customer)
                await s.flush()
                assert customer.id is not None
                s.add(
                    ChannelIdentity(
                        customer_id=customer.id, channel="email", external_id=f"m{n}@x.md"
                    )
                )
                ids.append(customer.id)
            await s.commit()
            boss, _ = await auth.create_user(s, name="boss", role="supervisor")
            draft = IncidentDraft(
                title="Payment outage",
                messages={"ro": "Plățile cu cardul nu merg azi."},
                segment=Segment(customer_ids=tuple(ids)),
            )
            incident = await declare_incident(s, user=boss, draft=draft, settings=settings)
            assert await release.release_due(s, settings=settings) == 3
        outbound = EmailOutbound(settings=settings, session_factory=sessions)

        assert await outbound.deliver_queued() == 3
        assert mailbox.received == []
        mailbox.refuse = None
        later = utcnow() + timedelta(minutes=2)
        assert await outbound.deliver_queued(now=later) == 3
        assert await outbound.deliver_queued(now=later + timedelta(minutes=10)) == 0
        assert Counter(m["To"] for m in mailbox.received) == {f"m{n}@x.md": 1 for n in range(3)}
        assert "Plățile cu cardul" in mailbox.received[0].get_content()

    with smtp_server(refuse="550 5.1.1 no such user") as refusing:
        settings = settings.model_copy(update={"smtp_port": refusing.port})
        async with sessions() as s:
            customer = Customer(name="Gone", language="ro")
            s.add(customer)
            await s.flush()
            s.add(
                ChannelIdentity(
                    customer_id=customer.id or 0, channel="email", external_id="gone@x.md"
                )
            )
            await s.commit()
            draft = IncidentDraft(
                title="Payment outage 2",
                messages={"ro": "Încă o problemă."},
                segment=Segment(customer_ids=(customer.id or 0,)),
            )
            second = await declare_incident(s, user=boss, draft=draft, settings=settings)
            assert await release.release_due(s, settings=settings) == 1
        outbound = EmailOutbound(settings=settings, session_factory=sessions)
        assert await outbound.deliver_queued() == 1
        assert await outbound.deliver_queued(now=utcnow() + timedelta(minutes=5)) == 0
        async with sessions() as s:
            done = await control.progress(s, incident_id=second.id or 0)
            [row] = (
                await s.exec(
                    select(OutboundDelivery).where(OutboundDelivery.external_id == "gone@x.md")
                )
            ).all()
            first = await control.progress(s, incident_id=incident.id or 0)
    assert (done.failed, done.sent) == (1, 0) and row.status == DeliveryStatus.FAILED
    assert first.sent == 3
    await engine.dispose()
