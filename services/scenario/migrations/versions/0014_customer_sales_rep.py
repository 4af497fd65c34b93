"""the customer's sales rep, to whom the disputes owned by sales are assigned

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26 08:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Customers stored before keep "" until their next change from the ledger brings the sales rep.
    with op.batch_alter_table("sc_customers") as batch:
        batch.add_column(sa.Column("sales_rep", sa.String(length=200), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("sc_customers") as batch:
        batch.drop_column("sales_rep")
