"""When a prompt schedule is due, and step 1 of posting (posting.py): claiming its latest due slot.

After downtime only the latest missed slot is claimed (at most one catch-up post per schedule); a schedule
whose stored cadence can't be worked out any more is paused and the mod-log told. `SlotClaims` is that part
of `PromptPoster`; the functions here also give the schedule commands a schedule's next run and description.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from cogs.prompts.cadence import format_time, latest_due, next_run, parse_cadence, parse_time
from core import timezones
from core.text import truncate
from storage import prompts as queries
from storage.models.prompts import PromptSchedule

if TYPE_CHECKING:
    from bot import LanternBot

log = logging.getLogger(__name__)

CLAIM_BATCH = 200  # schedules claimed per write transaction (a few milliseconds of the SQLite writer each)
# After each batch, claiming rests this many times as long as the batch took: it keeps far ahead of posting (200
# claims a batch, 48 posts a second), and the event loop is never taken up by claims for seconds on end, with
# members' commands waiting behind every batch's callbacks.
CLAIM_REST = 1.0
UNREADABLE = "its cadence or time can't be read"


def guild_zone(name: str | None) -> ZoneInfo:
    try:
        return timezones.zone(name or "UTC")  # an IANA name or a fixed offset like UTC+05:30
    except ValueError:
        return ZoneInfo("UTC")


def schedule_next_run(schedule: PromptSchedule, zone: ZoneInfo, after: datetime) -> datetime:
    hour, minute = parse_time(schedule.time)
    return next_run(
        parse_cadence(schedule.cadence), hour, minute, zone, after, anchor=date.fromisoformat(schedule.anchor)
    )


def describe_schedule(schedule: PromptSchedule, zone_name: str, labels: dict[str, str] | None = None) -> str:
    hour, minute = parse_time(schedule.time)
    when = f"{parse_cadence(schedule.cadence).describe()} at {format_time(hour, minute)} ({zone_name})"
    names = [(labels or {}).get(key, key) for key in schedule.theme_keys]
    themes = ", ".join(names) if names else "all themes"
    thread = "with a thread" if schedule.thread else "no thread"
    return f"#{schedule.id} · <#{schedule.channel_id}> · {when} · {themes} · {thread}"


# What a schedule's latest due slot and next run depend on: its cadence, time, zone and first missed run (and, for
# `every N days`, its anchor).
SlotKey = tuple[str, str, ZoneInfo, datetime, date | None]


def slot_and_next(
    schedule: PromptSchedule, zone: ZoneInfo, now: datetime, known: dict[SlotKey, tuple[datetime, datetime]]
) -> tuple[datetime, datetime]:
    """The schedule's latest slot due at `now` and the run after it, from `known` when a schedule alike was
    worked out earlier in the run (each costs a quarter of a millisecond: 10,000 would hold the loop 2.6 s)."""
    cadence, (hour, minute) = parse_cadence(schedule.cadence), parse_time(schedule.time)
    day = date.fromisoformat(schedule.anchor)  # read first: one that can't be read fails here, memo or not
    key = (schedule.cadence, schedule.time, zone, schedule.next_run_at, day if cadence.kind == "every" else None)
    found = known.get(key)
    if found is None:
        slot = latest_due(cadence, hour, minute, zone, schedule.next_run_at, now, anchor=day)
        found = known[key] = (slot, next_run(cadence, hour, minute, zone, slot, anchor=day))
    return found


class SlotClaims:
    """Claiming due slots: the part of `PromptPoster` (posting.py) that decides what is due."""

    bot: LanternBot

    def serves(self, guild_id: int) -> bool:  # pragma: no cover - PromptPoster's
        raise NotImplementedError

    async def tell_modlog(self, guild_id: int, title: str, detail: str) -> None:  # pragma: no cover - PromptPoster's
        raise NotImplementedError

    async def claim_due(self, now: datetime) -> int:
        """Step 1: claim the latest due slot of every due schedule this process owns; how many were claimed.

        In batches of CLAIM_BATCH schedules, one short write each, so members' writes are never held up behind
        a backlog's claims. A schedule whose stored cadence or time can't be worked out any more is paused (and
        the mod-log told) instead of failing the step for every other schedule."""
        claimed = 0
        broken: list[PromptSchedule] = []
        zones: dict[int, ZoneInfo] = {}
        slots: dict[SlotKey, tuple[datetime, datetime]] = {}
        after_id = 0
        while True:
            began = time.perf_counter()
            async with self.bot.db.write() as session:
                batch = await queries.due_schedules(session, now, after_id=after_id, limit=CLAIM_BATCH)
                claimed += await self.claim_batch(session, batch, now, zones, broken, slots)
            if len(batch) < CLAIM_BATCH:
                break
            after_id = batch[-1].id
            await asyncio.sleep((time.perf_counter() - began) * CLAIM_REST)
        for schedule in broken:
            detail = (
                f"I can't work out when schedule #{schedule.id} in <#{schedule.channel_id}> is due "
                f"(`{truncate(schedule.cadence, 40)}` at `{truncate(schedule.time, 10)}`), so it is paused. "
                f"Remove it with `/prompts unschedule schedule:{schedule.id}` and make it again "
                "with `/prompts schedule`."
            )
            await self.tell_modlog(schedule.guild_id, f"Prompt schedule #{schedule.id} paused", detail)
        return claimed

    async def claim_batch(
        self,
        session: AsyncSession,
        batch: Sequence[PromptSchedule],
        now: datetime,
        zones: dict[int, ZoneInfo],
        broken: list[PromptSchedule],
        slots: dict[SlotKey, tuple[datetime, datetime]] | None = None,
    ) -> int:
        """Claim the latest due slot of each schedule in `batch` and advance its next run. `zones` and `slots`
        carry what one run has already worked out (guild timezones; the slot and next run of a cadence, time,
        zone and first missed run), so a backlog of schedules alike, thousands due at 09:00, works each out once."""
        slots = {} if slots is None else slots
        claims: list[tuple[PromptSchedule, datetime]] = []
        following_of: dict[int, datetime] = {}
        batch = [schedule for schedule in batch if self.serves(schedule.guild_id)]
        unknown = {schedule.guild_id for schedule in batch} - zones.keys()
        if unknown:
            named = await queries.guild_timezones(session, unknown)
            zones.update({guild_id: guild_zone(named.get(guild_id)) for guild_id in unknown})
        for schedule in batch:
            zone = zones[schedule.guild_id]
            try:
                slot, following = slot_and_next(schedule, zone, now, slots)
            except Exception:
                log.exception(
                    "prompt schedule %s (guild %s) can't be worked out; pausing it", schedule.id, schedule.guild_id
                )
                schedule.paused, schedule.paused_reason = True, UNREADABLE
                broken.append(schedule)
                continue
            claims.append((schedule, slot))
            following_of[schedule.id] = following
        claimed = await queries.claim_slots(session, claims, now)
        for schedule, _ in claims:
            schedule.next_run_at = following_of[schedule.id]
        return claimed
