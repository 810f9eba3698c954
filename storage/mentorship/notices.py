"""A proposal's owed message (its invitation, its lapse notice): leased, then settled or retried after a
backoff (LEASE, MAX_ATTEMPTS), so a process that dies before sending it leaves it to the next run."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.mentorship._common import Proposal, _update
from storage.owed import MAX_ATTEMPTS, backoff, lease_owed

NOTICE_BATCH = 100  # owed messages leased at once: each batch goes out well within its lease


async def lease_notices(
    session: AsyncSession,
    now: datetime,
    owns: Callable[[int], bool],
    ids: Sequence[int] | None = None,
    limit: int = NOTICE_BATCH,
) -> list[Proposal]:
    """Take the lease on up to `limit` owed proposal messages (due ones, or due ones among `ids`): exactly one
    caller wins each, and a lease left by a process that died is taken over once it has run out. Only guilds
    this process `owns`, chosen before the limit so that other processes' messages never fill the batch."""
    is_due = [Proposal.notice.is_not(None), Proposal.notice_due_at <= now]
    if ids is not None:
        is_due.append(Proposal.id.in_(list(ids)))
    return await lease_owed(session, Proposal, Proposal.notice_due_at, is_due, owns, now, limit)


async def settle_notice(session: AsyncSession, proposal_id: int, notice: str) -> None:
    """The owed message went (or can never go: the message is gone): nothing is owed any more."""
    await _update(
        session,
        update(Proposal)
        .where(Proposal.id == proposal_id, Proposal.notice == notice)
        .values(notice=None, notice_due_at=None, notice_attempts=0),
    )


async def retry_notice(session: AsyncSession, proposal_id: int, notice: str, now: datetime) -> bool:
    """Discord failed: try again after the backoff. False when it has failed MAX_ATTEMPTS times (given up)."""
    proposal = await session.get(Proposal, proposal_id, populate_existing=True)
    if proposal is None or proposal.notice != notice:
        return False
    attempts = proposal.notice_attempts + 1
    if attempts >= MAX_ATTEMPTS:
        proposal.notice, proposal.notice_due_at, proposal.notice_attempts = None, None, attempts
        return False
    proposal.notice_due_at, proposal.notice_attempts = now + backoff(attempts), attempts
    return True
