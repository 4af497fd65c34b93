"""next review date for the daily pass

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 00:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Null: not evaluated under this rule yet, so the first daily pass after the upgrade looks at everyone.
    op.add_column("sc_customers", sa.Column("next_review_on", sa.Date(), nullable=True))
    op.create_index("ix_sc_customers_next_review_on", "sc_customers", ["next_review_on"])


def downgrade() -> None:
    op.drop_index("ix_sc_customers_next_review_on", table_name="sc_customers")
    op.drop_column("sc_customers", "next_review_on")
