"""Anonymous answers under prompts: a member answers, a moderator reviews without learning who wrote it, the
answer appears as "A member answered:", and only its writer can see or erase it."""

from __future__ import annotations

import json
from typing import Any

import discord
import pytest
from simcord import assert_error, assert_responded
from sqlalchemy import select

from cogs.privacy import erase
from core.errors import CoolingDown, InvalidInput, NotAllowed
from core.protection import ProtectionKey, ProtectionKeyError
from storage.models.prompt_answers import PromptAnswer
from tests.conftest import World
from tests.features.test_prompts_schedule import make_schedule, prompt_messages

ANSWER = "My grandmother's kitchen smelled of star anise and toast, and I still don't know which side it came from."


async def posted_prompt(world: World, themes: str = "identity") -> tuple[discord.Message, int]:
    """A scheduled prompt posted now, with its discussion thread; the message and the prompt's id."""
    schedule = await make_schedule(world, themes=themes)
    await world.env.advance_time(60)
    result = await world.mod.slash(world.general, "prompts post", schedule=schedule.id)
    assert_responded(result, contains="Posted prompt", ephemeral=True)
    message = prompt_messages(world)[-1]
    return message, int(message.embeds[0].footer.text.split("#")[1].split(" ")[0])


async def answer(world: World, member: Any, message: discord.Message, prompt_id: int, text: str = ANSWER) -> Any:
    shown = await member.click(message, custom_id=f"prompts:anon:{prompt_id}")
    assert shown.modal["title"] == "Answer anonymously"
    return await member.submit_modal(shown, {"answer": text})


async def answers(world: World) -> list[PromptAnswer]:
    async with world.bot.db.read() as session:
        return list((await session.scalars(select(PromptAnswer).order_by(PromptAnswer.id))).all())


async def review(world: World) -> Any:
    return await world.mod.slash(world.general, "prompts review", queue="answers")


def everything_shown(*messages: Any) -> str:
    """Every word a message shows: content, embeds (titles, descriptions, fields, footers), button labels."""
    parts: list[str] = []
    for message in messages:
        parts.append(message.content or "")
        for embed in message.embeds:
            parts += [embed.title or "", embed.description or "", embed.footer.text or ""]
            parts += [f"{field.name} {field.value}" for field in embed.fields]
    return "\n".join(parts)


def names_alice(world: World, text: str) -> bool:
    return str(world.alice.id) in text or "alice" in text.lower()


async def test_the_buttons_are_under_every_scheduled_prompt(world: World) -> None:
    """A posted prompt carries *Answer anonymously* and *This one was good*, with the prompt's id."""
    message, prompt_id = await posted_prompt(world)
    ids = [c.custom_id for row in message.components for c in row.children]
    assert ids == [f"prompts:anon:{prompt_id}", f"prompts:good:{prompt_id}"]


async def test_an_answer_waits_for_review_and_the_mod_log_does_not_say_whose(world: World) -> None:
    """The answer is stored pending with the writer's id (for the outcome) and a keyed hash; the mod-log
    says only that an answer waits."""
    message, prompt_id = await posted_prompt(world)
    result = await answer(world, world.alice, message, prompt_id)
    assert_responded(result, contains="they don't see who wrote it", ephemeral=True)
    [stored] = await answers(world)
    assert (stored.status, stored.user_id, stored.text, stored.prompt_id) == (
        "pending",
        world.alice.id,
        ANSWER,
        prompt_id,
    )
    assert stored.message_id == message.id and len(stored.author_key) == 64
    assert str(world.alice.id) not in stored.author_key
    entry = world.modlog.history()[-1]
    assert entry.embeds[0].title == "Anonymous answer waiting"
    assert not names_alice(world, everything_shown(entry)) and ANSWER not in everything_shown(entry)


async def test_the_review_queue_shows_the_answer_and_never_the_writer(world: World) -> None:
    """/prompts review queue:answers shows the words, the prompt and where, with Approve and Reject."""
    message, prompt_id = await posted_prompt(world)
    await answer(world, world.alice, message, prompt_id)
    [stored] = await answers(world)
    result = await review(world)
    assert_responded(result, contains="1 anonymous answer waiting", ephemeral=True)
    shown = result.response
    assert shown.embeds[0].description == ANSWER and f"#{prompt_id}" in shown.embeds[0].fields[0].value
    assert not names_alice(world, everything_shown(shown))
    ids = [c["custom_id"] for row in shown.components for c in row["components"]]
    assert ids == [f"prompts:anon-ok:{stored.id}", f"prompts:anon-no:{stored.id}"]


