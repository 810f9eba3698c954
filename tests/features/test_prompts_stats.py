"""/prompts stats: a moderator gets a PNG chart of replies per prompt thread, by theme."""

from __future__ import annotations

from simcord import assert_responded

from cogs.prompts import stats
from storage.models.prompts import PromptSchedule
from tests.conftest import World
from tests.features.test_prompts_schedule import make_schedule

PNG = b"\x89PNG\r\n\x1a\n"


async def post_with_replies(world: World, schedule: PromptSchedule, replies: int) -> None:
    """Post the schedule's next prompt now (a new thread) and have members reply `replies` times in it."""
    await world.env.advance_time(60)  # each /prompts post claims the slot at "now"
    result = await world.mod.slash(world.general, "prompts post", schedule=schedule.id)
    assert_responded(result, contains="Posted prompt", ephemeral=True)
    thread = world.prompts.threads[-1]
    for n in range(replies):
        await (world.alice if n % 2 else world.bob).send(thread, f"reply {n}")


async def test_moderator_gets_a_png_chart_of_replies_by_theme(world: World) -> None:
    """Five identity threads and one career thread: the chart is a PNG attachment, sent privately."""
    identity = await make_schedule(world, themes="identity")
    career = await make_schedule(world, themes="career")
    for replies in (3, 1, 4, 0, 2):
        await post_with_replies(world, identity, replies)
    await post_with_replies(world, career, 2)

    result = await world.mod.slash(world.general, "prompts stats")

    assert_responded(result, contains="Replies per prompt thread over the last 90 days", ephemeral=True)
    [attachment] = result.response.attachments
    assert attachment.filename == "prompt-engagement.png"
    data = await attachment.read()
    assert data.startswith(PNG) and len(data) > 5_000


async def test_reply_counts_come_from_the_threads(world: World) -> None:
    """The counts behind the chart: each thread's replies (not its starter), grouped by theme label."""
    identity = await make_schedule(world, themes="identity")
    for replies in (3, 0):
        await post_with_replies(world, identity, replies)
    cog = world.bot.get_cog("PromptsCog")
    guild = world.bot.get_guild(world.guild.id)
    async with world.bot.db.read() as session:
        threads = await stats.posted_threads(session, guild.id, world.bot.clock().replace(year=2025))
    counts = await cog._reply_counts(guild, threads, world.bot.clock().replace(year=2025))
    grouped = stats.replies_by_theme(threads, counts, {"identity": "Identity"})
    assert {label: sorted(values) for label, values in grouped.items()} == {"Identity": [0, 3]}


async def test_members_do_not_see_prompts_stats(world: World) -> None:
    """/prompts is a moderator group: a member isn't offered /prompts stats."""
    assert "prompts stats" not in world.alice.available_commands(world.general)
    assert "prompts stats" in world.mod.available_commands(world.general)
