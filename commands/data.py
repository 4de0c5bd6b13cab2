"""``cxc crm`` and ``cxc cases``: customers, orders and past cases from a CRM, and the case
memory of past cases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from commands.common import err, errors_to_exit, fail, load, out, progress, run

if TYPE_CHECKING:
    from core.runtime import Runtime

crm_app = typer.Typer(help="Customers, orders and past cases from a CRM.", no_args_is_help=True)
cases_app = typer.Typer(help="Past cases, ours and the CRM's.", no_args_is_help=True)


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

    settings = load()
    chosen = adapter or settings.crm_adapter or fail("name the CRM: --adapter or CXC_CRM_ADAPTER")

    async def work(rt: Runtime) -> Any:
        async with open_connector(settings, chosen, path) as connector, rt.sessions() as session:
            with progress(f"syncing {chosen}") as advance:
                return await sync_source(
                    session,
                    connector=connector,
                    region=settings.default_region,
                    progress=lambda done, total: advance(done, total or done),
                )

    with errors_to_exit():
        report = run(settings, work)
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


@cases_app.command("remember")
def cases_remember() -> None:
    """Embed every resolved case and CRM case the case memory lacks (similar cases and each
    customer's past cases); the API does the same every CXC_CASE_MEMORY_INTERVAL_S."""
    from core.desk.case_memory import remember_cases

    async def work(rt: Runtime) -> Any:
        memory = await rt.recollection()
        assert memory is not None
        async with rt.sessions() as session:
            with progress("remembering past cases") as advance:
                return await remember_cases(
                    session,
                    recollection=memory,
                    progress=lambda _source, done, total: advance(done, total),
                )

    with errors_to_exit():
        done = run(load(), work)
    out.print(
        f"{done.cases} resolved cases and {done.crm_cases} CRM cases remembered "
        f"({done.checked} checked)"
    )
