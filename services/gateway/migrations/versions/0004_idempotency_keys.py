"""idempotency keys: POST answers kept a day by Idempotency-Key

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 08:55:00.000000
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
        "gateway_idempotency_keys",
        sa.Column("owner", sa.String(length=100), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(length=200), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("owner", "idempotency_key"),
    )
    op.create_index(
        "ix_gateway_idempotency_keys_created_at", "gateway_idempotency_keys", ["created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_gateway_idempotency_keys_created_at", table_name="gateway_idempotency_keys")
    op.drop_table("gateway_idempotency_keys")
