"""notes from outside the team: debtors' comments and declared payments, answers on disputes, partner outcomes

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sc_notes",
        sa.Column("note_id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=600), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("customer_id", sa.String(length=200), nullable=False),
        sa.Column("item_ids", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("by_user", sa.String(length=200), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("paused_until", sa.Date(), nullable=True),
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.Column("reply", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("note_id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_sc_notes_customer_id", "sc_notes", ["customer_id"])
    op.create_index("ix_sc_notes_case_id", "sc_notes", ["case_id"])
    op.create_index("ix_sc_notes_paused_until", "sc_notes", ["paused_until"])


def downgrade() -> None:
    op.drop_table("sc_notes")
