"""The composition root: ``open_runtime(settings)`` opens what a process needs (database and
migrations, the knowledge base and the task that follows its version) and closes it again.
The API's lifespan, the bot, the worker and the command line all start here.

May import: ``core`` and ``knowledge``; never ``copilot`` or ``bot`` (they import this).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import astuple
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from core import db
from core.config import Settings
from core.desk import case_memory
from core.errors import BackendUnavailable, ConfigError
from core.learning.items import restore_index
from core.learning.version import current_version, follow_knowledge
from core.ports import Assistant, CaseMemory, CrmConnector, OutboundChannel, Retriever
from core.reports.llm_usage import LlmCallLog
from core.runtime import Runtime
from runtime import heap
from runtime.ratelimit import build_limiter

if TYPE_CHECKING:
    from knowledge.llm import OpenAiAssistant
    from knowledge.store.case_memory import ChromaCaseMemory

log = logging.getLogger(__name__)


@asynccontextmanager
async def open_runtime(
    settings: Settings,
    *,
    retriever: Retriever | None = None,
    knowledge: bool = True,
    outbound: Mapping[str, OutboundChannel] | None = None,
    crm: CrmConnector | None = None,
    assistant: Assistant | None = None,
    memory: CaseMemory | None = None,
    follow_cases: bool = False,
    serving: bool = False,
) -> AsyncIterator[Runtime]:
    """Migrate (when ``settings.auto_migrate``), connect, open the knowledge base unless one is
    given or ``knowledge`` is false, and follow the knowledge version while the runtime is open.
    The language model is built when ``CXC_LLM_BASE_URL`` is set, unless one is given. The case
    memory opens on first use, in Chroma beside the knowledge base, unless one is given;
    ``follow_cases`` keeps it current every ``CXC_CASE_MEMORY_INTERVAL_S`` (the API does).
    ``serving`` (a long-running process's entry point): load the models and the case memory
    before the first request would, then freeze what start-up built (``runtime.heap``).
    """
    engine = db.create_engine(settings.resolved_database_url, pool_size=settings.database_pool_size)
    sessions = db.session_factory(engine)
    redis = settings.redis_url
    limiters = (
        build_limiter(settings.rate_limit_api, scope="api", redis_url=redis),
        build_limiter(settings.rate_limit_chat, scope="chat", redis_url=redis),
        build_limiter(settings.rate_limit_webchat, scope="webchat", redis_url=redis),
        build_limiter(settings.rate_limit_ask, scope="ask", redis_url=redis),
    )
    owned = None
    llm: OpenAiAssistant | None = None
    stop = asyncio.Event()
    follower: asyncio.Task[None] | None = None
    remembering: asyncio.Task[None] | None = None
    memories: list[ChromaCaseMemory] = []
    recorder: asyncio.Task[None] | None = None
    try:
        await wait_for_database(engine, settings)
        if settings.auto_migrate:  # alembic runs its own event loop: give it a thread
            await asyncio.to_thread(db.upgrade, settings.resolved_database_url)
        elif behind := await db.schema_behind(engine):
            raise ConfigError(behind)
        async with sessions() as session:
            loaded = await current_version(session)
        if retriever is None and knowledge:
            from knowledge.retriever import build_knowledge

            retriever = owned = await asyncio.to_thread(build_knowledge, settings)
            await _restore_index(sessions, owned)
        if retriever is not None and settings.knowledge_poll_s > 0:
            follower = asyncio.create_task(
                follow_knowledge(
                    sessions,
                    retriever=retriever,
                    loaded=loaded,
                    interval_s=settings.knowledge_poll_s,
                    stop=stop,
                )
            )
        if assistant is None:
            calls = LlmCallLog()
            assistant = llm = _assistant(settings, calls)
            if llm is not None:  # every call recorded, written off the answer's path
                recorder = asyncio.create_task(calls.run(sessions, stop=stop))
        rt = Runtime(
            settings,
            sessions,
            retriever,
            dict(outbound or {}),
            crm,
            assistant,
            api_limiter=limiters[0],
            chat_limiter=limiters[1],
            webchat_limiter=limiters[2],
            ask_limiter=limiters[3],
        )
        if memory is not None:
            given = memory
            rt.memory_factory = lambda: given
        else:
            rt.memory_factory = lambda: _case_memory(settings, memories)
        if follow_cases and settings.case_memory_interval_s > 0:
            remembering = asyncio.create_task(
                case_memory.follow(
                    sessions,
                    recollection=rt.recollection,
                    interval_s=settings.case_memory_interval_s,
                    stop=stop,
                )
            )
        if serving:
            await _warm(rt, case_memory=follow_cases)
            settled = heap.settle()
            log.info("start-up done: %d objects settled, %d tracked", *astuple(settled))
        yield rt
    finally:
        if llm is not None:
            with contextlib.suppress(Exception):
                await llm.close()
        stop.set()
        for task in (follower, remembering, recorder):
            if task is not None:
                with contextlib.suppress(Exception):
                    await task
        for opened in memories:
            opened.close()
        if owned is not None:
            owned.close()
        for limiter in limiters:
            if limiter is not None:
                await limiter.close()
        await engine.dispose()


async def _warm(rt: Runtime, *, case_memory: bool) -> None:
    """Load what the first requests would otherwise wait for: the encoders (on first use) and
    the case memory's stored records and search index. The memory loaded on the model thread
    by the first pass, 30 s after start: over 50,000 cases every question of the process
    waited up to 4 s behind it."""
    started = time.perf_counter()
    try:
        if rt.retriever is not None:
            await rt.retriever.ask("warm-up")
        recollection = await rt.recollection() if case_memory else None
        if recollection is not None:
            await recollection.memory.versions(["case:0"])
            await recollection.memory.similar("warm-up", k=1)
    except BackendUnavailable as exc:  # a store down at start-up is reported by /health
        log.warning("start-up: could not load everything ahead of the first request: %s", exc)
    log.info("start-up: models and stores loaded in %.1fs", time.perf_counter() - started)


async def wait_for_database(engine: AsyncEngine, settings: Settings) -> None:
    """Return once the database answers; retry for ``settings.database_wait_s`` with one log line
    per try, then raise BackendUnavailable naming the database (without its password)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settings.database_wait_s
    delay = 0.5
    while True:
        try:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return
        except (OSError, SQLAlchemyError) as exc:
            reason = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
            where = engine.url.render_as_string(hide_password=True)
            if loop.time() + delay > deadline:
                raise BackendUnavailable(
                    f"the database {where} is unreachable ({reason})"
                ) from None
            log.warning("database %s unreachable (%s); retrying in %.1fs", where, reason, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


async def _restore_index(sessions: Callable[[], AsyncSession], retriever: Retriever) -> None:
    """A lost index folder is rebuilt from the record; an empty knowledge base is said aloud."""
    async with sessions() as session:
        rebuilt = await restore_index(session, retriever=retriever)
    if rebuilt:
        log.warning("rebuilt the knowledge index from the record: %d entries", rebuilt)
    elif not retriever.entries():
        log.warning("the knowledge base is empty: every question is escalated until an ingest")


def _case_memory(settings: Settings, opened: list[ChromaCaseMemory]) -> ChromaCaseMemory:
    from knowledge.store.case_memory import ChromaCaseMemory

    opened.append(ChromaCaseMemory(settings))
    return opened[-1]


def _assistant(settings: Settings, calls: LlmCallLog) -> OpenAiAssistant | None:
    if not settings.llm_base_url:
        return None
    from knowledge.llm import build_assistant

    built = build_assistant(settings, sink=calls)
    if built is not None:
        log.info("answers are composed by the language model %s", built.model)
    return built
