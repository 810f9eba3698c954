"""Member text can't become a masked link in Lantern's name.

A hostile member writes `[Verify your Discord account](https://evil.example/verify)` into every free-text
field (intro, mentor bio, request note, prompt suggestion, resource title and description, feedback) and
drives it everywhere Lantern shows that text: cards, DMs, proposals, pair threads, review queues, the
mod-log, search results, scheduled posts. In every message Lantern sent, wherever Discord renders
markdown (content, embed descriptions, embed field values), the text is still there to read, but no
masked link survives: its brackets are escaped, so Discord shows the words and the address as typed.

The drivers are the mention suite's (tests/safety/test_mentions.py): the same paths, another payload.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from storage.models.mentorship import MentorshipPairing
from tests.conftest import World
from tests.features.test_intros_helpers import ALICE, BOB
from tests.safety.support import Outgoing, outgoing
from tests.safety.test_mentions import (
    INTRO_FIELDS,
    dm_id,
    pair_up,
    post_until,
    share_and_spread,
    suggest,
    write_intro,
)

PHISH = "[Verify your Discord account](https://evil.example/verify)"
WORDS = "Verify your Discord account"

ESCAPED = re.compile(r"\\.", re.DOTALL)
# What Discord renders as a masked link once escaped characters are set aside: [words](target). Lantern's
# own links (a library entry's title opening the resource it names) are fine; the member's are not.
MASKED_LINK = re.compile(r"\[[^\[\]]*\]\(\s*<?(?P<target>[^\s)>]*)")


def rendered(item: Outgoing) -> Iterator[str]:
    """The parts of a payload where Discord renders markdown links."""
    yield item.content
    for embed in item.payload.get("embeds") or []:
        yield embed.get("description") or ""
        for field in embed.get("fields") or []:
            yield field.get("value") or ""


def masked_link(text: str) -> bool:
    """Whether Discord would render the member's hidden link as a masked link."""
    return any("evil.example" in found["target"] for found in MASKED_LINK.finditer(ESCAPED.sub("", text)))


def assert_no_masked_links(world: World) -> list[Outgoing]:
    sent = outgoing(world.env)
    assert sent, "Lantern sent nothing"
    for item in sent:
        for part in rendered(item):
            assert not masked_link(part), f"masked link in {item.method} {item.path}: {part[:300]!r}"
    return sent


def reached(sent: list[Outgoing], channel_id: int | None = None) -> int:
    """How many payloads (to `channel_id`, or any) show the hostile words where markdown renders."""
    return sum(
        1
        for item in sent
        if (channel_id is None or item.channel_id == channel_id)
        and any(WORDS in part and "evil.example" in part for part in rendered(item))
    )


def test_the_detector_sees_a_masked_link_and_not_an_escaped_one() -> None:
    """The check itself: a raw masked link is found; escaped brackets are not a link."""
    assert masked_link(PHISH)
    assert masked_link(f"Hello {PHISH} there")
    assert not masked_link(r"\[Verify your Discord account\](https://evil.example/verify)")
    assert not masked_link("https://evil.example/verify")
    assert masked_link(r"\\[Verify](https://evil.example)")  # an escaped backslash doesn't escape the bracket
    assert not masked_link(r"**[Kumusta \[Verify\](https://evil.example/verify)](https://example.org/hapa)**")


@pytest.mark.parametrize("field", INTRO_FIELDS)
async def test_intro_field_is_never_a_masked_link(world: World, field: str) -> None:
    """Intro text on the card, in /intro show, /intro find and mentor proposals is readable, never a link."""
    await write_intro(world, world.alice, {**ALICE, field: f"Kumusta {PHISH}"})
    await write_intro(world, world.bob, {**BOB, field: f"Kumusta {PHISH}"})
    await world.bob.slash(world.general, "intro show", member=world.alice)
    await world.bob.slash(world.general, "intro find", keyword="Kumusta")
    await pair_up(world)
    sent = assert_no_masked_links(world)
    if field != "name":  # the name is the card's title, where Discord renders no links at all
        assert reached(sent, world.intro.id) >= 2


@pytest.mark.parametrize("field", ["bio", "heritages", "languages"])
async def test_mentor_offer_field_is_never_a_masked_link(world: World, field: str) -> None:
    """The mentor's words reach the mentee's proposal, the dry run, the pair thread and /mentor status."""
    await pair_up(world, offer={field: f"{PHISH} English"})
    await world.alice.slash(world.general, "mentor status")
    sent = assert_no_masked_links(world)
    if field == "bio":
        assert reached(sent, dm_id(world.bob)) >= 1


