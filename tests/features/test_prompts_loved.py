"""Prompts people love: *This one was good* under each posted prompt counts once per member, feeds
/prompts stats, and brings loved prompts back first once a schedule has used its whole bank."""

from __future__ import annotations

from simcord import assert_responded
from sqlalchemy import select

from cogs.privacy import erase
from storage.models.prompt_answers import PromptVote
from storage.models.prompts import PromptPost
from tests.conftest import World
from tests.features.test_prompts_anonymous import posted_prompt
from tests.features.test_prompts_schedule import DAY, HOUR, make_schedule, prompt_messages, tick


async def votes(world: World) -> list[PromptVote]:
    async with world.bot.db.read() as session:
        return list((await session.scalars(select(PromptVote).order_by(PromptVote.id))).all())


async def test_this_one_was_good_counts_once_per_member(world: World) -> None:
    """alice's second click is thanked but not counted again; bob's counts; each vote names the prompt."""
    message, prompt_id = await posted_prompt(world)
    first = await world.alice.click(message, custom_id=f"prompts:good:{prompt_id}")
    assert_responded(first, contains="prompts people love come back sooner", ephemeral=True)
    again = await world.alice.click(message, custom_id=f"prompts:good:{prompt_id}")
    assert_responded(again, contains="You've already said this one was good", ephemeral=True)
    await world.bob.click(message, custom_id=f"prompts:good:{prompt_id}")
    stored = await votes(world)
    assert [(v.user_id, v.message_id, v.prompt_id) for v in stored] == [
        (world.alice.id, message.id, prompt_id),
        (world.bob.id, message.id, prompt_id),
    ]


async def test_a_vote_still_counts_after_a_restart(world: World) -> None:
    """The button is persistent: after a restart it still records the vote."""
    message, prompt_id = await posted_prompt(world)
    await world.restart()
    await world.alice.click(message, custom_id=f"prompts:good:{prompt_id}")
    assert len(await votes(world)) == 1


async def test_stats_list_the_prompts_people_love(world: World) -> None:
    """/prompts stats names the loved prompts: votes first, then replies per post."""
    quiet, quiet_id = await posted_prompt(world)
    lively, lively_id = await posted_prompt(world, themes="career")
    for n in range(3):
        await world.bob.send(world.prompts.threads[-1], f"reply {n}")
    await world.alice.click(quiet, custom_id=f"prompts:good:{quiet_id}")
    await world.bob.click(quiet, custom_id=f"prompts:good:{quiet_id}")
    result = await world.mod.slash(world.general, "prompts stats")
    text = result.response.content
    assert "**Prompts people love**" in text
    lines = [line for line in text.splitlines() if line.startswith("`#")]
    assert lines[0].startswith(f"`#{quiet_id}` 💛 2 · 0.0 replies per post (1 posted)")
    assert lines[1].startswith(f"`#{lively_id}` 💛 0 · 3.0 replies per post (1 posted)")
    assert lively.id != quiet.id


async def test_a_schedule_brings_a_loved_prompt_back_first_once_its_bank_is_used_up(world: World) -> None:
    """Career has 5 prompts: the first cycle posts each once; the second starts with the one members loved,
    and still posts every prompt once before any repeats."""
    schedule = await make_schedule(world, themes="career")
    for _ in range(5):
        await world.env.advance_time(60)
        await world.mod.slash(world.general, "prompts post", schedule=schedule.id)
    loved = prompt_messages(world)[2]
    loved_id = int(loved.embeds[0].footer.text.split("#")[1].split(" ")[0])
    await world.alice.click(loved, custom_id=f"prompts:good:{loved_id}")
    for _ in range(5):
        await world.env.advance_time(60)
        await world.mod.slash(world.general, "prompts post", schedule=schedule.id)
    async with world.bot.db.read() as session:
        posts = list((await session.scalars(select(PromptPost).order_by(PromptPost.id))).all())
    first, second = [p.prompt_id for p in posts[:5]], [p.prompt_id for p in posts[5:]]
    assert [p.cycle for p in posts] == [1] * 5 + [2] * 5
    assert len(set(first)) == 5 and set(second) == set(first)
    assert second[0] == loved_id


async def test_votes_are_in_the_export_and_erased_with_the_member(world: World) -> None:
    """A member's votes are theirs: exported, and erased by /privacy delete."""
    message, prompt_id = await posted_prompt(world)
    await world.alice.click(message, custom_id=f"prompts:good:{prompt_id}")
    await world.bob.click(message, custom_id=f"prompts:good:{prompt_id}")
    provider = world.bot.privacy.providers["Prompt votes"]
    async with world.bot.db.read() as session:
        exported = await provider.export(session, world.guild.id, world.alice.id)
    assert [v["prompt"] for v in exported["this_one_was_good"]] == [prompt_id]
    await erase(world.bot, world.guild.id, world.alice.id)
    assert [v.user_id for v in await votes(world)] == [world.bob.id]


async def test_scheduled_runs_bring_a_loved_prompt_back_first_too(world: World) -> None:
    """The same through the due jobs (claims in bulk): day 6, the first of the second cycle, posts the loved one."""
    await make_schedule(world, themes="career")
    await tick(world, 9 * HOUR + 60)  # day 1, 09:00
    for _ in range(4):
        await tick(world, DAY)
    first_cycle = prompt_messages(world)
    assert len(first_cycle) == 5
    loved = first_cycle[3]
    loved_id = int(loved.embeds[0].footer.text.split("#")[1].split(" ")[0])
    await world.bob.click(loved, custom_id=f"prompts:good:{loved_id}")
    await tick(world, DAY)
    newest = prompt_messages(world)[-1]
    assert newest.embeds[0].footer.text.startswith(f"Prompt #{loved_id} ")
