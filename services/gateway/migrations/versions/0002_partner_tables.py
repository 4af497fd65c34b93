"""partner tables

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 04:55:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('gateway_partners',
    sa.Column('partner_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('webhook_url', sa.String(length=2000), nullable=False),
    sa.Column('webhook_secret', sa.String(length=100), nullable=False),
    sa.Column('allow_private', sa.Boolean(), nullable=False),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=254), nullable=False),
    sa.PrimaryKeyConstraint('partner_id')
    )
    op.create_table('gateway_partner_deliveries',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('delivery_id', sa.String(length=36), nullable=False),
    sa.Column('partner_id', sa.String(length=36), nullable=False),
    sa.Column('event_type', sa.String(length=50), nullable=False),
    sa.Column('case_id', sa.String(length=100), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('http_status', sa.Integer(), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=False),
    sa.PrimaryKeyConstraint('seq')
    )
    with op.batch_alter_table('gateway_partner_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_gateway_partner_deliveries_partner_seq', ['partner_id', 'seq'], unique=False)

    op.create_table('gateway_partner_keys',
    sa.Column('key_id', sa.String(length=36), nullable=False),
    sa.Column('partner_id', sa.String(length=36), nullable=False),
    sa.Column('prefix', sa.String(length=32), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('scopes', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=254), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['partner_id'], ['gateway_partners.partner_id'], ),
    sa.PrimaryKeyConstraint('key_id'),
    sa.UniqueConstraint('prefix')
    )
    with op.batch_alter_table('gateway_partner_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gateway_partner_keys_partner_id'), ['partner_id'], unique=False)

    op.create_table('gateway_partner_cases',
    sa.Column('case_id', sa.String(length=100), nullable=False),
    sa.Column('partner_id', sa.String(length=36), nullable=False),
    sa.Column('customer_id', sa.String(length=200), nullable=False),
    sa.Column('entity', sa.String(length=50), nullable=False),
    sa.Column('account_number', sa.String(length=100), nullable=False),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['partner_id'], ['gateway_partners.partner_id'], ),
    sa.PrimaryKeyConstraint('case_id')
    )
    with op.batch_alter_table('gateway_partner_cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gateway_partner_cases_partner_id'), ['partner_id'], unique=False)

    op.create_table('gateway_partner_outcomes',
    sa.Column('outcome_id', sa.String(length=36), nullable=False),
    sa.Column('case_id', sa.String(length=100), nullable=False),
    sa.Column('partner_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['gateway_partner_cases.case_id'], ),
    sa.PrimaryKeyConstraint('outcome_id')
    )
    with op.batch_alter_table('gateway_partner_outcomes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gateway_partner_outcomes_case_id'), ['case_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('gateway_partner_outcomes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gateway_partner_outcomes_case_id'))
    op.drop_table('gateway_partner_outcomes')
    with op.batch_alter_table('gateway_partner_cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gateway_partner_cases_partner_id'))
    op.drop_table('gateway_partner_cases')
    with op.batch_alter_table('gateway_partner_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gateway_partner_keys_partner_id'))
    op.drop_table('gateway_partner_keys')
    with op.batch_alter_table('gateway_partner_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_gateway_partner_deliveries_partner_seq')
    op.drop_table('gateway_partner_deliveries')
    op.drop_table('gateway_partners')
