"""Anonymous answers under prompts (issue 20): *Answer anonymously* → a form → moderator review without the
writer's name → "A member answered:" in the prompt's thread.

Who can learn who wrote an answer, and when (PRIVACY.md says the same to members):
- Nobody through Lantern: the review queue, the posted answer, the mod-log and every reply to a moderator
  leave the writer out; another member's `/privacy export` never holds it.
- While the answer waits for review, its row keeps the writer's id (`user_id`), only to tell them the outcome;
  the decision clears it. From then on the row keeps `author_key`, an HMAC-SHA256 of guild and writer made with
  the deployment's protection key (core/protection.py, never stored in the database): the writer's `/privacy`
  finds their own answers by computing it again, and the daily limit counts it. A database copy alone can't
  tell whose an answer is; whoever holds both the database and the key (the organisers running Lantern) could
  test member after member. Lantern never does.
- The limit (ANSWER_LIMIT a day) counts the writer's answers themselves: no rate-limit row ties the writer's id
  to the moment they answered.

Where an answer goes: the prompt's thread when it has one (a thread opened on a message has the message's id),
otherwise a reply to the prompt in its channel. The writer is told the outcome by DM; a moderator removes a
posted answer with the *Remove* button on its mod-log entry (or by deleting the message); the writer erases
theirs with `/privacy delete` (the posted message is deleted too).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

import discord

from cogs.prompts import loved
from core.errors import CoolingDown, InvalidInput, NotAllowed
from core.limits import Limit
from core.modlog import format_entry
from core.permissions import discord_said
from core.privacy import PrivacyProvider
from core.text import NO_MENTIONS, plural, truncate, unlink
from core.ui import PersistentButton, PersistentForm, show_form
from storage import prompt_answers as store
from storage.models.prompt_answers import PromptAnswer
from storage.models.prompts import Prompt

if TYPE_CHECKING:
    from bot import LanternBot

log = logging.getLogger(__name__)

ANSWER_MIN, ANSWER_MAX = 2, 1000
ANSWER_LIMIT = Limit("prompt_answer", 3, timedelta(days=1), "You've sent 3 anonymous answers today.")
REVIEW_BATCH = 3  # three answers of up to 1,000 characters fit one message's 6,000 characters of embeds
COLOUR = 0xE8A33D
GONE = (discord.NotFound, discord.Forbidden)


def author_key(bot: LanternBot, guild_id: int, user_id: int) -> str:
    """The keyed hash that lets a writer find their own answers (and nobody else learn whose they are)."""
    message = f"lantern-answer:v1:{guild_id}:{user_id}".encode("ascii")
    return hmac.new(bot.protection.key(), message, hashlib.sha256).hexdigest()


def shown(text: str) -> str:
    """Member words where Discord renders markdown: no masked link, no mention (not even a silent one)."""
    return unlink(discord.utils.escape_mentions(text))


def may_answer(interaction: discord.Interaction) -> None:
    """A member who can't post here (timed out, or denied sending messages) can't post anonymously either."""
    member = interaction.user
    if isinstance(member, discord.Member) and member.is_timed_out():
        raise NotAllowed("You're timed out in this server, so I can't take an answer from you right now.")
    permissions = interaction.permissions
    if not (permissions.send_messages or permissions.send_messages_in_threads):
        raise NotAllowed("You can't post in this channel, so I can't post an answer for you here either.")


async def check_limit(bot: LanternBot, guild_id: int, key: str) -> None:
    now = bot.clock()
    async with bot.db.read() as session:
        recent = await store.answers_since(session, guild_id, key, now - ANSWER_LIMIT.per)
    wait = ANSWER_LIMIT.retry_after(recent, now)
    if wait is not None:
        raise CoolingDown(ANSWER_LIMIT.reason, wait)


class AnswerButton(PersistentButton, template=r"prompts:anon:(?P<prompt_id>\d{1,18})"):
    """*Answer anonymously* under a posted prompt; the prompt's id is in the custom id, the post is the message."""

    def __init__(self, prompt_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Answer anonymously",
                emoji="✉️",
                style=discord.ButtonStyle.secondary,
                custom_id=f"prompts:anon:{prompt_id}",
            )
        )
        self.prompt_id = prompt_id

    async def handle(self, interaction: discord.Interaction) -> None:
        bot = cast("LanternBot", interaction.client)
        message = interaction.message
        if interaction.guild_id is None or message is None:
            raise NotAllowed(loved.NOT_A_PROMPT)
        if not loved.prompt_on(message, bot.user.id if bot.user else None, self.prompt_id):
            raise NotAllowed(loved.NOT_A_PROMPT)
        may_answer(interaction)
        await check_limit(bot, interaction.guild_id, author_key(bot, interaction.guild_id, interaction.user.id))
        await show_form(interaction, AnswerForm(self.prompt_id, message.id))


