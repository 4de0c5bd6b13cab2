"""What every ``cxc`` command shares: the settings (with logging), one-line errors and exit
codes, a progress bar, and running work in an opened runtime."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from core.config import Settings, load_settings
from core.errors import ConfigError, CxcError, InvalidInput, StorageFull
from core.storage import is_disk_full

if TYPE_CHECKING:
    from core.runtime import Runtime

out = Console()
err = Console(stderr=True)
T = TypeVar("T")


def load() -> Settings:
    """The settings, with this process's logging configured from them."""
    from runtime.logs import configure_logging

    try:
        settings = load_settings()
    except ConfigError as exc:
        fail(str(exc))
    configure_logging(settings)
    return settings


def fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def progress(label: str) -> Iterator[Callable[[int, int], None]]:
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=False) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


@contextmanager
def errors_to_exit() -> Iterator[None]:
    """Typed errors become one line and an exit code; so does anything unexpected (logged as
    one line, with its traceback only at CXC_LOG_LEVEL=DEBUG)."""
    try:
        yield
    except (InvalidInput, ConfigError) as exc:
        fail(str(exc))
    except CxcError as exc:
        fail(str(exc), code=1)
    except (typer.Exit, KeyboardInterrupt):
        raise
    except Exception as exc:
        if is_disk_full(exc):  # one a writer did not name: the directory of the file, if known
            name = getattr(exc, "filename", None)
            where = os.path.dirname(name) if isinstance(name, str) else "the data directory"
            fail(str(StorageFull(where)), code=1)
        logging.getLogger("cxc").error("stopped by an unexpected error", exc_info=exc)
        fail(f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}", code=1)


def run(
    settings: Settings,
    work: Callable[[Runtime], Awaitable[T]],
    *,
    knowledge: bool = False,
    serving: bool = False,
) -> T:
    """Open the runtime (migrations, database, the knowledge base when asked), run ``work``;
    a long-running ``work`` (the bot) settles the heap after start-up (``runtime.heap``)."""
    from runtime import open_runtime

    async def run() -> T:
        async with open_runtime(settings, knowledge=knowledge, serving=serving) as rt:
            return await work(rt)

    return asyncio.run(run())


def in_session(settings: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    """Run ``work(session)`` in a runtime without the knowledge base."""

    async def in_session(rt: Runtime) -> T:
        async with rt.sessions() as session:
            return await work(session)

    return run(settings, in_session)
