"""The test harness: the real Dispatcher fed with Update JSON, its Bot talking to FakeBotApi."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from fakes import FakeBotApi, Updates
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.outbound import TelegramOutbound
from core.config import Settings
from core.models import Case, ChannelIdentity, Customer, Message

TOKEN = "123456789:AAFakeTokenForTestsOnly-abcdefghijkl"


@dataclass
class Harness:
    """The real Dispatcher fed with Update JSON; the Bot talks to FakeBotApi."""

    dp: Dispatcher
    bot: Bot
    api: FakeBotApi
    sessions: async_sessionmaker[AsyncSession]
    outbound: TelegramOutbound
    settings: Settings
    sleeps: list[float]
    updates: Updates = field(default_factory=Updates)
    user: dict[str, Any] = field(default_factory=Updates.user)

    async def feed(self, update: dict[str, Any]) -> Any:
        return await self.dp.feed_update(
            self.bot, Update.model_validate(update, context={"bot": self.bot})
        )

    async def say(self, text: str | None, **kw: Any) -> dict[str, Any]:
        update = self.updates.message(kw.pop("user", self.user), text, **kw)
        await self.feed(update)
        return update

    async def tap(self, data: str) -> None:
        await self.feed(self.updates.callback(self.user, data))

    async def case(self) -> Case:
        """The newest case of the harness user."""
        async with self.sessions() as s:
            stmt = (
                select(Case)
                .join(ChannelIdentity, ChannelIdentity.customer_id == Case.customer_id)  # type: ignore[arg-type]
                .where(ChannelIdentity.external_id == str(self.user["id"]))
                .order_by(col(Case.id).desc())
            )
            found = (await s.exec(stmt)).first()
        assert found is not None
        return found

    async def timeline(self, case_id: int) -> list[Message]:
        async with self.sessions() as s:
            stmt = select(Message).where(Message.case_id == case_id).order_by(col(Message.id))
            return list((await s.exec(stmt)).all())

    async def customer(self) -> Customer:
        async with self.sessions() as s:
            stmt = (
                select(Customer)
                .join(ChannelIdentity)
                .where(  # type: ignore[arg-type]
                    ChannelIdentity.external_id == str(self.user["id"])
                )
            )
            found = (await s.exec(stmt)).first()
        assert found is not None
        return found


MakeHarness = Callable[..., Awaitable[Harness]]
