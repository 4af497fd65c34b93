"""customer postal address, for letter steps

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Customers stored before keep "" until their next change from the ledger brings the address.
    with op.batch_alter_table("sc_customers") as batch:
        batch.add_column(sa.Column("street", sa.String(length=300), nullable=False, server_default=""))
        batch.add_column(sa.Column("postal_code", sa.String(length=30), nullable=False, server_default=""))
        batch.add_column(sa.Column("city", sa.String(length=200), nullable=False, server_default=""))
        batch.add_column(sa.Column("country", sa.String(length=2), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("sc_customers") as batch:
        for column in ("country", "city", "postal_code", "street"):
            batch.drop_column(column)
