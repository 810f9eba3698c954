"""/setup show as a checklist: every check fails on a misconfigured simulated server, names the fix in
Discord's own words, and passes once the server is fixed.

SimCord builds channel overwrites only when a channel is created, and has no public verb for a moderator
editing a channel's permissions or a role later; these tests do that through its private backend API
(SimCord 3.2.1: `set_overwrite`, `delete_overwrite`, `edit_role`, `delete_role`, `delete_channel`,
`edit_guild`, `edit_member`), which emits the same gateway updates Discord sends.
"""

from __future__ import annotations

import discord
import pytest
from simcord import ChannelHandle, MemberActor, RoleHandle, assert_responded
from simcord.backend.models.channel import Overwrite
from simcord.enums import OverwriteType

from cogs.setup_checklist import CHANNELS, PERMISSION_WORDS
from storage.models import GuildSettings
from tests.conftest import World

LABELS = {option: label for _column, option, label, _needed in CHANNELS}
CHANNEL_NEEDS = [(option, permission) for _column, option, _label, needed in CHANNELS for permission in needed]


async def show(world: World) -> tuple[str, str]:
    """What /setup show lists as ready and as missing (the continued fields joined)."""
    result = await world.mod.slash(world.general, "setup show")
    assert_responded(result, ephemeral=True)
    fields = result.response.embeds[0].fields
    ready = "\n".join(f.value for f in fields if f.name == "Ready")
    missing = "\n".join(f.value for f in fields if f.name.startswith("What's missing"))
    return ready, missing


def bot_name(world: World) -> str:
    me = world.guild.me
    assert me is not None
    return me.display_name


def bot_role(world: World) -> discord.Role:
    me = world.guild.me
    assert me is not None
    return me.top_role


def deny_bot(world: World, channel: ChannelHandle, *permissions: str) -> None:
    """#channel → Edit Channel → Permissions → Lantern → ✗ (private backend API)."""
    denied = discord.Permissions(**dict.fromkeys(permissions, True))
    world.env.backend.set_overwrite(
        channel.id, Overwrite(target_id=world.env.backend.bot_user.id, type=OverwriteType.MEMBER, deny=denied.value)
    )


def clear_bot_overwrite(world: World, channel: ChannelHandle) -> None:
    """The moderator removes Lantern's overwrite again (private backend API)."""
    world.env.backend.delete_overwrite(channel.id, world.env.backend.bot_user.id)


def edit_role(world: World, role_id: int, **changes: object) -> None:
    world.env.backend.edit_role(world.guild.id, role_id, changes)


@pytest.fixture
async def ready_world(world: World) -> World:
    """Every channel set, a timezone chosen and a privacy notice published: nothing missing."""
    await world.mod.slash(world.general, "setup options", timezone="Manila")
    world.bot.settings = world.bot.settings.model_copy(update={"privacy_notice_url": "https://example.org/privacy"})
    return world


async def set_intro_role(world: World, name: str = "Newcomer") -> RoleHandle:
    role = world.guild.create_role(name)  # just above @everyone: below the bot's and the moderator's roles
    owner = MemberActor(world.env, world.guild, world.guild.owner)
    await owner.slash(world.general, "setup options", intro_role=role)
    return role


async def test_a_fully_set_up_server_is_ready(ready_world: World) -> None:
    """With every channel usable, a timezone and a privacy notice, every line is ticked and nothing is missing."""
    ready, missing = await show(ready_world)
    assert missing == "Nothing: every feature is ready."
    for option, label in LABELS.items():
        channel = getattr(ready_world, option)
        assert f"✅ {label} in {channel.mention}" in ready
    assert "✅ Timezone: Asia/Manila" in ready
    assert "✅ Privacy notice" in ready


@pytest.mark.parametrize(("option", "permission"), CHANNEL_NEEDS)
async def test_each_channel_permission_is_checked_and_the_fix_named(
    ready_world: World, option: str, permission: str
) -> None:
    """Without one permission Lantern uses in a feature channel, /setup show says which, where to grant it in
    Discord's words; once granted the feature is ready again."""
    channel = getattr(ready_world, option)
    label = LABELS[option]
    words = PERMISSION_WORDS[permission]
    deny_bot(ready_world, channel, permission)
    await ready_world.env.settle()

    ready, missing = await show(ready_world)
    assert f"{label}: I'm missing " in missing and words in missing
    assert f"Fix: {channel.mention} → Edit Channel → Permissions → {bot_name(ready_world)} → allow " in missing
    assert f"{label} in {channel.mention}" not in ready

    clear_bot_overwrite(ready_world, channel)
    await ready_world.env.settle()
    ready, missing = await show(ready_world)
    assert f"✅ {label} in {channel.mention}" in ready
    assert missing == "Nothing: every feature is ready."


