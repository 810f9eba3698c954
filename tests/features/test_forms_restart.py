"""Forms survive a restart: a form opened before the bot restarts is answered by the new process.

Each form's custom id carries what the form needs (`lantern:modal:intro`, `prompts:modal:suggest`,
`prompts:modal:add`, `prompts:rejectwhy-modal:<id>`); one router rebuilds the form from it, so the old
process's memory is never needed. A submission is handled once; an id the bot doesn't know is answered
plainly and changes nothing.
"""

from __future__ import annotations

from simcord import assert_error, assert_responded
from sqlalchemy import func, select

from bench.inflight import fire_modal_without_settle
from core.errors import NotAllowed
from storage.models.intros import Intro
from storage.models.prompts import Prompt, PromptSuggestion
from tests.conftest import World
from tests.features.test_intros_helpers import ALICE, stored_intro
from tests.features.test_prompts_members import TEXT, review, suggest, suggestions

ADDED = "What song reminds you of a grandparent?"


async def test_an_intro_form_opened_before_a_restart_is_saved_after_it(world: World) -> None:
    """Alice opens /intro write, the bot restarts, she submits: her card is posted and her intro stored."""
    shown = await world.alice.slash(world.general, "intro write")
    await world.restart()
    done = await world.alice.submit_modal(shown, ALICE)
    assert_responded(done, contains="Your introduction is posted", ephemeral=True)
    intro = await stored_intro(world, world.alice)
    assert intro is not None and (intro.name, intro.story) == (ALICE["name"], ALICE["story"])
    assert intro.message_id == world.intro.last_message.id


async def test_an_intro_edit_form_opened_before_a_restart_updates_the_intro(world: World) -> None:
    """The edit form (pre-filled) also survives: the intro is updated, not duplicated."""
    await world.alice.submit_modal(await world.alice.slash(world.general, "intro write"), ALICE)
    shown = await world.alice.slash(world.general, "intro write")
    await world.restart()
    done = await world.alice.submit_modal(shown, {**ALICE, "location": "Leeds"})
    assert_responded(done, contains="Your introduction is updated", ephemeral=True)
    intro = await stored_intro(world, world.alice)
    assert intro is not None and intro.location == "Leeds"


async def test_a_suggestion_form_opened_before_a_restart_is_stored(world: World) -> None:
    """Alice opens /prompt suggest, the bot restarts, she submits: the suggestion waits for review."""
    shown = await world.alice.slash(world.general, "prompt suggest", theme="culture")
    await world.restart()
    done = await world.alice.submit_modal(shown, {"text": TEXT, "theme": "culture"})
    assert_responded(done, contains="I'll send you a DM with the outcome", ephemeral=True)
    [stored] = await suggestions(world)
    assert (stored.user_id, stored.text, stored.theme, stored.status) == (world.alice.id, TEXT, "culture", "pending")


async def test_an_add_form_opened_before_a_restart_adds_the_prompt(world: World) -> None:
    """A moderator opens /prompts add, the bot restarts, they submit: the prompt is in the bank."""
    shown = await world.mod.slash(world.general, "prompts add")
    await world.restart()
    done = await world.mod.submit_modal(shown, {"text": ADDED, "theme": "culture"})
    assert_responded(done, contains="Added prompt #", ephemeral=True)
    async with world.bot.db.read() as session:
        added = (await session.execute(select(Prompt).where(Prompt.source == "added"))).scalars().all()
    assert [(p.text, p.theme) for p in added] == [(ADDED, "culture")]


async def test_a_reject_reason_form_opened_before_a_restart_rejects_with_the_reason(world: World) -> None:
    """A moderator opens "Reject with reason…", the bot restarts, they submit: rejected, alice told why."""
    stored = await suggest(world)
    shown = await world.mod.click(await review(world), custom_id=f"prompts:rejectwhy:{stored.id}")
    assert shown.modal is not None and shown.modal["custom_id"] == f"prompts:rejectwhy-modal:{stored.id}"
    await world.restart()
    done = await world.mod.submit_modal(shown, {"reason": "We have a very similar one already."})
    assert_responded(done, contains=f"Rejected suggestion #{stored.id}", ephemeral=True)
    [after] = await suggestions(world)
    assert (after.status, after.reason) == ("rejected", "We have a very similar one already.")
    assert "We have a very similar one already." in world.alice.user.dm_channel.history()[-1].content


