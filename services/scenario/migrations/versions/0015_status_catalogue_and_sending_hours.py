"""the item statuses and the entities' sending hours, configured and versioned

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-25 13:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # No row means the shipped defaults: the status catalogue in the code, the send_slots setting Monday to Friday.
    op.create_table(
        "sc_status_catalogues",
        sa.Column("scope", sa.String(length=50), nullable=False),
        sa.Column("statuses", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope"),
    )
    op.create_table(
        "sc_sending_hours",
        sa.Column("entity", sa.String(length=50), nullable=False),
        sa.Column("weekdays", sa.Text(), nullable=False),
        sa.Column("slots", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("entity"),
    )


def downgrade() -> None:
    op.drop_table("sc_sending_hours")
    op.drop_table("sc_status_catalogues")
