"""Tables of the mentorship feature.

A member opts in by having a profile (`mentor_profiles` to offer, `mentee_profiles` to ask); having
no profile means never being listed, proposed or messaged. Proposals and pairings are history: a pair
that was ever proposed is never proposed again (the unique constraint), unless a moderator forces it.
Invariants the database keeps: one proposal per (guild, mentor, mentee); a mentor's `active_count`
only grows through a guarded `UPDATE … WHERE active_count < capacity`; state changes are conditional
updates on `status`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base
from storage.types import Snowflake

# Proposal statuses.
PENDING_MENTOR = "pending_mentor"  # waiting for the mentor's answer
PENDING_MENTEE = "pending_mentee"  # the mentor said yes; waiting for the mentee
ACCEPTED = "accepted"  # both said yes; a pairing exists
DECLINED = "declined"  # one of them said no (`declined_by` says who; never shown to the other)
EXPIRED = "expired"  # nobody answered in time
CANCELLED = "cancelled"  # withdrawn (a member left, the mentor was full, a moderator ended it)
PENDING = (PENDING_MENTOR, PENDING_MENTEE)

# Pairing statuses.
ACTIVE = "active"
ENDED = "ended"

# Messages owed about a proposal (MentorshipProposal.notice).
NOTICE_INVITE = "invite"  # the mentor's invitation, from a round
NOTICE_LAPSED = "lapsed"  # the invitation lapsed: close the buttons of whoever held them

# Where a check-in's DM stands (MentorshipCheckin.delivery).
DELIVERY_DUE = "due"
DELIVERY_SENT = "sent"
DELIVERY_HELD = "held"  # DMs closed: held for /mentor status, never retried
DELIVERY_GONE = "gone"  # the member left or the pairing ended before it went
DELIVERY_FAILED = "failed"  # Discord kept failing: given up after MAX_ATTEMPTS, logged


class MentorProfile(Base):
    """A member's offer to mentor."""

    __tablename__ = "mentor_profiles"
    __table_args__ = (
        UniqueConstraint("guild_id", "user_id"),
        CheckConstraint("capacity >= 1 AND capacity <= 5", name="capacity_range"),
        CheckConstraint("active_count >= 0", name="active_count_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    guild_id: Mapped[Snowflake] = mapped_column(index=True)
    user_id: Mapped[Snowflake]
    themes: Mapped[str] = mapped_column(String(400))  # theme keys, comma-separated
    not_covered: Mapped[str] = mapped_column(String(400), default="", server_default="")
    heritages: Mapped[str] = mapped_column(String(200), default="", server_default="")  # the member's own words
    languages: Mapped[str] = mapped_column(String(200), default="", server_default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    capacity: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    active_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    bio: Mapped[str | None] = mapped_column(String(300))
    paused: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    paused_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class MenteeProfile(Base):
    """A member's request for a mentor."""

    __tablename__ = "mentee_profiles"
    __table_args__ = (UniqueConstraint("guild_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    guild_id: Mapped[Snowflake] = mapped_column(index=True)
    user_id: Mapped[Snowflake]
    themes: Mapped[str] = mapped_column(String(400))
    heritages: Mapped[str] = mapped_column(String(200), default="", server_default="")
    languages: Mapped[str] = mapped_column(String(200), default="", server_default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    heritage_preference: Mapped[str] = mapped_column(String(8), default="any", server_default="any")
    max_timezone_gap_hours: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(String(300))
    paused: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    paused_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class MentorshipProposal(Base):
    """One proposed pair, answered by the mentor first and then the mentee."""

    __tablename__ = "mentorship_proposals"
    __table_args__ = (
        UniqueConstraint("guild_id", "mentor_id", "mentee_id"),
        Index("ix_mentorship_proposals_status_expires_at", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    guild_id: Mapped[Snowflake] = mapped_column(index=True)
    mentor_id: Mapped[Snowflake]
    mentee_id: Mapped[Snowflake]
    status: Mapped[str] = mapped_column(String(16), default=PENDING_MENTOR)
    score: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str] = mapped_column(String(300), default="")
    shared_themes: Mapped[str] = mapped_column(String(400), default="", server_default="")
    forced: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    declined_by: Mapped[str | None] = mapped_column(String(8))  # "mentor" or "mentee"; private
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    mentor_answered_at: Mapped[datetime | None]
    mentee_answered_at: Mapped[datetime | None]
    mentor_channel_id: Mapped[Snowflake | None]  # where the mentor's buttons were sent (DM or thread)
    mentor_message_id: Mapped[Snowflake | None]
    mentee_channel_id: Mapped[Snowflake | None]
    mentee_message_id: Mapped[Snowflake | None]
    # A message owed about this proposal (NOTICE_INVITE, NOTICE_LAPSED), sent by the due work at or after
    # `notice_due_at`. While a process sends it, `notice_due_at` is its lease; a process that died leaves
    # the lease to run out and the next run takes it over. NULL: nothing owed.
    notice: Mapped[str | None] = mapped_column(String(8))
    notice_due_at: Mapped[datetime | None] = mapped_column(index=True)
    notice_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class MentorshipPairing(Base):
    """A mentor and a mentee who both said yes."""

    __tablename__ = "mentorship_pairings"

    id: Mapped[int] = mapped_column(primary_key=True)
    guild_id: Mapped[Snowflake] = mapped_column(index=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("mentorship_proposals.id", ondelete="CASCADE"), index=True)
    mentor_id: Mapped[Snowflake]
    mentee_id: Mapped[Snowflake]
    status: Mapped[str] = mapped_column(String(8), default=ACTIVE)
    thread_id: Mapped[Snowflake | None]
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    ended_by: Mapped[str | None] = mapped_column(String(16))  # mentor, mentee, moderator, left, privacy
    feedback: Mapped[str | None] = mapped_column(Text)  # private; never posted anywhere
    checkins_sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_checkin_at: Mapped[datetime | None] = mapped_column(index=True)


class MentorshipCheckin(Base):
    """One member's answer to one check-in ("How is it going?")."""

    __tablename__ = "mentorship_checkins"
    __table_args__ = (
        UniqueConstraint("pairing_id", "user_id", "day"),
        CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pairing_id: Mapped[int] = mapped_column(ForeignKey("mentorship_pairings.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[Snowflake]
    day: Mapped[int] = mapped_column(Integer)
    rating: Mapped[int | None] = mapped_column(Integer)
    sent_at: Mapped[datetime]  # when it fell due; once delivered, when it was sent
    answered_at: Mapped[datetime | None]
    # DELIVERY_DUE until settled: sent, held for /mentor status (DMs closed), gone (member or pairing gone)
    # or failed (gave up after MAX_ATTEMPTS). While due, `send_after` is when it may be tried (a lease while
    # a process sends it, a backoff after a failure).
    delivery: Mapped[str] = mapped_column(String(8), default="sent", server_default="sent")
    send_after: Mapped[datetime | None] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class MentorshipBlock(Base):
    """Confidential: never propose `blocked_user_id` to or for `user_id`."""

    __tablename__ = "mentorship_blocks"
    __table_args__ = (UniqueConstraint("guild_id", "user_id", "blocked_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    guild_id: Mapped[Snowflake] = mapped_column(index=True)
    user_id: Mapped[Snowflake]
    blocked_user_id: Mapped[Snowflake]
    created_at: Mapped[datetime]


class MentorshipSchedule(Base):
    """A guild's recurring rounds. The due handler claims a round by moving `next_round_at` on."""

    __tablename__ = "mentorship_schedules"

    guild_id: Mapped[Snowflake] = mapped_column(primary_key=True, autoincrement=False)
    every_days: Mapped[int] = mapped_column(Integer)
    next_round_at: Mapped[datetime] = mapped_column(index=True)
    last_round_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    # Set while a process runs the due round: until then nobody else takes it. `next_round_at` moves on in
    # the same transaction that creates the round's proposals; a process that died leaves the lease to run out.
    lease_until: Mapped[datetime | None]


# Protection kinds.
PROTECT_BLOCK = "block"  # the owner blocked the other member
PROTECT_HISTORY = "history"  # the two were proposed or paired before (declined, ended, lapsed…)


class MentorshipProtection(Base):
    """A protection kept for `owner_id` after the *other* member's data was erased.

    `pair_key` is HMAC-SHA256 of (guild, both member ids) with the deployment's protection key
    (core/protection.py); the other member's id is not stored. Matching and `/pairing create` recognise
    the pair again if the erased member opts in later.
    """

    __tablename__ = "mentorship_protections"
    __table_args__ = (
        UniqueConstraint("guild_id", "owner_id", "pair_key", "kind"),
        Index("ix_mentorship_protections_guild_id_pair_key", "guild_id", "pair_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    guild_id: Mapped[Snowflake]
    owner_id: Mapped[Snowflake]
    pair_key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime]  # when the block or the first invitation was made, never when the erasure was


class ProtectionKeyCheck(Base):
    """One row: a fingerprint of the protection key the hashes were made with (never the key itself)."""

    __tablename__ = "protection_key_check"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


# Owed messages to members that belong to no single proposal step (MentorshipNote.kind).
NOTE_REMIND = "remind"  # 24 hours before an invitation lapses: once per invitation and role, with its buttons
NOTE_PAUSED = "paused"  # two invitations in a row lapsed: paused, and told how to come back
NOTE_UNMATCHED = "unmatched"  # after a round: why no mentor was found, when the next round runs, one suggestion
NOTE_NUDGE = "nudge"  # in the pair thread a few days after it opens: "Have you two found a time?"

# Answers to the pair-thread nudge (MentorshipMeeting.answer).
MET = "met"
NOT_YET = "not_yet"
NOT_WORKING = "not_working"


class MentorshipNote(Base):
    """A message Lantern owes a member (or a pair thread), sent by the due work exactly once.

    `key` is unique per guild (e.g. "remind:12:mentor", "unmatched:<round>:<member>"), so owing the same
    message twice inserts nothing. Delivery is leased like a check-in's: while `delivery` is "due",
    `send_after` is when it may be tried (a lease while a process sends it, a backoff after a failure);
    it settles as sent, held (DMs closed: kept for /mentor status), gone or failed. `user_id` is NULL for a
    message to the pair thread of `pairing_id`. `body` holds the words of an unmatched explanation, which
    are computed when the round runs.
    """

    __tablename__ = "mentorship_notes"
    __table_args__ = (UniqueConstraint("guild_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    guild_id: Mapped[Snowflake] = mapped_column(index=True)
    user_id: Mapped[Snowflake | None]
    kind: Mapped[str] = mapped_column(String(12))
    key: Mapped[str] = mapped_column(String(80))
    proposal_id: Mapped[int | None] = mapped_column(
        ForeignKey("mentorship_proposals.id", ondelete="CASCADE"), index=True
    )
    pairing_id: Mapped[int | None] = mapped_column(ForeignKey("mentorship_pairings.id", ondelete="CASCADE"), index=True)
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    delivery: Mapped[str] = mapped_column(String(8), default=DELIVERY_DUE)
    send_after: Mapped[datetime | None] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class MentorshipMeeting(Base):
    """One member's answer to "Have you two found a time?" (the latest one counts)."""

    __tablename__ = "mentorship_meetings"
    __table_args__ = (UniqueConstraint("pairing_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pairing_id: Mapped[int] = mapped_column(ForeignKey("mentorship_pairings.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[Snowflake]
    answer: Mapped[str] = mapped_column(String(12))
    answered_at: Mapped[datetime]


class MentorshipGoal(Base):
    """One of a pair's one to three goals, written together in their thread; shared by both members."""

    __tablename__ = "mentorship_goals"
    __table_args__ = (
        UniqueConstraint("pairing_id", "position"),
        CheckConstraint("position >= 1 AND position <= 3", name="position_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pairing_id: Mapped[int] = mapped_column(ForeignKey("mentorship_pairings.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime]
