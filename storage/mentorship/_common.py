"""What the mentorship query modules share: the model aliases, the conditional update that reports whether
this caller won, and who has left the server (owed messages' lease and backoff: storage/owed.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from storage.database import rowcount
from storage.models import Departure
from storage.models.mentorship import MentorshipPairing, MentorshipProposal

Proposal = MentorshipProposal
Pairing = MentorshipPairing
PairKey = Callable[[int, int, int], str]  # (guild, member, member) → keyed hash of the pair (core/protection.py)


async def _update(session: AsyncSession, statement: Any) -> int:
    result = await session.execute(statement.execution_options(synchronize_session=False))
    return rowcount(result)


def _departed(guild_id: int) -> Any:
    """Members who left the server: out of the pool at once, though their data waits for the retention."""
    return select(Departure.user_id).where(Departure.guild_id == guild_id)


PAGE = 500  # rows loaded per statement by `paged`: building a page of ORM objects is ~25 ms of the event loop


async def paged(session: AsyncSession, statement: Select[Any], key: InstrumentedAttribute[int]) -> list[Any]:
    """Every row `statement` selects, in `key` order, a page of PAGE at a time: loading a pool of 50,000 never
    stops the event loop for the whole load. The rows come back detached (each page is expunged once read), so
    closing the session does not detach 50,000 objects in one go (60 ms of the loop, bench/round.py); use this
    in sessions that only read."""
    rows: list[Any] = []
    while True:
        page = statement if not rows else statement.where(key > getattr(rows[-1], key.key))
        found = (await session.scalars(page.order_by(key).limit(PAGE))).all()
        session.expunge_all()
        rows.extend(found)
        if len(found) < PAGE:
            return rows


ROWS_PAGE = 5000  # plain rows read per statement by `row_pages` (a few ms of the event loop each)


async def row_pages(session: AsyncSession, statement: Any, key: InstrumentedAttribute[int]) -> AsyncIterator[Any]:
    """The rows of `statement` (whose first column is `key`), in `key` order, a page of ROWS_PAGE at a time: the
    caller works through each page before the next is read, so a guild's 150,000 exclusions are never turned into
    a set in one stretch of the event loop (97 ms, bench/round.py, crowded 50k)."""
    after: Any = None
    while True:
        page = statement if after is None else statement.where(key > after)
        found = (await session.execute(page.order_by(key).limit(ROWS_PAGE))).all()
        if found:
            yield found
        if len(found) < ROWS_PAGE:
            return
        after = found[-1][0]