def test_threads_are_checked_where_lantern_opens_them() -> None:
    """Pair threads are private (mentorship channel), prompt threads public (prompts channel); Lantern locks
    pair threads (Manage Threads) and edits mod-log entries after an erasure (Read Message History)."""
    needs = {option: set(needed) for _column, option, _label, needed in CHANNELS}
    assert {"create_private_threads", "send_messages_in_threads", "manage_threads"} <= needs["mentorship"]
    assert "create_public_threads" not in needs["mentorship"]
    assert "create_public_threads" in needs["prompts"]
    assert "read_message_history" in needs["modlog"]
    assert all("view_channel" in needed for needed in needs.values())


async def test_a_hidden_channel_lists_everything_lantern_lacks_there(ready_world: World) -> None:
    """Without View Channel Lantern can do nothing in a channel: the line names View Channel first."""
    deny_bot(ready_world, ready_world.prompts, "view_channel")
    await ready_world.env.settle()
    _ready, missing = await show(ready_world)
    assert (
        "Discussion prompts: I'm missing View Channel, Send Messages, Embed Links and Create Public Threads in"
        in missing
    )


async def test_a_deleted_channel_is_named_and_choosing_another_fixes_it(ready_world: World) -> None:
    """A feature channel deleted in Discord: /setup show says so; `/setup channels` with a new one fixes it."""
    ready_world.env.backend.delete_channel(ready_world.prompts.id)
    await ready_world.env.settle()
    _ready, missing = await show(ready_world)
    assert "Discussion prompts: its channel was deleted. Choose another with `/setup channels prompts:`." in missing

    fresh = ready_world.guild.create_text_channel("prompts-2")
    await ready_world.mod.slash(ready_world.general, "setup channels", prompts=fresh)
    ready, missing = await show(ready_world)
    assert f"✅ Discussion prompts in {fresh.mention}" in ready
    assert missing == "Nothing: every feature is ready."


async def test_an_intro_role_above_lantern_says_to_drag_lantern_above_it(ready_world: World) -> None:
    """A role at or above Lantern's own can't be given: Server Settings → Roles → drag Lantern above it."""
    role = await set_intro_role(ready_world)
    ready, _missing = await show(ready_world)
    assert f"✅ Intro role {role.mention}: I can give it" in ready

    edit_role(ready_world, role.id, position=bot_role(ready_world).position + 1)
    await ready_world.env.settle()
    ready, missing = await show(ready_world)
    assert f"Fix: Server Settings → Roles → drag {bot_role(ready_world).name} above Newcomer." in missing
    assert "Intro role" not in ready

    edit_role(ready_world, role.id, position=1)
    await ready_world.env.settle()
    ready, missing = await show(ready_world)
    assert f"✅ Intro role {role.mention}: I can give it" in ready
    assert missing == "Nothing: every feature is ready."


async def test_an_intro_role_without_manage_roles_says_where_to_turn_it_on(ready_world: World) -> None:
    """Lantern's role without Manage Roles: the fix is on Lantern's role, in Server Settings → Roles."""
    role = await set_intro_role(ready_world)
    mine = bot_role(ready_world)
    everything = mine.permissions
    edit_role(ready_world, mine.id, permissions=(everything.value & ~discord.Permissions(manage_roles=True).value))
    await ready_world.env.settle()
    _ready, missing = await show(ready_world)
    assert f"I can't give {role.mention} without Manage Roles." in missing
    assert f"Fix: Server Settings → Roles → {mine.name} → Permissions → turn on Manage Roles." in missing

    edit_role(ready_world, mine.id, permissions=everything.value)
    await ready_world.env.settle()
    _ready, missing = await show(ready_world)
    assert missing == "Nothing: every feature is ready."


