"""Engine, session factory and migrations. Built at start-up from Settings, never at import."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError as AlembicError
from sqlalchemy import event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

import core.models  # noqa: F401  (registers the tables)
from core.errors import StorageFull
from core.storage import io_error_for_space, is_disk_full

MIGRATIONS = Path(__file__).parent / "migrations"


def is_outage(exc: BaseException) -> bool:
    """The database cannot be reached (refused, gone, timed out, restarting): a wait-and-retry
    condition, never a bug. A constraint violation or a bad statement is not an outage."""
    if isinstance(exc, OperationalError | InterfaceError | DisconnectionError | PoolTimeout):
        return True
    if isinstance(exc, DBAPIError):
        return bool(exc.connection_invalidated)
    return isinstance(exc, OSError)  # asyncpg's refused or reset connection, a DNS failure


def create_engine(url: str, *, echo: bool = False, pool_size: int = 10) -> AsyncEngine:
    """An engine whose statements raise ``StorageFull`` (naming the directory) when the disk
    under the database is full. A server keeps ``pool_size`` connections and may open as many
    more for a burst (``CXC_DATABASE_POOL_SIZE``)."""
    if url.startswith("sqlite"):
        _ensure_sqlite_dir(url)
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    else:
        engine = create_async_engine(
            url, echo=echo, pool_pre_ping=True, pool_size=pool_size, max_overflow=pool_size
        )
    event.listen(engine.sync_engine, "handle_error", _storage_full(storage_of(url)))
    return engine


def storage_of(url: str) -> str:
    """Where a database keeps its data, in words: the SQLite file's directory, or the server."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        return str(Path(path).resolve().parent) if path and not path.startswith(":") else "memory"
    return "the database server's data directory"


def _storage_full(where: str):  # type: ignore[no-untyped-def]
    def handle_error(context: ExceptionContext) -> None:
        error = context.original_exception
        if is_disk_full(error) or io_error_for_space(error, where):
            raise StorageFull(where) from error

    return handle_error


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


async def schema_behind(engine: AsyncEngine) -> str | None:
    """Why the database's schema is not this version's (None: it is): a process started
    before ``cxc db upgrade`` stopped on the first missing table, with a raw traceback."""
    from alembic.runtime.migration import MigrationContext

    script = ScriptDirectory.from_config(alembic_config(str(engine.url)))
    heads = set(script.get_heads())
    async with engine.connect() as conn:
        current = await conn.run_sync(
            lambda sync: set(MigrationContext.configure(sync).get_current_heads())
        )
    if current == heads or (current and not all(map(_known(script), current))):
        return None  # a newer version's schema: replicas of both run during a rolling upgrade
    where = engine.url.render_as_string(hide_password=True)
    at = ", ".join(sorted(current)) or "no schema"
    return (
        f"the database {where} is at {at}, this version needs {', '.join(sorted(heads))}: "
        "run `cxc db upgrade` (or set CXC_AUTO_MIGRATE=true)"
    )


def _known(script: ScriptDirectory) -> Callable[[str], bool]:
    def known(revision: str) -> bool:
        try:
            return script.get_revision(revision) is not None
        except AlembicError:
            return False

    return known


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database schema to ``revision`` (synchronous; call before the event loop)."""
    if url.startswith("sqlite"):
        _ensure_sqlite_dir(url)
    command.upgrade(alembic_config(url), revision)


def _ensure_sqlite_dir(url: str) -> None:
    path = url.split("///", 1)[-1]
    if path and path != ":memory:" and not path.startswith(":"):
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()
