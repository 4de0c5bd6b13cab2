"""message channel ref: a customer message's own id on its channel, so a retried update is
stored once (filled from the stored Telegram message ids)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 07:35:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("message") as batch_op:
        batch_op.add_column(
            sa.Column(
                "channel_message_id",
                sqlmodel.sql.sqltypes.AutoString(length=64),
                nullable=True,
            )
        )
        batch_op.create_index(
            "ix_message_channel_ref", ["channel", "author_ref", "channel_message_id"]
        )
    bind = op.get_bind()
    message = sa.table(
        "message",
        sa.column("id", sa.Integer),
        sa.column("author", sa.String),
        sa.column("meta", sa.JSON),
        sa.column("channel_message_id", sa.String),
    )
    rows = bind.execute(
        sa.select(message.c.id, message.c.meta).where(message.c.author == "customer")
    )
    for row_id, meta in rows.fetchall():
        ref = (meta or {}).get("telegram_message_id")
        if ref is not None:
            bind.execute(
                message.update().where(message.c.id == row_id).values(channel_message_id=str(ref))
            )


def downgrade() -> None:
    with op.batch_alter_table("message") as batch_op:
        batch_op.drop_index("ix_message_channel_ref")
        batch_op.drop_column("channel_message_id")
