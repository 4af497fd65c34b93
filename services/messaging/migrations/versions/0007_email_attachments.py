"""e-mail attachments: the statement and invoice PDFs a template asks for

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 08:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("msg_messages") as batch:
        batch.add_column(sa.Column("attachments", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("attachment_note", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("attached_files", sa.Text(), nullable=False, server_default="[]"))
    with op.batch_alter_table("msg_templates") as batch:
        batch.add_column(sa.Column("attach_statement", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("attach_invoices", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("msg_templates") as batch:
        batch.drop_column("attach_invoices")
        batch.drop_column("attach_statement")
    with op.batch_alter_table("msg_messages") as batch:
        batch.drop_column("attached_files")
        batch.drop_column("attachment_note")
        batch.drop_column("attachments")