async def test_the_suggestion_review_points_to_waiting_answers(world: World) -> None:
    """/prompts review (suggestions) tells moderators that anonymous answers wait in the other queue."""
    message, prompt_id = await posted_prompt(world)
    await answer(world, world.alice, message, prompt_id)
    result = await world.mod.slash(world.general, "prompts review")
    assert_responded(result, contains="1 anonymous answer waiting: `/prompts review queue:answers`", ephemeral=True)


async def test_an_approved_answer_is_posted_in_the_thread_and_the_writers_id_is_dropped(world: World) -> None:
    """Approve (after a restart): "A member answered:" in the prompt's thread, no mention allowed; the row keeps
    only the keyed hash; the writer hears by DM; the mod-log names the moderator, never the writer."""
    message, prompt_id = await posted_prompt(world)
    await answer(world, world.alice, message, prompt_id)
    [stored] = await answers(world)
    queue = (await review(world)).response.message
    await world.restart()
    result = await world.mod.click(queue, custom_id=f"prompts:anon-ok:{stored.id}")
    assert_responded(result, contains=f"Approved answer #{stored.id}", ephemeral=True)
    assert not names_alice(world, result.response.content)
    posted = world.prompts.threads[-1].history()[-1]
    assert posted.embeds[0].title == "A member answered:" and posted.embeds[0].description == ANSWER
    assert not names_alice(world, everything_shown(posted))
    [after] = await answers(world)
    assert (after.status, after.user_id, after.posted_message_id) == ("approved", None, posted.id)
    assert after.author_key == stored.author_key
    assert "was posted" in world.alice.user.dm_channel.history()[-1].content
    entry = world.modlog.history()[-1]
    assert entry.embeds[0].title == "Anonymous answer approved" and world.mod.user.name in entry.embeds[0].footer.text
    assert not names_alice(world, everything_shown(entry))


async def test_links_mentions_and_formulas_in_an_answer_stay_inert(world: World) -> None:
    """A masked link, @everyone and a member mention are shown as typed, ping nobody and link nowhere."""
    message, prompt_id = await posted_prompt(world)
    hostile = f'[Verify here](https://evil.example) @everyone <@{world.bob.id}> =HYPERLINK("x")'
    await answer(world, world.alice, message, prompt_id, hostile)
    [stored] = await answers(world)
    assert stored.text == hostile  # kept as typed; made inert where shown
    await world.mod.click((await review(world)).response.message, custom_id=f"prompts:anon-ok:{stored.id}")
    posted = world.prompts.threads[-1].history()[-1]
    description = posted.embeds[0].description
    assert "\\[Verify here\\]" in description and "@everyone" not in description.replace("@\u200beveryone", "")
    assert f"<@{world.bob.id}>" not in description
    assert not posted.mention_everyone and posted.mentions == []


async def test_a_rejected_answer_is_not_posted_and_the_writer_is_told(world: World) -> None:
    """Reject: nothing is posted, the writer's id goes, they hear by DM; a second decision is refused."""
    message, prompt_id = await posted_prompt(world)
    await answer(world, world.alice, message, prompt_id)
    [stored] = await answers(world)
    queue = (await review(world)).response.message
    before = len(world.prompts.threads[-1].history())
    result = await world.mod.click(queue, custom_id=f"prompts:anon-no:{stored.id}")
    assert_responded(result, contains=f"Rejected answer #{stored.id}", ephemeral=True)
    assert len(world.prompts.threads[-1].history()) == before
    [after] = await answers(world)
    assert (after.status, after.user_id) == ("rejected", None)
    assert "wasn't posted" in world.alice.user.dm_channel.history()[-1].content
    again = await world.mod.click(queue, custom_id=f"prompts:anon-ok:{stored.id}")
    assert_responded(again, contains="already reviewed", ephemeral=True)
    assert_error(world.env, NotAllowed)
    assert (await answers(world))[0].status == "rejected"


