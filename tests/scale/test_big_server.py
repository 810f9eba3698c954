"""Every list stays within Discord's limits in a big or wordy server, and still tells the member what is there.

The wordy cases go through the commands members use (the longest title, description and link the share
form takes). A thousand members, profiles, pairings or prompts are written straight to the database
(driving each through SimCord would take minutes); the command under test is always run through SimCord.
"""

from __future__ import annotations

import math
import random
import re
from datetime import datetime

import pytest
from simcord import assert_responded

from cogs.intros.tags import LANGUAGE, normalise_tags
from cogs.prompts import bank
from cogs.prompts.calendar_prompts import seed_rows
from cogs.resources import library
from cogs.resources.urls import MAX_URL_LENGTH
from config import default_theme_pairs
from storage import prompts as prompt_queries
from storage.intros import HERITAGE
from storage.models.intros import Intro, IntroTag
from storage.models.mentorship import (
    ACCEPTED,
    ACTIVE,
    PENDING_MENTEE,
    PENDING_MENTOR,
    MenteeProfile,
    MentorProfile,
    MentorshipPairing,
    MentorshipProposal,
)
from storage.models.resources import Resource
from tests.conftest import World
from tests.features.test_resources import resources, review_off, share
from tests.scale.discord_limits import assert_within_discord_limits

THEME_KEYS = [key for key, _label in default_theme_pairs()]
SNOWFLAKE = 1_200_000_000_000_000_000  # user ids of seeded members who never act in SimCord
MARKDOWN_LINK = re.compile(r"\]\((https?://[^)\s]+)\)")


