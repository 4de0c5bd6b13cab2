"""Copilot API fixtures: a real knowledge base on a tiny FAQ (built once per session), the app
over a migrated SQLite database, users with tokens, and a recording Telegram sender (the fake
of the process boundary)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from copilot.main import create_app
from core.config import Settings
from core.models import Case, ChannelIdentity, Customer, Message
from core.platform import auth
from core.ports import Delivery

FAQ = Path(__file__).resolve().parents[1] / "fixtures" / "copilot" / "faq.csv"


@pytest.fixture(scope="session")
def kb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from knowledge.retriever import build_knowledge
    from knowledge.sources import load_sources

    data = tmp_path_factory.mktemp("copilot-kb")
    kb_settings = Settings(env="test", data_dir=data, _env_file=None)  # type: ignore[call-arg]
    with build_knowledge(kb_settings) as base:
        base.ingest_sync(load_sources([FAQ]))
        yield base


@dataclass
class RecordingTelegram:
    """Stands in for the Telegram Bot API sender; records every send."""

    channel: str = "telegram"
    sent: list[tuple[str, str]] = field(default_factory=list)
    fail: bool = False

    async def send(
        self, external_id: str, text: str, *, buttons: Sequence[tuple[str, str]] = ()
    ) -> Delivery:
        self.sent.append((external_id, text))
        if self.fail:
            return Delivery(ok=False, error="Forbidden: bot was blocked by the user")
        return Delivery(ok=True, external_id=str(1000 + len(self.sent)))


@pytest.fixture
def telegram() -> RecordingTelegram:
    return RecordingTelegram()


@pytest.fixture
def app_settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(  # type: ignore[call-arg]
        env="test", data_dir=tmp_path / "data", database_url=database_url, _env_file=None
    )


@pytest.fixture
async def app(
    app_settings: Settings, kb: Any, telegram: RecordingTelegram
) -> AsyncIterator[FastAPI]:
    application = create_app(app_settings, retriever=kb, outbound={"telegram": telegram})
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


@pytest.fixture
async def db_session(app: FastAPI) -> AsyncIterator[AsyncSession]:
    async with app.state.session_factory() as s:
        yield s


@pytest.fixture
async def any_app(
    any_engine: AsyncEngine, any_database_url: str, tmp_path: Path, kb: Any
) -> AsyncIterator[FastAPI]:
    """The app over SQLite and over PostgreSQL (no outbound sender: replies are queued)."""
    settings = Settings(  # type: ignore[call-arg]
        env="test", data_dir=tmp_path / "data", database_url=any_database_url, _env_file=None
    )
    application = create_app(settings, retriever=kb)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def any_client(any_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=any_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=60) as c:
        yield c


@pytest.fixture
async def any_users(any_app: FastAPI) -> Users:
    async with any_app.state.session_factory() as session:
        return await _users(session)


@dataclass
class Users:
    operator: dict[str, str]
    operator2: dict[str, str]
    supervisor: dict[str, str]
    admin: dict[str, str]


@pytest.fixture
async def users(db_session: AsyncSession) -> Users:
    return await _users(db_session)


async def _users(session: AsyncSession) -> Users:
    headers = {}
    for name, role in (
        ("olga", "operator"),
        ("ivan", "operator"),
        ("sveta", "supervisor"),
        ("root", "admin"),
    ):
        _user, token = await auth.create_user(session, name=name, role=role)
        headers[name] = {"Authorization": f"Bearer {token}"}
    return Users(headers["olga"], headers["ivan"], headers["sveta"], headers["root"])


async def seed_case(
    session: AsyncSession,
    *,
    text: str,
    telegram_id: str = "5001",
    name: str | None = "Анна",
    language: str | None = "ru",
    attributes: dict[str, Any] | None = None,
    owner: str = "human",
    topic: str | None = None,
) -> Case:
    """A customer known on Telegram with one open case holding their message."""
    customer = Customer(name=name, language=language, attributes=attributes or {})
    session.add(customer)
    await session.flush()
    assert customer.id is not None
    session.add(
        ChannelIdentity(customer_id=customer.id, channel="telegram", external_id=telegram_id)
    )
    case = Case(customer_id=customer.id, origin_channel="telegram", owner=owner, topic=topic)
    session.add(case)
    await session.flush()
    assert case.id is not None
    session.add(
        Message(case_id=case.id, direction="in", channel="telegram", author="customer", text=text)
    )
    await session.commit()
    return case