async def test_three_answers_a_day_then_a_clear_refusal(world: World) -> None:
    """A fourth answer within a day is refused before the form opens and stores nothing; a day later it works."""
    message, prompt_id = await posted_prompt(world)
    for n in range(3):
        await answer(world, world.alice, message, prompt_id, f"Answer number {n}")
    refused = await world.alice.click(message, custom_id=f"prompts:anon:{prompt_id}")
    assert_responded(refused, contains="You've sent 3 anonymous answers today", ephemeral=True)
    assert_error(world.env, CoolingDown)
    assert len(await answers(world)) == 3
    await world.env.advance_time(24 * 3600)
    await answer(world, world.alice, message, prompt_id, "A fourth, the next day")
    assert len(await answers(world)) == 4


async def test_a_blank_answer_is_refused(world: World) -> None:
    """Spaces and new lines only: a clear answer, nothing stored."""
    message, prompt_id = await posted_prompt(world)
    result = await answer(world, world.alice, message, prompt_id, "  \n ")
    assert_responded(result, contains="Your answer needs at least 2 characters", ephemeral=True)
    assert_error(world.env, InvalidInput)
    assert await answers(world) == []


async def test_a_timed_out_member_cannot_answer(world: World) -> None:
    """A member the moderators timed out can't slip words in anonymously."""
    message, prompt_id = await posted_prompt(world)
    world.env.backend.edit_member(world.guild.id, world.alice.id, {"timed_out_until": "2030-01-01T00:00:00+00:00"})
    await world.env.settle()
    result = await world.alice.click(message, custom_id=f"prompts:anon:{prompt_id}")
    assert_responded(result, contains="You're timed out", ephemeral=True)
    assert_error(world.env, NotAllowed)
    assert await answers(world) == []


async def test_a_moderator_removes_a_posted_answer_from_the_mod_log(world: World) -> None:
    """*Remove* on the approval's mod-log entry deletes the posted answer and marks it removed."""
    message, prompt_id = await posted_prompt(world)
    await answer(world, world.alice, message, prompt_id)
    [stored] = await answers(world)
    await world.mod.click((await review(world)).response.message, custom_id=f"prompts:anon-ok:{stored.id}")
    thread = world.prompts.threads[-1]
    posted_id = thread.history()[-1].id
    entry = world.modlog.history()[-1]
    result = await world.mod.click(entry, custom_id=f"prompts:anon-rm:{stored.id}")
    assert_responded(result, contains=f"Removed answer #{stored.id}", ephemeral=True)
    assert posted_id not in [m.id for m in thread.history()]
    assert (await answers(world))[0].status == "removed"
    assert world.modlog.history()[-1].embeds[0].title == "Anonymous answer removed"


async def test_only_the_writer_sees_their_answer_in_privacy_export(world: World) -> None:
    """alice's /privacy export lists her answer after approval; bob's and the moderator's never do."""
    message, prompt_id = await posted_prompt(world)
    await answer(world, world.alice, message, prompt_id)
    [stored] = await answers(world)
    await world.mod.click((await review(world)).response.message, custom_id=f"prompts:anon-ok:{stored.id}")

    async def exported(member: Any) -> dict[str, Any]:
        result = await member.slash(world.general, "privacy export")
        return json.loads(await result.response.attachments[0].read())["features"]

    mine = (await exported(world.alice))["Anonymous answers"]["anonymous_answers"]
    assert [(a["text"], a["status"]) for a in mine] == [(ANSWER, "approved")]
    for other in (world.bob, world.mod):
        data = await exported(other)
        assert data["Anonymous answers"]["anonymous_answers"] == [] and ANSWER not in json.dumps(data)


async def test_privacy_delete_takes_the_posted_answer_down(world: World) -> None:
    """Erasing alice's data deletes her posted answer's message and every row of her answers."""
    message, prompt_id = await posted_prompt(world)
    await answer(world, world.alice, message, prompt_id)
    await answer(world, world.alice, message, prompt_id, "A second one, still waiting")
    first = (await answers(world))[0]
    await world.mod.click((await review(world)).response.message, custom_id=f"prompts:anon-ok:{first.id}")
    thread = world.prompts.threads[-1]
    assert any(m.embeds and m.embeds[0].title == "A member answered:" for m in thread.history())
    await erase(world.bot, world.guild.id, world.alice.id)
    assert not any(m.embeds and m.embeds[0].title == "A member answered:" for m in thread.history())
    assert await answers(world) == []


