"""Records get the Stand of their source (``datenstand_pvog_import``) and a Hinweis (the
dashboard's ``begruendung_nicht_beruecksichtigt``).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

TABLES = ('umsetzung', 'umsetzung_history')


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('stand', sa.Date(), nullable=True))
            batch.add_column(sa.Column('hinweis', sa.Text(), nullable=False, server_default=''))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column('hinweis')
            batch.drop_column('stand')
