"""Who must never be proposed to whom: blocks, the protections kept after an erasure (keyed hashes of the
pair, checked against the key's fingerprint), and the exclusions a round starts from (every pair ever
proposed, every block)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.database import dialect_insert, rowcount
from storage.mentorship._common import PairKey, Proposal, row_pages
from storage.models.circles import CircleProtection
from storage.models.mentorship import (
    PROTECT_BLOCK,
    PROTECT_HISTORY,
    MentorshipBlock,
    MentorshipProtection,
    ProtectionKeyCheck,
)
from storage.models.prompt_answers import PromptAnswer


async def add_block(session: AsyncSession, guild_id: int, user_id: int, blocked_id: int, now: datetime) -> bool:
    """Record a block; False when it already existed."""
    statement = (
        dialect_insert(session, MentorshipBlock)
        .values(guild_id=guild_id, user_id=user_id, blocked_user_id=blocked_id, created_at=now)
        .on_conflict_do_nothing(index_elements=["guild_id", "user_id", "blocked_user_id"])
    )
    result = await session.execute(statement)
    return bool(rowcount(result))


async def is_blocked(session: AsyncSession, guild_id: int, first: int, second: int) -> bool:
    found = await session.scalar(
        select(MentorshipBlock.id).where(
            MentorshipBlock.guild_id == guild_id,
            or_(
                and_(MentorshipBlock.user_id == first, MentorshipBlock.blocked_user_id == second),
                and_(MentorshipBlock.user_id == second, MentorshipBlock.blocked_user_id == first),
            ),
        )
    )
    return found is not None


# ---------------------------------------------------------------- protections kept after an erasure


async def keep_protections(session: AsyncSession, guild_id: int, user_id: int, pair_key: PairKey) -> int:
    """Before `user_id`'s rows go: keep, for every other member, what protects them from this member (a
    block they made, any earlier invitation or pairing of the two) as a keyed hash of the pair they own.
    Protections the eraser made are theirs and go with the rest. Returns the protections written."""
    kept: dict[tuple[int, str], datetime] = {}

    def keep(owner: int, kind: str, since: datetime) -> None:
        if owner != user_id and ((owner, kind) not in kept or since < kept[owner, kind]):
            kept[owner, kind] = since

    for owner, since in (
        await session.execute(
            select(MentorshipBlock.user_id, MentorshipBlock.created_at).where(
                MentorshipBlock.guild_id == guild_id, MentorshipBlock.blocked_user_id == user_id
            )
        )
    ).all():
        keep(owner, PROTECT_BLOCK, since)
    for mentor, mentee, since in (
        await session.execute(
            select(Proposal.mentor_id, Proposal.mentee_id, Proposal.created_at).where(
                Proposal.guild_id == guild_id, or_(Proposal.mentor_id == user_id, Proposal.mentee_id == user_id)
            )
        )
    ).all():
        keep(mentee if mentor == user_id else mentor, PROTECT_HISTORY, since)
    if not kept:
        return 0
    rows = [
        dict(
            guild_id=guild_id, owner_id=owner, pair_key=pair_key(guild_id, owner, user_id), kind=kind, created_at=since
        )
        for (owner, kind), since in sorted(kept.items())
    ]
    statement = (
        dialect_insert(session, MentorshipProtection)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["guild_id", "owner_id", "pair_key", "kind"])
    )
    return rowcount(await session.execute(statement))


async def delete_owned_protections(session: AsyncSession, guild_id: int, user_id: int) -> int:
    """The member's own kept protections (erased with the rest of their data)."""
    result = await session.execute(
        delete(MentorshipProtection).where(
            MentorshipProtection.guild_id == guild_id, MentorshipProtection.owner_id == user_id
        )
    )
    return rowcount(result)


async def owned_protections(session: AsyncSession, guild_id: int, user_id: int) -> list[MentorshipProtection]:
    return list(
        (
            await session.scalars(
                select(MentorshipProtection)
                .where(MentorshipProtection.guild_id == guild_id, MentorshipProtection.owner_id == user_id)
                .order_by(MentorshipProtection.created_at, MentorshipProtection.id)
            )
        ).all()
    )


