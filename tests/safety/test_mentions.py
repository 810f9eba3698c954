"""Nothing a member (or moderator) types can make Lantern ping anyone.

Each test puts `@everyone`, `@here`, a mentionable role `<@&ROLE>` and another member `<@CAROL>` into one
free-text field, drives it to every place Lantern shows that text (cards, DMs, proposals, pair threads,
review queues, the mod-log, search results, scheduled posts), then checks two things:

* on the wire (SimCord's request log): every message Lantern created or edited carries
  `allowed_mentions` with `parse: []`, no role ids, and user ids only where Lantern means to ping:
  the welcome message pings the newcomer, a pair thread's first message pings the mentor and the
  mentee, and a private-thread fallback (DMs closed) pings its one member;
* on the gateway side (what SimCord delivered): no message by Lantern has `mention_everyone`, pings a
  role, or pings a user other than those.

Each test also checks that the text really reached the places it names, so a path that silently
stopped showing member text can't make a test pass.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import pytest
from simcord import MemberActor
from sqlalchemy import select

from storage.models.mentorship import MentorshipPairing
from storage.models.prompts import Prompt, PromptSchedule, PromptSuggestion
from storage.models.resources import Resource
from tests.conftest import World
from tests.features.test_intros_helpers import ALICE, BOB
from tests.safety.support import Outgoing, outgoing

DAY = 24 * 3600
USER_MENTION = re.compile(r"<@!?(\d+)>")


@dataclass
class Ping:
    """The hostile text and the ids it names."""

    role_id: int
    carol: MemberActor

    @property
    def text(self) -> str:
        return f"@everyone @here <@&{self.role_id}> <@{self.carol.id}>"

    def words(self, before: str = "Kumusta", after: str = "") -> str:
        return " ".join(part for part in (before, self.text, after) if part)


@pytest.fixture
def ping(world: World) -> Ping:
    role = world.guild.create_role("Everyone Pingable", mentionable=True)
    carol = world.add_member("carol")
    return Ping(role.id, carol)


# Checks -----------------------------------------------------------------------------------------


def _mentorship_thread(world: World, channel_id: int) -> bool:
    return channel_id in {thread.id for thread in world.mentorship.threads}


def intended_users(world: World, sent: Outgoing, newcomers: set[int]) -> set[int]:
    """Whom Lantern means this message to ping (see the module docstring); empty for everything else."""
    if sent.method != "POST" or sent.channel_id is None:
        return set()
    if sent.channel_id == world.welcome.id:  # the member being welcomed is the first one named
        first = USER_MENTION.search(sent.content)
        return {int(first[1])} if first and int(first[1]) in newcomers else set()
    if _mentorship_thread(world, sent.channel_id):
        if sent.content.startswith("Welcome, "):  # the pair thread's first message
            return {world.alice.id, world.bob.id}
        first = sent.content.split(" ", 1)[0]  # a private-thread fallback starts with its member's mention
        if first in (world.alice.mention, world.bob.mention):
            return {int(first.strip("<@>"))}
    if sent.channel_id == world.mentorship.id:  # a nudge for words held while DMs are closed names its member
        first = sent.content.split(",", 1)[0]
        if first in (world.alice.mention, world.bob.mention):
            return {int(first.strip("<@>"))}
    return set()


def assert_no_pings(world: World, ping: Ping, *, newcomers: frozenset[int] = frozenset()) -> list[Outgoing]:
    """Every message Lantern sent: wire payloads and delivered messages. Returns the payloads."""
    newcomers = {*newcomers, ping.carol.id}  # carol joined too, and was welcomed
    sent = outgoing(world.env)
    assert sent, "Lantern sent nothing"
    for item in sent:
        where = f"{item.method} {item.path}: {item.content[:80]!r}"
        mentions = item.payload.get("allowed_mentions")
        assert mentions is not None, f"no allowed_mentions on {where}"
        assert mentions.get("parse") == [], f"allowed_mentions {mentions} on {where}"
        assert not mentions.get("roles"), f"role pings allowed on {where}"
        users = {int(user) for user in mentions.get("users", [])}
        assert users == intended_users(world, item, newcomers), f"users {users} allowed on {where}"
        assert item.channel_id == world.welcome.id or ping.carol.id not in users
    bot_id = world.bot.user.id
    for channel in world.env.backend.messages.values():
        for message in channel.values():
            if message.author_id != bot_id:
                continue
            assert not message.mention_everyone, f"message {message.id} mentions everyone: {message.content!r}"
            assert not message.ping_role_ids, f"message {message.id} pings roles: {message.content!r}"
            if message.channel_id == world.welcome.id:
                assert len(message.ping_user_ids) <= 1 and set(message.ping_user_ids) <= newcomers
            else:
                assert set(message.ping_user_ids) <= {world.alice.id, world.bob.id}, message.content
    return sent


def reached(world: World, ping: Ping, sent: list[Outgoing], channel_id: int | None = None) -> int:
    """How many payloads (to `channel_id`, or any) carried the hostile text (possibly escaped or cut)."""
    marker = f"<@&{ping.role_id}>"
    escaped = json.dumps(marker)[1:-1]
    return sum(
        1
        for item in sent
        if (channel_id is None or item.channel_id == channel_id) and (marker in item.text() or escaped in item.text())
    )


def dm_id(actor: MemberActor) -> int:
    assert actor.user.dm_channel is not None, f"{actor.name} got no DM"
    return actor.user.dm_channel.id


# Introductions ----------------------------------------------------------------------------------

INTRO_FIELDS = ("name", "heritages", "languages", "location", "story")


async def write_intro(world: World, actor: MemberActor, values: dict[str, str]) -> Any:
    shown = await actor.slash(world.general, "intro write")
    return await actor.submit_modal(shown, values)


async def pair_up(world: World, offer: dict[str, Any] | None = None, request: dict[str, Any] | None = None) -> None:
    """Alice offers, Bob requests, a round proposes them, both accept (the pair thread opens)."""
    await world.alice.slash(
        world.general, "mentor offer", themes="career, identity", timezone="Asia/Manila", **(offer or {})
    )
    await world.bob.slash(world.general, "mentor request", themes="career", timezone="Asia/Tokyo", **(request or {}))
    await world.mod.slash(world.general, "pairing run", dry_run=True)
    await world.mod.slash(world.general, "pairing run")
    for actor in (world.alice, world.bob):
        dm = actor.user.dm_channel.history()[-1]
        accept = next(c.custom_id for row in dm.components for c in row.children if c.custom_id.endswith(":accept"))
        await actor.user.click(dm, custom_id=accept)
    async with world.bot.db.read() as session:
        assert (await session.scalars(select(MentorshipPairing))).all(), "the pair didn't form"


@pytest.mark.parametrize("field", INTRO_FIELDS)
async def test_intro_field_never_pings(world: World, ping: Ping, field: str) -> None:
    """Intro text is shown on the card, by /intro show and /intro find, and in mentor proposals: no pings."""
    hostile = ping.words(after="Osaka")
    written = await write_intro(world, world.alice, {**ALICE, field: hostile})
    await world.alice.click(written.response, label="Yes, show me in /intro find")
    await write_intro(world, world.bob, {**BOB, field: hostile})
    await world.bob.slash(world.general, "intro show", member=world.alice)
    # find searches only heritages and languages (never free text): look for Alice's, or the hostile ones.
    await world.bob.slash(world.general, "intro find", heritage="Kumusta" if field == "heritages" else "Japanese")
    await pair_up(world)
    sent = assert_no_pings(world, ping)
    assert reached(world, ping, sent, world.intro.id) >= 2  # both cards
    assert reached(world, ping, sent, dm_id(world.alice)) >= 1  # bob's intro summary in alice's proposal
    assert reached(world, ping, sent, dm_id(world.bob)) >= 1
    if field == "name":
        assert reached(world, ping, sent) >= 6  # cards, show, find, both proposals


# Mentor pairing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["bio", "heritages", "languages"])
async def test_mentor_offer_field_never_pings(world: World, ping: Ping, field: str) -> None:
    """The offer's words reach the mentee's proposal, the dry run and the pair thread: no pings."""
    await pair_up(world, offer={field: ping.words(after="English")})
    await world.alice.slash(world.general, "mentor status")
    sent = assert_no_pings(world, ping)
    if field == "bio":
        assert reached(world, ping, sent, dm_id(world.bob)) >= 1  # "In their words" on bob's proposal


@pytest.mark.parametrize("field", ["note", "heritages", "languages"])
async def test_mentor_request_field_never_pings(world: World, ping: Ping, field: str) -> None:
    """The request's words reach the mentor's proposal and the pair thread: no pings."""
    await pair_up(world, request={field: ping.words(after="English")})
    await world.bob.slash(world.general, "mentor status")
    sent = assert_no_pings(world, ping)
    if field == "note":
        assert reached(world, ping, sent, dm_id(world.alice)) >= 1  # "In their words" on alice's proposal


async def test_request_note_held_for_closed_dms_pings_only_its_member(world: World, ping: Ping) -> None:
    """With DMs closed, the proposal is held: the nudge pings its one member and carries no words; the note,
    read in /mentor status, pings nobody."""
    world.env.inject_error("POST", "/users/@me/channels", status=403, code=50007, times=None)
    await world.alice.slash(world.general, "mentor offer", themes="career", timezone="Asia/Manila")
    await world.bob.slash(world.general, "mentor request", themes="career", timezone="Asia/Tokyo", note=ping.text)
    await world.mod.slash(world.general, "pairing run")
    await world.alice.slash(world.general, "mentor status")
    sent = assert_no_pings(world, ping)
    nudges = [s for s in sent if s.channel_id == world.mentorship.id and s.content.startswith(world.alice.mention)]
    assert nudges and nudges[0].payload["allowed_mentions"]["users"] == [world.alice.id]
    assert all(ping.text not in nudge.content for nudge in nudges)
    assert any(ping.text in s.content for s in sent if s.channel_id != world.mentorship.id)  # held, then read


async def test_mentor_end_feedback_never_pings(world: World, ping: Ping) -> None:
    """Ending with feedback tells the other member, lists pairings and exports data: no pings."""
    await pair_up(world)
    async with world.bot.db.read() as session:
        pairing = (await session.scalars(select(MentorshipPairing))).one()
    await world.bob.slash(world.general, "mentor end", pairing=pairing.id, feedback=ping.text)
    await world.mod.slash(world.general, "pairing list")
    await world.bob.slash(world.general, "privacy export")
    async with world.bot.db.read() as session:
        assert (await session.get(MentorshipPairing, pairing.id)).feedback == ping.text  # type: ignore[union-attr]
    assert_no_pings(world, ping)


# Prompts ------------------------------------------------------------------------------------------


async def suggest(world: World, text: str, theme: str = "advocacy") -> PromptSuggestion:
    shown = await world.alice.slash(world.general, "prompt suggest")
    await world.alice.submit_modal(shown, {"text": text, "theme": theme})
    async with world.bot.db.read() as session:
        return (await session.scalars(select(PromptSuggestion).order_by(PromptSuggestion.id.desc()))).first()  # type: ignore[return-value]


async def post_until(world: World, text: str) -> None:
    """Schedule the advocacy theme and post by hand until the prompt with `text` has been posted."""
    await world.mod.slash(
        world.general, "prompts schedule", channel=world.prompts, cadence="daily", time="09:00", themes="advocacy"
    )
    async with world.bot.db.read() as session:
        schedule = (await session.scalars(select(PromptSchedule))).one()
        count = len((await session.scalars(select(Prompt.id).where(Prompt.theme == "advocacy"))).all())
    for _ in range(count):
        await world.mod.slash(world.general, "prompts post", schedule=schedule.id)
        if any(text in (m.embeds[0].description or "") for m in world.prompts.history() if m.embeds):
            return
        await world.env.advance_time(120)
    raise AssertionError("the approved prompt was never posted")


async def test_prompt_suggestion_text_never_pings(world: World, ping: Ping) -> None:
    """A suggestion reaches the mod-log, the review queue, the approval DM and a scheduled post: no pings."""
    text = ping.words("Who do you stand up for?")
    stored = await suggest(world, text)
    review = await world.mod.slash(world.general, "prompts review")
    await world.mod.click(review.response.message, custom_id=f"prompts:approve:{stored.id}")
    await post_until(world, ping.text)
    await world.mod.slash(world.general, "prompts list", theme="advocacy")
    sent = assert_no_pings(world, ping)
    assert reached(world, ping, sent, world.modlog.id) >= 2  # new suggestion, approved
    assert reached(world, ping, sent, dm_id(world.alice)) >= 1
    assert reached(world, ping, sent, world.prompts.id) >= 1


async def test_prompt_reject_reason_never_pings(world: World, ping: Ping) -> None:
    """A rejection reason reaches the suggester's DM and the mod-log: no pings."""
    stored = await suggest(world, "Which elder taught you something without words?")
    review = await world.mod.slash(world.general, "prompts review")
    shown = await world.mod.click(review.response.message, custom_id=f"prompts:rejectwhy:{stored.id}")
    await world.mod.submit_modal(shown, {"reason": ping.text})
    sent = assert_no_pings(world, ping)
    assert reached(world, ping, sent, dm_id(world.alice)) == 1
    assert reached(world, ping, sent, world.modlog.id) == 1


