"""What mentor pairing stores about a member, for `/privacy show`, `export` and `delete`.

Export never reveals what the other person did privately (a mentor's decline, a block against the
member, the other's feedback or ratings): a mentee sees only invitations their mentor accepted.

Delete ends active pairings politely (the other member is told after the deletion commits) and removes
every row about the member, including blocks they made and blocks against them. A protection belongs
to the person it protects: before the rows go, what protects each *other* member from this one (their
block, any earlier invitation or pairing of the two) is kept as a keyed hash of the pair that member
owns (core/protection.py), so the eraser can't come back to be proposed to them. Protections the
eraser owns go with the rest of their data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, event, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.privacy import PrivacyProvider
from storage import mentorship as store
from storage.database import rowcount
from storage.mentorship import followups
from storage.models.mentorship import (
    PROTECT_BLOCK,
    PROTECT_HISTORY,
    MenteeProfile,
    MentorProfile,
    MentorshipBlock,
    MentorshipCheckin,
    MentorshipGoal,
    MentorshipMeeting,
    MentorshipNote,
    MentorshipPairing,
    MentorshipProposal,
)

if TYPE_CHECKING:
    from cogs.mentorship.cog import Mentorship

TABLES = (
    "mentor_profiles",
    "mentee_profiles",
    "mentorship_proposals",
    "mentorship_pairings",
    "mentorship_checkins",
    "mentorship_blocks",
    "mentorship_protections",
    "mentorship_notes",
    "mentorship_meetings",
    "mentorship_goals",
)

KEPT_WHY = (
    "Kept for you after the other member's data was erased, so that you two are never proposed to each "
    "other again. I keep no name or id of theirs, only a keyed fingerprint of the pair."
)
KEPT_KINDS = {
    PROTECT_BLOCK: "you chose never to be paired with this member",
    PROTECT_HISTORY: "you two were invited or paired before",
}


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _profile(profile: MentorProfile | MenteeProfile | None, fields: tuple[str, ...]) -> dict[str, Any] | None:
    if profile is None:
        return None
    data = {name: getattr(profile, name) for name in fields}
    data["paused_until"] = _when(profile.paused_until)
    data["created_at"] = _when(profile.created_at)
    return data


async def export(session: AsyncSession, guild_id: int, user_id: int) -> dict[str, Any]:
    offer = await store.get_mentor(session, guild_id, user_id)
    request = await store.get_mentee(session, guild_id, user_id)
    proposals = (
        await session.scalars(
            select(MentorshipProposal).where(
                MentorshipProposal.guild_id == guild_id,
                or_(
                    MentorshipProposal.mentor_id == user_id,
                    # a mentee only ever heard of proposals their mentor had accepted (a mentor's decline also
                    # sets mentor_answered_at, and is never shown to the mentee)
                    (MentorshipProposal.mentee_id == user_id)
                    & MentorshipProposal.mentor_answered_at.is_not(None)
                    & or_(MentorshipProposal.declined_by.is_(None), MentorshipProposal.declined_by != "mentor"),
                ),
            )
        )
    ).all()
    pairings = await store.pairings(session, guild_id, user_id=user_id, status=None)
    checkins = (
        await session.scalars(
            select(MentorshipCheckin)
            .join(MentorshipPairing, MentorshipPairing.id == MentorshipCheckin.pairing_id)
            .where(MentorshipPairing.guild_id == guild_id, MentorshipCheckin.user_id == user_id)
        )
    ).all()
    blocks = (
        await session.scalars(
            select(MentorshipBlock).where(MentorshipBlock.guild_id == guild_id, MentorshipBlock.user_id == user_id)
        )
    ).all()
    kept = await store.owned_protections(session, guild_id, user_id)
    goals = await followups.goals_of(session, [p.id for p in pairings])
    answers = (
        await session.scalars(
            select(MentorshipMeeting).where(
                MentorshipMeeting.user_id == user_id, MentorshipMeeting.pairing_id.in_([p.id for p in pairings])
            )
        )
    ).all()
    owed = await followups.notes_for(session, guild_id, user_id)

    def role_of(row: Any) -> str:
        return "mentor" if row.mentor_id == user_id else "mentee"

    return {
        "mentor_offer": _profile(
            offer, ("themes", "not_covered", "heritages", "languages", "timezone", "capacity", "bio", "paused")
        ),
        "mentor_request": _profile(
            request,
            (
                "themes",
                "heritages",
                "languages",
                "timezone",
                "heritage_preference",
                "max_timezone_gap_hours",
                "note",
                "paused",
            ),
        ),
        "proposals": [
            {
                "id": p.id,
                "your_role": role_of(p),
                "with_user_id": p.mentee_id if role_of(p) == "mentor" else p.mentor_id,
                "reason": p.reason,
                "your_answer": "declined"
                if p.declined_by == role_of(p)
                else ("accepted" if getattr(p, f"{role_of(p)}_answered_at") else "none"),
                "created_at": _when(p.created_at),
            }
            for p in proposals
        ],
        "pairings": [
            {
                "id": p.id,
                "your_role": role_of(p),
                "with_user_id": p.mentee_id if role_of(p) == "mentor" else p.mentor_id,
                "status": p.status,
                "started_at": _when(p.started_at),
                "ended_at": _when(p.ended_at),
                "your_feedback": p.feedback if p.ended_by == role_of(p) else None,
            }
            for p in pairings
        ],
        # A pair's goals are shared: written by either member for both, so each member's export has them.
        "pair_goals": [{"pairing_id": pairing_id, "goals": texts} for pairing_id, texts in sorted(goals.items())],
        "did_you_meet_answers": [
            {"pairing_id": a.pairing_id, "answer": a.answer, "answered_at": _when(a.answered_at)} for a in answers
        ],
        "messages_to_you": [
            {"kind": n.kind, "words": n.body, "delivery": n.delivery, "created_at": _when(n.created_at)} for n in owed
        ],
        "checkin_ratings": [{"pairing_id": c.pairing_id, "day": c.day, "rating": c.rating} for c in checkins],
        "blocks_you_made": [{"user_id": b.blocked_user_id, "created_at": _when(b.created_at)} for b in blocks],
        "kept_after_the_other_member_erased_their_data": [
            {"what": KEPT_KINDS.get(k.kind, k.kind), "since": _when(k.created_at), "why": KEPT_WHY} for k in kept
        ],
    }


def make_provider(cog: Mentorship) -> PrivacyProvider:
    async def delete_member(session: AsyncSession, guild_id: int, user_id: int) -> int:
        now = cog.bot.clock()
        ended = []
        for pairing in await store.pairings(session, guild_id, user_id=user_id):
            done = await store.end_pairing(session, pairing.id, ended_by="privacy", now=now)
            if done is not None:
                ended.append(done)
        cancelled = await store.cancel_pending_for(session, guild_id, user_id)
        await store.keep_protections(session, guild_id, user_id, cog.bot.protection.pair)
        theirs = or_(MentorshipPairing.mentor_id == user_id, MentorshipPairing.mentee_id == user_id)
        pairing_ids = select(MentorshipPairing.id).where(MentorshipPairing.guild_id == guild_id, theirs)
        proposal_ids = select(MentorshipProposal.id).where(
            MentorshipProposal.guild_id == guild_id,
            or_(MentorshipProposal.mentor_id == user_id, MentorshipProposal.mentee_id == user_id),
        )
        removed = await followups.delete_member_rows(session, guild_id, user_id)
        for statement in (
            # A pair's goals, answers and notes go with the pairing (it is deleted for both: see PRIVACY.md).
            delete(MentorshipGoal).where(MentorshipGoal.pairing_id.in_(pairing_ids)),
            delete(MentorshipMeeting).where(MentorshipMeeting.pairing_id.in_(pairing_ids)),
            delete(MentorshipNote).where(
                or_(MentorshipNote.pairing_id.in_(pairing_ids), MentorshipNote.proposal_id.in_(proposal_ids))
            ),
            delete(MentorshipCheckin).where(MentorshipCheckin.pairing_id.in_(pairing_ids)),
            delete(MentorshipPairing).where(MentorshipPairing.guild_id == guild_id, theirs),
            delete(MentorshipProposal).where(
                MentorshipProposal.guild_id == guild_id,
                or_(MentorshipProposal.mentor_id == user_id, MentorshipProposal.mentee_id == user_id),
            ),
            delete(MentorshipBlock).where(
                MentorshipBlock.guild_id == guild_id,
                or_(MentorshipBlock.user_id == user_id, MentorshipBlock.blocked_user_id == user_id),
            ),
        ):
            result = await session.execute(statement.execution_options(synchronize_session=False))
            removed += rowcount(result)
        removed += await store.delete_profiles(session, guild_id, user_id)
        removed += await store.delete_owned_protections(session, guild_id, user_id)

        def after_commit(_session: Any) -> None:
            cog.spawn(cog.after_departure(user_id, ended, cancelled))

        if ended or cancelled:
            event.listen(session.sync_session, "after_commit", after_commit, once=True)
        return removed

    return PrivacyProvider(
        name="Mentor pairing",
        summary=(
            "Your offer to mentor or request for a mentor, the invitations and pairings you were part of, "
            'your check-in ratings, your pair\'s goals and your answers to "Have you two found a time?", the '
            "messages I owed you (reminders, pause notices, why a round found nobody) and anyone you chose "
            "never to be paired with. If someone you blocked or were "
            "paired with erases their data, I keep only a keyed fingerprint of the pair, so you two are never "
            "proposed again."
        ),
        tables=TABLES,
        export=export,
        delete=delete_member,
    )
