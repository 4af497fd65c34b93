"""name versions: a counter per entity of changes to its customers' names and aliases

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 08:05:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('mat_name_versions',
    sa.Column('entity', sa.String(length=50), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('entity')
    )


def downgrade() -> None:
    op.drop_table('mat_name_versions')
