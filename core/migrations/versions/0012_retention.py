"""retention actions for customers at risk of leaving: the kind, the churn band when started,
the offer within the compensation policy, and the outcome

Revision ID: 0012_retention
Revises: 0011
Create Date: 2026-12-02 11:16:53.100396
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import core.models.base

revision: str = "0012_retention"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "retention_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("churn_score", sa.Integer(), nullable=False),
        sa.Column("churn_band", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("due_at", core.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("offer_value", sa.Float(), nullable=True),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
        sa.Column("policy_version", sa.Integer(), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("outcome_note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("outcome_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("outcome_at", core.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("created_at", core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["customer_order.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("retention_action", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_retention_action_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_retention_action_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_retention_action_outcome"), ["outcome"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("retention_action", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_retention_action_outcome"))
        batch_op.drop_index(batch_op.f("ix_retention_action_customer_id"))
        batch_op.drop_index(batch_op.f("ix_retention_action_created_at"))

    op.drop_table("retention_action")
