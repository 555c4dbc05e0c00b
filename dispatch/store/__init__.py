"""Persistence: tables, migrations and the repository (the only user of SQLModel).

Typical start-up::

    db = open_database(settings.database_url)
    db.migrate()
    repo = Repository(db)
"""

from dispatch.store.database import Database, normalise_url, open_database
from dispatch.store.repository import Repository
from dispatch.store.riders import normalise_phone
from dispatch.store.tokens import hash_token, new_token, token_matches

__all__ = [
    "Database",
    "Repository",
    "hash_token",
    "new_token",
    "normalise_phone",
    "normalise_url",
    "open_database",
    "token_matches",
]
