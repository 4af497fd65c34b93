"""payment plans and escalations

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 00:40:00
"""

from collections.abc import Sequence

import opendso_db.types
import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sc_payment_plans",
        sa.Column("plan_id", sa.String(length=100), nullable=False),
        sa.Column("customer_id", sa.String(length=200), nullable=False),
        sa.Column("entity", sa.String(length=50), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total", opendso_db.types.Amount(precision=20, scale=6), nullable=False),
        sa.Column("paid", opendso_db.types.Amount(precision=20, scale=6), nullable=False),
        sa.Column("frequency", sa.String(length=20), nullable=False),
        sa.Column("first_date", sa.Date(), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("next_due", sa.Date(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("end_reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("plan_id"),
    )
    with op.batch_alter_table("sc_payment_plans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sc_payment_plans_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sc_payment_plans_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_sc_payment_plans_next_due"), ["next_due"], unique=False)

    op.create_table(
        "sc_plan_items",
        sa.Column("plan_id", sa.String(length=100), nullable=False),
        sa.Column("item_id", sa.String(length=250), nullable=False),
        sa.Column("open_at_creation", opendso_db.types.Amount(precision=20, scale=6), nullable=False),
        sa.PrimaryKeyConstraint("plan_id", "item_id"),
    )
    with op.batch_alter_table("sc_plan_items", schema=None) as batch_op:
        batch_op.create_index("ix_sc_plan_items_item_id", ["item_id"], unique=False)

    op.create_table(
        "sc_plan_instalments",
        sa.Column("plan_id", sa.String(length=100), nullable=False),
        sa.Column("sequence", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("item_id", sa.String(length=250), nullable=False),
        sa.Column("number", sa.String(length=100), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("amount", opendso_db.types.Amount(precision=20, scale=6), nullable=False),
        sa.PrimaryKeyConstraint("plan_id", "sequence"),
        sa.UniqueConstraint("item_id"),
    )


def downgrade() -> None:
    op.drop_table("sc_plan_instalments")
    with op.batch_alter_table("sc_plan_items", schema=None) as batch_op:
        batch_op.drop_index("ix_sc_plan_items_item_id")
    op.drop_table("sc_plan_items")
    with op.batch_alter_table("sc_payment_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sc_payment_plans_next_due"))
        batch_op.drop_index(batch_op.f("ix_sc_payment_plans_state"))
        batch_op.drop_index(batch_op.f("ix_sc_payment_plans_customer_id"))
    op.drop_table("sc_payment_plans")
