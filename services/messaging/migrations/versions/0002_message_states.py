"""message states: queued, sending, sent, delivered, bounced, read, failed, cancelled

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 01:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Batch mode: SQLite cannot alter a column in place (sent_at becomes nullable).
    with op.batch_alter_table("msg_messages") as batch:
        batch.alter_column("sent_at", existing_type=sa.DateTime(timezone=True), nullable=True)
        batch.add_column(sa.Column("entity", sa.String(length=50), nullable=False, server_default=""))
        batch.add_column(sa.Column("language", sa.String(length=10), nullable=False, server_default=""))
        batch.add_column(sa.Column("html", sa.Text(), nullable=False, server_default=""))
        # Every message stored before states existed had been handed to the provider.
        batch.add_column(sa.Column("state", sa.String(length=20), nullable=False, server_default="sent"))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("claim", sa.String(length=100), nullable=False, server_default=""))
        batch.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("last_error", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("traceparent", sa.String(length=100), nullable=False, server_default=""))
        batch.add_column(sa.Column("created_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_msg_messages_state_next", "msg_messages", ["state", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_msg_messages_state_next", table_name="msg_messages")
    with op.batch_alter_table("msg_messages") as batch:
        for column in (
            "updated_at",
            "created_at",
            "traceparent",
            "last_error",
            "claimed_at",
            "claim",
            "next_attempt_at",
            "attempts",
            "state",
            "html",
            "language",
            "entity",
        ):
            batch.drop_column(column)
        batch.alter_column("sent_at", existing_type=sa.DateTime(timezone=True), nullable=False)