def cut(text: str, length: int) -> str:
    """`text` repeated and cut to exactly `length` characters, ending in a letter (forms trim spaces)."""
    return (text * (length // len(text) + 1))[: length - 1] + "x"


# The resource library ------------------------------------------------------------------------------


def wordy(index: int) -> dict[str, str]:
    """The longest resource the share form takes: every field at its limit, five themes, ten tags."""
    prefix = f"https://example.org/library/{index}/"
    return {
        "url": prefix + "a" * (MAX_URL_LENGTH - len(prefix)),
        "title": cut(f"Lantern long read {index}: stories of belonging and family ", library.MAX_TITLE),
        "description": cut("A long, careful description of why this helps. ", library.MAX_DESCRIPTION),
        "themes": ", ".join(THEME_KEYS[:5]),
        "tags": ", ".join(f"family story {chr(97 + n) * 5}" for n in range(10)),
    }


async def five_wordy_resources(world: World) -> list[Resource]:
    for index in range(5):
        await share(world, **wordy(index))
    stored = await resources(world)
    assert len(stored) == 5 and all(len(r.url) == MAX_URL_LENGTH for r in stored)
    return stored


def buttons(message: object) -> dict[str, str]:
    """Label → custom id of every button on a message."""
    return {c.label: c.custom_id for row in message.components for c in row.children}  # type: ignore[attr-defined]


@pytest.mark.parametrize("command", ["search", "browse", "saved"])
async def test_result_lists_of_five_2000_character_links_fit_and_keep_every_link(world: World, command: str) -> None:
    """Five resources with 2,000-character links: all five listed whole, no link cut, each reachable."""
    await review_off(world)
    stored = await five_wordy_resources(world)
    if command == "saved":
        for card in world.resources.history():
            await world.bob.click(card, label="Save (0)")
    options = {"query": "lantern"} if command == "search" else {}
    result = await world.bob.slash(world.general, f"resource {command}", **options)

    assert_responded(result, ephemeral=True)
    assert_within_discord_limits(result)
    message = result.response.message
    text = message.embeds[0].description
    for resource in stored:
        assert f"**{resource.title}" in text or f"**[{resource.title}](" in text
        assert f"#{resource.id}" in text
    assert text.count("\n> A long, careful description") == 5  # each description, shortened
    inline = MARKDOWN_LINK.findall(text)
    assert set(inline) <= {r.url for r in stored}  # a link is shown whole or not at all
    assert text.count("](") == len(inline)
    links = {label: custom_id for label, custom_id in buttons(message).items() if label.startswith("Link #")}
    assert len(inline) + len(links) == 5
    assert "example.org/library/" in text  # where a left-out link goes

    first = next(r for r in stored if f"Link #{r.id}" in links)
    opened = await world.bob.click(result.response, label=f"Link #{first.id}")
    assert_responded(opened, ephemeral=True)
    assert_within_discord_limits(opened)
    assert opened.response.content.endswith(first.url)


async def test_short_links_stay_inline_beside_long_ones(world: World) -> None:
    """Four 2,000-character links and a short one: the short link is a plain markdown link, the rest get buttons."""
    await review_off(world)
    for index in range(4):
        await share(world, **wordy(index))
    await share(world, **{**wordy(4), "url": "https://example.org/short"})
    result = await world.bob.slash(world.general, "resource browse")

    assert_within_discord_limits(result)
    message = result.response.message
    assert MARKDOWN_LINK.findall(message.embeds[0].description) == ["https://example.org/short"]
    links = [label for label in buttons(message) if label.startswith("Link #")]
    assert len(links) == 4 and "Link #5" not in links


async def test_review_queue_of_five_wordy_submissions_fits_whole_and_empties(world: World) -> None:
    """Five pending resources at every limit: each queue page holds whole cards that fit, down to the last."""
    stored = await five_wordy_resources(world)  # review is on: all five wait
    queue = await world.mod.slash(world.general, "resources review")
    assert_responded(queue, ephemeral=True)
    assert_within_discord_limits(queue)
    first = queue.response.message
    shown = len(first.embeds)
    assert 1 <= shown < 5
    assert first.content == f"5 waiting for review (showing the oldest {shown})."
    for embed, resource in zip(first.embeds, stored, strict=False):
        assert embed.title == resource.title
        assert embed.url == resource.url  # the title opens the whole link
        assert embed.description == resource.description  # nothing cut
        link = {field.name: field.value for field in embed.fields}["Link"]
        assert "2,000 characters long" in link and "https://" not in link

    for resource in stored:
        clicked = await world.mod.click(queue.response, label=f"Approve #{resource.id}")
        assert_within_discord_limits(clicked)
        assert_within_discord_limits(queue.response.message)
    assert queue.response.message.content.endswith("Nothing is waiting for review.")
    cards = world.resources.history()
    assert [card.embeds[0].url for card in cards] == [r.url for r in stored]
    for card in cards:
        assert_within_discord_limits(card)


# A thousand members ------------------------------------------------------------------------------


async def join_quietly(world: World, count: int) -> list[int]:
    """`count` members who were already in the server when Lantern started (no join event each).

    SimCord's restart doesn't chunk the member list the way discord.py does at start; chunking here
    loads the same members.
    """
    env = world.env
    ids = [env.create_user(f"member{n}").id for n in range(count)]
    for user_id in ids:
        env.backend.add_member(world.guild.id, user_id)  # SimCord's backend: no public builder stays quiet
    await world.restart()
    guild = world.bot.get_guild(world.guild.id)
    assert guild is not None
    await guild.chunk()
    assert len(guild.members) >= count
    return ids


async def test_intro_find_among_a_thousand_matches_lists_the_best_and_counts_the_rest(world: World) -> None:
    """A thousand discoverable members share the searched heritages: the ten best, then how many more."""
    ids = await join_quietly(world, 1000)
    heritages = "Filipino, Japanese, Irish, Mexican, Korean, Samoan, Ghanaian, Welsh, Tongan, Chinese"
    now = world.bot.clock()
    async with world.bot.db.write() as session:
        for n, user_id in enumerate(ids):
            text = {
                "name": cut(f"Member {n} with a long name ", 80),
                "heritages": f"{heritages}, {cut('and more roots ', 200 - len(heritages) - 2)}",
                "languages": "English, Tagalog, Japanese, Spanish, Korean",
                "location": cut("Somewhere far away ", 100),
                "story": cut("A long story of growing up between places. ", 1000),
            }
            tags = [(HERITAGE, tag) for tag in normalise_tags(text["heritages"])]
            tags += [(LANGUAGE, tag) for tag in normalise_tags(text["languages"], LANGUAGE)]
            session.add(
                Intro(
                    guild_id=world.guild.id,
                    user_id=user_id,
                    discoverable=True,
                    created_at=now,
                    updated_at=now,
                    tags=[IntroTag(guild_id=world.guild.id, user_id=user_id, kind=k, tag=t) for k, t in tags],
                    **text,
                )
            )

    result = await world.alice.slash(world.general, "intro find", heritage=heritages, language="English, Tagalog")

    assert_responded(result, embed_title="People you share something with", ephemeral=True)
    assert_within_discord_limits(result)
    *listed, more = result.response.embeds[0].description.splitlines()
    assert len(listed) == 10
    assert all(re.fullmatch(r"\*\*\d+\. Member \d+ .+\*\* \(<@\d+>\): .+", line) for line in listed)
    assert more == "…and 990 more. Add a language or a keyword to narrow the search."


def seeded_profiles(guild_id: int, now: datetime, mentees: int, mentors: int) -> list[object]:
    """`mentees` people asking for a mentor and `mentors` offering five places each, varied and wordy."""
    rng = random.Random(15)
    zones = ["Asia/Manila", "Asia/Tokyo", "Europe/Dublin", "America/Chicago", "Pacific/Auckland"]
    words = "Japanese, Filipino, Irish, Mexican, Korean, Samoan"
    profiles: list[object] = []
    for n in range(mentors):
        profiles.append(
            MentorProfile(
                guild_id=guild_id,
                user_id=SNOWFLAKE + n,
                themes=",".join(rng.sample(THEME_KEYS, 6)),
                heritages=words,
                languages="English, Tagalog, Japanese",
                timezone=rng.choice(zones),
                capacity=5,
                active_count=0,
                paused=False,
                created_at=now,
                updated_at=now,
            )
        )
    for n in range(mentees):
        profiles.append(
            MenteeProfile(
                guild_id=guild_id,
                user_id=SNOWFLAKE + mentors + n,
                themes=",".join(rng.sample(THEME_KEYS, 4)),
                heritages=", ".join(rng.sample(words.split(", "), 3)),
                languages="English, Tagalog",
                timezone=rng.choice(zones),
                heritage_preference=rng.choice(["any", "similar"]),
                paused=False,
                created_at=now,
                updated_at=now,
            )
        )
    return profiles


async def test_dry_run_with_a_thousand_members_lists_whole_pairs_and_counts_the_rest(world: World) -> None:
    """950 mentees and 50 mentors: the dry run shows the head, whole pair lines and how many more pairs."""
    async with world.bot.db.write() as session:
        session.add_all(seeded_profiles(world.guild.id, world.bot.clock(), mentees=950, mentors=50))

    result = await world.mod.slash(world.general, "pairing run", dry_run=True)

    assert_responded(result, embed_title="Pairing round (dry run)", ephemeral=True)
    assert_within_discord_limits(result)
    head, summary, blank, *lines, more = result.response.embeds[0].description.splitlines()
    proposed = int(re.fullmatch(r"Dry run: I would propose (\d+) pairs\. Nothing was sent or saved\.", head)[1])
    assert 200 <= proposed <= 250  # five places for each of 50 mentors
    assert summary == (f"950 people waiting for a mentor, 50 mentors with a place; {950 - proposed} left unmatched.")
    assert blank == ""
    assert lines and all(re.fullmatch(r"<@\d+> → <@\d+> · score \d+ · .+", line) for line in lines)
    assert more == f"…and {proposed - len(lines)} more pairs."


async def seed_pairings(world: World, pairs: list[tuple[int, int]], pending: list[tuple[int, int]]) -> None:
    """Active pairings (each with its accepted proposal and thread) and open invitations, straight in the database."""
    now = world.bot.clock()
    guild_id = world.guild.id

    def proposal(mentor_id: int, mentee_id: int, status: str) -> MentorshipProposal:
        return MentorshipProposal(
            guild_id=guild_id,
            mentor_id=mentor_id,
            mentee_id=mentee_id,
            status=status,
            score=40,
            reason=cut("You share a theme and a language. ", 300),
            created_at=now,
        )

    async with world.bot.db.write() as session:
        accepted = [proposal(mentor, mentee, ACCEPTED) for mentor, mentee in pairs]
        session.add_all(accepted)
        session.add_all(
            proposal(mentor, mentee, PENDING_MENTOR if n % 2 else PENDING_MENTEE)
            for n, (mentor, mentee) in enumerate(pending)
        )
        await session.flush()
        session.add_all(
            MentorshipPairing(
                guild_id=guild_id,
                proposal_id=p.id,
                mentor_id=p.mentor_id,
                mentee_id=p.mentee_id,
                status=ACTIVE,
                thread_id=SNOWFLAKE * 2 + n,
                started_at=now,
            )
            for n, p in enumerate(accepted)
        )


async def test_pairing_list_of_four_hundred_pairings_shows_whole_lines_and_counts_the_rest(world: World) -> None:
    """400 active pairings and 150 open invitations: each field holds whole lines, then how many more."""
    people = [SNOWFLAKE + n for n in range(1000)]
    await seed_pairings(
        world,
        pairs=[(people[n], people[500 + n]) for n in range(400)],
        pending=[(people[400 + n % 100], people[700 + n]) for n in range(150)],
    )

    result = await world.mod.slash(world.general, "pairing list")

    assert_responded(result, embed_title="Mentor pairings", ephemeral=True)
    assert_within_discord_limits(result)
    active, waiting = result.response.embeds[0].fields
    assert (active.name, waiting.name) == ("Active (400)", "Open invitations (150)")
    *shown, more = active.value.splitlines()
    assert all(re.fullmatch(r"#\d+: <@\d+> mentoring <@\d+> since <t:\d+:D> · <#\d+>", line) for line in shown)
    assert more == f"…and {400 - len(shown)} more: `/pairing end` finds any pairing as you type a name."
    *invited, rest = waiting.value.splitlines()
    assert all(re.fullmatch(r"<@\d+> → <@\d+>: waiting for the (mentor|mentee)", line) for line in invited)
    assert rest == f"…and {150 - len(invited)} more."


async def test_mentor_status_of_a_member_in_dozens_of_pairings_fits(world: World) -> None:
    """In a server of a thousand, a member a moderator paired with 65 people sees whole lines and a count."""
    async with world.bot.db.write() as session:
        session.add_all(seeded_profiles(world.guild.id, world.bot.clock(), mentees=900, mentors=100))
    await world.alice.slash(
        world.general, "mentor offer", themes=", ".join(THEME_KEYS[:12]), timezone="Asia/Manila", capacity=5
    )
    await world.alice.slash(world.general, "mentor request", themes=", ".join(THEME_KEYS[:12]), timezone="Asia/Manila")
    alice = world.alice.id
    await seed_pairings(
        world,
        pairs=[(alice, SNOWFLAKE + 500 + n) for n in range(5)] + [(SNOWFLAKE + n, alice) for n in range(60)],
        pending=[(alice, SNOWFLAKE + 600 + n) for n in range(20)],
    )

    result = await world.alice.slash(world.general, "mentor status")

    assert_responded(result, embed_title="Your mentor pairing", ephemeral=True)
    assert_within_discord_limits(result)
    fields = {field.name: field.value for field in result.response.embeds[0].fields}
    assert fields["Waiting for your answer"].startswith("10 invitations: ")  # seeded: never delivered
    *shown, more = fields["Pairings"].splitlines()
    assert all(re.fullmatch(r"#\d+: (mentoring|mentored by) <@\d+> since <t:\d+:D>", line) for line in shown)
    assert more == f"…and {65 - len(shown)} more: `/mentor end` lists them as you type."


async def test_prompt_list_of_a_thousand_long_prompts_pages_through_them(world: World) -> None:
    """A bank of a thousand 300-character prompts: ten a page, each shortened, a hundred pages to turn."""
    rows = []
    for n in range(1000):
        text = bank.clean_text(cut(f"Prompt {n}: what does home taste like, and who taught you? ", bank.PROMPT_MAX))
        rows.append((THEME_KEYS[n % len(THEME_KEYS)], text, bank.text_key(text)))
    async with world.bot.db.write() as session:
        await prompt_queries.ensure_bank(session, world.guild.id, world.bot.clock(), rows)

    result = await world.mod.slash(world.general, "prompts list")

    assert_responded(result, embed_title="Prompts", ephemeral=True)
    assert_within_discord_limits(result)
    embed = result.response.embeds[0]
    total = 1000 + len(seed_rows())  # the cultural calendar's occasion prompts are in the bank too
    pages = math.ceil(total / 10)
    assert embed.footer.text == f"Page 1 of {pages} · {total} prompts"
    assert len(embed.description.splitlines()) == 10
    assert all(line.endswith("…") for line in embed.description.splitlines())
    await world.mod.click(result.response, label="Next")
    turned = result.response.message
    assert_within_discord_limits(turned)
    assert turned.embeds[0].footer.text == f"Page 2 of {pages} · {total} prompts"

    themed = await world.mod.slash(world.general, "prompts list", theme=THEME_KEYS[0])
    assert_within_discord_limits(themed)
    # every len(THEME_KEYS)-th prompt has it, and so do some of the occasions' prompts
    themed_total = len(range(0, 1000, len(THEME_KEYS))) + sum(1 for row in seed_rows() if row[1] == THEME_KEYS[0])
    pages = math.ceil(themed_total / 10)
    assert themed.response.embeds[0].footer.text.startswith(f"Page 1 of {pages} · ")
