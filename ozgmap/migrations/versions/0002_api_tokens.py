"""API tokens for stewards (stored as sha256 hashes), scoped to the bodies they may write.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('bereich', sa.Text(), nullable=False),
    sa.Column('erstellt_von', sa.Text(), nullable=False),
    sa.Column('erstellt_am', sa.DateTime(), nullable=False),
    sa.Column('widerrufen_am', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )


def downgrade() -> None:
    op.drop_table('api_token')
