"""delivery leases and retries: claims with a lease, backoff times, parked updates, NPS rounds

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import core.models.base

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

When = core.models.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("inbound_update") as batch_op:
        batch_op.add_column(
            sa.Column("chat_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.add_column(sa.Column("next_attempt_at", When, nullable=True))
        batch_op.create_index("ix_inbound_update_chat_key", ["chat_key"], unique=False)
    with op.batch_alter_table("outbound_delivery") as batch_op:
        batch_op.add_column(sa.Column("next_attempt_at", When, nullable=True))
        batch_op.add_column(sa.Column("claimed_until", When, nullable=True))
        batch_op.add_column(
            sa.Column("lease_owner", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.add_column(sa.Column("attempt_started_at", When, nullable=True))
        batch_op.add_column(
            sa.Column("parts_sent", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.create_index(
            "ix_outbound_delivery_next_attempt_at", ["next_attempt_at"], unique=False
        )
    with op.batch_alter_table("pulse") as batch_op:
        batch_op.add_column(sa.Column("claimed_until", When, nullable=True))
        batch_op.add_column(sa.Column("attempted_at", When, nullable=True))
        batch_op.add_column(
            sa.Column("round_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.create_unique_constraint("uq_pulse_round_key", ["round_key"])


def downgrade() -> None:
    with op.batch_alter_table("pulse") as batch_op:
        batch_op.drop_constraint("uq_pulse_round_key", type_="unique")
        batch_op.drop_column("round_key")
        batch_op.drop_column("attempted_at")
        batch_op.drop_column("claimed_until")
    with op.batch_alter_table("outbound_delivery") as batch_op:
        batch_op.drop_index("ix_outbound_delivery_next_attempt_at")
        for name in (
            "parts_sent",
            "attempt_started_at",
            "lease_owner",
            "claimed_until",
            "next_attempt_at",
        ):
            batch_op.drop_column(name)
    with op.batch_alter_table("inbound_update") as batch_op:
        batch_op.drop_index("ix_inbound_update_chat_key")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("chat_key")
