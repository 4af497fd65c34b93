"""delivery status reports

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 01:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "msg_delivery_reports",
        sa.Column("report_id", sa.String(length=300), nullable=False),
        sa.Column("message_key", sa.String(length=600), nullable=False),
        sa.Column("provider", sa.String(length=30), nullable=False),
        sa.Column("delivery_state", sa.String(length=20), nullable=False),
        sa.Column("applied", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False, server_default=""),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("report_id"),
    )
    op.create_index("ix_msg_delivery_reports_message_key", "msg_delivery_reports", ["message_key"])
    op.create_index("ix_msg_messages_provider_ref", "msg_messages", ["provider_ref"])


def downgrade() -> None:
    op.drop_index("ix_msg_messages_provider_ref", table_name="msg_messages")
    op.drop_index("ix_msg_delivery_reports_message_key", table_name="msg_delivery_reports")
    op.drop_table("msg_delivery_reports")