async def test_prompts_add_text_never_pings(world: World, ping: Ping) -> None:
    """An added prompt reaches the reply, the mod-log, the list, /prompt random and removal: no pings."""
    shown = await world.mod.slash(world.general, "prompts add")
    await world.mod.submit_modal(shown, {"text": ping.words("What do you carry from home?"), "theme": "advocacy"})
    async with world.bot.db.read() as session:
        added = (await session.scalars(select(Prompt).where(Prompt.source == "added"))).one()
    await world.mod.slash(world.general, "prompts list", theme="advocacy")
    await post_until(world, ping.text)
    await world.mod.slash(world.general, "prompts remove", prompt=added.id)
    sent = assert_no_pings(world, ping)
    assert reached(world, ping, sent, world.modlog.id) >= 2  # added, removed
    assert reached(world, ping, sent, world.prompts.id) >= 1


async def test_prompts_import_lines_never_ping(world: World, ping: Ping) -> None:
    """Imported lines (and rejected ones, echoed in the report) never ping."""
    content = f"{ping.words('What do you carry from home?')}\n{ping.text}\n".encode()
    await world.mod.slash(world.general, "prompts import", file=("bank.txt", content), theme="advocacy")
    await world.mod.slash(world.general, "prompts list", theme="advocacy")
    sent = assert_no_pings(world, ping)
    assert reached(world, ping, sent) >= 1


