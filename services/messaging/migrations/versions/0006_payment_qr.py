"""payment QR codes on e-mails and letters

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 02:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("msg_messages") as batch:
        batch.add_column(sa.Column("payment_qr_kind", sa.String(length=20), nullable=False, server_default=""))
        batch.add_column(sa.Column("payment_qr_payload", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("msg_messages") as batch:
        batch.drop_column("payment_qr_payload")
        batch.drop_column("payment_qr_kind")