class AnswerForm(PersistentForm, template=r"prompts:anon-modal:(?P<prompt_id>\d{1,18}):(?P<message_id>\d{1,20})"):
    """The anonymous answer; the prompt and its message are in the custom id (checked again on submit)."""

    def __init__(self, prompt_id: int, message_id: int) -> None:
        super().__init__(title="Answer anonymously", custom_id=f"prompts:anon-modal:{prompt_id}:{message_id}")
        self.prompt_id, self.message_id = prompt_id, message_id
        self.answer = self.add_field(
            "Your answer",
            discord.ui.TextInput(
                custom_id="answer",
                style=discord.TextStyle.paragraph,
                min_length=ANSWER_MIN,
                max_length=ANSWER_MAX,
            ),
            description="Moderators read it before it's posted, without your name. Nobody sees it's yours.",
        )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        bot = cast("LanternBot", interaction.client)
        guild_id, channel = interaction.guild_id, interaction.channel
        if guild_id is None or not isinstance(channel, discord.TextChannel):
            raise NotAllowed(loved.NOT_A_PROMPT)
        may_answer(interaction)
        text = "\n".join(line.rstrip() for line in self.answer.value.strip().splitlines()).strip()
        if len(text) < ANSWER_MIN:
            raise InvalidInput("Your answer", f"needs at least {ANSWER_MIN} characters", "Please write a little more.")
        key = author_key(bot, guild_id, interaction.user.id)
        await check_limit(bot, guild_id, key)
        # The custom id is text a client sends back: the message must really be my post of this prompt, here.
        try:
            message = await channel.fetch_message(self.message_id)
        except discord.HTTPException:
            message = None
        if not loved.prompt_on(message, bot.user.id if bot.user else None, self.prompt_id):
            raise NotAllowed("I can't find that prompt any more, so I didn't keep your answer.")
        async with bot.db.write() as session:
            prompt = await session.get(Prompt, self.prompt_id)
            answer_id = await store.add_answer(
                session,
                guild_id=guild_id,
                prompt_id=prompt.id if prompt is not None and prompt.guild_id == guild_id else None,
                channel_id=channel.id,
                message_id=self.message_id,
                user_id=interaction.user.id,
                author_key=key,
                text=text,
                now=bot.clock(),
            )
        await interaction.response.send_message(
            "Thank you. Your answer goes to the moderators first; they don't see who wrote it. "
            "I'll DM you when it's posted. `/privacy export` shows it to you, `/privacy delete` erases it.",
            ephemeral=True,
        )
        # No actor and no name: the entry says only that something waits.
        await bot.modlog.post(
            guild_id,
            "Anonymous answer waiting",
            f"Answer #{answer_id} to prompt #{self.prompt_id} waits in `/prompts review queue:answers`.",
        )


# --------------------------------------------------------------------------- review


def require_moderator(interaction: discord.Interaction) -> None:
    if interaction.guild_id is None or not interaction.permissions.manage_guild:
        raise NotAllowed("Only moderators with Manage Server can review anonymous answers.")


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
    require_moderator(interaction)
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
    require_moderator(interaction)
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
    require_moderator(interaction)
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
    channel_id = (await bot.db.guild_config(guild_id)).modlog_channel_id
    channel = bot.get_channel(channel_id) if channel_id is not None else None
    if not isinstance(channel, discord.abc.Messageable):
        return
    view = discord.ui.View(timeout=None)
    view.add_item(RemoveAnswerButton(answer_id))
    embed = format_entry("Anonymous answer approved", f"Answer #{answer_id}: {posted.jump_url}", actor=actor)
    try:
        await channel.send(embed=embed, view=view, allowed_mentions=NO_MENTIONS)
    except discord.HTTPException as error:
        log.warning("could not post to the mod-log of guild %s: %s", guild_id, error)


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


def prompt_view(prompt_id: int) -> discord.ui.View:
    """The buttons under every posted prompt: *Answer anonymously* and *This one was good*."""
    view = discord.ui.View(timeout=None)
    view.add_item(AnswerButton(prompt_id))
    view.add_item(loved.GoodButton(prompt_id))
    return view


# --------------------------------------------------------------------------- privacy


def provider(bot: LanternBot) -> PrivacyProvider:
    """The writer's own answers, found by their id (pending) or their keyed hash (reviewed)."""

    async def export(session: Any, guild_id: int, user_id: int) -> dict[str, Any]:
        rows = await store.member_answers(session, guild_id, user_id, author_key(bot, guild_id, user_id))
        return {
            "anonymous_answers": [
                {
                    "id": row.id,
                    "prompt": row.prompt_id,
                    "text": row.text,
                    "status": row.status,
                    "written_at": row.created_at.isoformat(),
                    "posted_message_id": str(row.posted_message_id) if row.posted_message_id else None,
                }
                for row in rows
            ]
        }

    async def delete(session: Any, guild_id: int, user_id: int) -> int:
        return await store.delete_answers(session, guild_id, user_id, author_key(bot, guild_id, user_id))

    async def cleanup(bot_: Any, guild: discord.Guild, user_id: int) -> None:
        async with bot.db.read() as session:
            rows = await store.member_answers(session, guild.id, user_id, author_key(bot, guild.id, user_id))
            posted = [(row.posted_channel_id, row.posted_message_id) for row in rows if row.status == "approved"]
        for channel_id, message_id in posted:
            await delete_posted(channel_id, message_id, bot)

    return PrivacyProvider(
        name="Anonymous answers",
        summary=(
            "The anonymous answers you wrote under prompts and what became of them. Only you can see they're "
            "yours; erasing them takes down the posted ones too."
        ),
        tables=("prompt_answers",),
        export=export,
        delete=delete,
        cleanup=cleanup,
    )


DYNAMIC_ITEMS = (AnswerButton, loved.GoodButton, ApproveAnswerButton, RejectAnswerButton, RemoveAnswerButton)
FORMS = (AnswerForm,)


def register(bot: LanternBot) -> None:
    """Called from the prompts cog's `setup`: buttons, the form and the privacy providers."""
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
    bot.forms.register(*FORMS)
    bot.privacy.register(provider(bot))
    bot.privacy.register(loved.PROVIDER)