async def is_protected(
    session: AsyncSession, guild_id: int, first: int, second: int, pair_key: PairKey, kinds: Sequence[str]
) -> bool:
    """Whether either member holds a kept protection of one of `kinds` against the other."""
    found = await session.scalar(
        select(MentorshipProtection.id).where(
            MentorshipProtection.guild_id == guild_id,
            MentorshipProtection.pair_key == pair_key(guild_id, first, second),
            MentorshipProtection.owner_id.in_((first, second)),
            MentorshipProtection.kind.in_(kinds),
        )
    )
    return found is not None


async def protected_pairs(
    session: AsyncSession, guild_id: int, members_of: Callable[[], set[int]], pair_key: PairKey
) -> set[tuple[int, int]]:
    """Pairs of members (`members_of()`, called only when the guild keeps protections: a pool's 60,000 members
    are a 30-60 ms set to build) that a kept protection forbids, in both orders. Only owners among the members
    are looked at, and each is hashed with every other member: owners × members hashes."""
    kept = (
        await session.execute(
            select(MentorshipProtection.owner_id, MentorshipProtection.pair_key).where(
                MentorshipProtection.guild_id == guild_id
            )
        )
    ).all()
    if not kept:
        return set()
    members = members_of()
    by_owner: dict[int, set[str]] = {}
    for owner, key in kept:
        if owner in members:
            by_owner.setdefault(owner, set()).add(key)
    pairs: set[tuple[int, int]] = set()
    for owner, keys in by_owner.items():
        await asyncio.sleep(0)  # each owner is a hash per member (50,000 in a large pool): let the loop run between
        for other in members:
            if other != owner and pair_key(guild_id, owner, other) in keys:
                pairs.add((owner, other))
                pairs.add((other, owner))
    return pairs


# Rows holding a hash made with the deployment's key: kept mentorship and circle protections, and anonymous
# answers (their writer's `author_key`). With another key none of them could be recognised any more.
KEYED_HASHES = (MentorshipProtection.id, CircleProtection.id, PromptAnswer.id)


async def check_key_fingerprint(session: AsyncSession, fingerprint: str, now: datetime) -> bool:
    """Record the protection key's fingerprint, or compare it with the recorded one. False when the key
    differs while anything hashed with the old key exists (it could no longer be recognised)."""
    check = await session.get(ProtectionKeyCheck, 1)
    if check is None:
        session.add(ProtectionKeyCheck(id=1, fingerprint=fingerprint, created_at=now))
        await session.flush()
        return True
    if check.fingerprint == fingerprint:
        return True
    for keyed in KEYED_HASHES:
        if await session.scalar(select(keyed).limit(1)) is not None:
            return False
    check.fingerprint, check.created_at = fingerprint, now  # nothing was hashed with the old key
    await session.flush()
    return True


# ---------------------------------------------------------------- exclusions of a round


async def exclusions(session: AsyncSession, guild_id: int) -> set[tuple[int, int]]:
    """Every (mentor, mentee) ever proposed or paired, and every block in both directions. Read a page at a
    time, each page added before the next is read (`row_pages`): a guild of 50,000 members gathers tens of
    thousands of both."""
    pairs: set[tuple[int, int]] = set()
    proposed = select(Proposal.id, Proposal.mentor_id, Proposal.mentee_id).where(Proposal.guild_id == guild_id)
    async for page in row_pages(session, proposed, Proposal.id):
        pairs.update((mentor, mentee) for _id, mentor, mentee in page)
    blocks = select(MentorshipBlock.id, MentorshipBlock.user_id, MentorshipBlock.blocked_user_id).where(
        MentorshipBlock.guild_id == guild_id
    )
    async for page in row_pages(session, blocks, MentorshipBlock.id):
        pairs.update((user, blocked) for _id, user, blocked in page)
        pairs.update((blocked, user) for _id, user, blocked in page)
    return pairs
