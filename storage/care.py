"""Queries for support settings and reports (storage/models/care.py). They take a session and never open one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.database import dialect_insert, rowcount
from storage.guilds import ensure_settings
from storage.models.care import CareReport, CareSupport

KEEP = object()  # "leave this column as it is"


async def get_support(session: AsyncSession, guild_id: int) -> CareSupport | None:
    return await session.get(CareSupport, guild_id)


async def save_support(
    session: AsyncSession, guild_id: int, now: datetime, *, channel_id: Any = KEEP, people: Any, helplines: Any
) -> CareSupport:
    """Create or update the guild's support settings; `channel_id=KEEP` leaves the channel as it is."""
    await ensure_settings(session, guild_id, now)
    row = await session.get(CareSupport, guild_id)
    if row is None:
        row = CareSupport(guild_id=guild_id, updated_at=now)
        session.add(row)
    if channel_id is not KEEP:
        row.channel_id = channel_id
    row.people = people
    row.helplines = helplines
    row.updated_at = now
    await session.flush()
    return row


# ---------------------------------------------------------------------------------------------- reports


async def reported_before(session: AsyncSession, guild_id: int, user_id: int, message_id: int) -> CareReport | None:
    """The member's earlier report of this message, if any."""
    found = await session.scalars(
        select(CareReport).where(
            CareReport.guild_id == guild_id, CareReport.user_id == user_id, CareReport.message_id == message_id
        )
    )
    return found.first()


async def open_thread_report(session: AsyncSession, guild_id: int, user_id: int, channel_id: int) -> CareReport | None:
    """The member's report of this thread that no moderator has handled yet, if any."""
    found = await session.scalars(
        select(CareReport).where(
            CareReport.guild_id == guild_id,
            CareReport.user_id == user_id,
            CareReport.kind == "thread",
            CareReport.channel_id == channel_id,
            CareReport.handled_at.is_(None),
        )
    )
    return found.first()


async def add_report(session: AsyncSession, **values: Any) -> int | None:
    """Store a report; None when the reporter has reported this message already (the unique constraint)."""
    statement = dialect_insert(session, CareReport).values(**values).on_conflict_do_nothing().returning(CareReport.id)
    return (await session.execute(statement)).scalar_one_or_none()


async def get_report(session: AsyncSession, report_id: int) -> CareReport | None:
    return await session.get(CareReport, report_id)


async def set_posted(session: AsyncSession, report_id: int, channel_id: int, message_id: int) -> None:
    await session.execute(
        update(CareReport)
        .where(CareReport.id == report_id)
        .values(modlog_channel_id=channel_id, modlog_message_id=message_id)
    )


async def undelivered(session: AsyncSession, since: datetime, until: datetime, limit: int) -> list[tuple[int, int]]:
    """(report id, guild id) of open reports made between `since` and `until` that never reached a mod-log,
    oldest first."""
    rows = await session.execute(
        select(CareReport.id, CareReport.guild_id)
        .where(
            CareReport.modlog_message_id.is_(None),
            CareReport.handled_at.is_(None),
            CareReport.created_at > since,
            CareReport.created_at <= until,
        )
        .order_by(CareReport.id)
        .limit(limit)
    )
    return [(report_id, guild_id) for report_id, guild_id in rows]


async def mark_handled(session: AsyncSession, guild_id: int, report_id: int, moderator_id: int, now: datetime) -> bool:
    """Mark the report handled by `moderator_id`; False when it already was (a conditional update)."""
    result = await session.execute(
        update(CareReport)
        .where(CareReport.id == report_id, CareReport.guild_id == guild_id, CareReport.handled_at.is_(None))
        .values(handled_at=now, handled_by_id=moderator_id)
    )
    return rowcount(result) == 1


async def reports_involving(session: AsyncSession, guild_id: int, user_id: int) -> list[CareReport]:
    """Reports the member made, was reported in, or handled."""
    found = await session.scalars(
        select(CareReport)
        .where(
            CareReport.guild_id == guild_id,
            or_(
                CareReport.user_id == user_id,
                CareReport.reported_user_id == user_id,
                CareReport.handled_by_id == user_id,
            ),
        )
        .order_by(CareReport.id)
    )
    return list(found.all())


async def export_member(session: AsyncSession, guild_id: int, user_id: int) -> dict[str, Any]:
    """The reports the member made, in their own words. Never reports about them, nor what moderators did."""
    found = await session.scalars(
        select(CareReport).where(CareReport.guild_id == guild_id, CareReport.user_id == user_id).order_by(CareReport.id)
    )
    return {
        "reports_you_made": [
            {
                "what": "a message" if row.kind == "message" else "a pair thread",
                "link": report_link(row),
                "reason": row.reason,
                "your_words": row.details,
                "at": row.created_at.isoformat(),
            }
            for row in found
        ]
    }


def report_link(row: CareReport) -> str:
    tail = f"/{row.message_id}" if row.message_id is not None else ""
    return f"https://discord.com/channels/{row.guild_id}/{row.channel_id}{tail}"


async def delete_member(session: AsyncSession, guild_id: int, user_id: int) -> int:
    """Erase the member from every report: as reporter (their id and words), as the reported member, as the
    moderator who handled it. What moderators need to follow a report up (its reason, its link, whether it
    was handled, and when) stays, naming nobody who erased their data."""
    changed = 0
    for column, extra in (
        (CareReport.user_id, {"details": None}),
        (CareReport.reported_user_id, {}),
        (CareReport.handled_by_id, {}),
    ):
        result = await session.execute(
            update(CareReport)
            .where(CareReport.guild_id == guild_id, column == user_id)
            .values({column.key: None, **extra})
        )
        changed += rowcount(result)
    return changed
