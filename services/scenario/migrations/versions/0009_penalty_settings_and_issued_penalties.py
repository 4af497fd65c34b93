"""late-payment penalty settings, watched invoices and issued penalties

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 10:00:00
"""

from collections.abc import Sequence

import opendso_db.types
import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sc_penalty_settings",
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("entity", sa.String(length=50), nullable=False),
        sa.Column("account_number", sa.String(length=100), nullable=False),
        sa.Column("issue_items", sa.Boolean(), nullable=True),
        sa.Column("exempt_interest", sa.Boolean(), nullable=True),
        sa.Column("exempt_compensation", sa.Boolean(), nullable=True),
        sa.Column("law", sa.String(length=10), nullable=False),
        sa.Column("minimum_interest", opendso_db.types.Amount(precision=20, scale=6), nullable=True),
        sa.Column("minimum_currency", sa.String(length=3), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope"),
    )
    with op.batch_alter_table("sc_penalty_settings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sc_penalty_settings_entity"), ["entity"], unique=False)

    op.create_table(
        "sc_penalty_invoices",
        sa.Column("item_id", sa.String(length=250), nullable=False),
        sa.Column("customer_id", sa.String(length=200), nullable=False),
        sa.Column("number", sa.String(length=100), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("principal", opendso_db.types.Amount(precision=20, scale=6), nullable=False),
        sa.Column("payments", sa.Text(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("seen_version", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_on", sa.Date(), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("item_id"),
    )
    with op.batch_alter_table("sc_penalty_invoices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sc_penalty_invoices_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "sc_issued_penalties",
        sa.Column("penalty_id", sa.String(length=64), nullable=False),
        sa.Column("item_id", sa.String(length=250), nullable=False),
        sa.Column("customer_id", sa.String(length=200), nullable=False),
        sa.Column("entity", sa.String(length=50), nullable=False),
        sa.Column("number", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("amount", opendso_db.types.Amount(precision=20, scale=6), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=False),
        sa.Column("law", sa.String(length=10), nullable=False),
        sa.Column("rates", sa.Text(), nullable=False),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("penalty_id"),
    )
    with op.batch_alter_table("sc_issued_penalties", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sc_issued_penalties_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sc_issued_penalties_item_id"), ["item_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sc_issued_penalties", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sc_issued_penalties_item_id"))
        batch_op.drop_index(batch_op.f("ix_sc_issued_penalties_customer_id"))
    op.drop_table("sc_issued_penalties")
    with op.batch_alter_table("sc_penalty_invoices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sc_penalty_invoices_customer_id"))
    op.drop_table("sc_penalty_invoices")
    with op.batch_alter_table("sc_penalty_settings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sc_penalty_settings_entity"))
    op.drop_table("sc_penalty_settings")
