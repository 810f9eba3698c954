"""Queries for what follows an invitation and a pairing: owed notes, lapse streaks, did-you-meet answers,
goals and the longer funnel. They take a session; they never open one.

Owed notes (`MentorshipNote`) follow the pattern of the package's due work (storage/mentorship/__init__.py):
a note is owed by inserting its row (its `key` unique per guild, so owing it again inserts nothing: once), in
the transaction that decides it is owed; each delivery is then leased (`lease_notes`, LEASE) and settled
(sent / held / gone / failed). A process that dies between the lease and the message leaves a lease that
runs out, and the next run takes it over, sending again with the same nonce (which Discord drops within
minutes).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypedDict, Unpack

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.database import dialect_insert, rowcount
from storage.mentorship._common import _departed, _update, paged
from storage.models.mentorship import (
    CANCELLED,
    DECLINED,
    DELIVERY_DUE,
    DELIVERY_FAILED,
    EXPIRED,
    MET,
    NOTE_NUDGE,
    NOTE_PAUSED,
    NOTE_REMIND,
    NOTE_UNMATCHED,
    PENDING,
    PENDING_MENTEE,
    PENDING_MENTOR,
    MentorProfile,
    MentorshipCheckin,
    MentorshipGoal,
    MentorshipMeeting,
    MentorshipNote,
    MentorshipPairing,
    MentorshipProposal,
)
from storage.owed import MAX_ATTEMPTS, backoff, lease_owed, owned_guilds

Proposal = MentorshipProposal
Pairing = MentorshipPairing
Note = MentorshipNote

NUDGE_AFTER = timedelta(days=4)  # "a few days" after the pair thread opens: "Have you two found a time?"
REMIND_BEFORE = timedelta(hours=24)  # the reminder goes this long before an invitation lapses
MAX_GOALS = 3
GOAL_LENGTH = 200


# ---------------------------------------------------------------- owed notes


class NoteFields(TypedDict, total=False):
    """What a note may carry besides its guild, key and kind: when it is due (default: now), whom it goes to (a
    member, or a proposal's or pairing's people), and its text when the kind's own wording needs one."""

    due_at: datetime | None
    user_id: int | None
    proposal_id: int | None
    pairing_id: int | None
    body: str | None


def _note(guild_id: int, key: str, kind: str, *, now: datetime, **fields: Unpack[NoteFields]) -> dict[str, Any]:
    """The row of an owed note."""
    return {
        "guild_id": guild_id,
        "key": key,
        "kind": kind,
        "user_id": fields.get("user_id"),
        "proposal_id": fields.get("proposal_id"),
        "pairing_id": fields.get("pairing_id"),
        "body": fields.get("body"),
        "created_at": now,
        "delivery": DELIVERY_DUE,
        "send_after": fields.get("due_at") or now,
        "attempts": 0,
    }


