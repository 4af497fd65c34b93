"""report running totals

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 08:25:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _day_totals(name: str) -> None:
    op.create_table(
        name,
        sa.Column('level', sa.String(length=20), nullable=False),
        sa.Column('node', sa.String(length=200), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('entity', sa.String(length=50), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('micros', sa.BigInteger(), nullable=False),
        sa.Column('items', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('level', 'node', 'day', 'entity', 'currency'),
    )


def upgrade() -> None:
    # Created empty: a database that already holds read models gets its totals from `opendso reports rebuild`
    # (or ReportRepository.recompute_totals).
    for name, extra in (('rep_open_totals', []), ('rep_status_totals', ['status_code', 'since'])):
        op.create_table(
            name,
            sa.Column('level', sa.String(length=20), nullable=False),
            sa.Column('day', sa.Date(), nullable=False),
            sa.Column('node', sa.String(length=200), nullable=False),
            sa.Column('entity', sa.String(length=50), nullable=False),
            sa.Column('currency', sa.String(length=3), nullable=False),
            sa.Column('due_date', sa.Date(), nullable=False),
            sa.Column('delay_days', sa.Integer(), nullable=False),
            sa.Column('promised', sa.SmallInteger(), nullable=False),
            *(
                [sa.Column('status_code', sa.String(length=100), nullable=False), sa.Column('since', sa.Date(), nullable=False)]
                if extra
                else []
            ),
            sa.Column('micros', sa.BigInteger(), nullable=False),
            sa.Column('items', sa.BigInteger(), nullable=False),
            sa.PrimaryKeyConstraint(
                'level', 'day', 'node', 'entity', 'currency', 'due_date', 'delay_days', 'promised', *extra
            ),
        )
    _day_totals('rep_sales_totals')
    _day_totals('rep_receipt_totals')


def downgrade() -> None:
    op.drop_table('rep_receipt_totals')
    op.drop_table('rep_sales_totals')
    op.drop_table('rep_status_totals')
    op.drop_table('rep_open_totals')