async def test_an_intro_role_that_gained_power_is_flagged(ready_world: World) -> None:
    """A role given power after it was chosen is not given by Lantern: /setup show says which, and where."""
    role = await set_intro_role(ready_world)
    edit_role(ready_world, role.id, permissions=discord.Permissions(kick_members=True).value)
    await ready_world.env.settle()
    _ready, missing = await show(ready_world)
    assert f"{role.mention} carries kick members, so I won't give it." in missing
    assert "Fix: Server Settings → Roles → Newcomer → Permissions → turn off kick members." in missing

    edit_role(ready_world, role.id, permissions=0)
    await ready_world.env.settle()
    _ready, missing = await show(ready_world)
    assert missing == "Nothing: every feature is ready."


async def test_a_deleted_intro_role_asks_for_another(ready_world: World) -> None:
    role = await set_intro_role(ready_world)
    ready_world.env.backend.delete_role(ready_world.guild.id, role.id)
    await ready_world.env.settle()
    _ready, missing = await show(ready_world)
    assert "The intro role was deleted. Choose another with `/setup options intro_role:`." in missing


async def test_the_default_timezone_is_a_warning_until_one_is_chosen(world: World) -> None:
    """UTC because nobody chose is not "ready"; choosing a city fixes it, and so does choosing UTC itself."""
    world.bot.settings = world.bot.settings.model_copy(update={"privacy_notice_url": "https://example.org/privacy"})
    result = await world.mod.slash(world.general, "setup show")
    options = next(f.value for f in result.response.embeds[0].fields if f.name == "Options")
    assert "Timezone: UTC (the default: never chosen)" in options
    _ready, missing = await show(world)
    assert "Schedules run on UTC because no timezone was chosen. Fix: `/setup options timezone:`" in missing

    await world.mod.slash(world.general, "setup options", timezone="Toronto")
    ready, missing = await show(world)
    assert "✅ Timezone: America/Toronto" in ready
    assert missing == "Nothing: every feature is ready."

    result = await world.mod.slash(world.general, "setup options", timezone="UTC")
    assert_responded(result, contains="Timezone: UTC", ephemeral=True)
    async with world.bot.db.read() as session:
        settings = await session.get(GuildSettings, world.guild.id)
    assert settings is not None and settings.timezone == "Etc/UTC"  # the same zone, but chosen
    ready, missing = await show(world)
    assert "✅ Timezone: UTC" in ready
    assert missing == "Nothing: every feature is ready."


async def test_a_missing_privacy_notice_is_a_warning(ready_world: World) -> None:
    """Without PRIVACY_NOTICE_URL members have nothing to read: /setup show says how to publish one."""
    ready_world.bot.settings = ready_world.bot.settings.model_copy(update={"privacy_notice_url": None})
    ready, missing = await show(ready_world)
    assert "Members have no privacy notice to read." in missing and "PRIVACY_NOTICE_URL" in missing
    assert "Privacy notice" not in ready


async def test_setup_channels_warns_in_discords_words(world: World) -> None:
    """Choosing a channel where Lantern lacks a permission says which, as Discord names it."""
    deny_bot(world, world.prompts, "create_public_threads")
    await world.env.settle()
    result = await world.mod.slash(world.general, "setup channels", prompts=world.prompts)
    assert_responded(
        result, contains=f"In {world.prompts.mention} I still need: Create Public Threads.", ephemeral=True
    )


async def test_the_worst_server_still_fits_in_one_embed(world: World) -> None:
    """Everything wrong at once, with the longest names Discord allows: /setup show stays within Discord's
    embed limits (fields ≤ 1024, total ≤ 6000) and still leads with the problems."""
    backend = world.env.backend
    backend.edit_guild(world.guild.id, {"name": "G" * 100})
    backend.edit_member(world.guild.id, backend.bot_user.id, {"nick": "N" * 32})
    for _column, option, _label, _needed in CHANNELS:
        channel = getattr(world, option)
        backend.edit_channel(channel.id, {"name": "c" * 100})
        deny_bot(world, channel, "view_channel")
    role = await set_intro_role(world, "R" * 100)
    mine = bot_role(world)
    edit_role(world, role.id, permissions=discord.Permissions(kick_members=True).value, position=mine.position + 1)
    edit_role(world, mine.id, name="B" * 100, permissions=0)
    await world.env.settle()

    result = await world.mod.slash(world.general, "setup show")
    embed = result.response.embeds[0]
    assert len(embed) <= 6000 and len(embed.fields) <= 25
    assert all(len(field.value) <= 1024 and len(field.name) <= 256 for field in embed.fields)
    _ready, missing = await show(world)
    assert "Introductions: I'm missing View Channel" in missing
