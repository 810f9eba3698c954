"""Reviewing anonymous answers (cogs/prompts/anonymous.py explains the feature and who can learn a writer):
`/prompts review queue:answers`, Approve / Reject, posting "A member answered:", and *Remove* on the mod-log.

Nothing here ever shows a writer: the queue, the posted answer, the mod-log entries and the replies to a
moderator leave them out, and a moderator isn't told whether the outcome's DM reached the writer. Decisions
are conditional updates on the answer's status, so two moderators clicking at once decide it once.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, cast

import discord

from core import moderators
from core.errors import NotAllowed
from core.permissions import discord_said
from core.text import NO_MENTIONS, plural, truncate, unlink
from core.ui import PersistentButton
from storage import prompt_answers as store
from storage.models.prompt_answers import PromptAnswer
from storage.models.prompts import Prompt

if TYPE_CHECKING:
    from bot import LanternBot

log = logging.getLogger(__name__)

REVIEW_BATCH = 3  # three answers of up to 1,000 characters fit one message's 6,000 characters of embeds
COLOUR = 0xE8A33D
GONE = (discord.NotFound, discord.Forbidden)


def shown(text: str) -> str:
    """Member words where Discord renders markdown: no masked link, no mention (not even a silent one)."""
    return unlink(discord.utils.escape_mentions(text))


async def require_moderator(interaction: discord.Interaction) -> None:
    """Those who may use /prompts review answers (a server's Integrations grants included: core.moderators)."""
    await moderators.require(interaction, "prompts", "Only the server's moderators can review anonymous answers.")


async def review(bot: LanternBot, interaction: discord.Interaction) -> None:
    """`/prompts review queue:answers`: the oldest pending answers, with no writer, and their buttons."""
    assert interaction.guild_id is not None
    async with bot.db.read() as session:
        pending, total = await store.pending_answers(session, interaction.guild_id, REVIEW_BATCH)
        prompts = {a.prompt_id: await session.get(Prompt, a.prompt_id) for a in pending if a.prompt_id is not None}
    if not pending:
        await interaction.response.send_message("No anonymous answers are waiting. 🎉", ephemeral=True)
        return
    embeds, view = [], discord.ui.View(timeout=None)
    for row, answer in enumerate(pending):
        embed = discord.Embed(
            title=f"Anonymous answer #{answer.id}", description=truncate(shown(answer.text), 1300), colour=COLOUR
        )
        prompt = prompts.get(answer.prompt_id) if answer.prompt_id is not None else None
        under = f"#{prompt.id}: {unlink(truncate(prompt.text, 200))}" if prompt else "a prompt since removed"
        embed.add_field(name="Under", value=f"{under}\nin <#{answer.channel_id}>", inline=False)
        embeds.append(embed)
        for button in (ApproveAnswerButton(answer.id), RejectAnswerButton(answer.id)):
            button.item.row = row
            view.add_item(button)
    more = f" ({total - len(pending)} more after these)" if total > len(pending) else ""
    await interaction.response.send_message(
        f"{plural(total, 'anonymous answer')} waiting{more}. I never show who wrote them.",
        embeds=embeds,
        view=view,
        ephemeral=True,
    )


def answer_embed(answer: PromptAnswer) -> discord.Embed:
    embed = discord.Embed(title="A member answered:", description=shown(answer.text), colour=COLOUR)
    under = f"prompt #{answer.prompt_id}" if answer.prompt_id is not None else "this prompt"
    embed.set_footer(text=f"An anonymous answer to {under}, posted after a moderator read it")
    return embed


async def post_answer(bot: LanternBot, guild: discord.Guild, answer: PromptAnswer) -> discord.Message:
    """Post in the prompt's thread, or as a reply to the prompt when it has none."""
    thread = guild.get_thread(answer.message_id)
    if thread is None:
        try:
            found = await guild.fetch_channel(answer.message_id)
            thread = found if isinstance(found, discord.Thread) else None
        except GONE:
            thread = None
    if thread is not None:
        return await thread.send(embed=answer_embed(answer), allowed_mentions=NO_MENTIONS)
    channel = guild.get_channel(answer.channel_id)
    if not isinstance(channel, discord.TextChannel):
        raise NotAllowed(f"The prompt's channel <#{answer.channel_id}> is gone, so there's nowhere to post it.")
    reference = channel.get_partial_message(answer.message_id).to_reference(fail_if_not_exists=False)
    return await channel.send(embed=answer_embed(answer), reference=reference, allowed_mentions=NO_MENTIONS)


async def tell_writer(bot: LanternBot, user_id: int | None, text: str) -> None:
    """DM the writer; nobody hears whether it reached them (that would say who they are)."""
    if user_id is None:
        return
    try:
        user = bot.get_user(user_id) or await bot.fetch_user(user_id)
        await user.send(text, allowed_mentions=NO_MENTIONS)
    except discord.HTTPException as error:
        log.info("could not DM the writer of an anonymous answer: %s", error)


async def approve(interaction: discord.Interaction, answer_id: int) -> None:
    await require_moderator(interaction)
    bot = cast("LanternBot", interaction.client)
    guild = interaction.guild
    assert guild is not None
    already = f"Answer #{answer_id} was already reviewed, or its writer took it back. `/prompts review` shows the rest."
    async with bot.db.write() as session:
        answer = await store.move(session, guild.id, answer_id, "pending", "approved", decided_at=bot.clock())
    if answer is None:
        raise NotAllowed(already)
    await interaction.response.defer(ephemeral=True, thinking=True)
    try:
        posted = await post_answer(bot, guild, answer)
    except (discord.HTTPException, NotAllowed) as error:
        async with bot.db.write() as session:  # back in the queue, as it was
            await store.move(session, guild.id, answer_id, "approved", "pending", decided_at=None)
        said = discord_said(error) if isinstance(error, discord.HTTPException) else str(error)
        await interaction.followup.send(
            f"I couldn't post answer #{answer_id}: {said}. It's still waiting; try again, or reject it.",
            ephemeral=True,
        )
        return
    async with bot.db.write() as session:  # posted: the writer's id goes, their keyed hash stays
        kept = await store.move(
            session,
            guild.id,
            answer_id,
            "approved",
            "approved",
            user_id=None,
            posted_channel_id=posted.channel.id,
            posted_message_id=posted.id,
        )
    if kept is None:  # the writer erased it while it was being posted: it goes too
        await delete_posted(posted.channel.id, posted.id, bot)
        await interaction.followup.send(f"Answer #{answer_id}'s writer took it back meanwhile.", ephemeral=True)
        return
    await tell_writer(
        bot,
        answer.user_id,
        f"Your anonymous answer in **{discord.utils.escape_markdown(guild.name)}** was posted: {posted.jump_url}\n"
        "Nobody sees it's yours. `/privacy export` lists your answers; `/privacy delete` erases them.",
    )
    await interaction.followup.send(f"Approved answer #{answer_id}; it's posted: {posted.jump_url}", ephemeral=True)
    await modlog_with_remove(bot, guild.id, answer_id, posted, interaction.user)


async def reject(interaction: discord.Interaction, answer_id: int) -> None:
    await require_moderator(interaction)
    bot = cast("LanternBot", interaction.client)
    guild = interaction.guild
    assert guild is not None
    async with bot.db.write() as session:
        found = await store.get_answer(session, guild.id, answer_id)
        writer = found.user_id if found is not None else None
        answer = await store.move(
            session, guild.id, answer_id, "pending", "rejected", decided_at=bot.clock(), user_id=None
        )
    if answer is None:
        raise NotAllowed(f"Answer #{answer_id} was already reviewed, or its writer took it back.")
    await interaction.response.send_message(f"Rejected answer #{answer_id}. It won't be posted.", ephemeral=True)
    await tell_writer(
        bot,
        writer,
        f"Your anonymous answer “{truncate(shown(answer.text), 200)}” in "
        f"**{discord.utils.escape_markdown(guild.name)}** wasn't posted this time.",
    )
    await bot.modlog.post(guild.id, "Anonymous answer rejected", f"Answer #{answer_id}.", actor=interaction.user)


async def delete_posted(channel_id: int | None, message_id: int | None, bot: LanternBot) -> bool:
    """Delete a posted answer's message; True when it is gone (or already was)."""
    if channel_id is None or message_id is None:
        return True
    channel = bot.get_channel(channel_id)
    if not isinstance(channel, discord.TextChannel | discord.Thread):
        return True
    try:
        await channel.get_partial_message(message_id).delete()
    except discord.NotFound:
        return True
    except discord.HTTPException as error:
        log.warning("could not delete anonymous answer message %s: %s", message_id, error)
        return False
    return True


async def remove(interaction: discord.Interaction, answer_id: int) -> None:
    """A moderator takes down a posted answer (its words stay in the writer's `/privacy export`, marked removed)."""
    await require_moderator(interaction)
    bot = cast("LanternBot", interaction.client)
    assert interaction.guild_id is not None
    async with bot.db.write() as session:
        answer = await store.move(session, interaction.guild_id, answer_id, "approved", "removed")
    if answer is None:
        raise NotAllowed(f"Answer #{answer_id} isn't posted any more (removed, or erased by its writer).")
    deleted = await delete_posted(answer.posted_channel_id, answer.posted_message_id, bot)
    reply = (
        f"Removed answer #{answer_id}."
        if deleted
        else (
            f"Answer #{answer_id} is marked removed, but Discord wouldn't let me delete its message; please delete it."
        )
    )
    await interaction.response.send_message(reply, ephemeral=True)
    await bot.modlog.post(
        interaction.guild_id, "Anonymous answer removed", f"Answer #{answer_id}.", actor=interaction.user
    )


async def modlog_with_remove(
    bot: LanternBot, guild_id: int, answer_id: int, posted: discord.Message, actor: discord.abc.User
) -> None:
    """The approval's mod-log entry, with the *Remove* button. It names the moderator, never the writer."""
    view = discord.ui.View(timeout=None)
    view.add_item(RemoveAnswerButton(answer_id))
    detail = f"Answer #{answer_id}: {posted.jump_url}"
    await bot.modlog.post(guild_id, "Anonymous answer approved", detail, actor=actor, view=view)


class ApproveAnswerButton(PersistentButton, template=r"prompts:anon-ok:(?P<answer_id>\d{1,18})"):
    def __init__(self, answer_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=f"Approve #{answer_id}",
                style=discord.ButtonStyle.success,
                custom_id=f"prompts:anon-ok:{answer_id}",
            )
        )
        self.answer_id = answer_id

    async def handle(self, interaction: discord.Interaction) -> None:
        await approve(interaction, self.answer_id)


class RejectAnswerButton(PersistentButton, template=r"prompts:anon-no:(?P<answer_id>\d{1,18})"):
    def __init__(self, answer_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=f"Reject #{answer_id}",
                style=discord.ButtonStyle.danger,
                custom_id=f"prompts:anon-no:{answer_id}",
            )
        )
        self.answer_id = answer_id

    async def handle(self, interaction: discord.Interaction) -> None:
        await reject(interaction, self.answer_id)


class RemoveAnswerButton(PersistentButton, template=r"prompts:anon-rm:(?P<answer_id>\d{1,18})"):
    def __init__(self, answer_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=f"Remove answer #{answer_id}",
                style=discord.ButtonStyle.danger,
                custom_id=f"prompts:anon-rm:{answer_id}",
            )
        )
        self.answer_id = answer_id

    async def handle(self, interaction: discord.Interaction) -> None:
        await remove(interaction, self.answer_id)


DYNAMIC_ITEMS = (ApproveAnswerButton, RejectAnswerButton, RemoveAnswerButton)
