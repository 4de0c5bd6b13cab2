"""Shared fixtures: settings in a temporary data dir and migrated databases (SQLite, PostgreSQL).

PostgreSQL tests run when CXC_TEST_POSTGRES_URL is set (``.ci/run`` sets it). In CI a missing
server is a failure, not a skip.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from core import db
from core.config import Settings
from core.desk.case_memory import Recollection

POSTGRES_URL = os.environ.get("CXC_TEST_POSTGRES_URL")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
SERVICE_FIXTURES = {"postgres_database", "redis_settings", "chroma_server"}
"""A test that uses one of these exercises a real server: it is marked ``services``."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``services`` every test that needs a real PostgreSQL, Redis or Chroma server (a
    fixture above, or the PostgreSQL case of a parametrized database), for CI's second pass."""
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        uses = SERVICE_FIXTURES & set(getattr(item, "fixturenames", ()))
        if uses or "postgres" in list(params.values()):
            item.add_marker(pytest.mark.services)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(env="test", data_dir=tmp_path / "data", _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
def recollection(settings: Settings) -> Iterator[Recollection]:
    """A real case memory (Chroma in the test's data dir, the local encoders)."""
    from knowledge.store.case_memory import ChromaCaseMemory

    memory = ChromaCaseMemory(settings)
    yield Recollection(memory)
    memory.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dbtemplate") / "template.db"
    db.upgrade(f"sqlite+aiosqlite:///{path}")
    return path


def _require_postgres() -> str:
    if POSTGRES_URL:
        return POSTGRES_URL
    if IN_CI:
        pytest.fail("CI must provide PostgreSQL: CXC_TEST_POSTGRES_URL is not set")
    pytest.skip("CXC_TEST_POSTGRES_URL not set (run .ci/services.sh and export it)")


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated to head."""
    import asyncio

    from sqlalchemy.ext.asyncio import create_async_engine

    base = _require_postgres()
    name = f"cxc_t_{uuid.uuid4().hex[:10]}"

    async def admin(sql: str) -> None:
        engine = create_async_engine(base, isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(text(sql))
        await engine.dispose()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    url = base.rsplit("/", 1)[0] + f"/{name}"
    db.upgrade(url)
    yield url
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgres"])
def any_database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """A migrated, empty database on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "cxc.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite+aiosqlite:///{path}"
    return str(request.getfixturevalue("postgres_database"))


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    path = tmp_path / "cxc.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


async def _truncate(engine: AsyncEngine) -> None:
    if engine.dialect.name != "postgresql":
        return
    names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    eng = db.create_engine(database_url)
    yield eng
    await eng.dispose()


@pytest.fixture
async def any_engine(any_database_url: str) -> AsyncIterator[AsyncEngine]:
    eng = db.create_engine(any_database_url)
    await _truncate(eng)
    yield eng
    await _truncate(eng)
    await eng.dispose()


@pytest.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    async with db.session_factory(engine)() as s:
        yield s


@pytest.fixture
async def any_session(any_engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    async with db.session_factory(any_engine)() as s:
        yield s
