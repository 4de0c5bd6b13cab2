"""Test data builders: real rows through a real session. Overrides replace any default field."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from core.config import Settings
from core.models import Author, Case, ChannelIdentity, Customer, Direction, Message

_seq = itertools.count(1)


async def make_customer(
    session: AsyncSession, *, telegram_id: str | None = None, **overrides: Any
) -> Customer:
    """A customer; with ``telegram_id`` also their Telegram ChannelIdentity."""
    n = next(_seq)
    fields: dict[str, Any] = {"name": f"Customer {n}", "language": "en"}
    fields.update(overrides)
    customer = Customer(**fields)
    session.add(customer)
    await session.flush()
    if telegram_id is not None:
        assert customer.id is not None
        session.add(
            ChannelIdentity(
                customer_id=customer.id,
                channel="telegram",
                external_id=telegram_id,
                display_name=customer.name,
            )
        )
    await session.commit()
    return customer


async def make_case(session: AsyncSession, **overrides: Any) -> Case:
    """A case (open, bot-owned, on Telegram); makes its customer unless customer_id is given."""
    if "customer_id" not in overrides:
        overrides["customer_id"] = (await make_customer(session)).id
    fields: dict[str, Any] = {"origin_channel": "telegram"}
    fields.update(overrides)
    case = Case(**fields)
    session.add(case)
    await session.commit()
    return case


async def make_message(session: AsyncSession, **overrides: Any) -> Message:
    """An inbound customer message; makes its case unless case_id is given."""
    if "case_id" not in overrides:
        overrides["case_id"] = (await make_case(session)).id
    fields: dict[str, Any] = {
        "direction": Direction.INBOUND,
        "channel": "telegram",
        "author": Author.CUSTOMER,
        "text": "Hello",
    }
    fields.update(overrides)
    message = Message(**fields)
    session.add(message)
    await session.commit()
    return message


FIXTURE_FAQ = Path(__file__).parent / "bot" / "faq.yaml"


def kb_settings(data_dir: Path, **overrides: Any) -> Settings:
    return Settings(env="test", data_dir=data_dir, _env_file=None, **overrides)  # type: ignore[call-arg]


def ingest_fixture_kb(data_dir: Path) -> Path:
    """Ingest the fixture FAQ (tests/bot/faq.yaml) into a real KnowledgeBase under data_dir."""
    from knowledge.retriever import build_knowledge
    from knowledge.sources import load_sources

    with build_knowledge(kb_settings(data_dir)) as kb:
        kb.ingest_sync(load_sources([FIXTURE_FAQ]))
    return data_dir
