"""process beats: a heartbeat row per long-running process (the bot, the worker)

Revision ID: 0016_beats
Revises: 0015_prod
Create Date: 2026-12-02 14:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import core.models.base

revision: str = "0016_beats"
down_revision: str | None = "0015_prod"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "process_beat",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("host", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started", core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("beat_at", core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_process_beat_kind"), "process_beat", ["kind"], unique=False)
    op.create_index(op.f("ix_process_beat_beat_at"), "process_beat", ["beat_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_process_beat_beat_at"), table_name="process_beat")
    op.drop_index(op.f("ix_process_beat_kind"), table_name="process_beat")
    op.drop_table("process_beat")
