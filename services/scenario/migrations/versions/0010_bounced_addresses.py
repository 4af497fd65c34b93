"""bounced addresses: e-mail addresses and numbers a provider reported unusable

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sc_bounced_addresses",
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("channel", sa.String(length=30), nullable=False),
        sa.Column("customer_id", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("message_key", sa.String(length=600), nullable=False),
        sa.Column("bounced_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("address"),
    )
    op.create_index("ix_sc_bounced_addresses_customer_id", "sc_bounced_addresses", ["customer_id"])


def downgrade() -> None:
    op.drop_index("ix_sc_bounced_addresses_customer_id", table_name="sc_bounced_addresses")
    op.drop_table("sc_bounced_addresses")
