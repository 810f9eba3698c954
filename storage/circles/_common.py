"""What the circle queries share: the lease on an owed message, the backoff between its tries, the pair-key
function kept protections are hashed with, and a conditional update that says how many rows it changed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.database import rowcount

PairKey = Callable[[int, int, int], str]
LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 10


async def _update(session: AsyncSession, statement: Any) -> int:
    return rowcount(await session.execute(statement.execution_options(synchronize_session=False)))


def _backoff(attempts: int) -> timedelta:
    return min(timedelta(minutes=1) * (2 ** min(max(attempts - 1, 0), 16)), timedelta(minutes=30))
