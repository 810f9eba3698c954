"""The report flow's pieces and the support form, all persistent (their custom ids carry their state):

- `ReasonSelect`: the reporter picks a reason (shown privately by the message menu or the pair-thread button);
- `ReportForm`: optional words, then the report is stored and posted to the mod-log;
- `MarkHandled`: the button under a report in the mod-log (moderators only);
- `ReportThreadButton`: *Report to moderators* for a pair thread's opening message (`pair_thread_view`);
- `SupportForm`: `/setup support`'s form (who to ask, helplines).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import discord

from cogs.care import reports, support
from cogs.care.lookup import EMERGENCY, load_support, summary
from cogs.care.reports import REASONS, TARGET_PATTERN, Report, Target
from core import limits, moderators
from core.errors import InvalidInput, NotAllowed
from core.text import NO_MENTIONS, join_words
from core.ui import LanternView, PersistentButton, PersistentForm, PersistentSelect, show_form
from storage import care as store
from storage.guilds import ensure_settings

if TYPE_CHECKING:
    from bot import LanternBot

ALREADY = "You've reported this message already, and the moderators have it. Thank you for looking out."
ALREADY_THREAD = "You've reported this thread already, and the moderators haven't marked it handled yet. They have it."
MODERATORS_ONLY = "Only the server's moderators (those who can use /setup) can mark a report handled."
NEVER_TOLD = "The member you report is never told who reported them."
AUDIENCE = {
    reports.PRIVATE: f"Only the moderators see it. {NEVER_TOLD}",
    reports.READ_BY_REPORTED: (
        "Only the moderators see it, but the member you're reporting can read the moderators' log, so I'll leave "
        f"your name out. {NEVER_TOLD}"
    ),
    reports.PUBLIC: (
        "This server's moderators' log can be read by everyone, so I'll leave your name out; what you write is "
        f"shown there as you write it. {NEVER_TOLD}"
    ),
}


def _bot(interaction: discord.Interaction) -> LanternBot:
    return cast("LanternBot", interaction.client)


# ------------------------------------------------------------------------------------------ starting a report


async def start(interaction: discord.Interaction, target: Target) -> None:
    """Check the reporter may report `target`, then ask privately for a reason."""
    bot = _bot(interaction)
    guild = interaction.guild
    assert guild is not None
    await limits.check(bot, limits.REPORT, guild.id, interaction.user.id)
    async with bot.db.read() as session:
        if target.message_id is not None:
            earlier = await store.reported_before(session, guild.id, interaction.user.id, target.message_id)
        else:
            earlier = await store.open_thread_report(session, guild.id, interaction.user.id, target.channel_id)
    if earlier is not None:
        raise NotAllowed(ALREADY if target.kind == "message" else ALREADY_THREAD)
    text = (
        "Why are you reporting this? Pick the closest reason; you can add words next. "
        + AUDIENCE[await reports.modlog_audience(bot, guild, target.reported_id)]
    )
    view = LanternView(timeout=None)
    view.add_item(ReasonSelect(target.encode()))
    await interaction.response.send_message(text, view=view, ephemeral=True)


REASON_TEMPLATE = rf"care:reason:(?P<target>{TARGET_PATTERN})"


class ReasonSelect(PersistentSelect, template=REASON_TEMPLATE):
    """The reasons to choose from; choosing one opens the report form."""

    def __init__(self, target: str) -> None:
        super().__init__(
            discord.ui.Select(
                custom_id=f"care:reason:{target}",
                placeholder="Choose a reason",
                options=[discord.SelectOption(label=label, value=key) for key, label in REASONS.items()],
                min_values=1,
                max_values=1,
            )
        )
        self.target = target

    async def handle(self, interaction: discord.Interaction) -> None:
        reason = self.item.values[0] if self.item.values else ""
        if reason not in REASONS:
            raise InvalidInput("That reason", "isn't one I know", "Pick one from the list.")
        await show_form(interaction, ReportForm(reason, self.target))


class ReportForm(PersistentForm, template=rf"care:report:(?P<reason>[a-z]{{1,16}}):(?P<target>{TARGET_PATTERN})"):
    def __init__(self, reason: str, target: str) -> None:
        super().__init__(title="Report to moderators", custom_id=f"care:report:{reason}:{target}")
        self.reason = reason
        self.target = Target.decode(target)
        self.words = self.add_field(
            "Anything the moderators should know?",
            discord.ui.TextInput(
                custom_id="words",
                style=discord.TextStyle.paragraph,
                required=False,
                max_length=reports.WORDS_MAX,
                placeholder="Optional. What happened, and anything that would help.",
            ),
            description="Only the moderators see this. The member you report never does.",
        )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await submit(interaction, self.reason, self.target, self.words.value)


async def submit(interaction: discord.Interaction, reason: str, target: Target, text: str | None) -> None:
    """Store the report (once per reporter and message; counted against the rate limit), post it to the
    mod-log, and thank the reporter privately. Nobody else is told anything."""
    bot = _bot(interaction)
    guild = interaction.guild
    assert guild is not None
    if reason not in REASONS:
        raise InvalidInput("That reason", "isn't one I know", "Pick one from the list.")
    words = reports.clean_words(text)
    await limits.check(bot, limits.REPORT, guild.id, interaction.user.id)
    hidden = await reports.modlog_audience(bot, guild, target.reported_id) != reports.PRIVATE
    now = bot.clock()
    async with bot.db.write() as session:
        await ensure_settings(session, guild.id, now)
        if target.kind == "thread" and await store.open_thread_report(
            session, guild.id, interaction.user.id, target.channel_id
        ):
            raise NotAllowed(ALREADY_THREAD)
        report_id = await store.add_report(
            session,
            guild_id=guild.id,
            user_id=interaction.user.id,
            reported_user_id=target.reported_id,
            kind=target.kind,
            channel_id=target.channel_id,
            message_id=target.message_id,
            reason=reason,
            details=words,
            reporter_hidden=hidden,
            created_at=now,
        )
        if report_id is None:
            raise NotAllowed(ALREADY)
        await limits.record(session, limits.REPORT, guild.id, interaction.user.id, now)
    posted = await reports.post(bot, report_id, handled_view(report_id))
    lines = ["Thank you. I've passed your report to the moderators privately."]
    if hidden:
        lines.append("I left your name out of it, because people other than the moderators can read their log.")
    lines.append("The member you reported won't be told who reported them.")
    if not posted:
        lines.append(
            "I couldn't reach the moderators' log channel just now, so please also tell a moderator directly. "
            "Your report is saved, and I'll deliver it as soon as I can."
        )
    if reason == "selfharm":
        found = await load_support(bot, guild.id)
        helplines = join_words([support.link(label, url) for label, url in found.helplines])
        here = support.here_line(found)
        lines.append(f"{EMERGENCY} Helplines: {helplines}." + (f" In this server: {here}." if here else ""))
    await interaction.response.send_message("\n".join(lines), ephemeral=True, allowed_mentions=NO_MENTIONS)


# ------------------------------------------------------------------------------------------ moderators


class MarkHandled(PersistentButton, template=r"care:handled:(?P<report_id>\d{1,20})"):
    def __init__(self, report_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Mark handled", style=discord.ButtonStyle.success, custom_id=f"care:handled:{report_id}"
            )
        )
        self.report_id = report_id

    async def handle(self, interaction: discord.Interaction) -> None:
        bot = _bot(interaction)
        if interaction.guild is None:
            raise NotAllowed(MODERATORS_ONLY)
        await moderators.require(interaction, "setup", MODERATORS_ONLY)
        async with bot.db.write() as session:
            done = await store.mark_handled(
                session, interaction.guild.id, self.report_id, interaction.user.id, bot.clock()
            )
            row = await store.get_report(session, self.report_id)
            report = Report.of(row) if row is not None and row.guild_id == interaction.guild.id else None
        if report is None:
            raise NotAllowed(f"I can't find report #{self.report_id} any more.")
        if not done:
            await interaction.response.edit_message(embed=reports.render(report), view=None)
            await interaction.followup.send(f"Report #{self.report_id} was already marked handled.", ephemeral=True)
            return
        await interaction.response.edit_message(embed=reports.render(report), view=None)


def handled_view(report_id: int) -> LanternView:
    view = LanternView(timeout=None)
    view.add_item(MarkHandled(report_id))
    return view


# ------------------------------------------------------------------------------------------ pair threads


class ReportThreadButton(PersistentButton, template=r"care:report-thread"):
    """*Report to moderators* under the opening message of a pair's (or a circle's) private thread.

    Its custom id names nobody, so an erasure leaves no member id behind in the thread. Who is reported is
    worked out when it's pressed: the thread's one other member (a pair), or nobody in particular (a circle,
    or a moderator pressing it), when the reporter's words say who."""

    def __init__(self) -> None:
        super().__init__(
            discord.ui.Button(
                label="Report to moderators", style=discord.ButtonStyle.secondary, custom_id="care:report-thread"
            )
        )

    async def handle(self, interaction: discord.Interaction) -> None:
        thread = interaction.channel
        if interaction.guild is None or not isinstance(thread, discord.Thread):
            raise NotAllowed("This button works in a pair's thread only.")
        me = interaction.client.user
        others = {member.id for member in await thread.fetch_members()} - {interaction.user.id}
        others.discard(me.id if me is not None else 0)
        reported = others.pop() if len(others) == 1 else None
        await start(interaction, Target("thread", thread.id, None, reported))


