"""letters and postal addresses

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 01:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ("letter_layout", "registered", "postal_country", "postal_lines", "postal_name")


def upgrade() -> None:
    # Batch mode: SQLite cannot add several columns with defaults in one ALTER otherwise.
    with op.batch_alter_table("msg_messages") as batch:
        batch.add_column(sa.Column("postal_name", sa.String(length=300), nullable=False, server_default=""))
        batch.add_column(sa.Column("postal_lines", sa.Text(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("postal_country", sa.String(length=2), nullable=False, server_default=""))
        batch.add_column(sa.Column("registered", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("letter_layout", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("msg_messages") as batch:
        for column in _COLUMNS:
            batch.drop_column(column)
