"""Alembic migrations of KraftBot's database; run by `storage.migrate.upgrade`, never by hand."""
