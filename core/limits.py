"""Rate limits on everything a member can repeat that writes or posts, kept in the database so that a
restart doesn't reset them (storage/limits.py). Time comes from `bot.clock()`.

Check before doing anything (`check`), count the use once it succeeded (`record`, inside the action's
own write when it has one), so a refusal changes nothing and a failed attempt costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import CoolingDown
from core.privacy import PrivacyProvider
from storage import limits as store
from storage.database import Reader

if TYPE_CHECKING:
    from bot import LanternBot


@dataclass(frozen=True)
class Limit:
    """At most `uses` per `per` for each member of a guild."""

    action: str  # stored; at most 32 characters, never renamed
    uses: int
    per: timedelta
    reason: str  # the first sentence of the refusal

    def retry_after(self, recent: list[datetime], now: datetime) -> timedelta | None:
        """None if another use is allowed now; else how long until it is. `recent`: uses in the window, oldest first."""
        if len(recent) < self.uses:
            return None
        return recent[len(recent) - self.uses] + self.per - now


HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

INTRO_WRITE = Limit("intro_write", 10, HOUR, "You've saved your introduction 10 times in the last hour.")
INTRO_DELETE = Limit("intro_delete", 3, DAY, "You've deleted your introduction 3 times today.")
MENTOR_OFFER = Limit("mentor_offer", 10, HOUR, "You've updated your mentor offer 10 times in the last hour.")
MENTOR_REQUEST = Limit("mentor_request", 10, HOUR, "You've updated your mentor request 10 times in the last hour.")
PROMPT_SUGGEST = Limit("prompt_suggest", 5, DAY, "You've suggested 5 prompts today: thank you!")
PRIVACY_EXPORT = Limit("privacy_export", 3, DAY, "I've sent you 3 copies of your data today.")
RESOURCE_SHARE = Limit("resource_share", 5, timedelta(minutes=10), "You've shared 5 links in the last few minutes.")
CIRCLE_JOIN = Limit("circle_join", 10, HOUR, "You've updated your peer-circle preferences 10 times in the last hour.")
REPORT = Limit("report", 5, HOUR, "You've sent 5 reports to the moderators in the last hour; they have them all.")

LIMITS = (
    INTRO_WRITE,
    INTRO_DELETE,
    MENTOR_OFFER,
    MENTOR_REQUEST,
    PROMPT_SUGGEST,
    PRIVACY_EXPORT,
    RESOURCE_SHARE,
    CIRCLE_JOIN,
    REPORT,
)
MAX_PENDING_RESOURCES = 10  # a member's submissions waiting for review at once


async def check_in(reader: Reader, limit: Limit, guild_id: int, user_id: int, now: datetime) -> bool:
    """Raise CoolingDown (with when to try again) if the member has used up `limit`. Returns whether uses older
    than the window are left for `record` to forget (pass it as `forget=`)."""
    since = now - limit.per
    used = await store.uses(reader, guild_id, user_id, limit.action)
    wait = limit.retry_after([at for at in used if at > since], now)
    if wait is not None:
        raise CoolingDown(limit.reason, wait)
    return any(at <= since for at in used)


async def check(bot: LanternBot, limit: Limit, guild_id: int, user_id: int) -> None:
    """`check_in` in a read of its own (a plain connection: `Database.rows()`)."""
    async with bot.db.rows() as connection:
        await check_in(connection, limit, guild_id, user_id, bot.clock())


async def record(
    session: AsyncSession, limit: Limit, guild_id: int, user_id: int, now: datetime, *, forget: bool = True
) -> None:
    """Count one use of `limit` (in the action's own write session), forgetting the uses older than its window
    unless `forget` is False (`check_in` at the same `now` found none)."""
    await store.record_use(session, guild_id, user_id, limit.action, now, keep=limit.per, forget=forget)


async def record_now(bot: LanternBot, limit: Limit, guild_id: int, user_id: int) -> None:
    """`record` in a write of its own, for actions whose writes happen elsewhere."""
    async with bot.db.write() as session:
        await record(session, limit, guild_id, user_id, bot.clock())


PROVIDER = PrivacyProvider(
    name="Limits",
    summary=(
        "When you last wrote or deleted your intro, updated a mentoring profile, suggested a prompt, shared a "
        "link, sent a report or exported your data, so that the limits on how often hold after a restart. "
        "Kept a day at most."
    ),
    tables=("rate_limit_uses",),
    export=store.export_member,
    delete=store.delete_member,
)
