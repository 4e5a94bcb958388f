"""Alembic environment: runs on the connection onhand hands it (see db/migrate.py)."""

from alembic import context

from onhand.db.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