async def test_an_answer_its_writer_erased_before_review_is_never_posted(world: World) -> None:
    """The writer erases their data while the answer waits: Approve is refused and nothing is posted."""
    message, prompt_id = await posted_prompt(world)
    await answer(world, world.alice, message, prompt_id)
    [stored] = await answers(world)
    queue = (await review(world)).response.message
    await erase(world.bot, world.guild.id, world.alice.id)
    before = len(world.prompts.threads[-1].history())
    result = await world.mod.click(queue, custom_id=f"prompts:anon-ok:{stored.id}")
    assert_responded(result, contains="its writer took it back", ephemeral=True)
    assert_error(world.env, NotAllowed)
    assert len(world.prompts.threads[-1].history()) == before


async def test_a_writer_who_left_is_still_posted_and_the_moderator_learns_nothing(world: World) -> None:
    """The writer leaves before review: the answer is posted all the same, and the moderator's reply is the
    same as for anyone (no word on whether the DM reached them)."""
    message, prompt_id = await posted_prompt(world)
    await answer(world, world.alice, message, prompt_id)
    [stored] = await answers(world)
    world.guild.remove_member(world.alice)
    await world.env.settle()
    result = await world.mod.click((await review(world)).response.message, custom_id=f"prompts:anon-ok:{stored.id}")
    assert_responded(result, contains=f"Approved answer #{stored.id}; it's posted", ephemeral=True)
    assert "DM" not in result.response.content
    assert (await answers(world))[0].user_id is None


async def test_a_prompt_without_a_thread_gets_the_answer_as_a_reply(world: World) -> None:
    """/prompt random has no thread: the approved answer replies to the prompt in its channel."""
    shown = await world.bob.slash(world.general, "prompt random", theme="career")
    message = world.general.history()[-1]
    prompt_id = int(message.embeds[0].footer.text.split("#")[1].split(" ")[0])
    assert shown.response.id == message.id
    await answer(world, world.alice, message, prompt_id)
    [stored] = await answers(world)
    await world.mod.click((await review(world)).response.message, custom_id=f"prompts:anon-ok:{stored.id}")
    posted = world.general.history()[-1]
    assert posted.embeds[0].title == "A member answered:"
    assert posted.reference is not None and posted.reference.message_id == message.id


async def test_the_writer_sees_and_deletes_one_answer_with_privacy_answers(world: World) -> None:
    """/privacy answers lists alice's answers (posted and waiting); *Delete* takes one down, post and row."""
    message, prompt_id = await posted_prompt(world)
    await answer(world, world.alice, message, prompt_id)
    await answer(world, world.alice, message, prompt_id, "Another thought, still waiting")
    first, second = await answers(world)
    await world.mod.click((await review(world)).response.message, custom_id=f"prompts:anon-ok:{first.id}")
    posted_id = world.prompts.threads[-1].history()[-1].id
    listed = await world.alice.slash(world.general, "privacy answers")
    assert_responded(listed, contains=f"`#{first.id}` posted", ephemeral=True)
    assert f"`#{second.id}` waiting for review" in listed.response.content
    result = await world.alice.click(listed.response.message, custom_id=f"prompts:anon-del:{world.alice.id}:{first.id}")
    assert_responded(result, contains=f"Deleted answer #{first.id} and its post.", ephemeral=True)
    assert posted_id not in [m.id for m in world.prompts.threads[-1].history()]
    assert [a.id for a in await answers(world)] == [second.id]


async def test_privacy_answers_lists_nothing_of_anyone_else(world: World) -> None:
    """bob's /privacy answers says he wrote none, though alice's answer is posted."""
    message, prompt_id = await posted_prompt(world)
    await answer(world, world.alice, message, prompt_id)
    [stored] = await answers(world)
    await world.mod.click((await review(world)).response.message, custom_id=f"prompts:anon-ok:{stored.id}")
    listed = await world.bob.slash(world.general, "privacy answers")
    assert_responded(listed, content="You haven't written any anonymous answers here.", ephemeral=True)


async def test_a_writer_who_left_after_review_has_the_answer_erased_with_their_data(world: World) -> None:
    """alice leaves after her answer was posted: when her retention ends, the post and the row go, though the
    row no longer holds her id (her keyed hash finds it)."""
    message, prompt_id = await posted_prompt(world)
    await answer(world, world.alice, message, prompt_id)
    [stored] = await answers(world)
    await world.mod.click((await review(world)).response.message, custom_id=f"prompts:anon-ok:{stored.id}")
    thread = world.prompts.threads[-1]
    posted_id = thread.history()[-1].id
    world.guild.remove_member(world.alice)
    await world.env.settle()
    await world.env.advance_time(31 * 24 * 3600)
    await world.bot.run_due_jobs()
    assert posted_id not in [m.id for m in thread.history()]
    assert await answers(world) == []