def pair_thread_view() -> LanternView:
    """The view for a pair thread's opening message (cogs/mentorship opens the thread)."""
    view = LanternView(timeout=None)
    view.add_item(ReportThreadButton())
    return view


# ------------------------------------------------------------------------------------------ /setup support


class SupportForm(PersistentForm, template=r"care:support:(?P<channel>\d{1,20}|keep|none)"):
    """Who to ask and the helplines; the channel chosen in the command rides in the custom id."""

    def __init__(self, channel: int | str, people: str = "", helplines: str = "") -> None:
        super().__init__(title="Support in this server", custom_id=f"care:support:{channel}")
        self.channel = channel
        self.people = self.add_field(
            "Who members can ask",
            discord.ui.TextInput(
                custom_id="people",
                required=False,
                max_length=support.PEOPLE_MAX,
                default=people or None,
                placeholder="Our care team, or any moderator",
            ),
            description="Optional. Plain words or role mentions; nobody is pinged.",
        )
        self.helplines = self.add_field(
            "Helplines, one a line: Label | https://link",
            discord.ui.TextInput(
                custom_id="helplines",
                style=discord.TextStyle.paragraph,
                required=False,
                max_length=support.HELPLINES_FIELD_MAX,
                default=helplines or None,
            ),
            description=f"Up to {support.MAX_HELPLINES}. Leave empty for the international directory.",
        )

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        await moderators.require(
            interaction, "setup", "Only the server's moderators can change where members find support."
        )
        return await super().interaction_check(interaction)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        bot = _bot(interaction)
        assert interaction.guild is not None
        people = support.parse_people(self.people.value)
        helplines = support.parse_helplines(self.helplines.value or "")
        channel_id: Any = store.KEEP
        if self.channel == "none":
            channel_id = None
        elif isinstance(self.channel, int):
            channel_id = self.channel
        async with bot.db.write() as session:
            await store.save_support(
                session,
                interaction.guild.id,
                bot.clock(),
                channel_id=channel_id,
                people=people,
                helplines=support.dump_helplines(helplines),
            )
        text = summary(await load_support(bot, interaction.guild.id))
        await interaction.response.send_message("Saved.\n" + text, ephemeral=True, allowed_mentions=NO_MENTIONS)
        await bot.modlog.post(interaction.guild.id, "Support changed", text, actor=interaction.user)


async def open_support_form(
    interaction: discord.Interaction, channel: discord.TextChannel | None, remove_channel: bool
) -> None:
    """`/setup support`: the form, filled with what is set now."""
    if channel is not None and remove_channel:
        raise InvalidInput("Choosing a channel and removing it", "can't both happen", "Pick one of the two options.")
    assert interaction.guild_id is not None
    current = await load_support(_bot(interaction), interaction.guild_id)
    chosen: int | str = channel.id if channel is not None else ("none" if remove_channel else "keep")
    people = current.people or ""
    helplines = "" if current.default_helplines else support.helplines_text(current.helplines)
    await show_form(interaction, SupportForm(chosen, people, helplines))


DYNAMIC_ITEMS = (ReasonSelect, MarkHandled, ReportThreadButton)
FORMS = (ReportForm, SupportForm)
