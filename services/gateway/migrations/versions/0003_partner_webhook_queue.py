"""partner webhook queue: deliveries not yet settled, kept across restarts

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 08:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "gateway_partner_webhook_queue",
        sa.Column("delivery_id", sa.String(length=36), nullable=False),
        sa.Column("partner_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=50), nullable=False),
        sa.Column("case_id", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("delivery_id"),
    )
    op.create_index(
        "ix_gateway_partner_webhook_queue_partner_id", "gateway_partner_webhook_queue", ["partner_id"], unique=False
    )
    op.create_index(
        "ix_gateway_partner_webhook_queue_next_attempt_at",
        "gateway_partner_webhook_queue",
        ["next_attempt_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("gateway_partner_webhook_queue")