async def test_a_forged_form_pointing_at_another_message_is_refused(world: World) -> None:
    """A form sent back with the id of a message that isn't this prompt (here, bob's own message) stores nothing."""
    message, prompt_id = await posted_prompt(world)
    await world.bob.send(world.prompts, "Reply to me, anonymous friends")
    other = world.prompts.history()[-1]
    shown = await world.alice.click(message, custom_id=f"prompts:anon:{prompt_id}")
    # What a modified client could send back: the form's custom id with another message's id (SimCord keeps the
    # shown form on its private interaction record).
    shown._interaction.modal["custom_id"] = f"prompts:anon-modal:{prompt_id}:{other.id}"
    result = await world.alice.submit_modal(shown, {"answer": ANSWER})
    assert_responded(result, contains="I can't find that prompt any more", ephemeral=True)
    assert_error(world.env, NotAllowed)
    assert await answers(world) == []


async def test_an_answer_discord_refuses_to_post_goes_back_to_the_queue(world: World) -> None:
    """Discord refuses the post (no permission in the thread): the moderator is told, the answer waits again with
    its writer's id (to tell them later), and nothing is half-done."""
    message, prompt_id = await posted_prompt(world)
    await answer(world, world.alice, message, prompt_id)
    [stored] = await answers(world)
    queue = (await review(world)).response.message
    world.env.inject_error("POST", f"/channels/{world.prompts.threads[-1].id}/messages", status=403, code=50013)
    result = await world.mod.click(queue, custom_id=f"prompts:anon-ok:{stored.id}")
    assert "couldn't post answer" in result.response.content and "still waiting" in result.response.content
    [after] = await answers(world)
    assert (after.status, after.user_id, after.posted_message_id) == ("pending", world.alice.id, None)
    again = await world.mod.click(queue, custom_id=f"prompts:anon-ok:{stored.id}")
    assert "it's posted" in again.response.content
    assert (await answers(world))[0].status == "approved"


async def test_a_posted_answer_a_moderator_deletes_in_discord_is_marked_removed(world: World) -> None:
    """A moderator deletes the "A member answered:" message by hand instead of using *Remove*: the writer's
    /privacy answers says removed (no link to a message that is gone); deleting other messages changes nothing."""
    message, prompt_id = await posted_prompt(world)
    await answer(world, world.alice, message, prompt_id)
    await answer(world, world.alice, message, prompt_id, "A second one, approved and left alone.")
    first, second = await answers(world)
    for stored in (first, second):
        await world.mod.click((await review(world)).response.message, custom_id=f"prompts:anon-ok:{stored.id}")
    thread = world.prompts.threads[-1]
    posted_first, posted_second = thread.history()[-2:]
    chatter = await world.bob.send(world.general, "unrelated message")
    await world.bob.delete(chatter)
    assert [a.status for a in await answers(world)] == ["approved", "approved"]

    cleaners = world.guild.create_role("Cleaners", permissions=discord.Permissions(manage_messages=True))
    await world.add_member("janitor", roles=[cleaners]).delete(posted_first)
    assert [a.status for a in await answers(world)] == ["removed", "approved"]
    listed = await world.alice.slash(world.general, "privacy answers")
    assert f"`#{first.id}` removed by a moderator" in listed.response.content
    assert str(posted_first.id) not in listed.response.content
    assert str(posted_second.id) in listed.response.content


async def test_lantern_refuses_another_key_once_an_anonymous_answer_exists(world: World) -> None:
    """Answers are found by their writer through a hash made with the deployment's key: a restore with another
    key would leave them unreachable by /privacy, so it is refused at start, as for kept blocks."""
    message, prompt_id = await posted_prompt(world)
    await answer(world, world.alice, message, prompt_id)
    world.bot.protection = ProtectionKey(secret="c" * 40, key_file=world.bot.protection.key_file)
    with pytest.raises(ProtectionKeyError, match="anonymous answers"):
        await world.bot.check_protection_key()
