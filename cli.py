"""The ``cxc`` command line: wiring only. Each command builds what it needs and calls one thing."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from core.config import Settings, load_settings
from core.domain import Answer, Decision, FaqEntry
from core.errors import ConfigError, CxcError, InvalidInput

if TYPE_CHECKING:
    from core.runtime import Runtime

app = typer.Typer(
    help="CX Copilot: support copilot and self-service bot backend.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
users_app = typer.Typer(help="Copilot users and their API tokens.", no_args_is_help=True)
app.add_typer(users_app, name="users")
knowledge_app = typer.Typer(help="The knowledge base's versions.", no_args_is_help=True)
app.add_typer(knowledge_app, name="knowledge")
crm_app = typer.Typer(help="Customers, orders and past cases from a CRM.", no_args_is_help=True)
app.add_typer(crm_app, name="crm")
out = Console()
T = TypeVar("T")
err = Console(stderr=True)


def _settings() -> Settings:
    """The settings, with this process's logging configured from them."""
    from runtime.logs import configure_logging

    try:
        settings = load_settings()
    except ConfigError as exc:
        _fail(str(exc))
    configure_logging(settings)
    return settings


def _fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int], None]]:
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=False) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


@contextmanager
def _errors_to_exit() -> Iterator[None]:
    """Typed errors become one line and an exit code; so does anything unexpected (logged as
    one line, with its traceback only at CXC_LOG_LEVEL=DEBUG)."""
    try:
        yield
    except (InvalidInput, ConfigError) as exc:
        _fail(str(exc))
    except CxcError as exc:
        _fail(str(exc), code=1)
    except (typer.Exit, KeyboardInterrupt):
        raise
    except Exception as exc:
        logging.getLogger("cxc").error("stopped by an unexpected error", exc_info=exc)
        _fail(f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}", code=1)


def _ingest(
    settings: Settings, paths: list[Path], *, replace: bool = False, yes: bool = False
) -> dict[str, Any]:
    from core.learning.items import ingest_knowledge, replaced_ids
    from knowledge.sources import load_sources

    entries = load_sources(paths)
    if replace and not _confirm_deletion(
        _in_session(settings, lambda s: replaced_ids(s, entries=entries)), yes
    ):
        raise typer.Exit(1)

    async def work(rt: Runtime) -> dict[str, Any]:
        assert rt.retriever is not None
        async with rt.sessions() as session:
            with _progress("embedding") as progress:
                done = await ingest_knowledge(
                    session,
                    retriever=rt.retriever,
                    entries=entries,
                    replace=replace,
                    progress=progress,
                )
        return {**asdict(done.report), "items": done.items}

    return _run(settings, work, knowledge=True)


def _confirm_deletion(ids: list[str], yes: bool) -> bool:
    if not ids:
        return True
    shown = ", ".join(ids[:20]) + (f" and {len(ids) - 20} more" if len(ids) > 20 else "")
    err.print(f"--replace deletes {len(ids)} entries the files do not hold: {shown}")
    if yes:
        return True
    if typer.confirm("delete them?", default=False, err=True):
        return True
    err.print("nothing changed")
    return False


def _run(
    settings: Settings, work: Callable[[Runtime], Awaitable[T]], *, knowledge: bool = False
) -> T:
    """Open the runtime (migrations, database, the knowledge base when asked), run ``work``."""
    from runtime import open_runtime

    async def run() -> T:
        async with open_runtime(settings, knowledge=knowledge) as rt:
            return await work(rt)

    return asyncio.run(run())


def _in_session(settings: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    """Run ``work(session)`` in a runtime without the knowledge base."""

    async def in_session(rt: Runtime) -> T:
        async with rt.sessions() as session:
            return await work(session)

    return _run(settings, in_session)


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="FAQ files: .csv .json .yaml .yml .md")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    replace: Annotated[
        bool,
        typer.Option("--replace", help="Delete the entries the files do not hold (asks first)."),
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", help="Do not ask before --replace deletes.")
    ] = False,
) -> None:
    """Add or update the files' entries (the others stay); a new knowledge version.
    Incremental: unchanged entries are not re-embedded. `cxc knowledge rollback` undoes it."""
    settings = _settings()
    with _errors_to_exit():
        report = _ingest(settings, paths, replace=replace, yes=yes)
    if as_json:
        print(json.dumps(report))
        return
    table = Table("entries", "phrasings", "added", "updated", "skipped", "deleted", "seconds")
    table.add_row(
        *(
            str(report[k])
            for k in ("entries", "phrasings", "added", "updated", "skipped", "deleted")
        ),
        f"{report['seconds']:.1f}",
    )
    out.print(table)


