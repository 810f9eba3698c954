"""The consent flow of peer circles, in Discord: invitations, private answers, the circle's thread, leaving.

Database work happens in short units of work; Discord is only called after they close. Private messages
go by DM through mentor pairing's delivery (`Flow.send_private`): DMs closed means held for the member
(core/held.py), never posted where someone else could read it. Nobody is told who said no or who didn't
answer; a member who leaves is "a member".
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

import discord

from cogs.circles.views import invite_view
from cogs.intros.tags import tag_label
from cogs.mentorship import rules
from core import permissions
from core.channels import configured_channel
from core.errors import FeatureNotConfigured, NotAllowed
from core.jobs import guild_unavailable, is_retryable
from core.text import join_words, plural
from engine.circles import REASON_TEXT, LeftOutReason
from storage import circles as store
from storage.circles import invites as store_invites
from storage.circles import rounds as store_rounds
from storage.guilds import enabled_themes
from storage.models.circles import (
    DELIVERY_FAILED,
    DELIVERY_GONE,
    DELIVERY_HELD,
    DELIVERY_SENT,
    FORMED,
    LAPSED,
    NOTICE_OPEN,
    PROPOSED,
    YES,
    Circle,
    CircleInvite,
    CircleLeftOut,
    CircleSchedule,
)

if TYPE_CHECKING:
    from bot import LanternBot
    from cogs.mentorship.flow import Flow as MentorFlow

log = logging.getLogger(__name__)

FEATURE = "Peer circles"
EXPIRY = timedelta(days=3)
THREAD_NEEDS = ("view_channel", "create_private_threads", "send_messages_in_threads")
SAID_YES = (
    "Thank you for saying yes! If at least three people (and most of those invited) say yes, I'll open a "
    "private thread for the circle and add you to it. Until then there's nothing you need to do."
)
SAID_NO = "No problem at all: nobody is told, and you stay in the pool for future circles."
NOT_OPEN = "This invitation is no longer open. Thank you! Nothing is needed from you."
LAPSED_TEXT = "This invitation has closed. No problem at all: nobody is told, and you stay in the pool."
UNFORMED_TEXT = (
    "The circle you said yes to didn't come together this time: that's nobody's fault, and I never say "
    "who answered what. You stay in the pool for the next round. Thank you for saying yes!"
)
MEMBER_LEFT = "A member has left the circle. That's nobody's fault: lives and needs change. The circle carries on."
CIRCLE_ENDED = "Fewer than two members remain, so this circle has ended. Thank you all for the time you gave. 🌱"


WIDEST_WINDOW = 12  # hours: the largest timezone window `/circle join` takes
WINDOW_REASONS = (LeftOutReason.NO_ONE_IN_WINDOW, LeftOutReason.TOO_FEW_TO_GROUP, LeftOutReason.NO_THREE_TOGETHER)


def left_out_text(
    guild_name: str,
    reason: LeftOutReason,
    window_hours: int | None,
    themes: str,
    schedule: CircleSchedule | None,
    now: datetime,
) -> str:
    """What a member a round left out is told: the solver's own reason (it never names or hints at anyone),
    when the next round runs if rounds are scheduled, and one thing they could change."""
    lines = [
        f"I formed peer circles in **{guild_name}** just now, and this round I couldn't place you in one.",
        REASON_TEXT[reason],
    ]
    if schedule is not None:
        following = schedule.next_round_at
        if following <= now:  # the round that just ran is still this schedule's current one
            following = rules.next_round_at(following, schedule.every_days, now)
        lines.append(f"The next round runs {discord.utils.format_dt(following, 'f')}; you stay in the pool for it.")
    else:
        lines.append("You stay in the pool for the next round.")
    if reason in WINDOW_REASONS and window_hours is not None and window_hours < WIDEST_WINDOW:
        lines.append(
            f"One thing that may help: a wider timezone window (yours is {plural(window_hours, 'hour')}). "
            "`/circle join` with a larger `window` changes it."
        )
    else:
        count = len(rules.split_keys(themes))
        lines.append(
            f"One thing that may help: adding a theme (you have {plural(count, 'theme')}), so more circles can "
            "share one with you. "
            "`/circle join` with more `themes` changes it."
        )
    lines.append("Nobody else is told about this message.")
    return "\n".join(lines)


class CircleFlow:
    """Everything that talks to members about circles."""

    def __init__(self, bot: LanternBot) -> None:
        self.bot = bot

    @property
    def mentor_flow(self) -> MentorFlow:
        cog = self.bot.get_cog("Mentorship")
        if cog is None:  # pragma: no cover - loaded before circles
            raise NotAllowed("Peer circles need mentor pairing, which is switched off on this bot right now.")
        return cast(Any, cog).flow

    def reachable(self, guild_id: int) -> bool:
        return self.bot.owns_guild(guild_id) and not guild_unavailable(self.bot, guild_id)

    async def channel(self, guild: discord.Guild) -> discord.TextChannel | None:
        async with self.bot.db.read() as session:
            try:
                return await configured_channel(
                    session, guild, "mentorship_channel_id", feature=FEATURE, option="mentorship"
                )
            except FeatureNotConfigured:
                return None

    async def describe(self, guild_id: int, circle: Circle) -> str:
        async with self.bot.db.read() as session:
            themes = await enabled_themes(session, guild_id)
        parts = []
        shared = rules.theme_labels(rules.split_keys(circle.starter_themes), themes)
        if shared:
            parts.append(f"themes: {join_words(shared)}")
        heritages = [tag_label(tag) for tag in rules.split_keys(circle.starter_heritages)]
        if heritages:
            parts.append(f"heritages: {join_words(heritages)}")
        return "; ".join(parts)

    # ------------------------------------------------------------ invitations

    async def send_invites(self, now: datetime, circle_ids: list[int] | None = None) -> int:
        """Send owed invitations (or those of `circle_ids`), a batch at a time, each leased so that exactly one
        process sends it; one failing never stops the others. Returns how many settled."""
        size = store_invites.INVITE_BATCH

        async def lease(at: datetime) -> list[CircleInvite]:
            async with self.bot.db.write() as session:
                return await store_invites.lease_invites(session, at, self.reachable, circle_ids, size)

        return await self.bot.jobs.drain(
            lease, self.deliver_invite, size=size, now=now, whom=lambda invite: [invite.user_id]
        )

    async def deliver_invite(self, invite: CircleInvite, at: datetime) -> bool:
        """One leased invitation, settled (or left for its retry); whether it settled."""
        try:
            delivery, message = await self.send_invite(invite)
        except Exception as error:
            await self.invite_failed(invite, at, error)
            return False
        async with self.bot.db.write() as session:
            await store.settle_invite(
                session, invite.id, delivery, message.channel.id if message else None, message.id if message else None
            )
        return True

    async def send_invite(self, invite: CircleInvite) -> tuple[str, discord.Message | None]:
        guild = self.bot.get_guild(invite.guild_id)
        async with self.bot.db.read() as session:
            circle = await store.get_circle(session, invite.circle_id)
            size = len(await store.invites_of(session, invite.circle_id))
        if guild is None or circle is None or circle.status != PROPOSED:
            return DELIVERY_GONE, None
        shared = await self.describe(guild.id, circle)
        text = "\n".join(
            [
                f"Hello! In **{guild.name}** I'm forming a peer circle of {size} members, and I'd like to invite you.",
                f"What you share: {shared}." if shared else "You're all within each other's timezone windows.",
                "The others are asked too, privately. If at least three say yes by "
                f"{discord.utils.format_dt(circle.expires_at, 'f')}, I'll open a private thread for those who did.",
                "Would you like to join? Saying no is always fine: nobody is told, "
                "and nobody learns who answered what.",
            ]
        )
        flow = self.mentor_flow
        delivery, message = await flow.send_private(
            guild, invite.user_id, text, view=invite_view(invite.id), nonce=f"circle:{invite.id}"
        )
        return {"sent": DELIVERY_SENT, "held": DELIVERY_HELD}.get(delivery, DELIVERY_GONE), message

    async def invite_failed(self, invite: CircleInvite, now: datetime, error: Exception) -> None:
        if isinstance(error, discord.HTTPException) and not is_retryable(error):
            async with self.bot.db.write() as session:
                await store.settle_invite(session, invite.id, DELIVERY_FAILED)
            log.info("circle invitation %s can't be delivered (%s); settled", invite.id, error)
            return
        async with self.bot.db.write() as session:
            again = await store.retry_invite(session, invite.id, now, DELIVERY_FAILED)
        log.log(
            logging.WARNING if invite.attempts == 0 or not again else logging.DEBUG,
            "circle invitation %s failed (%s); %s",
            invite.id,
            error,
            "tried again later" if again else "given up",
        )

    # ------------------------------------------------------------ members a round left out

    async def send_left_outs(self, now: datetime) -> int:
        """Tell each member a real round left out why, once: a batch at a time, each leased like an invitation;
        one failing never stops the others. Returns how many settled."""
        size = store_rounds.LEFT_OUT_BATCH

        async def lease(at: datetime) -> list[CircleLeftOut]:
            async with self.bot.db.write() as session:
                return await store_rounds.lease_left_outs(session, at, self.reachable, size)

        return await self.bot.jobs.drain(
            lease, self.deliver_left_out, size=size, now=now, whom=lambda item: [item.user_id]
        )

    async def deliver_left_out(self, item: CircleLeftOut, at: datetime) -> bool:
        """One leased left-out message, settled (or left for its retry); whether it settled."""
        try:
            delivery = await self.send_left_out(item, at)
        except Exception as error:
            if isinstance(error, discord.HTTPException) and not is_retryable(error):
                async with self.bot.db.write() as session:
                    await store.settle_left_out(session, item.id, DELIVERY_FAILED)
                log.info("left-out message %s can't be delivered (%s); settled", item.id, error)
                return False
            async with self.bot.db.write() as session:
                again = await store.retry_left_out(session, item.id, at, DELIVERY_FAILED)
            log.warning(
                "left-out message %s failed (%s); %s", item.id, error, "tried again later" if again else "given up"
            )
            return False
        async with self.bot.db.write() as session:
            await store.settle_left_out(session, item.id, delivery)
        return True

    async def send_left_out(self, item: CircleLeftOut, now: datetime) -> str:
        guild = self.bot.get_guild(item.guild_id)
        if guild is None:
            return DELIVERY_GONE
        async with self.bot.db.read() as session:
            schedule = await store.get_schedule(session, item.guild_id)
            profile = await store.get_profile(session, item.guild_id, item.user_id)
        if profile is None:  # left the pool since: nothing to explain
            return DELIVERY_GONE
        text = left_out_text(
            guild.name, LeftOutReason(item.reason), profile.window_hours, profile.themes, schedule, now
        )
        delivery, _message = await self.mentor_flow.send_private(
            guild, item.user_id, text, nonce=f"circleout:{item.id}"
        )
        return {"sent": DELIVERY_SENT, "held": DELIVERY_HELD}.get(delivery, DELIVERY_GONE)

    # ------------------------------------------------------------ answers

    async def answer(self, interaction: discord.Interaction, invite_id: int, yes: bool) -> None:
        now = self.bot.clock()
        async with self.bot.db.read() as session:
            invite = await store.get_invite(session, invite_id)
        if invite is None or invite.user_id != interaction.user.id:
            raise NotAllowed("This invitation isn't addressed to you.")
        async with self.bot.db.write() as session:
            answered = await store.answer(session, invite_id, yes, now)
            decided = await store.decide(session, invite.circle_id, now) if answered else None
        text = (SAID_YES if yes else SAID_NO) if answered else NOT_OPEN
        await interaction.response.edit_message(content=text, view=None)
        if decided:
            await self.send_notices(now, [invite.circle_id])
        elif answered and yes:
            await self.join_late(invite)

    # ------------------------------------------------------------ decisions

    async def lapse(self, now: datetime) -> int:
        """Decide the circles whose invitations lapsed and close formed circles' unanswered invitations, a
        batch per short write (a round's thousand circles lapsing together never hold the writer for all)."""
        size, total = store_invites.LAPSE_BATCH, 0
        while True:
            async with self.bot.db.write() as session:
                decided, closed = await store_invites.lapse_due(session, now, size)
            for invite in closed:  # a formed circle's unanswered invitations close; nobody is told
                await self.mentor_flow.edit_old(invite.channel_id, invite.message_id, LAPSED_TEXT)
            total += len(decided) + len(closed)
            if len(decided) < size and len(closed) < size:
                return total

    async def send_notices(self, now: datetime, ids: list[int] | None = None) -> int:
        """Open the threads of formed circles; tell the yes-sayers of unformed ones kindly. All that are owed,
        or `ids`, a batch at a time, each leased so that exactly one process sends it. Returns how many settled."""
        size = store_invites.NOTICE_BATCH

        async def lease(at: datetime) -> list[Circle]:
            async with self.bot.db.write() as session:
                return await store_invites.lease_notices(session, at, self.reachable, ids, size)

        return await self.bot.jobs.drain(lease, self.deliver_notice, size=size, now=now)

    async def deliver_notice(self, circle: Circle, at: datetime) -> bool:
        """One leased notice, settled (or left for its retry after a failure worth another try)."""
        try:
            thread_id = await self.perform(circle)
        except Exception as error:
            if isinstance(error, discord.HTTPException) and not is_retryable(error):
                log.info("circle %s notice refused (%s); settled", circle.id, error)
                thread_id = None
            else:
                async with self.bot.db.write() as session:
                    again = await store.retry_notice(session, circle.id, at)
                log.warning("circle %s notice failed (%s); %s", circle.id, error, "retrying" if again else "gave up")
                return False
        async with self.bot.db.write() as session:
            await store.settle_notice(session, circle.id, thread_id)
            if thread_id is not None:  # check-ins count from the day the circle formed
                days = await store.checkin_days(session, circle.guild_id)
                first = (circle.decided_at or at) + timedelta(days=days[0]) if days else None
                await store.start_checkins(session, circle.id, first)
        return True

    async def perform(self, circle: Circle) -> int | None:
        guild = self.bot.get_guild(circle.guild_id)
        async with self.bot.db.read() as session:
            invites = await store.invites_of(session, circle.id)
        for invite in invites:  # unanswered invitations close, the same words for everyone
            if invite.status == LAPSED:
                await self.mentor_flow.edit_old(invite.channel_id, invite.message_id, LAPSED_TEXT)
        yes = [invite for invite in invites if invite.status == YES]
        if guild is None:
            return None
        if circle.notice != NOTICE_OPEN:
            for invite in yes:  # a new DM (an edit would go unnoticed); the same words whatever happened
                await self.mentor_flow.send_private(guild, invite.user_id, UNFORMED_TEXT, nonce=f"circle-x:{invite.id}")
            return None
        return await self.open_thread(guild, circle, yes)

    async def open_thread(self, guild: discord.Guild, circle: Circle, yes: list[CircleInvite]) -> int | None:
        channel = await self.channel(guild)
        members = [m for m in [guild.get_member(invite.user_id) for invite in yes] if m is not None]
        if channel is None:
            await self.bot.modlog.post(
                guild.id,
                "Peer circles: no thread opened",
                f"Circle #{circle.id} formed, but no mentorship channel is set (`/setup channels mentorship:`).",
            )
            return None
        starters = rules.pick_starters(rules.split_keys(circle.starter_themes), (), seed=circle.id)
        heritages = [tag_label(tag) for tag in rules.split_keys(circle.starter_heritages)]
        if heritages:
            starters.append(
                f"Several of you listed {join_words(heritages[:3])} among your heritages: what's a food, a word or "
                "a custom from it that you'd love the others to know?"
            )
        shared = await self.describe(guild.id, circle)
        text = "\n".join(
            [
                f"Welcome, {' '.join(m.mention for m in members)}! This thread is just for your circle.",
                f"**What you share:** {shared}." if shared else "**You're all within each other's timezone windows.**",
                "**A few ways to begin**, if you'd like them:",
                *(f"{index}. {line}" for index, line in enumerate(starters, 1)),
                "",  # a blank line ends the numbered list (else Discord shows the next line inside the last item)
                "Anyone can leave at any time with `/circle leave`: it's no-fault, and the others are only told "
                "that a member left.",
            ]
        )
        try:
            thread = await channel.create_thread(
                name=f"Circle #{circle.id}", type=discord.ChannelType.private_thread, invitable=False
            )
            for member in members:
                await thread.add_user(member)
            await thread.send(
                text, allowed_mentions=discord.AllowedMentions(users=members, everyone=False, roles=False)
            )
        except discord.HTTPException as error:
            if is_retryable(error):
                raise
            await self.bot.modlog.post(
                guild.id,
                "Peer circles: no thread opened",
                f"Circle #{circle.id} formed, but I couldn't open its thread: "
                f"{permissions.refusal(channel, error, *THREAD_NEEDS)}.",
            )
            return None
        for invite in yes:
            await self.mentor_flow.edit_old(
                invite.channel_id, invite.message_id, f"Your circle has formed: <#{thread.id}>. Welcome!"
            )
        return thread.id

    async def join_late(self, invite: CircleInvite) -> None:
        """A yes after the circle formed: into its thread, if it has one (else the thread, once opened, has them)."""
        async with self.bot.db.read() as session:
            circle = await store.get_circle(session, invite.circle_id)
        guild = self.bot.get_guild(invite.guild_id)
        if circle is None or circle.status != FORMED or circle.thread_id is None or guild is None:
            return
        thread = await self.thread(circle.thread_id)
        member = guild.get_member(invite.user_id)
        if thread is None or member is None:
            return
        try:
            await thread.add_user(member)
            await thread.send(
                f"Welcome, {member.mention}: you've joined the circle.",
                allowed_mentions=discord.AllowedMentions(users=[member], everyone=False, roles=False),
            )
        except discord.HTTPException as error:
            log.info("could not add a member to the thread of circle %s: %s", circle.id, error)
            return
        await self.mentor_flow.edit_old(
            invite.channel_id, invite.message_id, f"You've joined your circle: <#{thread.id}>."
        )

    async def thread(self, thread_id: int) -> discord.Thread | None:
        """A circle's thread, from the cache or (archived threads aren't cached) from Discord."""
        found = self.bot.get_channel(thread_id)
        if found is None:
            try:
                found = await self.bot.fetch_channel(thread_id)
            except discord.HTTPException:
                return None
        return found if isinstance(found, discord.Thread) else None

    # ------------------------------------------------------------ leaving

    async def withdraw(self, guild_id: int, user_id: int, *, opt_out: bool) -> tuple[int, int] | None:
        """Take the member out of their circles and open invitations (and, `opt_out`, out of the pool).
        Returns (circles left, invitations closed), or None if they had nothing to leave."""
        now = self.bot.clock()
        async with self.bot.db.write() as session:
            had_profile = bool(await store.delete_profile(session, guild_id, user_id)) if opt_out else True
            result = await store.withdraw(session, guild_id, user_id, now)
            ended = [circle.id for circle in result.left if await store.end_if_small(session, circle.id, now)]
        if opt_out and not had_profile and not result.left and not result.declined:
            return None
        for invite in result.declined:
            await self.mentor_flow.edit_old(invite.channel_id, invite.message_id, NOT_OPEN)
        for circle in result.left:
            await self.tell_left(circle, user_id, ended=circle.id in ended)
        if result.decided:
            await self.send_notices(now, result.decided)
        return len(result.left), len(result.declined)

    async def tell_left(self, circle: Circle, user_id: int, *, ended: bool) -> None:
        if circle.thread_id is None:
            return
        thread = await self.thread(circle.thread_id)
        if thread is None:
            return
        try:
            await thread.remove_user(discord.Object(user_id))
            await thread.send(CIRCLE_ENDED if ended else MEMBER_LEFT)
            if ended:
                await thread.edit(archived=True, locked=True)
        except discord.HTTPException as error:
            log.info("could not update the thread of circle %s: %s", circle.id, error)
