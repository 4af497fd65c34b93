"""escalations to partners

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 01:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sc_escalations",
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=200), nullable=False),
        sa.Column("entity", sa.String(length=50), nullable=False),
        sa.Column("partner_kind", sa.String(length=20), nullable=False),
        sa.Column("partner_id", sa.String(length=200), nullable=False),
        sa.Column("items", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("escalated_by", sa.String(length=200), nullable=False),
        sa.Column("escalated_on", sa.Date(), nullable=False),
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("active_key", sa.String(length=300), nullable=True),
        sa.Column("withdrawn_by", sa.String(length=200), nullable=False),
        sa.Column("withdrawn_on", sa.Date(), nullable=True),
        sa.Column("withdraw_reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("case_id"),
        sa.UniqueConstraint("active_key"),
    )
    with op.batch_alter_table("sc_escalations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sc_escalations_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sc_escalations_state"), ["state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sc_escalations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sc_escalations_state"))
        batch_op.drop_index(batch_op.f("ix_sc_escalations_customer_id"))
    op.drop_table("sc_escalations")
