"""/setup and /about, as a moderator and a member use them."""

from __future__ import annotations

import pytest
from simcord import MemberActor, SetupError, assert_error, assert_responded

from core.errors import InvalidInput, UnknownTimezone
from storage.models import GuildSettings
from tests.conftest import World


async def stored(world: World) -> GuildSettings | None:
    async with world.bot.db.read() as session:
        return await session.get(GuildSettings, world.guild.id)


async def test_setup_channels_saves_every_channel_and_logs_it(world: World) -> None:
    """The world fixture ran /setup channels; every channel is stored and the mod-log says so."""
    settings = await stored(world)
    assert settings is not None
    assert settings.intro_channel_id == world.intro.id
    assert settings.welcome_channel_id == world.welcome.id
    assert settings.mentorship_channel_id == world.mentorship.id
    assert settings.modlog_channel_id == world.modlog.id
    entry = world.modlog.history()[-1]
    assert entry.embeds[0].title == "Channels changed"
    assert world.intro.mention in entry.embeds[0].description
    assert "stella" in entry.embeds[0].footer.text


async def test_setup_channels_reply_names_the_channels(bare_world: World) -> None:
    """A moderator sees what was saved, privately."""
    result = await bare_world.mod.slash(bare_world.general, "setup channels", intro=bare_world.intro)
    assert_responded(result, contains=f"Introductions: {bare_world.intro.mention}", ephemeral=True)


async def test_setup_channels_with_nothing_chosen_changes_nothing(bare_world: World) -> None:
    """Running /setup channels with no option is refused and writes no row."""
    result = await bare_world.mod.slash(bare_world.general, "setup channels")
    assert_responded(result, contains="Pick at least one channel", ephemeral=True)
    assert_error(bare_world.env, InvalidInput)
    assert await stored(bare_world) is None


async def test_setup_options_saves_timezone_and_template(world: World) -> None:
    """A known timezone (any case) and a valid template are saved in their canonical form."""
    result = await world.mod.slash(
        world.general,
        "setup options",
        timezone="asia/manila",
        welcome_message="Hi {member}, welcome to {server}!",
        review_resources=False,
        pairing_checkins="7, 30",
    )
    assert_responded(result, contains="Timezone: Asia/Manila", ephemeral=True)
    settings = await stored(world)
    assert settings is not None
    assert settings.timezone == "Asia/Manila"
    assert settings.welcome_message == "Hi {member}, welcome to {server}!"
    assert settings.review_resources is False
    assert settings.checkin_days == (7, 30)
    assert world.modlog.history()[-1].embeds[0].title == "Options changed"


async def test_unknown_timezone_is_refused_and_nothing_is_saved(world: World) -> None:
    """An unknown timezone is named back to the moderator; the other options given are not saved either."""
    result = await world.mod.slash(
        world.general, "setup options", timezone="Mars/Olympus", welcome_message="Hello {member}"
    )
    assert_responded(result, contains="I don't know the timezone `Mars/Olympus`", ephemeral=True)
    assert_error(world.env, UnknownTimezone)
    settings = await stored(world)
    assert settings is not None
    assert settings.timezone == "UTC"
    assert settings.welcome_message is None


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"welcome_message": "Hi {name}"}, "uses `{name}`, which I don't know"),
        ({"welcome_message": "Hi {member"}, "unmatched"),
        ({"pairing_checkins": "45,14"}, "increasing order"),
        ({"pairing_checkins": "soon"}, "isn't a list of day numbers"),
        ({"pairing_checkins": "1,2,3,4"}, "the limit is 3"),
        ({"pairing_checkins": "400"}, "between 1 and 365"),
    ],
)
async def test_bad_options_are_refused_with_a_reason(world: World, options: dict[str, str], expected: str) -> None:
    """Each malformed option gets a sentence saying what is wrong; nothing changes."""
    before = await stored(world)
    result = await world.mod.slash(world.general, "setup options", **options)
    assert_responded(result, contains=expected, ephemeral=True)
    assert_error(world.env, InvalidInput)
    after = await stored(world)
    assert (after.welcome_message, after.pairing_checkins) == (before.welcome_message, before.pairing_checkins)


async def test_timezone_autocomplete_offers_matching_zones(world: World) -> None:
    """Typing 'manil' offers Asia/Manila; an empty field offers common zones."""
    choices = await world.mod.autocomplete(world.general, "setup options", "timezone", "manil")
    assert [c["value"] for c in choices] == ["Asia/Manila"]
    choices = await world.mod.autocomplete(world.general, "setup options", "timezone", "")
    assert "UTC" in [c["value"] for c in choices]
    assert len(choices) <= 25


