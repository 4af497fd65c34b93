"""allocation line versions: each allocation line carries its entity and the item version it was made or reversed at

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 16:40:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('mat_allocation_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('entity', sa.String(length=50), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_index('ix_mat_allocation_lines_entity_seq', ['entity', 'seq'], unique=False)
    # Lines made before carry version 0: their items were stamped themselves (mat_items.seq) when they were made.
    op.execute(
        'UPDATE mat_allocation_lines SET entity = (SELECT a.entity FROM mat_allocations a '
        'WHERE a.allocation_id = mat_allocation_lines.allocation_id)'
    )


def downgrade() -> None:
    with op.batch_alter_table('mat_allocation_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_mat_allocation_lines_entity_seq')
        batch_op.drop_column('seq')
        batch_op.drop_column('entity')
