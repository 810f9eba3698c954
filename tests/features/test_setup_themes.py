"""/setup themes: a moderator lists, renames, adds and turns off the server's themes, and members see the change
everywhere themes are picked (PRODUCT.md: "moderators may rename, add, or disable; keys are stable")."""

from __future__ import annotations

import pytest
from simcord import OptionError, SetupError, assert_error, assert_responded
from sqlalchemy import func, select

from core.errors import InvalidInput
from core.themes import ThemeRow
from storage.guilds import all_themes
from storage.models.prompts import Prompt
from tests.conftest import World
from tests.features.test_mentorship_support import DAY, last_dm, mentees, mentors, offer, request
from tests.features.test_prompts_schedule import make_schedule, posts, tick


async def themes(world: World) -> list[ThemeRow]:
    async with world.bot.db.read() as session:
        return await all_themes(session, world.guild.id)


async def setup_themes(world: World, **options: object):
    return await world.mod.slash(world.general, "setup themes", **options)


async def offered(world: World, command: str, typed: str) -> list[str]:
    return [c["value"] for c in await world.alice.autocomplete(world.general, command, "themes", typed)]


async def test_the_list_shows_every_theme_and_how_to_change_them(world: World) -> None:
    """With no option, the moderator sees the twelve default themes with their keys, privately."""
    result = await setup_themes(world)
    assert_responded(result, embed_title="Themes", ephemeral=True)
    embed = result.response.embeds[0]
    assert "• Career guidance · `career`" in embed.description
    assert embed.description.count("\n") == 11
    assert embed.footer.text.startswith("12 of 25 themes")


async def test_a_renamed_theme_keeps_its_key_and_members_pick_it_by_the_new_name(world: World) -> None:
    """Career guidance renamed to Sự nghiệp: the mod-log says so; a member's earlier offer keeps `career` and now
    reads the new name; members find it typed without accents, and `/setup themes` offers it by either name."""
    await offer(world, world.alice, themes="career")
    assert [c["value"] for c in await world.mod.autocomplete(world.general, "setup themes", "theme", "guid")] == [
        "career"
    ]
    result = await setup_themes(world, theme="career", name="  Sự   nghiệp ")
    assert_responded(result, contains="Renamed “Career guidance” to “Sự nghiệp” (`career`).", ephemeral=True)
    entry = world.modlog.history()[-1].embeds[0]
    assert entry.title == "Themes changed" and "Sự nghiệp" in entry.description
    assert [row.label for row in await themes(world) if row.key == "career"] == ["Sự nghiệp"]
    assert await offered(world, "mentor offer", "su ngh") == ["career"]
    result = await offer(world, world.alice, themes="SU NGHIEP, identity")
    assert_responded(result, contains="Sự nghiệp and Identity", ephemeral=True)
    (profile,) = await mentors(world)
    assert profile.themes == "career,identity"
    result = await world.bob.slash(
        world.general, "resource share", url="https://example.org/a", title="A guide", themes="sự nghiệp"
    )
    assert_responded(result, ephemeral=True)


async def test_a_theme_turned_off_leaves_the_lists_and_what_members_chose_stays(world: World) -> None:
    """Networking turned off: no longer offered or accepted, a member's earlier request keeps it; turned back on,
    it is offered again."""
    await request(world, world.bob, themes="networking, career")
    result = await setup_themes(world, theme="Networking", enabled=False)
    assert_responded(result, contains="Turned “Networking” (`networking`) off", ephemeral=True)
    assert "networking" not in await offered(world, "mentor request", "")
    result = await offer(world, world.alice, themes="networking")
    assert_responded(result, contains="`networking`, which isn't one of this server's themes", ephemeral=True)
    assert_error(world.env, InvalidInput)
    assert await mentors(world) == []
    (wanted,) = await mentees(world)
    assert wanted.themes == "networking,career"
    status = (await world.bob.slash(world.general, "mentor status")).response.embeds[0]
    assert "Networking and Career guidance" in str([field.value for field in status.fields])
    listed = (await setup_themes(world)).response.embeds[0].description
    assert "• ~~Networking~~ · `networking` (off)" in listed
    off = await world.mod.autocomplete(world.general, "setup themes", "theme", "netw")
    assert [(c["name"], c["value"]) for c in off] == [("Networking (networking) · off", "networking")]
    shown = (await world.mod.slash(world.general, "setup show")).response.embeds[0]
    assert {f.name: f.value for f in shown.fields}["Themes (`/setup themes`)"].startswith("11 on, 1 off: Identity")
    result = await setup_themes(world, theme="networking", enabled=True)
    assert_responded(result, contains="back on", ephemeral=True)
    assert "networking" in await offered(world, "mentor request", "")