async def test_intro_role_above_the_bot_is_saved_with_a_warning(world: World) -> None:
    """A role Lantern cannot give yet is saved, and the owner is told how to fix it."""
    role = world.guild.create_role("Introduced", position=50)  # above the bot's own role (and the moderator's)
    owner = MemberActor(world.env, world.guild, world.guild.owner)
    result = await owner.slash(world.general, "setup options", intro_role=role)
    assert_responded(result, contains="Introductions still work meanwhile", ephemeral=True)
    settings = await stored(world)
    assert settings.intro_role_id == role.id


async def test_everyone_role_cannot_be_the_intro_role(world: World) -> None:
    """@everyone is refused as the intro role."""
    everyone = world.guild.roles["@everyone"]
    result = await world.mod.slash(world.general, "setup options", intro_role=everyone)
    assert_responded(result, contains="can't be given by me", ephemeral=True)
    assert_error(world.env, InvalidInput)
    assert (await stored(world)).intro_role_id is None


async def test_setup_show_lists_configuration_and_what_is_missing(bare_world: World) -> None:
    """Before any setup, /setup show says what each feature still needs."""
    result = await bare_world.mod.slash(bare_world.general, "setup show")
    assert_responded(result, embed_title="Lantern in Lantern Community", ephemeral=True)
    fields = {f.name: f.value for f in result.response.embeds[0].fields}
    assert "Introductions: not set" in fields["Channels"]
    assert "`/setup channels intro:`" in fields["What's missing"]
    await bare_world.mod.slash(bare_world.general, "setup channels", intro=bare_world.intro)
    result = await bare_world.mod.slash(bare_world.general, "setup show")
    fields = {f.name: f.value for f in result.response.embeds[0].fields}
    assert f"Introductions: {bare_world.intro.mention}" in fields["Channels"]
    assert "`/setup channels intro:`" not in fields["What's missing"]


async def test_members_cannot_see_or_run_setup(world: World) -> None:
    """/setup is hidden from a member without Manage Server; /about is visible to them."""
    visible = {name.split()[0] for name in world.alice.available_commands(world.general)}
    assert "setup" not in visible
    assert "about" in visible
    assert "setup" in {name.split()[0] for name in world.mod.available_commands(world.general)}
    with pytest.raises(SetupError):
        await world.alice.slash(world.general, "setup show")


async def test_about_tells_a_member_what_lantern_does(world: World) -> None:
    """/about answers privately with the features, the privacy commands and the version."""
    result = await world.alice.slash(world.general, "about")
    assert_responded(result, embed_title="Lantern", ephemeral=True)
    embed = result.response.embeds[0]
    assert "mixed Asian heritage" in embed.description
    assert any("/privacy delete" in f.value for f in embed.fields)
    assert any("privacy notice" in f.value for f in embed.fields)
    assert "SQLite" in embed.footer.text or "PostgreSQL" in embed.footer.text


async def test_configuration_survives_a_restart(world: World) -> None:
    """Settings live in the database: a new bot process reads them back."""
    await world.mod.slash(world.general, "setup options", timezone="Europe/London")
    await world.restart()
    result = await world.mod.slash(world.general, "setup show")
    fields = {f.name: f.value for f in result.response.embeds[0].fields}
    assert "Timezone: Europe/London" in fields["Options"]


async def test_about_links_the_published_privacy_notice(world: World) -> None:
    """With PRIVACY_NOTICE_URL set, /about links to it."""
    world.bot.settings = world.bot.settings.model_copy(update={"privacy_notice_url": "https://example.org/privacy"})
    result = await world.alice.slash(world.general, "about")
    privacy = next(f.value for f in result.response.embeds[0].fields if f.name == "Your privacy")
    assert "[Read the privacy notice](https://example.org/privacy)" in privacy


async def test_moving_the_mod_log_takes_effect_at_once(world: World) -> None:
    """After /setup channels modlog:#new, the next moderator action is logged in the new channel only."""
    new = world.guild.create_text_channel("mod-log-2")
    await world.mod.slash(world.general, "setup channels", modlog=new)
    logged_before = len(world.modlog.history())
    result = await world.mod.slash(world.general, "setup options", timezone="Asia/Tokyo")
    assert_responded(result, contains="Timezone: Asia/Tokyo", ephemeral=True)
    assert [entry.embeds[0].title for entry in new.history()] == ["Channels changed", "Options changed"]
    assert len(world.modlog.history()) == logged_before