async def test_a_live_submission_is_handled_exactly_once(world: World) -> None:
    """Without a restart the form is answered once: one answer, one card, one stored intro, no error."""
    shown = await world.alice.slash(world.general, "intro write")
    before = len(world.intro.history())
    done = await world.alice.submit_modal(shown, ALICE)
    assert_responded(done, contains="Your introduction is posted", ephemeral=True)
    assert done.followups == []
    assert len(world.intro.history()) == before + 1
    async with world.bot.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Intro)) == 1
    assert world.env.errors == []


async def test_an_unknown_form_is_answered_plainly_and_changes_nothing(world: World) -> None:
    """A submission whose custom id no form of Lantern's matches is told so, and nothing is stored."""
    shown = await world.alice.slash(world.general, "intro write")
    shown._interaction.modal["custom_id"] = "lantern:modal:nothing-like-this"  # a forged or retired form
    done = await world.alice.submit_modal(shown, ALICE)
    assert_responded(done, contains="I don't know this form", ephemeral=True)
    assert await stored_intro(world, world.alice) is None
    assert world.intro.history() == []


async def test_a_forged_add_form_from_a_member_adds_nothing(world: World) -> None:
    """Only moderators open /prompts add; a member who submits its custom id anyway is refused."""
    shown = await world.alice.slash(world.general, "prompt suggest")
    shown._interaction.modal["custom_id"] = "prompts:modal:add"
    done = await world.alice.submit_modal(shown, {"text": ADDED, "theme": "culture"})
    assert_responded(done, contains="Only the server's moderators", ephemeral=True)
    assert_error(world.env, NotAllowed)
    async with world.bot.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Prompt).where(Prompt.source == "added")) == 0
        assert await session.scalar(select(func.count()).select_from(PromptSuggestion)) == 0


async def test_forms_in_flight_are_each_handled_once(world: World) -> None:
    """Two members submitting the same form at once each get their own answer (a stable custom id is shared)."""
    first = await world.alice.slash(world.general, "intro write")
    second = await world.bob.slash(world.general, "intro write")
    a = fire_modal_without_settle(world.alice, first, ALICE)
    b = fire_modal_without_settle(world.bob, second, {**ALICE, "name": "Bob"})
    await world.env.settle()
    assert_responded(a, contains="Your introduction is posted", ephemeral=True)
    assert_responded(b, contains="Your introduction is posted", ephemeral=True)
    intro = await stored_intro(world, world.bob)
    assert intro is not None and intro.name == "Bob"


async def test_a_member_who_takes_an_hour_over_the_form_still_has_it_saved(world: World) -> None:
    """Nothing on Lantern's side times a form out (it used to be forgotten after 30 minutes): Alice writes
    for an hour, submits, and her intro is posted and stored."""
    shown = await world.alice.slash(world.general, "intro write")
    await world.env.advance_time(3600)
    done = await world.alice.submit_modal(shown, ALICE)
    assert_responded(done, contains="Your introduction is posted", ephemeral=True)
    intro = await stored_intro(world, world.alice)
    assert intro is not None and intro.message_id == world.intro.last_message.id


async def test_a_form_submitted_in_the_older_action_row_layout_is_saved(world: World) -> None:
    """Fields may come back in action rows (the layout before Labels) as well as in Labels: both are read."""
    shown = await world.alice.slash(world.general, "intro write")
    modal = shown._interaction.modal  # the same form, laid out the old way: one text input per action row
    modal["components"] = [
        {"type": 1, "components": [{**label["component"], "label": label["label"]}]} for label in modal["components"]
    ]
    done = await world.alice.submit_modal(shown, ALICE)
    assert_responded(done, contains="Your introduction is posted", ephemeral=True)
    intro = await stored_intro(world, world.alice)
    assert intro is not None and (intro.name, intro.story) == (ALICE["name"], ALICE["story"])
