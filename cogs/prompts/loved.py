"""Prompts people love: the *This one was good* button under every posted prompt, and what it feeds.

- One vote per member per posted prompt message (a unique constraint, storage/prompt_answers.py); the vote
  is kept with the prompt it was about.
- `/prompts stats` lists the prompts that start conversations: for each prompt, its "good" votes and its
  replies per post (replies are each prompt thread's `message_count`, read from Discord when a moderator asks:
  the measure Lantern can get without the Message Content intent; see cogs/prompts/stats.py).
- A schedule whose bank is exhausted (its second cycle and later) picks the unused prompts with the most votes
  first (storage/prompts/slots.py `choose_prompt`), so good prompts come back sooner; no prompt repeats within a
  cycle all the same. Replies don't feed the schedule: they live on Discord, and counting them at every post
  would cost a request per thread.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

import discord
from sqlalchemy import select

from core.errors import NotAllowed
from core.privacy import PrivacyProvider
from core.text import fit_lines, truncate, unlink
from core.ui import PersistentButton
from storage import prompt_answers as store
from storage.models.prompts import Prompt

if TYPE_CHECKING:
    from bot import LanternBot
    from cogs.prompts.stats import PostedThread

LOVED_LINES = 5
FOOTER = re.compile(r"Prompt #(\d+)\b")


def prompt_on(message: discord.Message | None, bot_id: int | None, prompt_id: int) -> bool:
    """Whether `message` is Lantern's post of prompt `prompt_id` (its embed's footer says "Prompt #id")."""
    if message is None or bot_id is None or message.author.id != bot_id or not message.embeds:
        return False
    found = FOOTER.match(message.embeds[0].footer.text or "")
    return found is not None and int(found[1]) == prompt_id


NOT_A_PROMPT = "This button isn't on one of my prompts any more, so I can't use it."


class GoodButton(PersistentButton, template=r"prompts:good:(?P<prompt_id>\d{1,18})"):
    """*This one was good* under a posted prompt; the prompt's id is in the custom id, the post is the message."""

    def __init__(self, prompt_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="This one was good",
                emoji="💛",
                style=discord.ButtonStyle.secondary,
                custom_id=f"prompts:good:{prompt_id}",
            )
        )
        self.prompt_id = prompt_id

    async def handle(self, interaction: discord.Interaction) -> None:
        bot = cast("LanternBot", interaction.client)
        message = interaction.message
        if (
            interaction.guild_id is None
            or message is None
            or not prompt_on(message, bot.user.id if bot.user else None, self.prompt_id)
        ):
            raise NotAllowed(NOT_A_PROMPT)
        async with bot.db.write() as session:
            prompt = await session.get(Prompt, self.prompt_id)
            prompt_id = prompt.id if prompt is not None and prompt.guild_id == interaction.guild_id else None
            counted = await store.add_vote(
                session, interaction.guild_id, message.id, interaction.user.id, prompt_id, bot.clock()
            )
        text = (
            "Thank you! I've noted that this prompt was a good one: prompts people love come back sooner."
            if counted
            else "You've already said this one was good. Thank you!"
        )
        await interaction.response.send_message(text, ephemeral=True)


async def loved_summary(
    bot: LanternBot, guild_id: int, threads: Iterable[PostedThread], counts: Mapping[int, int], since: datetime
) -> str:
    """The prompts that started conversations since `since`: "good" votes and replies per post, best first."""
    posts: dict[int, list[int]] = defaultdict(list)
    for thread in threads:
        if thread.prompt_id is not None and thread.thread_id in counts:
            posts[thread.prompt_id].append(max(counts[thread.thread_id], 0))
    async with bot.db.read() as session:
        votes = await store.votes_by_prompt(session, guild_id, since)
        wanted = set(posts) | set(votes)
        texts = dict((await session.execute(select(Prompt.id, Prompt.text).where(Prompt.id.in_(wanted)))).all())
    lines = rank(posts, votes, texts)
    if not lines:
        return "**Prompts people love**: no votes or counted replies yet."
    return fit_lines(
        ["**Prompts people love** (💛 “This one was good” · replies per post):", *lines[:LOVED_LINES]],
        900,
        lambda n: f"…and {n} more",
        total=min(len(lines), LOVED_LINES) + 1,
    )


def rank(posts: Mapping[int, list[int]], votes: Mapping[int, int], texts: Mapping[int, Any]) -> list[str]:
    """One line per prompt still in the bank, most votes first, then most replies per post."""
    scored = []
    for prompt_id in set(posts) | set(votes):
        if prompt_id not in texts:
            continue
        counted = posts.get(prompt_id, [])
        per_post = sum(counted) / len(counted) if counted else 0.0
        scored.append((-votes.get(prompt_id, 0), -per_post, prompt_id, per_post, len(counted)))
    scored.sort()
    lines = []
    for minus_votes, _, prompt_id, per_post, count in scored:
        replies = f"{per_post:.1f} replies per post ({count} posted)" if count else "no thread counted"
        text = unlink(truncate(discord.utils.escape_mentions(str(texts[prompt_id])), 70))
        lines.append(f"`#{prompt_id}` 💛 {-minus_votes} · {replies} · {text}")
    return lines


async def export_votes(session: Any, guild_id: int, user_id: int) -> dict[str, Any]:
    return {"this_one_was_good": await store.export_votes(session, guild_id, user_id)}


PROVIDER = PrivacyProvider(
    name="Prompt votes",
    summary="The prompts you said were good (“This one was good”), so each counts once.",
    tables=("prompt_votes",),
    export=export_votes,
    delete=store.delete_votes,
)
