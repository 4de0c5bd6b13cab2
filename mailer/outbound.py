"""EmailOutbound: core.ports.OutboundChannel for e-mail over SMTP, on the delivery queue.

Each send is recorded in the delivery log before it is tried and settled with what the server
answered: a connection that fails or a 4xx reply (greylisting, a full queue) is retried with
exponential backoff for ``delivery_retry_window_s``; a 5xx reply (an unknown mailbox, a refused
sender) fails at once; a timeout or a dropped connection once the envelope went out is an
unknown outcome, failed and never retried (the server may have accepted the message). A failed
delivery is listed for a supervisor (``GET /v1/deliveries``) and marked on the case's message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import aiosmtplib
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core import i18n
from core.config import Settings
from core.models import ChannelIdentity, Customer, OutboundDelivery
from core.models.base import utcnow
from core.platform.deliveries import Outcome, OutcomeKind
from core.platform.sender import QueuedSender

log = logging.getLogger(__name__)
EMAIL = "email"
PARALLEL = 4
"""At most this many SMTP sessions at a time from one process."""


class EmailOutbound(QueuedSender):
    """Sends customer-facing messages (operator replies, pulses) to e-mail addresses. E-mail
    shows no buttons: a pulse on e-mail carries its signed link instead."""

    channel = EMAIL

    def __init__(
        self,
        *,
        settings: Settings,
        session_factory: async_sessionmaker[AsyncSession],
        clock: Callable[[], datetime] = utcnow,
        owner: str | None = None,
    ) -> None:
        if not settings.smtp_host:
            raise ValueError("EmailOutbound needs CXC_SMTP_HOST")
        super().__init__(
            settings=settings, session_factory=session_factory, clock=clock, owner=owner
        )
        self._slots = asyncio.Semaphore(PARALLEL)

    async def transmit(self, record: OutboundDelivery) -> Outcome:
        async with self._sessions() as session:
            subject = await self._subject(session, record.external_id)
        async with self._slots:
            return await send_mail(
                self.settings, to=record.external_id, text=record.text, subject=subject
            )

    async def _subject(self, session: AsyncSession, address: str) -> str:
        """``CXC_SMTP_SUBJECT``, else the catalogue's in the language of the address's owner."""
        if self.settings.smtp_subject:
            return self.settings.smtp_subject
        stmt = (
            select(Customer.language)
            .join(ChannelIdentity, col(ChannelIdentity.customer_id) == col(Customer.id))
            .where(ChannelIdentity.channel == EMAIL, ChannelIdentity.external_id == address)
        )
        language = (await session.exec(stmt.limit(1))).first()
        return i18n.text(language, "email.subject")


def compose(settings: Settings, *, to: str, text: str, subject: str) -> EmailMessage:
    """The plain-text message: From the configured sender, a fresh Message-ID and Date."""
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = settings.smtp_from.rpartition("@")[2] or None
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(text)
    return message


async def send_mail(settings: Settings, *, to: str, text: str, subject: str) -> Outcome:
    """One SMTP session: connect (and log in), then the envelope and the data."""
    message = compose(settings, to=to, text=text, subject=subject)
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    client = aiosmtplib.SMTP(
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        use_tls=settings.smtp_tls == "tls",
        start_tls=settings.smtp_tls == "starttls",
        timeout=settings.smtp_timeout_s,
    )
    try:
        try:
            await client.connect()
            if settings.smtp_user:
                await client.login(settings.smtp_user, password or "")
        except (aiosmtplib.SMTPException, OSError) as exc:
            return _before_envelope(exc)
        try:
            await client.send_message(message)
        except (aiosmtplib.SMTPException, OSError) as exc:
            return _after_envelope(exc)
    finally:
        await _close(client)
    return Outcome(OutcomeKind.SENT, provider_message_id=message["Message-ID"], parts_sent=1)


def _before_envelope(exc: Exception) -> Outcome:
    """Nothing was handed over: a 5xx greeting or login is refused, anything else retried."""
    code = getattr(exc, "code", None)
    kind = OutcomeKind.REFUSED if isinstance(code, int) and code >= 500 else OutcomeKind.RETRY
    return Outcome(kind, error=_describe(exc))


def _after_envelope(exc: Exception) -> Outcome:
    """The server's verdict on the message: 4xx later, 5xx never, silence unknown."""
    codes = [r.code for r in getattr(exc, "recipients", [])] or [getattr(exc, "code", None)]
    if all(isinstance(c, int) and 400 <= c < 500 for c in codes):
        return Outcome(OutcomeKind.RETRY, error=_describe(exc))
    if all(isinstance(c, int) and c >= 500 for c in codes):
        return Outcome(OutcomeKind.REFUSED, error=_describe(exc))
    return Outcome(OutcomeKind.UNKNOWN, error=_describe(exc))


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


async def _close(client: aiosmtplib.SMTP) -> None:
    try:
        if client.is_connected:
            await client.quit()
    except (aiosmtplib.SMTPException, OSError):
        client.close()
