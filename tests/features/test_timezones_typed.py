"""Timezones as moderators and members type them, in /setup options and /mentor offer and request."""

from __future__ import annotations

from simcord import assert_error, assert_responded

from core.errors import AmbiguousTimezone, UnknownTimezone
from storage.models import GuildSettings
from tests.conftest import World
from tests.features.test_mentorship_support import mentees, mentors, offer, request


async def guild_timezone(world: World) -> str:
    async with world.bot.db.read() as session:
        settings = await session.get(GuildSettings, world.guild.id)
    assert settings is not None
    return settings.timezone


async def test_a_city_is_saved_as_its_zone(world: World) -> None:
    """`/setup options timezone:Seoul` saves Asia/Seoul."""
    result = await world.mod.slash(world.general, "setup options", timezone="Seoul")
    assert_responded(result, contains="Timezone: Asia/Seoul", ephemeral=True)
    assert await guild_timezone(world) == "Asia/Seoul"


async def test_an_offset_is_saved_as_a_fixed_zone_and_shown_as_typed(world: World) -> None:
    """`UTC+8` is stored as IANA's Etc/GMT-8 (inverted sign) and read back to the moderator as UTC+8."""
    result = await world.mod.slash(world.general, "setup options", timezone="UTC+8")
    assert_responded(result, contains="Timezone: UTC+8", ephemeral=True)
    assert await guild_timezone(world) == "Etc/GMT-8"
    shown = await world.mod.slash(world.general, "setup show")
    options = next(f.value for f in shown.response.embeds[0].fields if f.name == "Options")
    assert "Timezone: UTC+8" in options


async def test_an_ambiguous_abbreviation_is_asked_about_and_nothing_saved(world: World) -> None:
    """`IST` could be India, Israel or Ireland: the moderator is asked which; the timezone stays as it was."""
    result = await world.mod.slash(world.general, "setup options", timezone="IST")
    assert_responded(
        result,
        contains="`IST` could be India (`Asia/Kolkata`), Israel (`Asia/Jerusalem`) or Ireland (`Europe/Dublin`)",
        ephemeral=True,
    )
    assert_error(world.env, AmbiguousTimezone)
    assert await guild_timezone(world) == "UTC"


async def test_an_impossible_offset_says_the_range(world: World) -> None:
    result = await world.mod.slash(world.general, "setup options", timezone="UTC+15")
    assert_responded(result, contains="offsets run from `UTC-12:00` to `UTC+14:00`", ephemeral=True)
    assert_error(world.env, UnknownTimezone)


async def test_autocomplete_shows_the_local_time_on_the_bots_clock(world: World) -> None:
    """Each choice shows the time there now, on Lantern's clock (SimCord's starts 2026-01-01 00:00 UTC)."""
    await world.env.advance_time(6 * 3600 + 30 * 60)
    choices = await world.mod.autocomplete(world.general, "setup options", "timezone", "manila")
    assert choices[0] == {"name": "Asia/Manila · Thu 14:30 now", "value": "Asia/Manila"}
    choices = await world.mod.autocomplete(world.general, "setup options", "timezone", "ist")
    assert [c["value"] for c in choices[:3]] == ["Asia/Kolkata", "Asia/Jerusalem", "Europe/Dublin"]
    assert choices[0]["name"] == "India: Asia/Kolkata · Thu 12:00 now"
    assert len(choices) <= 25 and all(len(c["name"]) <= 100 for c in choices)


async def test_members_type_offsets_and_cities_for_mentoring(world: World) -> None:
    """`/mentor offer timezone:+05:30` and `/mentor request timezone:Toronto` are understood and shown back."""
    result = await offer(world, world.alice, timezone="+05:30")
    assert_responded(result, ephemeral=True)
    result = await request(world, world.bob, timezone="toronto")
    assert_responded(result, ephemeral=True)
    assert [m.timezone for m in await mentors(world)] == ["UTC+05:30"]
    assert [m.timezone for m in await mentees(world)] == ["America/Toronto"]
    status = await world.alice.slash(world.general, "mentor status")
    assert "UTC+05:30" in status.response.embeds[0].fields[0].value
    choices = await world.bob.autocomplete(world.general, "mentor request", "timezone", "utc-5")
    assert choices[0] == {"name": "UTC-5 · Wed 19:00 now", "value": "Etc/GMT+5"}
