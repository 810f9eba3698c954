"""What the circle queries share: the pair-key function kept protections are hashed with, and a conditional
update that says how many rows it changed (owed messages' lease and backoff: storage/owed.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.database import rowcount

PairKey = Callable[[int, int, int], str]


async def _update(session: AsyncSession, statement: Any) -> int:
    return rowcount(await session.execute(statement.execution_options(synchronize_session=False)))
