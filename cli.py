"""The ``cxc`` command line: wiring only. Each command builds what it needs and calls one thing."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from commands.admin import db_app, knowledge_app, users_app
from commands.common import err, errors_to_exit, in_session, load, out, progress, run
from commands.data import cases_app, crm_app
from commands.health import health
from core.config import Settings
from core.domain import Answer, Decision, FaqEntry

if TYPE_CHECKING:
    from core.runtime import Runtime

app = typer.Typer(
    help="CX Copilot: support copilot and self-service bot backend.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(knowledge_app, name="knowledge")
app.add_typer(crm_app, name="crm")
app.add_typer(cases_app, name="cases")
app.command()(health)


def _ingest(
    settings: Settings, paths: list[Path], *, replace: bool = False, yes: bool = False
) -> dict[str, Any]:
    from core.learning.items import ingest_knowledge, replaced_ids
    from knowledge.sources import load_sources

    entries = load_sources(paths)
    if replace and not _confirm_deletion(
        in_session(settings, lambda s: replaced_ids(s, entries=entries)), yes
    ):
        raise typer.Exit(1)

    async def work(rt: Runtime) -> dict[str, Any]:
        assert rt.retriever is not None
        async with rt.sessions() as session:
            with progress("embedding") as advance:
                done = await ingest_knowledge(
                    session,
                    retriever=rt.retriever,
                    entries=entries,
                    replace=replace,
                    progress=advance,
                )
        return {**asdict(done.report), "items": done.items}

    return run(settings, work, knowledge=True)


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
    settings = load()
    with errors_to_exit():
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

    settings = load()
    with errors_to_exit(), build_knowledge(settings) as kb:
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
    """``answer`` reranked (``CXC_LLM_RERANK``) and composed by the configured language model
    (``core.grounding``), as ``/v1/ask`` gives it."""
    from core.grounding.compose import grounded
    from core.grounding.rerank import reranked
    from knowledge.llm import build_assistant

    assistant = build_assistant(settings)
    try:
        answer = await reranked(
            answer, question=text, assistant=assistant, lookup=lookup, settings=settings
        )
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

    settings = load()
    if demo:
        from knowledge import DEMO_KB

        with errors_to_exit():
            report = _ingest(settings, [DEMO_KB])
        err.print(
            f"demo knowledge base: {report['entries']} entries, {report['phrasings']} phrasings"
        )
    bind_host, bind_port = host or settings.host, port or settings.port
    if workers > 1:
        _serve_workers(settings, workers, bind_host, bind_port)
    else:  # log_config None: our one-line logging (runtime.logs) is already set up
        api = create_app(settings, serving=True)
        uvicorn.run(api, host=bind_host, port=bind_port, log_config=None)


def encoder_threads(configured: int, workers: int, cores: int) -> int:
    """Each worker's encoder threads: ``CXC_EMBEDDING_THREADS`` when set, else the cores shared
    out (at least one). Every worker running an OpenMP team as wide as the machine makes the
    teams spin against each other (docs/deploy.md, "CPU threads")."""
    return configured or max(1, cores // workers)


def _serve_workers(settings: Settings, workers: int, host: str, port: int) -> None:
    """Several worker processes, each building the app from the environment (uvicorn's
    factory); the database is migrated once, here, rather than by every worker at once."""
    import uvicorn

    if settings.auto_migrate:
        from core import db

        with errors_to_exit():
            db.upgrade(settings.resolved_database_url)
    threads = encoder_threads(settings.embedding_threads, workers, len(os.sched_getaffinity(0)))
    os.environ["CXC_EMBEDDING_THREADS"] = str(threads)  # the workers' settings read it
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

    settings = load()
    columns = EvalColumns(
        kb_id=kb_id_col,
        kb_question=kb_question_col,
        kb_answer=kb_answer_col,
        text=text_col,
        label=label_col,
        oos_label=oos_label,
    )
    with errors_to_exit():
        grid = parse_thresholds(sweep_at) if sweep_at else SWEEP if sweep else ()
        groups = tuple(c.strip() for c in (group_by or "").split(",") if c.strip())
        with progress("evaluating") as advance:
            report = run_eval(
                kb,
                queries,
                columns=columns,
                settings=settings,
                progress=advance,
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

    settings = load()
    with errors_to_exit():
        require_token(settings)
        run(
            settings,
            run_webhook_worker if webhook_worker else run_polling,
            knowledge=True,
            serving=True,
        )


@app.command()
def worker() -> None:
    """Run the background worker: satisfaction pulses, overdue promises, queued replies."""
    from worker import run_worker

    settings = load()
    with errors_to_exit():
        asyncio.run(run_worker(settings, serving=True))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
