"""message columns: the case event, the reply kind and the answered entry out of meta

What reports and queries match on leaves the JSON ``meta``: ``event`` (system entries; before,
the reports matched the message text), ``reply_kind`` and ``entry_id`` (bot replies). Existing
rows are filled from ``meta`` (and, for system entries without one, from the text), the moved
keys are removed from ``meta``, and the partial index ``ix_message_person`` is rebuilt on
``event``. Downgrade puts the keys back.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 06:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_PERSON = sa.text(
    "author = 'operator' OR (author = 'system' AND text IN ('escalated', 'assigned', 'reopened'))"
)
PERSON = sa.text(
    "author = 'operator' OR (author = 'system' AND event IN ('escalated', 'assigned', 'reopened'))"
)
"""Messages that show a person was involved (mirrors core.models.message.PERSON_EVENTS)."""

EVENTS = (
    "opened",
    "escalated",
    "assigned",
    "pending",
    "resumed",
    "handed_back",
    "resolved",
    "reopened",
    "closed",
    "promised",
    "recovery",
)
REPLY_KINDS = (
    "answer",
    "clarify",
    "escalated",
    "reopened",
    "queued",
    "already_queued",
    "unsupported",
    "resolved",
    "small_talk",
)
MOVED = {"event": "event", "kind": "reply_kind", "entry_id": "entry_id"}
"""meta key -> column."""


def upgrade() -> None:
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("event", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )
        batch_op.add_column(
            sa.Column("reply_kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )
        batch_op.add_column(
            sa.Column("entry_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
        )
        batch_op.drop_index(
            "ix_message_person", postgresql_where=OLD_PERSON, sqlite_where=OLD_PERSON
        )
    _backfill()
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.create_index(
            "ix_message_person",
            ["case_id", "created_at"],
            unique=False,
            postgresql_where=PERSON,
            sqlite_where=PERSON,
        )


def downgrade() -> None:
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_index("ix_message_person", postgresql_where=PERSON, sqlite_where=PERSON)
    _restore_meta()
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_column("entry_id")
        batch_op.drop_column("reply_kind")
        batch_op.drop_column("event")
        batch_op.create_index(
            "ix_message_person",
            ["case_id", "created_at"],
            unique=False,
            postgresql_where=OLD_PERSON,
            sqlite_where=OLD_PERSON,
        )


def _quoted(values: Sequence[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _backfill() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"

    def key(name: str) -> str:
        return f"(meta->>'{name}')" if postgres else f"json_extract(meta, '$.{name}')"

    events, kinds = _quoted(EVENTS), _quoted(REPLY_KINDS)
    op.execute(
        f"UPDATE message SET event = {key('event')} "
        f"WHERE author = 'system' AND {key('event')} IN ({events})"
    )
    op.execute(
        "UPDATE message SET event = text "
        f"WHERE author = 'system' AND event IS NULL AND text IN ({events})"
    )
    op.execute(
        f"UPDATE message SET reply_kind = {key('kind')}, "
        f"entry_id = substr({key('entry_id')}, 1, 200) "
        f"WHERE author = 'bot' AND {key('kind')} IN ({kinds})"
    )
    if postgres:
        stripped = "(meta::jsonb - 'event' - 'kind' - 'entry_id')::json"
    else:
        stripped = "json_remove(meta, '$.event', '$.kind', '$.entry_id')"
    op.execute(
        f"UPDATE message SET meta = {stripped} WHERE event IS NOT NULL OR reply_kind IS NOT NULL"
    )


def _restore_meta() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, column in MOVED.items():
        if postgres:
            merged = f"(meta::jsonb || jsonb_build_object('{name}', {column}))::json"
        else:
            merged = f"json_set(meta, '$.{name}', {column})"
        op.execute(f"UPDATE message SET meta = {merged} WHERE {column} IS NOT NULL")
