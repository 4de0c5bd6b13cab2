"""Where a pulse goes: the channel on which the customer can answer it."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.models import Case, ChannelIdentity

ANSWERABLE = ("email", "telegram", "web")
"""Channels a pulse can be answered on, in order of preference after the case's own: a phone
or store case gets its pulse by e-mail when the address is known (sent once SMTP is
configured), else on Telegram, else in the web chat."""


async def answerable_channel(session: AsyncSession, case: Case) -> str:
    """Where the customer can answer a pulse about ``case``: the case's channel when it is one
    of ``ANSWERABLE`` and the customer has an identity there, else the first such channel they
    have an identity on, else the case's channel (the pulse then waits for a sender for it)."""
    stmt = select(ChannelIdentity.channel).where(ChannelIdentity.customer_id == case.customer_id)
    known = set((await session.exec(stmt)).all())
    for channel in (case.origin_channel, *ANSWERABLE):
        if channel in ANSWERABLE and channel in known:
            return channel
    return case.origin_channel
