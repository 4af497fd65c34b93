"""item versions: a counter per entity of changes to its items, and the version each item last changed at

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 10:30:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('mat_item_versions',
    sa.Column('entity', sa.String(length=50), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('entity')
    )
    with op.batch_alter_table('mat_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_index('ix_mat_items_entity_seq', ['entity', 'seq'], unique=False)
    # Items stored before: at version 0 of their entity, which a service holding the items loads whole.
    op.execute('INSERT INTO mat_item_versions (entity, version) SELECT DISTINCT entity, 0 FROM mat_items')


def downgrade() -> None:
    with op.batch_alter_table('mat_items', schema=None) as batch_op:
        batch_op.drop_index('ix_mat_items_entity_seq')
        batch_op.drop_column('seq')
    op.drop_table('mat_item_versions')