async def test_a_new_theme_is_added_with_a_key_from_its_name(world: World) -> None:
    """Typing a name no theme has offers to add it; added, it gets a key from its name and is picked at once."""
    typed = await world.mod.autocomplete(world.general, "setup themes", "theme", "Food & family")
    assert typed == [{"name": "Add “Food & family” as a new theme", "value": "Food & family"}]
    result = await setup_themes(world, theme="Food & family")
    assert_responded(result, contains="Added the theme “Food & family” (`food-family`).", ephemeral=True)
    assert (await themes(world))[-1] == ThemeRow("food-family", "Food & family", True)
    assert await offered(world, "mentor offer", "food") == ["food-family"]
    shown = await world.mod.slash(world.general, "prompts add", theme="food & family")
    await world.mod.submit_modal(
        shown, {"text": "Which dish tastes like both sides of your family?", "theme": "food & family"}
    )
    async with world.bot.db.read() as session:
        assert [p.theme for p in await session.scalars(select(Prompt).where(Prompt.text.startswith("Which dish")))] == [
            "food-family"
        ]
    result = await setup_themes(world, theme="家族")
    assert_responded(result, contains="(`theme-14`)", ephemeral=True)


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"theme": "career", "name": "Careers, jobs"}, "has a comma"),
        ({"theme": "career", "name": "[Verify](https://evil.example)"}, "change how Discord shows text"),
        ({"theme": "Hi @everyone"}, "change how Discord shows text"),
        ({"theme": "career", "name": "NETWORKING"}, "`NETWORKING` is already the theme “Networking” (`networking`)"),
        ({"theme": "career", "name": "identity EXPLORATION"}, "is already the theme “Identity exploration”"),
        ({"theme": "career", "name": "Career guidance"}, "changed nothing"),
        ({"theme": "career", "enabled": True}, "changed nothing"),
        ({"theme": "carrer", "name": "Careers"}, "`carrer` isn't one of this server's themes"),
        ({"theme": "career", "name": "   "}, "is empty"),
        ({"name": "Careers"}, "needs a theme"),
    ],
)
async def test_bad_changes_are_refused_and_change_nothing(world: World, options: dict, says: str) -> None:
    before = await themes(world)
    logged = len(world.modlog.history())
    result = await setup_themes(world, **options)
    assert_responded(result, contains=says, ephemeral=True)
    assert_error(world.env, InvalidInput)
    assert await themes(world) == before
    assert len(world.modlog.history()) == logged


async def test_the_last_theme_on_and_a_26th_theme_are_refused(world: World) -> None:
    """Members always have a theme to pick, and one list shows them all: the last theme on can't be turned off,
    and a server holds at most 25 themes."""
    keys = [row.key for row in await themes(world)]
    for key in keys[:-1]:
        await setup_themes(world, theme=key, enabled=False)
    result = await setup_themes(world, theme=keys[-1], enabled=False)
    assert_responded(result, contains="is the only theme still on", ephemeral=True)
    assert_error(world.env, InvalidInput)
    assert [row.key for row in await themes(world) if row.enabled] == keys[-1:]
    assert await offered(world, "mentor offer", "") == keys[-1:]
    for number in range(13):
        await setup_themes(world, theme=f"Extra {number}")
    assert len(await themes(world)) == 25
    typed = await world.mod.autocomplete(world.general, "setup themes", "theme", "Extra 99")
    assert all(not c["name"].startswith("Add") for c in typed)
    result = await setup_themes(world, theme="Extra 99")
    assert_responded(result, contains="already has 25 themes", ephemeral=True)
    assert_error(world.env, InvalidInput)
    assert len(await themes(world)) == 25


async def test_a_name_longer_than_discord_takes_never_reaches_the_bot(world: World) -> None:
    with pytest.raises(OptionError):
        await setup_themes(world, theme="career", name="x" * 81)
    assert [row.label for row in await themes(world) if row.key == "career"] == ["Career guidance"]


async def test_members_cannot_run_setup_themes(world: World) -> None:
    with pytest.raises(SetupError):
        await world.alice.slash(world.general, "setup themes", theme="career", name="Mine now")
    assert [row.label for row in await themes(world) if row.key == "career"] == ["Career guidance"]


async def test_a_round_pairs_on_a_new_theme_and_says_so_by_its_name(world: World) -> None:
    """Two members who chose only a theme the moderator added are paired on it, and the reason names it; the
    mentor's proposal offers general conversation starters (the theme has none of its own)."""
    await setup_themes(world, theme="Food & family")
    await offer(world, world.alice, themes="food & family")
    await request(world, world.bob, themes="FOOD & FAMILY")
    result = await world.mod.slash(world.general, "pairing run", dry_run=True)
    text = result.response.embeds[0].description
    assert "Dry run: I would propose 1 pair" in text and "You both listed food & family" in text
    await world.mod.slash(world.general, "pairing run")
    assert "food & family" in last_dm(world.alice).content


async def test_prompts_of_a_theme_turned_off_are_never_drawn(world: World) -> None:
    """With every theme but Career guidance turned off, `/prompt random`, a schedule's due posts and `/prompts post`
    draw career prompts only (the bank keeps the others, for when their themes come back)."""
    for row in await themes(world):
        if row.key != "career":
            await setup_themes(world, theme=row.key, enabled=False)
    schedule = await make_schedule(world)
    await world.mod.slash(world.general, "prompts post", schedule=schedule.id)
    for _ in range(3):
        await tick(world, DAY)
    drawn = {p.prompt_id for p in await posts(world)}
    async with world.bot.db.read() as session:
        drawn_themes = set(await session.scalars(select(Prompt.theme).where(Prompt.id.in_(drawn))))
        assert await session.scalar(select(func.count()).select_from(Prompt).where(Prompt.theme != "career")) > 40
    assert len(drawn) == 4 and drawn_themes == {"career"}
    for _ in range(4):
        result = await world.alice.slash(world.general, "prompt random")
        assert result.response.embeds[0].title == "Career guidance"
        await world.env.advance_time(10 * 60)


async def test_a_schedule_of_a_theme_turned_off_pauses_and_says_why(world: World) -> None:
    """A schedule of career prompts only, career turned off: at its next time it pauses, and the mod-log says how to
    bring it back."""
    await make_schedule(world, themes="career")
    await setup_themes(world, theme="career", enabled=False)
    await tick(world, DAY)
    assert await posts(world) == [] or all(p.prompt_id is None for p in await posts(world))
    entry = world.modlog.history()[-1].embeds[0]
    assert entry.title.endswith("paused") and "turn them back on with `/setup themes`" in entry.description
