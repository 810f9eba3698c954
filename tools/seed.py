"""A small, kind, plausible community to show Lantern with: members, their intros, a prompt with
replies, a mentor pairing and a few resources. Everything goes through the real bot as members and a
moderator would use it (slash commands, forms, buttons), in a world from tools/world.py.

The people are invented. Each step that belongs to a feature still being finished (mentorship,
resources) is separate, so a caller can skip it and say why.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import discord
from simcord import MemberActor
from sqlalchemy import select

from storage.models.prompts import Prompt
from tools import avatars
from tools.world import World

GUILD_NAME = "Hapa Lantern"

# username → display name. The first two and the moderator fill World's alice, bob and mod.
PEOPLE: dict[str, str] = {
    "mika.tr": "Mika Tanaka-Reyes",
    "kai.nob": "Kai Nakamura-O'Brien",
    "stella.wm": "Stella Wu-Mensah",
    "leilani": "Leilani Chen-Kahananui",
    "sofia.nga": "Sofia Nguyen-Alvarez",
    "arjun.w": "Arjun Whitfield",
    "hana.pj": "Hana Park-Jensen",
}
WORLD_NAMES = ("mika.tr", "kai.nob", "stella.wm")
NEWCOMER = ("jun.okafor", "Jun Okafor-Lim")

INTROS: dict[str, dict[str, str]] = {
    "mika.tr": {
        "name": "Mika (she/they)",
        "heritages": "Japanese, Filipino",
        "languages": "English, Tagalog, learning Japanese",
        "location": "Vancouver",
        "story": (
            "My mum is from Cebu and my dad grew up in Osaka. I'm a nurse, I bake ensaymada when I'm homesick "
            "for a place I only half know, and I'd love to find others untangling two languages at once."
        ),
    },
    "kai.nob": {
        "name": "Kai (he/him)",
        "heritages": "Japanese, Irish",
        "languages": "English, Irish, a little Japanese",
        "location": "Dublin",
        "story": (
            "Grew up between Galway and my grandmother's kitchen in Fukuoka. Software tester by day, taiko "
            "drummer at weekends. Happy to talk about careers in tech or just swap family recipes."
        ),
    },
    "leilani": {
        "name": "Leilani (she/her)",
        "heritages": "Chinese, Native Hawaiian",
        "languages": "English, Cantonese, ʻōlelo Hawaiʻi",
        "location": "Honolulu",
        "story": (
            "Teacher and hula dancer. My popo taught me mahjong and my tutu taught me to listen to the ocean. "
            "Looking for people raising kids with more than one set of traditions."
        ),
    },
    "sofia.nga": {
        "name": "Sofia (she/her)",
        "heritages": "Vietnamese, Mexican",
        "languages": "English, Spanish, Vietnamese",
        "location": "San Antonio",
        "story": (
            "Phở on Sundays, tamales at Christmas, both at Tết if I can manage it. I'm a first-generation "
            "graduate working in public health and I'd love a mentor who has been there."
        ),
    },
    "arjun.w": {
        "name": "Arjun (he/they)",
        "heritages": "Gujarati, English",
        "languages": "English, Gujarati",
        "location": "Leeds",
        "story": (
            "Architect, amateur potter, forever explaining my surname. I've mentored a few early-career folks "
            "and I'm glad to help anyone figuring out where they fit at work or at family weddings."
        ),
    },
}

# The themes each one would like to talk about (picked on the menu under their intro), keys of config/themes.toml.
INTRO_THEMES: dict[str, list[str]] = {
    "mika.tr": ["identity", "culture", "career"],
    "kai.nob": ["culture", "career", "networking"],
    "leilani": ["culture", "community", "relationships"],
    "sofia.nga": ["career", "identity", "role-models"],
    "arjun.w": ["career", "growth", "identity"],
}

PROMPT_TEXT = "What's a dish you make (or want to learn to make) that mixes more than one kitchen? Recipes welcome."
PROMPT_REPLIES: tuple[tuple[str, str], ...] = (
    ("leilani", "Spam musubi with my popo's lap cheong fried rice underneath. Don't knock it till you try it 🍙"),
    ("kai.nob", "Miso-glazed colcannon. My nan in Galway was suspicious; she had seconds."),
    ("sofia.nga", "Bánh mì with my abuela's pickled jalapeños and carrots. Best of both kitchens."),
    ("mika.tr", "Ube crinkle cookies with matcha. Sofia, I'd love your pickle ratio!"),
    ("arjun.w", "Masala shepherd's pie. Cumin in the mince, a little green chilli in the mash. Recipe below 👇"),
)

RESOURCES: tuple[dict[str, str], ...] = (
    {
        "url": "https://example.org/essays/being-hapa",
        "title": "Being hapa: notes from a mixed childhood",
        "description": "A warm essay on growing up between cultures and finding words for it.",
        "themes": "identity",
        "tags": "essays, mixed heritage",
    },
    {
        "url": "https://example.org/guides/heritage-languages",
        "title": "Learning your heritage language as an adult",
        "description": "Practical tips, free courses and how to get past the shyness of speaking with family.",
        "themes": "culture",
        "tags": "language, learning",
    },
    {
        "url": "https://example.org/podcasts/two-kitchens",
        "title": "Two Kitchens podcast",
        "description": "Mixed-heritage cooks talk family recipes, food memories and identity.",
        "themes": "culture, identity",
        "tags": "podcast, food",
    },
)


@dataclass
class Community:
    """The seeded members by username (World's alice, bob and mod are among them)."""

    world: World
    members: dict[str, MemberActor]

    def __getitem__(self, username: str) -> MemberActor:
        return self.members[username]


async def name_the_bot(world: World, name: str = "Lantern") -> None:
    """SimCord's bot account is called TestBot; rename it the way a bot renames itself (PATCH /users/@me).

    SimCord 3.2.1 accepts only `username` there (not `avatar`), so Lantern keeps the default avatar.
    """
    me = world.bot.user
    if me is not None and me.name != name:
        await me.edit(username=name)
        await world.env.settle()


def user_options() -> dict[str, dict[str, Any]]:
    return {name: {"global_name": display, "avatar": avatars.avatar_hash(name)} for name, display in PEOPLE.items()}


async def add_members(world: World) -> Community:
    """The rest of the community joins (each gets the welcome message in #welcome)."""
    members = {WORLD_NAMES[0]: world.alice, WORLD_NAMES[1]: world.bob, WORLD_NAMES[2]: world.mod}
    for name in PEOPLE:
        if name not in members:
            members[name] = world.guild.add_member(world.env.create_user(name, **user_options()[name]))
    await world.env.settle()
    return Community(world, members)


async def newcomer_joins(world: World) -> MemberActor:
    """One more person joins: Lantern welcomes them with the 👋 Introduce yourself button."""
    name, display = NEWCOMER
    await world.env.advance_time(6 * 3600)  # a little later in the day, so the welcome stands on its own
    user = world.env.create_user(name, global_name=display, avatar=avatars.avatar_hash(name))
    member = world.guild.add_member(user)
    await world.env.settle()
    return member


async def write_intros(community: Community, names: tuple[str, ...] = tuple(INTROS)) -> None:
    world = community.world
    for name in names:
        member = community[name]
        shown = await member.slash(world.general, "intro write")
        done = await member.submit_modal(shown, INTROS[name])
        assert done.response is not None
        findable = await member.click(done.response, label="Yes, show me in /intro find")  # only when they say so
        assert findable.response is not None
        await member.select(findable.response, INTRO_THEMES[name], custom_id=f"intro:themes:{member.id}")


async def post_prompt_with_replies(community: Community) -> Any:
    """A moderator schedules weekly culture prompts with threads and posts one now; members reply in its thread.

    The schedule picks a prompt at random; for a stable picture the tool steers that pick to PROMPT_TEXT.
    Returns the thread's handle.
    """
    world = community.world
    await world.mod.slash(
        world.general,
        "prompts schedule",
        channel=world.prompts,
        cadence="weekly friday",
        time="18:00",
        themes="culture",
    )
    async with world.bot.db.read() as session:
        wanted = await session.scalar(
            select(Prompt.id).where(Prompt.guild_id == world.guild.id, Prompt.text == PROMPT_TEXT)
        )
    await world.env.advance_time(60)
    with _pick(wanted):
        await world.mod.slash(world.general, "prompts post", schedule=1)
    thread = world.prompts.threads[-1]
    for name, text in PROMPT_REPLIES:
        await community[name].send(thread, text)
    return thread


@contextlib.contextmanager
def _pick(prompt_id: int | None) -> Iterator[None]:
    """Make the schedule's random pick choose `prompt_id` when it is among the candidates."""
    original = random.choice

    def choice(options: Any) -> Any:
        return prompt_id if prompt_id in options else original(options)

    random.choice = choice  # type: ignore[assignment]  # a deliberate monkeypatch, undone below
    try:
        yield
    finally:
        random.choice = original


async def mentor_proposal(community: Community) -> Any:
    """Arjun offers to mentor, Sofia asks for a mentor, a moderator runs a round: Arjun gets the proposal DM."""
    world = community.world
    await community["arjun.w"].slash(
        world.general, "mentor offer", themes="career, identity", timezone="Europe/London", languages="English"
    )
    await community["sofia.nga"].slash(
        world.general, "mentor request", themes="career", timezone="America/Chicago", languages="English, Spanish"
    )
    await world.mod.slash(world.general, "pairing run")
    return community["arjun.w"].user.dm_channel


async def accept_pairing(community: Community) -> Any:
    """Both accept: Lantern opens a private pair thread in #mentorship. Returns the thread's handle."""
    arjun, sofia = community["arjun.w"], community["sofia.nga"]
    for member in (arjun, sofia):
        dm = member.user.dm_channel.history()[-1]
        accept = next(
            child.custom_id
            for row in dm.components
            if isinstance(row, discord.ActionRow)
            for child in row.children
            if isinstance(child, discord.Button) and (child.custom_id or "").endswith(":accept")
        )
        await member.user.click(dm, custom_id=accept)
    return community.world.mentorship.threads[-1]


async def share_resources(community: Community) -> Any:
    """Review off, then members share links: each becomes a card in #resources. Returns the last card."""
    world = community.world
    await world.mod.slash(world.general, "setup options", review_resources=False)
    sharers = ("kai.nob", "leilani", "mika.tr")
    for name, resource in zip(sharers, RESOURCES, strict=True):
        await world.env.advance_time(15 * 60)  # spread out, so each card stands on its own in the channel
        await community[name].slash(world.general, "resource share", **resource)
    return world.resources.last_message


PROMPT_REPLIES_ORDER = ("leilani", "kai.nob", "sofia.nga", "mika.tr", "arjun.w", "hana.pj")
_SHORT_REPLIES = {
    "culture": (
        "Ooh, saving this one.",
        "My lola would approve.",
        "Trying this at the weekend!",
        "We do something similar with mochi.",
        "This thread is making me hungry.",
        "Recipe please 🙏",
        "Adding it to the family cookbook.",
    ),
    "identity": (
        "This took me years to put into words.",
        "Same here, especially at family gatherings.",
        "Thank you for sharing this.",
        "I felt this one.",
        "Still figuring it out, honestly.",
    ),
}


def short_reply(theme: str, n: int) -> str:
    """A short, kind reply for filler threads (the stats chart's weeks of history)."""
    replies = _SHORT_REPLIES.get(theme, _SHORT_REPLIES["identity"])
    return replies[n % len(replies)]
