"""crm data: customer orders, past CRM cases, sync cursors, identity conflicts; customer
consent, opt-out and preferences

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 08:17:48.728622
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import core.models.base

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "crm_sync_state",
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("cursor", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("updated_at", core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lease_until", core.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("source"),
    )
    op.create_table(
        "crm_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("messages", sa.JSON(), nullable=False),
        sa.Column("opened_at", core.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", core.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("source_updated_at", core.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("synced_at", core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "external_id", name="uq_crm_case_source_ext"),
    )
    with op.batch_alter_table("crm_case", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_crm_case_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "customer_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
        sa.Column("placed_at", core.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("promised_at", core.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", core.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("delivery_region", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("source_updated_at", core.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("synced_at", core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "external_id", name="uq_order_source_ext"),
    )
    with op.batch_alter_table("customer_order", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_order_customer_id"), ["customer_id"], unique=False
        )

    op.create_table(
        "identity_conflict",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("holder_id", sa.Integer(), nullable=False),
        sa.Column("claimant_id", sa.Integer(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("record_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("detected_at", core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["claimant_id"],
            ["customer.id"],
        ),
        sa.ForeignKeyConstraint(
            ["holder_id"],
            ["customer.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "channel", "external_id", "source", "record_id", name="uq_identity_conflict"
        ),
    )
    with op.batch_alter_table("identity_conflict", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_identity_conflict_holder_id"), ["holder_id"], unique=False
        )

    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("marketing_consent", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("opted_out", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("preferences", sa.JSON(), nullable=False, server_default="{}")
        )
        batch_op.add_column(
            sa.Column("updated_at", core.models.base.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.drop_column("updated_at")
        batch_op.drop_column("preferences")
        batch_op.drop_column("opted_out")
        batch_op.drop_column("marketing_consent")

    with op.batch_alter_table("identity_conflict", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_conflict_holder_id"))

    op.drop_table("identity_conflict")
    with op.batch_alter_table("customer_order", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_order_customer_id"))

    op.drop_table("customer_order")
    with op.batch_alter_table("crm_case", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crm_case_customer_id"))

    op.drop_table("crm_case")
    op.drop_table("crm_sync_state")
