"""Tables of peer circles (issue 19): groups of 3-6 members who share themes and heritages.

A member opts in by having a `circle_profiles` row; without one they are never grouped or messaged.
A round proposes circles (`circles`, status "proposed") and owes each invitee an invitation
(`circle_invites`, leased like mentorship check-ins). Each invitee answers privately; the circle forms
when at least three, and a majority, said yes before it lapses. Invitations are history: two members
who were together in a formed circle are never grouped again (`circle_protections` keeps that for the
other members after one of them erases their data).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base
from storage.types import Snowflake

# Circle statuses.
PROPOSED = "proposed"  # invitations out, waiting for answers
FORMED = "formed"  # enough said yes: a thread is (or is being) opened for the yes-sayers
UNFORMED = "unformed"  # too few said yes before the invitations lapsed (never says who)
ENDED = "ended"  # fewer than two members remain

# What a circle owes once decided (Circle.notice): leased like an owed proposal message.
NOTICE_OPEN = "open"  # open the circle's private thread with the yes-sayers
NOTICE_CLOSED = "closed"  # tell the yes-sayers kindly that it didn't form

# Invitation statuses (CircleInvite.status).
INVITED = "invited"
YES = "yes"
NO = "no"  # private: never shown to anyone but the member
LAPSED = "lapsed"  # no answer in time
LEFT = "left"  # said yes, then left the circle (no-fault)

# Where an invitation's DM stands (CircleInvite.delivery), as for mentorship check-ins.
DELIVERY_DUE = "due"
DELIVERY_SENT = "sent"
DELIVERY_HELD = "held"  # DMs closed: held for /circle status
DELIVERY_GONE = "gone"  # the member left, or the circle closed before it went
DELIVERY_FAILED = "failed"

# Kept protection kinds (CircleProtection.kind).
PROTECT_PAST = "past"  # the two were in a formed circle together


class CircleProfile(Base):
    """A member's opt-in to peer circles."""

    __tablename__ = "circle_profiles"
    __table_args__ = (
        UniqueConstraint("guild_id", "user_id"),
        CheckConstraint("size >= 3 AND size <= 6", name="size_range"),
        CheckConstraint("window_hours IS NULL OR (window_hours >= 0 AND window_hours <= 12)", name="window_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    guild_id: Mapped[Snowflake] = mapped_column(index=True)
    user_id: Mapped[Snowflake]
    themes: Mapped[str] = mapped_column(String(400))  # theme keys, comma-separated
    heritages: Mapped[str] = mapped_column(String(200), default="", server_default="")  # the member's own words
    size: Mapped[int] = mapped_column(Integer, default=6, server_default="6")  # largest circle wanted
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    window_hours: Mapped[int | None] = mapped_column(Integer)  # largest time difference accepted; None: any
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Circle(Base):
    """One proposed circle and what became of it."""

    __tablename__ = "circles"
    __table_args__ = (Index("ix_circles_status_expires_at", "status", "expires_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    guild_id: Mapped[Snowflake] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(10), default=PROPOSED)
    points: Mapped[int] = mapped_column(Integer, default=0)
    starter_themes: Mapped[str] = mapped_column(String(400), default="", server_default="")  # keys
    starter_heritages: Mapped[str] = mapped_column(String(400), default="", server_default="")  # tags
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    thread_id: Mapped[Snowflake | None]
    # The message owed once decided (NOTICE_OPEN, NOTICE_CLOSED); `notice_due_at` is its lease while a
    # process sends it. NULL: nothing owed.
    notice: Mapped[str | None] = mapped_column(String(8))
    notice_due_at: Mapped[datetime | None] = mapped_column(index=True)
    notice_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    checkins_sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    formed_at: Mapped[datetime | None]  # when it formed (decided_at is moved on when it ends); for the funnel
    next_checkin_at: Mapped[datetime | None] = mapped_column(index=True)  # claimed by moving it on


class CircleInvite(Base):
    """One member's invitation to one circle, their private answer, and (after a yes) their membership."""

    __tablename__ = "circle_invites"
    __table_args__ = (UniqueConstraint("circle_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"), index=True)
    guild_id: Mapped[Snowflake] = mapped_column(index=True)
    user_id: Mapped[Snowflake]
    status: Mapped[str] = mapped_column(String(8), default=INVITED)
    answered_at: Mapped[datetime | None]
    left_at: Mapped[datetime | None]  # when a member who said yes left the formed circle (the funnel's 30/60/90)
    channel_id: Mapped[Snowflake | None]  # where the invitation's buttons were sent
    message_id: Mapped[Snowflake | None]
    delivery: Mapped[str] = mapped_column(String(8), default=DELIVERY_DUE)
    send_after: Mapped[datetime | None] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class CircleProtection(Base):
    """Kept for `owner_id` after the other member erased their data: the two were in a circle together.

    `pair_key` is the deployment's keyed hash of (guild, both members) (core/protection.py)."""

    __tablename__ = "circle_protections"
    __table_args__ = (UniqueConstraint("guild_id", "owner_id", "pair_key", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    guild_id: Mapped[Snowflake] = mapped_column(index=True)
    owner_id: Mapped[Snowflake]
    pair_key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime]


class CircleCheckin(Base):
    """One member's check-in ("How is your circle going?") on one day of a formed circle, and their rating.
    Its DM is leased like an invitation's (`delivery`, `send_after`, `attempts`)."""

    __tablename__ = "circle_checkins"
    __table_args__ = (
        UniqueConstraint("circle_id", "user_id", "day"),
        CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"), index=True)
    guild_id: Mapped[Snowflake] = mapped_column(index=True)
    user_id: Mapped[Snowflake]
    day: Mapped[int] = mapped_column(Integer)
    rating: Mapped[int | None] = mapped_column(Integer)
    answered_at: Mapped[datetime | None]
    delivery: Mapped[str] = mapped_column(String(8), default=DELIVERY_DUE)
    send_after: Mapped[datetime | None] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class CircleSchedule(Base):
    """A guild's recurring circle rounds (`/circles auto`). The due work leases a round (`lease_until`) and
    moves `next_round_at` on once it ran."""

    __tablename__ = "circle_schedules"

    guild_id: Mapped[Snowflake] = mapped_column(primary_key=True, autoincrement=False)
    every_days: Mapped[int] = mapped_column(Integer)
    next_round_at: Mapped[datetime] = mapped_column(index=True)
    lease_until: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class CircleLeftOut(Base):
    """A member a real round left out, and the private message that owes them: why (the solver's reason,
    `LeftOutReason`), never naming anyone. Its DM is leased like an invitation's; held when DMs are closed."""

    __tablename__ = "circle_left_outs"

    id: Mapped[int] = mapped_column(primary_key=True)
    guild_id: Mapped[Snowflake] = mapped_column(index=True)
    user_id: Mapped[Snowflake]
    reason: Mapped[str] = mapped_column(String(24))
    created_at: Mapped[datetime]
    delivery: Mapped[str] = mapped_column(String(8), default=DELIVERY_DUE)
    send_after: Mapped[datetime | None] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