@app.command()
def ask(
    text: Annotated[str, typer.Argument(help="The question.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Ask the knowledge base one question."""
    from knowledge.retriever import build_knowledge

    settings = _settings()
    with _errors_to_exit(), build_knowledge(settings) as kb:
        answer = kb.ask_sync(text)
        if settings.llm_base_url:
            answer = asyncio.run(_composed(answer, text, settings, kb.entry))
    if as_json:
        from copilot.schemas import AskResponse

        print(AskResponse.of(answer).model_dump_json())
        return
    out.print(f"[bold]{answer.decision.value}[/bold] (confidence {answer.confidence:.2f})")
    if answer.text:
        out.print(answer.text)
    if answer.composed_by:
        out.print(f"[dim]composed by {answer.composed_by}[/dim]")
    if answer.decision is Decision.CLARIFY:
        for cand in answer.candidates:
            out.print(f"  • {cand.question}  [{cand.entry_id}]")
    for src in answer.sources[:3]:
        out.print(f"[dim]source: {src.entry_id} ({src.score:.2f}) {src.question}[/dim]")


async def _composed(
    answer: Answer, text: str, settings: Settings, lookup: Callable[[str], FaqEntry | None]
) -> Answer:
    """``answer`` composed by the configured language model (``core.grounding.compose``)."""
    from core.grounding.compose import grounded
    from knowledge.llm import build_assistant

    assistant = build_assistant(settings)
    try:
        return await grounded(
            answer, question=text, assistant=assistant, lookup=lookup, settings=settings
        )
    finally:
        if assistant is not None:
            await assistant.close()


@app.command()
def serve(
    demo: Annotated[bool, typer.Option(help="Load the bundled demo knowledge base first.")] = False,
    host: Annotated[str | None, typer.Option(help="Default: CXC_HOST")] = None,
    port: Annotated[int | None, typer.Option(help="Default: CXC_PORT")] = None,
    workers: Annotated[
        int, typer.Option(min=1, help="Worker processes; each opens its own runtime.")
    ] = 1,
) -> None:
    """Run the HTTP API (OpenAPI docs at /docs)."""
    import uvicorn

    from copilot.main import create_app

    settings = _settings()
    if demo:
        from knowledge import DEMO_KB

        with _errors_to_exit():
            report = _ingest(settings, [DEMO_KB])
        err.print(
            f"demo knowledge base: {report['entries']} entries, {report['phrasings']} phrasings"
        )
    bind_host, bind_port = host or settings.host, port or settings.port
    if workers > 1:
        _serve_workers(settings, workers, bind_host, bind_port)
    else:  # log_config None: our one-line logging (runtime.logs) is already set up
        uvicorn.run(create_app(settings), host=bind_host, port=bind_port, log_config=None)


def _serve_workers(settings: Settings, workers: int, host: str, port: int) -> None:
    """Several worker processes, each building the app from the environment (uvicorn's
    factory); the database is migrated once, here, rather than by every worker at once."""
    import uvicorn

    if settings.auto_migrate:
        from core import db

        with _errors_to_exit():
            db.upgrade(settings.resolved_database_url)
    target: Any = "copilot.main:app_from_environment"
    uvicorn.run(target, factory=True, workers=workers, host=host, port=port, log_config=None)


@app.command(name="eval")
def evaluate(
    kb: Annotated[Path, typer.Option("--kb", help="Knowledge base CSV.")],
    queries: Annotated[Path, typer.Option("--queries", help="Queries CSV.")],
    kb_id_col: Annotated[str, typer.Option("--kb-id-col")] = "id",
    kb_question_col: Annotated[str, typer.Option("--kb-question-col")] = "question",
    kb_answer_col: Annotated[str, typer.Option("--kb-answer-col")] = "answer",
    text_col: Annotated[str, typer.Option("--text-col")] = "text",
    label_col: Annotated[str, typer.Option("--label-col")] = "label",
    oos_label: Annotated[str, typer.Option("--oos-label")] = "oos",
    as_json: Annotated[bool, typer.Option("--json")] = False,
    sweep: Annotated[
        bool, typer.Option("--sweep", help="Also score answer thresholds 0.05-0.3.")
    ] = False,
    sweep_at: Annotated[
        str | None, typer.Option("--sweep-at", help="Score these thresholds: 0.05,0.08,...")
    ] = None,
    group_by: Annotated[
        str | None,
        typer.Option("--group-by", help="Also per group of query columns: kind,language"),
    ] = None,
    misses_to: Annotated[
        Path | None, typer.Option("--misses", help="Write every miss to this CSV file.")
    ] = None,
    llm: Annotated[
        bool, typer.Option("--llm", help="Compose answers with the CXC_LLM_* language model.")
    ] = False,
) -> None:
    """Evaluate a knowledge base on labelled queries, through the same path as /v1/ask."""
    from knowledge.evaluate import EvalColumns, parse_thresholds
    from knowledge.evaluate import evaluate as run_eval
    from knowledge.scores import GROUP_TABLE, SWEEP, write_misses

    settings = _settings()
    columns = EvalColumns(
        kb_id=kb_id_col,
        kb_question=kb_question_col,
        kb_answer=kb_answer_col,
        text=text_col,
        label=label_col,
        oos_label=oos_label,
    )
    with _errors_to_exit():
        grid = parse_thresholds(sweep_at) if sweep_at else SWEEP if sweep else ()
        groups = tuple(c.strip() for c in (group_by or "").split(",") if c.strip())
        with _progress("evaluating") as progress:
            report = run_eval(
                kb,
                queries,
                columns=columns,
                settings=settings,
                progress=progress,
                sweep=grid,
                group_by=groups,
                llm=llm,
            )
        missed = report.pop("misses")
        if misses_to is not None:
            write_misses(misses_to, missed)
    if as_json:
        print(json.dumps(report))
        return
    rows, by_group = report.pop("sweep", []), report.pop("groups", [])
    composed = report.pop("llm", None)
    _print_table([{"metric": k, "value": v} for k, v in report.items()])
    if composed is not None:
        _print_table([{"llm": k, "value": v} for k, v in composed.items()])
    _print_table(rows)
    _print_table([{k: g[k] for k in (*groups, *GROUP_TABLE)} for g in by_group])


def _print_table(rows: list[dict[str, Any]]) -> None:
    """Rows of like dicts as a table, their keys as the header (nothing for no rows)."""
    if rows:
        table = Table(*rows[0])
        for row in rows:
            table.add_row(*(f"{v:.4f}" if isinstance(v, float) else str(v) for v in row.values()))
        out.print(table)


@app.command()
def bot(
    webhook_worker: Annotated[
        bool,
        typer.Option(
            help="Process updates queued by the API's /telegram/webhook instead of polling."
        ),
    ] = False,
) -> None:
    """Run the Telegram bot (long polling by default)."""
    from bot.app import require_token, run_polling, run_webhook_worker

    settings = _settings()
    with _errors_to_exit():
        require_token(settings)
        _run(settings, run_webhook_worker if webhook_worker else run_polling, knowledge=True)


@app.command()
def worker() -> None:
    """Run the background worker: satisfaction pulses, overdue promises, queued replies."""
    from worker import run_worker

    settings = _settings()
    with _errors_to_exit():
        asyncio.run(run_worker(settings))


@users_app.command("create")
def users_create(
    name: Annotated[str, typer.Option("--name", help="Login name, e.g. olga")],
    role: Annotated[str, typer.Option("--role", help="operator | supervisor | admin")],
    limit: Annotated[
        float | None,
        typer.Option(
            "--compensation-limit", help="Largest compensation this user may give unapproved."
        ),
    ] = None,
) -> None:
    """Create a user and print their API token once (only its hash is stored)."""
    from core.platform.auth import create_user

    settings = _settings()
    with _errors_to_exit():
        _user, token = _in_session(
            settings, lambda s: create_user(s, name=name, role=role, compensation_limit=limit)
        )
    err.print(f"created {role} {name!r}; the token is shown once:")
    print(token)


@users_app.command("token")
def users_token(name: Annotated[str, typer.Option("--name")]) -> None:
    """Issue another API token for an existing user."""
    from core.platform.auth import issue_token

    settings = _settings()
    with _errors_to_exit():
        print(_in_session(settings, lambda s: issue_token(s, user_name=name)))


@users_app.command("revoke")
def users_revoke(name: Annotated[str, typer.Option("--name")]) -> None:
    """Revoke every API token of a user."""
    from core.platform.auth import revoke_tokens

    settings = _settings()
    with _errors_to_exit():
        count = _in_session(settings, lambda s: revoke_tokens(s, user_name=name))
    out.print(f"revoked {count} token(s) of {name!r}")


@knowledge_app.command("versions")
def knowledge_versions(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The knowledge versions, newest first: what changed, and the entries the record held."""
    from core.learning.history import list_versions

    settings = _settings()
    with _errors_to_exit():
        versions = _in_session(settings, list_versions)
    if as_json:
        print(json.dumps([asdict(v) for v in versions], default=str))
        return
    table = Table("version", "reason", "detail", "entries", "created")
    for v in versions:
        entries = "-" if v.entries is None else str(v.entries)
        table.add_row(str(v.id), v.reason, v.detail, entries, f"{v.created_at:%Y-%m-%d %H:%M}")
    out.print(table)


@knowledge_app.command("rollback")
def knowledge_rollback(
    to: Annotated[int | None, typer.Option("--to", help="Default: the previous version.")] = None,
) -> None:
    """Restore the knowledge record as of a version and re-index it (a new version)."""
    from core.learning.history import rollback_knowledge

    async def work(rt: Runtime) -> Any:
        assert rt.retriever is not None
        async with rt.sessions() as session:
            return await rollback_knowledge(session, retriever=rt.retriever, to=to)

    settings = _settings()
    with _errors_to_exit():
        done = _run(settings, work, knowledge=True)
    out.print(f"knowledge version {done.id}: {done.detail} ({done.entries} entries)")


@crm_app.command("sync")
def crm_sync(
    path: Annotated[
        Path | None, typer.Argument(help="The export folder (files; default CXC_CRM_FILES_PATH)")
    ] = None,
    adapter: Annotated[
        str | None,
        typer.Option("--adapter", help="files | hubspot | amocrm | bitrix24 (CXC_CRM_ADAPTER)"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Pull what changed in the CRM since the last sync; exit 1 if a record was refused."""
    from core.customers.crm_sync import sync_source
    from crm_adapters.connect import open_connector

    settings = _settings()
    chosen = adapter or settings.crm_adapter or _fail("name the CRM: --adapter or CXC_CRM_ADAPTER")

    async def work(rt: Runtime) -> Any:
        async with open_connector(settings, chosen, path) as connector, rt.sessions() as session:
            with _progress(f"syncing {chosen}") as progress:
                return await sync_source(
                    session,
                    connector=connector,
                    region=settings.default_region,
                    progress=lambda done, total: progress(done, total or done),
                )

    with _errors_to_exit():
        report = _run(settings, work)
    summary = {k: getattr(report, k) for k in ("created", "updated", "unchanged", "conflicts")}
    if as_json:
        print(json.dumps({**summary, "errors": report.errors}))
    else:
        table = Table(*summary, "errors")
        table.add_row(*(str(v) for v in summary.values()), str(len(report.errors)))
        out.print(table)
        for error in report.errors:
            err.print(f"[red]refused:[/red] {error}", highlight=False, soft_wrap=True)
    if report.errors:
        raise typer.Exit(1)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply database migrations (CXC_DATABASE_URL, default SQLite under CXC_DATA_DIR)."""
    from core import db

    settings = _settings()
    db.upgrade(settings.resolved_database_url, revision)
    out.print(f"database at {revision}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
