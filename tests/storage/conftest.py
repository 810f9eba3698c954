"""Fixtures shared by the storage tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from storage import Database
from storage.migrate import upgrade_to_head


@pytest.fixture
async def two_databases(db_url: str) -> AsyncIterator[tuple[Database, Database]]:
    """Two `Database` handles on one migrated database, standing for two processes (or two devices' requests)."""
    first, second = Database(db_url), Database(db_url)
    first.prepare()
    await upgrade_to_head(first)
    yield first, second
    await first.dispose()
    await second.dispose()
