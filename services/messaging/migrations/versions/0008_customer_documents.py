"""customer documents: invoice PDFs the ERP drops, by customer and item

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 09:00:00
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
        "msg_documents",
        sa.Column("document_id", sa.String(length=64), primary_key=True),
        sa.Column("customer_id", sa.String(length=200), nullable=False, index=True),
        sa.Column("entity", sa.String(length=50), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("stored_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "msg_document_items",
        sa.Column("document_id", sa.String(length=64), primary_key=True),
        sa.Column("item_id", sa.String(length=200), primary_key=True),
        sa.Column("customer_id", sa.String(length=200), nullable=False),
    )
    op.create_index("ix_msg_document_items_customer_item", "msg_document_items", ["customer_id", "item_id"])


def downgrade() -> None:
    op.drop_index("ix_msg_document_items_customer_item", table_name="msg_document_items")
    op.drop_table("msg_document_items")
    op.drop_table("msg_documents")
