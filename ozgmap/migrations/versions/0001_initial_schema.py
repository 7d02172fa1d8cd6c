"""Initial schema: catalogue, Gebiete, implementations with history, import log.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('gebiet',
    sa.Column('ags', sa.String(length=8), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('bez', sa.Text(), nullable=False),
    sa.Column('ebene', sa.String(length=8), nullable=False),
    sa.Column('kreis_ags', sa.String(length=5), nullable=True),
    sa.PrimaryKeyConstraint('ags')
    )
    with op.batch_alter_table('gebiet', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gebiet_kreis_ags'), ['kreis_ags'], unique=False)

    op.create_table('import_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('datei', sa.Text(), nullable=False),
    sa.Column('format', sa.String(length=32), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('von', sa.Text(), nullable=False),
    sa.Column('am', sa.DateTime(), nullable=False),
    sa.Column('added', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('deleted', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('lage',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('themenfeld_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('leika',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('leika_key', sa.String(length=14), nullable=True),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('typ', sa.String(length=32), nullable=True),
    sa.Column('ozg_id', sa.String(length=16), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('leika_key')
    )
    with op.batch_alter_table('leika', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_leika_ozg_id'), ['ozg_id'], unique=False)

    op.create_table('leistung',
    sa.Column('ozg_id', sa.String(length=16), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('lage_id', sa.Integer(), nullable=True),
    sa.Column('themenfeld_id', sa.Integer(), nullable=True),
    sa.Column('kommunal', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('ozg_id')
    )
    with op.batch_alter_table('leistung', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_leistung_themenfeld_id'), ['themenfeld_id'], unique=False)

    op.create_table('meta',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('themenfeld',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('umsetzung',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ags', sa.String(length=8), nullable=False),
    sa.Column('ozg_id', sa.String(length=16), nullable=False),
    sa.Column('leika_key', sa.String(length=14), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('reifegrad', sa.Integer(), nullable=True),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('seit', sa.Date(), nullable=True),
    sa.Column('flaechendeckung', sa.Text(), nullable=False),
    sa.Column('quelle', sa.Text(), nullable=False),
    sa.Column('stelle', sa.Text(), nullable=False),
    sa.Column('erfasst_von', sa.Text(), nullable=False),
    sa.Column('erfasst_am', sa.DateTime(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('ags', 'ozg_id', 'leika_key', name='uq_umsetzung_key')
    )
    with op.batch_alter_table('umsetzung', schema=None) as batch_op:
        batch_op.create_index('ix_umsetzung_ozg', ['ozg_id'], unique=False)

    op.create_table('umsetzung_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('umsetzung_id', sa.Integer(), nullable=False),
    sa.Column('aktion', sa.String(length=16), nullable=False),
    sa.Column('ags', sa.String(length=8), nullable=False),
    sa.Column('ozg_id', sa.String(length=16), nullable=False),
    sa.Column('leika_key', sa.String(length=14), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('reifegrad', sa.Integer(), nullable=True),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('seit', sa.Date(), nullable=True),
    sa.Column('flaechendeckung', sa.Text(), nullable=False),
    sa.Column('quelle', sa.Text(), nullable=False),
    sa.Column('stelle', sa.Text(), nullable=False),
    sa.Column('erfasst_von', sa.Text(), nullable=False),
    sa.Column('erfasst_am', sa.DateTime(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('umsetzung_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_umsetzung_history_umsetzung_id'), ['umsetzung_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('umsetzung_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_umsetzung_history_umsetzung_id'))

    op.drop_table('umsetzung_history')
    with op.batch_alter_table('umsetzung', schema=None) as batch_op:
        batch_op.drop_index('ix_umsetzung_ozg')

    op.drop_table('umsetzung')
    op.drop_table('themenfeld')
    op.drop_table('meta')
    with op.batch_alter_table('leistung', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_leistung_themenfeld_id'))

    op.drop_table('leistung')
    with op.batch_alter_table('leika', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_leika_ozg_id'))

    op.drop_table('leika')
    op.drop_table('lage')
    op.drop_table('import_run')
    with op.batch_alter_table('gebiet', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gebiet_kreis_ags'))

    op.drop_table('gebiet')
