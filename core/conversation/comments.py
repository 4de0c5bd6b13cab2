"""A plain text while a satisfaction pulse awaits its optional comment is that comment."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from core.config import Settings
from core.conversation.inbound import DEFAULT_LANGUAGE, Identity
from core.conversation.replies import Reply, ReplyKind
from core.customers import identities
from core.feedback import pulse_answers


async def pulse_comment(
    session: AsyncSession, *, who: Identity, text: str, settings: Settings
) -> Reply | None:
    """Store ``text`` as the comment and thank the customer (a reply outside any case); None
    when no pulse awaits a comment from ``who``."""
    thanks = await pulse_answers.capture_comment(
        session,
        channel=who.channel,
        external_id=who.external_id,
        text=text,
        settings=settings,
        language=who.language,
    )
    if thanks is None:
        return None
    customer = await identities.find_customer(
        session, channel=who.channel, external_id=who.external_id
    )
    assert customer is not None and customer.id is not None  # the pulse is this customer's
    return Reply(
        kind=ReplyKind.PULSE_COMMENT,
        case_id=None,
        customer_id=customer.id,
        language=customer.language or who.language or DEFAULT_LANGUAGE,
        text=thanks,
        customer_name=customer.name,
    )
