"""The mod-log never breaks the action it reports: a mod-log post that Discord drops (a dropped connection, not
an HTTP error) loses that entry only; the moderator's change is saved and answered (issue 17)."""

from __future__ import annotations

from simcord import assert_responded

from tests.conftest import World
from tests.features.test_prompts_faults import drop_connection
from tests.features.test_setup import stored


async def test_a_dropped_connection_on_the_mod_log_still_saves_and_answers(world: World) -> None:
    before = len(world.modlog.history())
    with drop_connection(world, world.modlog):
        result = await world.mod.slash(world.general, "setup options", timezone="asia/manila")
    assert_responded(result, contains="Timezone: Asia/Manila", ephemeral=True)
    settings = await stored(world)
    assert settings is not None and settings.timezone == "Asia/Manila"
    assert len(world.modlog.history()) == before  # that entry is lost, and only that
    result = await world.mod.slash(world.general, "setup options", timezone="asia/tokyo")
    assert world.modlog.history()[-1].embeds[0].title == "Options changed"
