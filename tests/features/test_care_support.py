"""Support around hard themes (issue 20): `/support` shows privately where to find help; moderators set the
server's own support channel, people to ask and helplines with `/setup support` (the international helpline
directory by default, never phone numbers Lantern can't keep current); prompts on emotional support and
coping carry a short line pointing there."""

from __future__ import annotations

from typing import Any

import pytest
from simcord import SetupError, assert_error, assert_responded

from core.errors import InvalidInput
from storage.models.care import CareSupport
from tests.conftest import World

DIRECTORY = "https://findahelpline.com"
HELPLINES = "Samaritans | https://www.samaritans.org\nLifeline International | https://lifeline-international.com/find-a-helpline"


async def stored(world: World) -> CareSupport | None:
    async with world.bot.db.read() as session:
        return await session.get(CareSupport, world.guild.id)


async def set_support(world: World, values: dict[str, str], **options: Any) -> Any:
    shown = await world.mod.slash(world.general, "setup support", **options)
    assert shown.modal is not None and shown.modal["title"] == "Support in this server"
    return await world.mod.submit_modal(shown, values)


def fields(result: Any) -> dict[str, str]:
    return {field.name: field.value for field in result.response.embeds[0].fields}


async def test_support_shows_the_international_directory_privately_by_default(world: World) -> None:
    """With nothing set, /support privately points to the helpline directory and says what to do in danger."""
    result = await world.alice.slash(world.general, "support")
    assert_responded(result, embed_title="Support", ephemeral=True)
    shown = fields(result)
    assert f"(<{DIRECTORY}>)" in shown["Helplines"]
    assert "local emergency number" in shown["In an emergency"]
    assert "In this server" not in shown
    assert await stored(world) is None


async def test_a_moderator_sets_the_channel_people_and_helplines(world: World) -> None:
    """/setup support stores the channel, who to ask and the helplines; /support shows them to anyone, the
    mod-log records the change, and nobody is pinged by the people line."""
    done = await set_support(
        world, {"people": "@everyone our Care Team", "helplines": HELPLINES}, channel=world.welcome
    )
    assert_responded(done, contains="Saved.", ephemeral=True)
    row = await stored(world)
    assert row is not None
    assert (row.channel_id, row.people) == (world.welcome.id, "@everyone our Care Team")
    assert row.helplines is not None and "samaritans.org" in row.helplines
    assert world.modlog.history()[-1].embeds[0].title == "Support changed"
    result = await world.bob.slash(world.general, "support")
    shown = fields(result)
    assert shown["In this server"] == f"<#{world.welcome.id}> · @everyone our Care Team"
    assert "[Samaritans](<https://www.samaritans.org>)" in shown["Helplines"] and DIRECTORY not in shown["Helplines"]
    callbacks = [r for r in world.env.http_requests if r.path.endswith("/callback")]
    assert callbacks[-1].json["data"]["allowed_mentions"] == {"parse": []}


async def test_the_form_is_filled_with_what_is_set_and_survives_a_restart(world: World) -> None:
    """The form opens with the current people and helplines; submitted after a restart, it still saves."""
    await set_support(world, {"people": "Any moderator", "helplines": HELPLINES})
    shown = await world.mod.slash(world.general, "setup support", remove_channel=True)
    text = str(shown.modal)
    assert "Any moderator" in text and "samaritans.org" in text
    await world.restart()
    await world.mod.submit_modal(shown, {"people": "The care team", "helplines": ""})
    row = await stored(world)
    assert row is not None and (row.channel_id, row.people, row.helplines) == (None, "The care team", None)


@pytest.mark.parametrize(
    ("helplines", "problem"),
    [
        ("Samaritans | http://www.samaritans.org", "must start with https://"),
        ("Samaritans https://www.samaritans.org", "isn't `Label | https://link`"),
        ("[Verify](https://evil.example) | https://evil.example", "which would change how it shows"),
        ("\n".join(f"Line {n} | https://example.org/{n}" for n in range(6)), "the limit is 5"),
        ("Local | https://localhost/help", "doesn't name a website"),
        ("Long | https://example.org/" + "a" * 200, "the limit is 150"),
    ],
)
async def test_bad_helplines_are_refused_and_change_nothing(world: World, helplines: str, problem: str) -> None:
    """Each malformed helpline list gets a clear answer, and nothing is stored."""
    done = await set_support(world, {"people": "Moderators", "helplines": helplines}, channel=world.welcome)
    assert_responded(done, contains=problem, ephemeral=True)
    assert_error(world.env, InvalidInput)
    assert await stored(world) is None


async def test_members_cannot_open_setup_support(world: World) -> None:
    """/setup support needs Manage Server: members don't see it."""
    assert "setup support" not in world.alice.available_commands(world.general)
    with pytest.raises(SetupError):
        await world.alice.slash(world.general, "setup support")


async def test_choosing_and_removing_a_channel_at_once_is_refused(world: World) -> None:
    result = await world.mod.slash(world.general, "setup support", channel=world.welcome, remove_channel=True)
    assert_responded(result, contains="Pick one of the two options", ephemeral=True)
    assert_error(world.env, InvalidInput)


async def test_setup_show_mentions_support(world: World) -> None:
    """/setup show says where members find support, and flags a deleted support channel."""
    result = await world.mod.slash(world.general, "setup show")
    assert "international helpline directory" in fields(result)["Support (`/setup support`)"]
    await set_support(world, {"people": "Care team", "helplines": HELPLINES}, channel=world.welcome)
    result = await world.mod.slash(world.general, "setup show")
    shown = fields(result)
    assert f"<#{world.welcome.id}> · Care team" in shown["Support (`/setup support`)"]
    assert "2 helplines of your own" in shown["Support (`/setup support`)"]


async def test_hard_theme_prompts_carry_the_support_line(world: World) -> None:
    """/prompt random on emotional support or coping carries the support line; other themes don't."""
    await set_support(world, {"people": "Care team", "helplines": ""}, channel=world.welcome)
    result = await world.alice.slash(world.general, "prompt random", theme="support")
    support = {f.name: f.value for f in result.response.embeds[0].fields}["Support"]
    assert "you don't have to hold it alone" in support
    assert f"<#{world.welcome.id}> · Care team" in support and DIRECTORY in support
    await world.env.advance_time(601)  # the channel cooldown
    result = await world.bob.slash(world.general, "prompt random", theme="career")
    assert "Support" not in {f.name for f in result.response.embeds[0].fields}


async def test_scheduled_coping_prompts_carry_the_support_line(world: World) -> None:
    """A schedule of coping prompts posts them with the support line."""
    result = await world.mod.slash(
        world.general, "prompts schedule", channel=world.prompts, cadence="daily", time="09:00", themes="coping"
    )
    assert_responded(result, contains="Scheduled #", ephemeral=True)
    await world.env.advance_time(9 * 3600 + 60)
    await world.bot.run_due_jobs()
    posted = [m for m in world.prompts.history() if m.embeds and m.embeds[0].footer.text.startswith("Prompt #")]
    assert posted
    support = {f.name: f.value for f in posted[-1].embeds[0].fields}["Support"]
    assert DIRECTORY in support