# Resources --------------------------------------------------------------------------------------


async def share_and_spread(world: World, values: dict[str, str]) -> int:
    """Alice shares a resource; a moderator approves it from the review queue; Bob finds it by searching
    "Kumusta" and browsing. Returns its id."""
    await world.alice.slash(world.general, "resource share", **values)
    queue = await world.mod.slash(world.general, "resources review")
    async with world.bot.db.read() as session:
        stored = (await session.scalars(select(Resource))).one()
    await world.mod.click(queue.response, label=f"Approve #{stored.id}")
    await world.bob.slash(world.general, "resource search", query="Kumusta")
    await world.bob.slash(world.general, "resource browse")
    return stored.id


@pytest.mark.parametrize("field", ["title", "description", "tags"])
async def test_resource_share_field_never_pings(world: World, ping: Ping, field: str) -> None:
    """A shared resource reaches the review queue, the card, the DM, the mod-log, search and browse: no pings."""
    values = {"url": "https://example.org/hapa", "title": "Being hapa", "description": "Kumusta essays"}
    values[field] = ping.words()
    resource_id = await share_and_spread(world, values)
    await world.mod.slash(world.general, "resources remove", resource=resource_id, reason=ping.text)
    sent = assert_no_pings(world, ping)
    if field != "tags":  # tags are normalised to words, which drops the mention syntax
        assert reached(world, ping, sent, world.resources.id) >= 1
        assert reached(world, ping, sent, dm_id(world.alice)) >= 1 or field == "description"


