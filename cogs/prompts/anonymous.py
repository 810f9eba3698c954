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
from cogs.prompts.answer_review import DYNAMIC_ITEMS as REVIEW_ITEMS
from cogs.prompts.answer_review import delete_posted, review, shown
from core.errors import CoolingDown, InvalidInput, NotAllowed
from core.limits import Limit
from core.privacy import PrivacyProvider
from core.text import NO_MENTIONS, truncate
from core.ui import PersistentButton, PersistentForm, show_form
from storage import prompt_answers as store
from storage.models.prompts import Prompt

if TYPE_CHECKING:
    from bot import LanternBot

log = logging.getLogger(__name__)

ANSWER_MIN, ANSWER_MAX = 2, 1000
ANSWER_LIMIT = Limit("prompt_answer", 3, timedelta(days=1), "You've sent 3 anonymous answers today.")


def author_key(bot: LanternBot, guild_id: int, user_id: int) -> str:
    """The keyed hash that lets a writer find their own answers (and nobody else learn whose they are)."""
    message = f"lantern-answer:v1:{guild_id}:{user_id}".encode("ascii")
    return hmac.new(bot.protection.key(), message, hashlib.sha256).hexdigest()


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


def prompt_view(prompt_id: int) -> discord.ui.View:
    """The buttons under every posted prompt: *Answer anonymously* and *This one was good*."""
    view = discord.ui.View(timeout=None)
    view.add_item(AnswerButton(prompt_id))
    view.add_item(loved.GoodButton(prompt_id))
    return view


# --------------------------------------------------------------------------- the writer's own answers

OWN_SHOWN = 5
STATUS_WORDS = {
    "pending": "waiting for review",
    "approved": "posted",
    "rejected": "not posted",
    "removed": "removed by a moderator",
}


async def show_own(bot: LanternBot, interaction: discord.Interaction) -> None:
    """`/privacy answers`: the member's own anonymous answers (newest first), each with a *Delete* button."""
    assert interaction.guild_id is not None
    key = author_key(bot, interaction.guild_id, interaction.user.id)
    async with bot.db.read() as session:
        rows = list(await store.member_answers(session, interaction.guild_id, interaction.user.id, key))
    if not rows:
        await interaction.response.send_message("You haven't written any anonymous answers here.", ephemeral=True)
        return
    newest = rows[::-1][:OWN_SHOWN]
    lines, view = [], discord.ui.View(timeout=None)
    for row in newest:
        words = STATUS_WORDS.get(row.status, row.status)
        if row.status == "approved" and row.posted_channel_id and row.posted_message_id:
            words += f" (https://discord.com/channels/{row.guild_id}/{row.posted_channel_id}/{row.posted_message_id})"
        lines.append(f"`#{row.id}` {words}: {truncate(shown(row.text), 150)}")
        view.add_item(DeleteOwnAnswerButton(interaction.user.id, row.id))
    more = (
        f"\n…and {len(rows) - len(newest)} older ones (`/privacy export` lists them all)."
        if len(rows) > len(newest)
        else ""
    )
    await interaction.response.send_message(
        "Your anonymous answers here. Only you can see this; *Delete* takes one down for good.\n"
        + "\n".join(lines)
        + more,
        view=view,
        ephemeral=True,
        allowed_mentions=NO_MENTIONS,
    )


class DeleteOwnAnswerButton(
    PersistentButton, template=r"prompts:anon-del:(?P<user_id>\d{1,20}):(?P<answer_id>\d{1,18})"
):
    """*Delete #N* under `/privacy answers`: only the writer (found again by their keyed hash) can use it."""

    def __init__(self, user_id: int, answer_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=f"Delete #{answer_id}",
                style=discord.ButtonStyle.danger,
                custom_id=f"prompts:anon-del:{user_id}:{answer_id}",
            )
        )
        self.user_id, self.answer_id = user_id, answer_id

    async def handle(self, interaction: discord.Interaction) -> None:
        bot = cast("LanternBot", interaction.client)
        if interaction.guild_id is None or interaction.user.id != self.user_id:
            raise NotAllowed("This button belongs to someone else's list.")
        key = author_key(bot, interaction.guild_id, interaction.user.id)
        async with bot.db.read() as session:
            mine = [
                row
                for row in await store.member_answers(session, interaction.guild_id, interaction.user.id, key)
                if row.id == self.answer_id
            ]
        if not mine:
            raise NotAllowed(f"Answer #{self.answer_id} is already gone.")
        [row] = mine
        if row.status == "approved":
            await delete_posted(row.posted_channel_id, row.posted_message_id, bot)
        async with bot.db.write() as session:
            await store.delete_answer(session, interaction.guild_id, self.answer_id, interaction.user.id, key)
        await interaction.response.send_message(
            f"Deleted answer #{self.answer_id}" + (" and its post." if row.status == "approved" else "."),
            ephemeral=True,
        )


# --------------------------------------------------------------------------- privacy


async def messages_deleted(bot: LanternBot, guild_id: int | None, message_ids: list[int]) -> None:
    """A posted answer whose message was deleted in Discord (by a moderator, not with *Remove*) is marked
    removed, so its writer's `/privacy answers` doesn't link to a message that is gone. Every message deleted
    in a server passes here: one indexed read, and a write only when an answer was posted as one of them."""
    if guild_id is None or not message_ids:
        return
    async with bot.db.read() as session:
        found = await store.posted_as(session, guild_id, message_ids)
    if not found:
        return
    async with bot.db.write() as session:
        for answer_id in found:
            await store.move(session, guild_id, answer_id, "approved", "removed")
    log.info("posted answers %s of guild %s were deleted in Discord; marked removed", found, guild_id)


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


DYNAMIC_ITEMS = (AnswerButton, loved.GoodButton, DeleteOwnAnswerButton, *REVIEW_ITEMS)
FORMS = (AnswerForm,)


__all__ = ["DYNAMIC_ITEMS", "FORMS", "prompt_view", "register", "review", "show_own"]


def register(bot: LanternBot) -> None:
    """Called from the prompts cog's `setup`: buttons, the form and the privacy providers."""
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
    bot.forms.register(*FORMS)
    bot.privacy.register(provider(bot))
    bot.privacy.register(loved.PROVIDER)
