"""Record ids are never reused: the history of an id is the history of one record.

SQLite gave a new record the id of the last one deleted (``INTEGER PRIMARY KEY`` without
``AUTOINCREMENT``), so "created A, deleted A, created B" stood under one id. The table is
rebuilt with ``AUTOINCREMENT`` (rows copied as they are); on both databases the id counter is
set past every id the table or its history has ever held.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

HIGHEST = ("SELECT max(n) FROM (SELECT max(id) AS n FROM umsetzung UNION ALL "
           "SELECT max(umsetzung_id) FROM umsetzung_history) AS ids")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        with op.batch_alter_table("umsetzung", recreate="always",
                                  table_kwargs={"sqlite_autoincrement": True}):
            pass
        highest = bind.execute(sa.text(HIGHEST)).scalar() or 0
        bind.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = 'umsetzung'"))
        bind.execute(sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES ('umsetzung', :n)"),
                     {"n": highest})
    elif bind.dialect.name == "postgresql":  # a sequence never goes back, but may lag behind
        bind.execute(sa.text(
            f"SELECT setval(pg_get_serial_sequence('umsetzung', 'id'), "
            f"GREATEST(COALESCE(({HIGHEST}), 0), 1), COALESCE(({HIGHEST}), 0) > 0)"))


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        with op.batch_alter_table("umsetzung", recreate="always",
                                  table_kwargs={"sqlite_autoincrement": False}):
            pass
