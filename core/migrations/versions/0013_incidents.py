"""incidents: declared incidents, the one proactive notice per customer and subject, the
incident a case is about

Revision ID: 0013_incidents
Revises: 0011
Create Date: 2026-12-02 11:17:29.807420
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import core.models.base

revision: str = "0013_incidents"
down_revision: str | None = "0012_retention"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("messages", sa.JSON(), nullable=False),
        sa.Column("segment", sa.JSON(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("compensation", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("starts_at", core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", core.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("affected", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("created_at", core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incident_status"), ["status"], unique=False)

    op.create_table(
        "proactive_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=True),
        sa.Column("compensation_value", sa.Float(), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
        sa.Column("created_at", core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("queued_at", core.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
        ),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["outbound_delivery.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "subject_id", "customer_id", name="uq_notice_subject_customer"),
    )
    with op.batch_alter_table("proactive_notice", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notice_kind_subject_status", ["kind", "subject_id", "status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_proactive_notice_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_proactive_notice_delivery_id"), ["delivery_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_proactive_notice_status"), ["status"], unique=False)

    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("incident_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_case_incident_id"), ["incident_id"], unique=False)
        batch_op.create_foreign_key("fk_case_incident_id", "incident", ["incident_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.drop_constraint("fk_case_incident_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_case_incident_id"))
        batch_op.drop_column("incident_id")

    with op.batch_alter_table("proactive_notice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proactive_notice_status"))
        batch_op.drop_index(batch_op.f("ix_proactive_notice_delivery_id"))
        batch_op.drop_index(batch_op.f("ix_proactive_notice_customer_id"))
        batch_op.drop_index("ix_notice_kind_subject_status")

    op.drop_table("proactive_notice")
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_status"))

    op.drop_table("incident")