async def _owe(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> int:
    """Owe notes; a key owed before (sent or not) inserts nothing. How many were owed.

    One compiled statement sent with the rows as parameters (SQLAlchemy batches them into multi-row inserts);
    RETURNING counts the rows inserted on both databases."""
    statement = (
        dialect_insert(session, Note).on_conflict_do_nothing(index_elements=["guild_id", "key"]).returning(Note.id)
    )
    return len((await session.execute(statement, list(rows))).all())


async def owe_note(
    session: AsyncSession, guild_id: int, key: str, kind: str, *, now: datetime, **fields: Unpack[NoteFields]
) -> bool:
    """Owe a note, once: False when a note with this key was owed before (sent or not)."""
    return bool(await _owe(session, [_note(guild_id, key, kind, now=now, **fields)]))


OWE_BATCH = 100  # notes per statement in `owe_notes` (about 20 ms of the event loop each at most)


async def owe_notes(
    session: AsyncSession,
    guild_id: int,
    kind: str,
    owed: Sequence[tuple[str, int, str | None]],
    *,
    now: datetime,
) -> int:
    """Owe many notes of one `kind` in one guild at once, each `(key, member, words)` once (a key owed before
    inserts nothing): a round's thousands of explanations in a few statements. How many were owed."""
    total = 0
    for start in range(0, len(owed), OWE_BATCH):  # a statement per batch: the event loop runs between them
        rows = [
            _note(guild_id, key, kind, now=now, user_id=user, body=body)
            for key, user, body in owed[start : start + OWE_BATCH]
        ]
        total += await _owe(session, rows)
    return total


NOTE_BATCH = 100  # notes leased at once: each batch goes out well within its lease


async def lease_notes(
    session: AsyncSession,
    now: datetime,
    owns: Callable[[int], bool],
    ids: Sequence[int] | None = None,
    limit: int = NOTE_BATCH,
) -> list[Note]:
    """Take the lease on up to `limit` due notes (or due ones among `ids`): exactly one caller wins each; a
    lease left by a process that died is taken over once it has run out. Only guilds this process `owns`,
    chosen before the limit so that other processes' notes never fill the batch."""
    is_due = [Note.delivery == DELIVERY_DUE, Note.send_after <= now]
    if ids is not None:
        is_due.append(Note.id.in_(list(ids)))
    return await lease_owed(session, Note, Note.send_after, is_due, owns, now, limit)


async def settle_note(session: AsyncSession, note_id: int, delivery: str) -> None:
    await _update(
        session,
        update(Note)
        .where(Note.id == note_id, Note.delivery == DELIVERY_DUE)
        .values(delivery=delivery, send_after=None),
    )


async def retry_note(session: AsyncSession, note_id: int, now: datetime) -> bool:
    """Discord failed: try again after the backoff. False when it has failed MAX_ATTEMPTS times (given up)."""
    note = await session.get(Note, note_id, populate_existing=True)
    if note is None or note.delivery != DELIVERY_DUE:
        return False
    note.attempts += 1
    if note.attempts >= MAX_ATTEMPTS:
        note.delivery, note.send_after = DELIVERY_FAILED, None
        return False
    note.send_after = now + backoff(note.attempts)
    return True


# A settled note is kept this long (its words are the member's data), then deleted. Reminders, unmatched
# explanations and did-you-meet nudges are never owed again once delivered (their keys name a proposal,
# a round or a pairing already past); a pause note is kept, because it starts the member's next streak.
NOTES_KEPT = timedelta(days=90)
PURGED_KINDS = (NOTE_REMIND, NOTE_UNMATCHED, NOTE_NUDGE)


async def purge_settled_notes(session: AsyncSession, now: datetime, kept: timedelta = NOTES_KEPT) -> int:
    """Delete reminders, unmatched explanations and nudges settled (sent, held, gone, failed) longer ago than
    `kept`; how many."""
    result = await session.execute(
        delete(Note).where(Note.kind.in_(PURGED_KINDS), Note.delivery != DELIVERY_DUE, Note.created_at < now - kept)
    )
    return rowcount(result)


async def notes_for(session: AsyncSession, guild_id: int, user_id: int) -> list[Note]:
    return list(
        (
            await session.scalars(
                select(Note).where(Note.guild_id == guild_id, Note.user_id == user_id).order_by(Note.id)
            )
        ).all()
    )


# ---------------------------------------------------------------- reminders and lapses


def awaited_role(proposal: Proposal) -> str | None:
    return {PENDING_MENTOR: "mentor", PENDING_MENTEE: "mentee"}.get(proposal.status)


REMIND_BATCH = 500  # invitations looked at per write: a round of thousands lapsing tomorrow goes in short writes


async def owe_reminders(
    session: AsyncSession, now: datetime, owns: Callable[[int], bool], after: int = 0, limit: int = REMIND_BATCH
) -> tuple[int, int | None]:
    """Owe one reminder per open invitation and role, 24 hours before it lapses, looking at up to `limit`
    invitations past id `after` (guilds this process `owns`, chosen before the limit). An invitation asked less
    than a day before that moment (a short expiry) gets none: it was just sent. Returns how many were owed and
    the id to go on after, or None once this was the last batch."""
    is_due = [
        Proposal.status.in_(PENDING),
        Proposal.expires_at > now,
        Proposal.expires_at <= now + REMIND_BEFORE,
        Proposal.id > after,
        # not reminded at this stage yet (each tick would otherwise try again, inserting nothing)
        ~select(Note.id)
        .where(
            Note.proposal_id == Proposal.id,
            Note.kind == NOTE_REMIND,
            Note.created_at >= func.coalesce(Proposal.mentor_answered_at, Proposal.created_at),
        )
        .exists(),
    ]
    owned = await owned_guilds(session, select(Proposal.guild_id).where(*is_due), owns)
    if not owned:
        return 0, None
    due = (
        await session.execute(
            select(
                Proposal.id,
                Proposal.guild_id,
                Proposal.status,
                Proposal.mentor_id,
                Proposal.mentee_id,
                Proposal.created_at,
                Proposal.mentor_answered_at,
                Proposal.expires_at,
            )
            .where(*is_due, Proposal.guild_id.in_(owned))
            .order_by(Proposal.id)
            .limit(limit)
        )
    ).all()
    notes = []
    for row in due:
        role = "mentor" if row.status == PENDING_MENTOR else "mentee"
        asked = row.created_at if role == "mentor" else row.mentor_answered_at
        if asked is None or row.expires_at - asked < 2 * REMIND_BEFORE:
            continue
        key = f"remind:{row.id}:{role}:{int(asked.timestamp())}"
        user_id = row.mentor_id if role == "mentor" else row.mentee_id
        notes.append(_note(row.guild_id, key, NOTE_REMIND, now=now, user_id=user_id, proposal_id=row.id))
    owed = await _owe(session, notes) if notes else 0
    return owed, (due[-1].id if len(due) == limit else None)


def lapsed_by(proposal: Proposal) -> int | None:
    """Whose silence let an expired invitation lapse (the member it waited for), else None."""
    if proposal.status != EXPIRED:
        return None
    return proposal.mentor_id if proposal.mentor_answered_at is None else proposal.mentee_id


async def lapsed_twice(session: AsyncSession, guild_id: int, user_id: int) -> bool:
    """Whether the last two invitations this member was asked (and that closed) both lapsed unanswered.

    Invitations withdrawn before they closed (cancelled) don't count either way; a mentee's invitation
    counts only once their mentor said yes (before that they were never asked). Only invitations asked after
    the member's last pause for lapses count, so resuming starts a fresh streak."""
    since = await session.scalar(
        select(func.max(Note.created_at)).where(
            Note.guild_id == guild_id, Note.user_id == user_id, Note.kind == NOTE_PAUSED
        )
    )
    rows = (
        await session.scalars(
            select(Proposal)
            .where(
                Proposal.guild_id == guild_id,
                Proposal.status.not_in((*PENDING, CANCELLED)),
                or_(
                    Proposal.mentor_id == user_id,
                    and_(
                        Proposal.mentee_id == user_id,
                        Proposal.mentor_answered_at.is_not(None),
                        or_(Proposal.declined_by.is_(None), Proposal.declined_by != "mentor"),
                    ),
                ),
            )
            .execution_options(populate_existing=True)  # expire_due's objects are stale in this session
        )
    ).all()
    asked: list[tuple[datetime, int, bool]] = []
    for proposal in rows:
        when = proposal.created_at if proposal.mentor_id == user_id else proposal.mentor_answered_at
        if when is None or (since is not None and when < since):
            continue
        if proposal.status == DECLINED and proposal.declined_by is None:
            continue
        asked.append((when, proposal.id, lapsed_by(proposal) == user_id))
    asked.sort()
    return len(asked) >= 2 and all(lapsed for _when, _id, lapsed in asked[-2:])


# ---------------------------------------------------------------- did you meet


async def answer_meeting(session: AsyncSession, pairing_id: int, user_id: int, answer: str, now: datetime) -> None:
    """Record (or replace) the member's answer to "Have you two found a time?"."""
    statement = dialect_insert(session, MentorshipMeeting).values(
        pairing_id=pairing_id, user_id=user_id, answer=answer, answered_at=now
    )
    statement = statement.on_conflict_do_update(
        index_elements=["pairing_id", "user_id"], set_={"answer": answer, "answered_at": now}
    )
    await session.execute(statement)


async def owe_nudge(session: AsyncSession, pairing: Pairing, now: datetime, after: timedelta = NUDGE_AFTER) -> bool:
    return await owe_note(
        session, pairing.guild_id, f"nudge:{pairing.id}", NOTE_NUDGE, now=now, due_at=now + after, pairing_id=pairing.id
    )


# ---------------------------------------------------------------- goals


async def goals_of(session: AsyncSession, pairing_ids: Sequence[int]) -> dict[int, list[str]]:
    if not pairing_ids:
        return {}
    found: dict[int, list[str]] = {}
    for goal in (
        await session.scalars(
            select(MentorshipGoal)
            .where(MentorshipGoal.pairing_id.in_(list(pairing_ids)))
            .order_by(MentorshipGoal.pairing_id, MentorshipGoal.position)
        )
    ).all():
        found.setdefault(goal.pairing_id, []).append(goal.text)
    return found


async def set_goals(session: AsyncSession, pairing_id: int, texts: Sequence[str], now: datetime) -> None:
    """Replace the pair's goals with `texts` (one to three, already checked)."""
    await session.execute(delete(MentorshipGoal).where(MentorshipGoal.pairing_id == pairing_id))
    session.add_all(
        MentorshipGoal(pairing_id=pairing_id, position=position, text=text, updated_at=now)
        for position, text in enumerate(texts, 1)
    )
    await session.flush()


# ---------------------------------------------------------------- the funnel beyond "accepted"


async def funnel_after(session: AsyncSession, guild_id: int, now: datetime) -> dict[str, Any]:
    """Met, still active at 30/60/90 days (of the pairings old enough to tell), rated, nudge answers, goals."""
    pairings = (
        await session.execute(
            select(Pairing.id, Pairing.started_at, Pairing.ended_at).where(Pairing.guild_id == guild_id)
        )
    ).all()
    ids = [row.id for row in pairings]
    answers: dict[str, int] = {}
    met: set[int] = set()
    for pairing_id, answer in (
        await session.execute(
            select(MentorshipMeeting.pairing_id, MentorshipMeeting.answer).where(MentorshipMeeting.pairing_id.in_(ids))
        )
    ).all():
        answers[answer] = answers.get(answer, 0) + 1
        if answer == MET:
            met.add(pairing_id)
    lasted = {}
    for days in (30, 60, 90):
        span = timedelta(days=days)
        lasted[days] = sum(
            1
            for row in pairings
            if row.started_at + span <= now and (row.ended_at is None or row.ended_at - row.started_at >= span)
        )
    rated = await session.scalar(
        select(func.count(func.distinct(MentorshipCheckin.pairing_id))).where(
            MentorshipCheckin.pairing_id.in_(ids), MentorshipCheckin.rating.is_not(None)
        )
    )
    with_goals = await session.scalar(
        select(func.count(func.distinct(MentorshipGoal.pairing_id))).where(MentorshipGoal.pairing_id.in_(ids))
    )
    goals = await session.scalar(
        select(func.count()).select_from(MentorshipGoal).where(MentorshipGoal.pairing_id.in_(ids))
    )
    return {
        "met": len(met),
        "lasted": lasted,
        "rated": int(rated or 0),
        "answers": answers,
        "pairs_with_goals": int(with_goals or 0),
        "goals": int(goals or 0),
        "pairings": len(pairings),
    }


async def delete_member_rows(session: AsyncSession, guild_id: int, user_id: int) -> int:
    """A member's own notes and meeting answers (pairing-bound rows go with the pairing, by cascade)."""
    removed = rowcount(
        await session.execute(
            delete(Note)
            .where(Note.guild_id == guild_id, Note.user_id == user_id)
            .execution_options(synchronize_session=False)
        )
    )
    pairing_ids = select(Pairing.id).where(Pairing.guild_id == guild_id)
    removed += rowcount(
        await session.execute(
            delete(MentorshipMeeting)
            .where(MentorshipMeeting.user_id == user_id, MentorshipMeeting.pairing_id.in_(pairing_ids))
            .execution_options(synchronize_session=False)
        )
    )
    return removed


async def opted_in_mentors(session: AsyncSession, guild_id: int) -> list[MentorProfile]:
    """Every mentor of the guild still in the server (paused or not): an unmatched explanation weighs them all."""
    return await paged(
        session,
        select(MentorProfile).where(
            MentorProfile.guild_id == guild_id, MentorProfile.user_id.not_in(_departed(guild_id))
        ),
        MentorProfile.id,
    )
