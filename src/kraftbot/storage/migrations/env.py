"""Alembic's entry point: migrations run on the connection `storage.migrate.upgrade` opened (inside
its transaction and, on PostgreSQL, its lock), against the tables the stores declare."""

from __future__ import annotations

from alembic import context

from kraftbot.storage.migrate import declared_metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=declared_metadata(), render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
