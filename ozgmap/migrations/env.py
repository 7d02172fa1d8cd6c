"""Alembic environment: ozgmap's own schema (ozgmap.schema.metadata), run from Store.migrate()."""
from __future__ import annotations

from alembic import context

from ozgmap.schema import metadata

config = context.config
connection = config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata,
                  render_as_batch=connection.dialect.name == "sqlite",
                  compare_type=True)
with context.begin_transaction():
    context.run_migrations()
