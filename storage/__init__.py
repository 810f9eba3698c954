"""Storage: models, the engine, queries and migrations."""

from storage.database import Database

__all__ = ["Database"]
