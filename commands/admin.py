"""``cxc users``, ``cxc knowledge`` and ``cxc db``: copilot users and their tokens, the knowledge
base's versions, the database schema."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from commands.common import err, errors_to_exit, in_session, load, out, run

if TYPE_CHECKING:
    from core.runtime import Runtime

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="Copilot users and their API tokens.", no_args_is_help=True)
knowledge_app = typer.Typer(help="The knowledge base's versions.", no_args_is_help=True)


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

    settings = load()
    with errors_to_exit():
        _user, token = in_session(
            settings, lambda s: create_user(s, name=name, role=role, compensation_limit=limit)
        )
    err.print(f"created {role} {name!r}; the token is shown once:")
    print(token)


@users_app.command("token")
def users_token(
    name: Annotated[str, typer.Option("--name")],
    rotate: Annotated[
        bool, typer.Option("--rotate", help="the user's other tokens stop working at once")
    ] = False,
) -> None:
    """Issue another API token for an existing user (printed once)."""
    from core.platform.auth import issue_token

    settings = load()
    with errors_to_exit():
        print(in_session(settings, lambda s: issue_token(s, user_name=name, rotate=rotate)))
    if rotate:
        err.print(f"the other tokens of {name!r} are revoked")


@users_app.command("revoke")
def users_revoke(name: Annotated[str, typer.Option("--name")]) -> None:
    """Revoke every API token of a user."""
    from core.platform.auth import revoke_tokens

    settings = load()
    with errors_to_exit():
        count = in_session(settings, lambda s: revoke_tokens(s, user_name=name))
    out.print(f"revoked {count} token(s) of {name!r}")


@knowledge_app.command("versions")
def knowledge_versions(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The knowledge versions, newest first: what changed, and the entries the record held."""
    from core.learning.history import list_versions

    settings = load()
    with errors_to_exit():
        versions = in_session(settings, list_versions)
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

    settings = load()
    with errors_to_exit():
        done = run(settings, work, knowledge=True)
    out.print(f"knowledge version {done.id}: {done.detail} ({done.entries} entries)")


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply database migrations (CXC_DATABASE_URL, default SQLite under CXC_DATA_DIR)."""
    from core import db

    settings = load()
    db.upgrade(settings.resolved_database_url, revision)
    out.print(f"database at {revision}")