@pytest.mark.parametrize("field", ["note", "heritages", "languages"])
async def test_mentor_request_field_is_never_a_masked_link(world: World, field: str) -> None:
    """The mentee's words reach the mentor's proposal, the pair thread and /mentor status."""
    await pair_up(world, request={field: f"{PHISH} English"})
    await world.bob.slash(world.general, "mentor status")
    sent = assert_no_masked_links(world)
    if field == "note":
        assert reached(sent, dm_id(world.alice)) >= 1


async def test_mentor_end_feedback_is_never_a_masked_link(world: World) -> None:
    """Feedback given when ending reaches the pairing list and the export: never a link."""
    await pair_up(world)
    async with world.bot.db.read() as session:
        pairing = (await session.scalars(select(MentorshipPairing))).one()
    await world.bob.slash(world.general, "mentor end", pairing=pairing.id, feedback=PHISH)
    await world.mod.slash(world.general, "pairing list")
    assert_no_masked_links(world)


async def test_prompt_suggestion_is_never_a_masked_link(world: World) -> None:
    """A suggestion reaches the mod-log, the review queue, the approval DM and a scheduled post."""
    stored = await suggest(world, f"Who do you stand up for? {PHISH}")
    review = await world.mod.slash(world.general, "prompts review")
    await world.mod.click(review.response.message, custom_id=f"prompts:approve:{stored.id}")
    await post_until(world, WORDS)
    await world.mod.slash(world.general, "prompts list", theme="advocacy")
    sent = assert_no_masked_links(world)
    assert reached(sent, world.modlog.id) >= 1
    assert reached(sent, world.prompts.id) >= 1


@pytest.mark.parametrize("field", ["title", "description"])
async def test_resource_text_is_never_a_masked_link(world: World, field: str) -> None:
    """A shared resource reaches the review queue, the card, the DM, the mod-log, search and browse."""
    values = {"url": "https://example.org/hapa", "title": "Being hapa", "description": "Kumusta essays"}
    values[field] = f"Kumusta {PHISH}"
    await share_and_spread(world, values)
    await world.bob.slash(world.general, "resource saved")
    sent = assert_no_masked_links(world)
    assert reached(sent, world.resources.id if field == "description" else world.modlog.id) >= 1


async def test_a_resource_link_is_never_a_masked_link(world: World) -> None:
    """A link written to break out of the title's link (`…/x)[Verify](https://evil…)`, no spaces, so it is a link
    Lantern accepts) reaches the review queue, the card, the mod-log, search, browse, the saved list and the
    removal's mod-log entry: nowhere a masked link of the member's, and the title's link stays Lantern's."""
    hostile = "https://example.org/Kumusta)[Verify](https://evil.example/verify"
    resource_id = await share_and_spread(world, {"url": hostile, "title": "Being hapa", "description": "Kumusta"})
    await world.bob.slash(world.general, "resource saved")
    await world.mod.slash(world.general, "resources remove", resource=resource_id)
    # The title's own link goes to example.org (its target holds the rest, escaped); no link goes to evil.example.
    parts = [ESCAPED.sub("", part) for item in outgoing(world.env) for part in rendered(item)]
    targets = [found["target"] for part in parts for found in MASKED_LINK.finditer(part)]
    assert targets and all(target.startswith("https://example.org/Kumusta%29%5BVerify%5D%28") for target in targets)
    assert sum("evil.example" in part for part in parts) >= 4  # the review queue, the mod-log, search, browse


async def test_a_display_name_is_never_a_masked_link(world: World) -> None:
    """A member whose server nickname is a masked link is named in proposals, the pair thread, check-ins,
    `/mentor status`, `/pairing list` and `/intro show` as plain words."""
    nick = "[Verify](https://evil.example)"
    world.env.backend.edit_member(world.guild.id, world.alice.id, {"nick": nick})
    await world.env.settle()
    assert world.bot.get_guild(world.guild.id).get_member(world.alice.id).display_name == nick  # type: ignore[union-attr]
    await pair_up(world)
    await world.bob.slash(world.general, "intro show", member=world.alice)
    await world.alice.slash(world.general, "mentor status")
    await world.bob.slash(world.general, "mentor status")
    await world.mod.slash(world.general, "pairing list")
    await world.env.advance_time(15 * 24 * 3600)
    await world.bot.run_due_jobs()
    await world.env.settle()
    sent = assert_no_masked_links(world)
    shown = r"\[Verify\](https://evil.example)"
    to_bob = [item.content for item in sent if item.channel_id == dm_id(world.bob) and shown in item.content]
    assert any("would like to be your mentor" in text for text in to_bob)  # the proposal
    assert any("How is it going with" in text for text in to_bob)  # the day-14 check-in