async def test_resources_import_rows_never_ping(world: World, ping: Ping) -> None:
    """Imported rows reach search results; rejected rows are echoed in the report: no pings."""
    rows = [
        {"url": "https://example.org/a", "title": ping.words(), "description": ping.text, "tags": ping.text},
        {"url": f"not a link {ping.text}", "title": ping.text},
    ]
    await world.mod.slash(world.general, "resources import", file=("library.json", json.dumps(rows).encode()))
    await world.bob.slash(world.general, "resource search", query="Kumusta")
    sent = assert_no_pings(world, ping)
    assert reached(world, ping, sent) >= 2


# /setup -----------------------------------------------------------------------------------------


async def test_welcome_message_pings_only_the_newcomer(world: World, ping: Ping) -> None:
    """A welcome template naming @everyone, a role and another member pings the newcomer only."""
    await world.mod.slash(world.general, "setup options", welcome_message=f"Welcome {{member}}! {ping.text}")
    await world.mod.slash(world.general, "setup show")
    dave = world.add_member("dave")
    await world.env.settle()
    sent = assert_no_pings(world, ping, newcomers=frozenset({dave.id}))
    welcome = [s for s in sent if s.channel_id == world.welcome.id and ping.text in s.content]
    assert len(welcome) == 1 and ping.text in welcome[0].content
    assert welcome[0].payload["allowed_mentions"]["users"] == [dave.id]
    [delivered] = [m for m in world.env.backend.messages[world.welcome.id].values() if ping.text in m.content]
    assert delivered.ping_user_ids == [dave.id]
