"""Issue 17: one card per member even when the form is sent twice at once (two devices), and refusals whose
words promise the member's answers are kept keep them (the next form opens with them, for a day).

Both backends: run with LANTERN_TEST_BACKEND=postgres as well.
"""

from __future__ import annotations

from typing import Any

import discord
from simcord import InteractionResult, MemberActor, assert_error, assert_responded
from sqlalchemy import func, select

from bench.inflight import fire_modal_without_settle
from core.errors import InvalidInput, NotAllowed
from core.tree import APOLOGY
from storage.intros import CLAIM_LEASE, CardRef, claim_intro, delete_intro, record_card
from storage.models.intros import IntroFormDraft
from tests.conftest import World
from tests.features.test_intros_helpers import ALICE, cards_of, open_form, row_counts, stored_intro, write_intro

FROM_THE_PHONE = {**ALICE, "location": "Leeds", "story": "Written on my phone on the train."}


def form_values(shown: InteractionResult) -> dict[str, Any]:
    """What each field of a shown form holds (each text input sits in a Label)."""
    return {label["component"]["custom_id"]: label["component"].get("value") for label in shown.modal["components"]}


async def draft_rows(world: World) -> int:
    async with world.bot.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(IntroFormDraft)) or 0)


def answer_of(result: InteractionResult) -> str:
    assert result.response is not None
    return str(result.response.content)


async def both_at_once(world: World, member: MemberActor, first: dict[str, str], second: dict[str, str]) -> list[str]:
    """Open the form on two devices, send both without waiting between them; what each device was told."""
    laptop = await open_form(world, member)
    phone = await open_form(world, member)
    results = [fire_modal_without_settle(member, laptop, first), fire_modal_without_settle(member, phone, second)]
    await world.env.settle()
    return [answer_of(result) for result in results]


async def test_two_first_submissions_at_once_make_one_card(world: World) -> None:
    """Alice sends her first intro from her laptop and her phone at the same moment: one intro, one card
    showing the answers stored, each device told something true, and /intro delete leaves no card behind."""
    answers = await both_at_once(world, world.alice, ALICE, FROM_THE_PHONE)

    cards = cards_of(world, world.alice)
    assert len(cards) == 1
    assert await row_counts(world) == (1, 5)
    intro = await stored_intro(world, world.alice)
    assert intro is not None and (intro.channel_id, intro.message_id) == (world.intro.id, cards[0].id)
    assert intro.card_claim is None  # the claim is released once the card is recorded
    shown = {field.name: field.value for field in cards[0].embeds[0].fields}
    assert shown["Where"] == intro.location  # the card shows what is stored, whichever answers came last
    assert cards[0].embeds[0].description == intro.story
    assert all(APOLOGY not in answer for answer in answers)
    assert sum("Your introduction is posted" in answer for answer in answers) == 1
    assert any(cards[0].jump_url in answer for answer in answers)
    assert all(cards[0].jump_url in answer or "Your other submission" in answer for answer in answers)

    asked = await world.alice.slash(world.general, "intro delete")
    await world.alice.click(asked.response, label="Delete my introduction")
    assert cards_of(world, world.alice) == []
    assert await row_counts(world) == (0, 0)


async def test_two_edits_at_once_after_the_card_was_deleted_make_one_new_card(world: World) -> None:
    """A moderator deleted Alice's card; she edits from two devices at once: one new card, the one stored."""
    await write_intro(world, world.alice, ALICE)
    old = world.intro.last_message
    await world.bot.http.delete_message(world.intro.id, old.id)

    answers = await both_at_once(world, world.alice, ALICE, FROM_THE_PHONE)

    cards = cards_of(world, world.alice)
    assert len(cards) == 1 and cards[0].id != old.id
    intro = await stored_intro(world, world.alice)
    assert intro is not None and intro.message_id == cards[0].id
    assert cards[0].embeds[0].description == intro.story
    assert all(APOLOGY not in answer for answer in answers)
    assert await row_counts(world) == (1, 5)


async def test_a_claim_left_by_a_post_that_never_finished_is_posted_by_a_later_submission(world: World) -> None:
    """The bot stopped between claiming Alice's first intro and posting its card. Sent again at once, the form
    says honestly that the card is on its way; a minute later a new submission posts the one card."""
    async with world.bot.db.write() as session:  # what the stopped process left behind
        await claim_intro(
            session,
            guild_id=world.guild.id,
            user_id=world.alice.id,
            text=dict(ALICE),
            heritage_tags=("japanese",),
            language_tags=(),
            token="d" * 32,
            now=world.bot.clock(),
        )
    await world.restart()

    soon = await write_intro(world, world.alice, FROM_THE_PHONE)
    assert_responded(soon, contains="send the form again", ephemeral=True)
    assert cards_of(world, world.alice) == []
    assert (await stored_intro(world, world.alice)).location == "Leeds"  # her answers are saved

    await world.env.advance_time(61)
    later = await write_intro(world, world.alice, FROM_THE_PHONE)
    cards = cards_of(world, world.alice)
    assert len(cards) == 1
    assert_responded(later, contains=f"Your introduction is posted: {cards[0].jump_url}", ephemeral=True)
    intro = await stored_intro(world, world.alice)
    assert intro is not None and intro.message_id == cards[0].id and intro.card_claim is None


async def test_a_refused_first_intro_keeps_the_answers_for_the_next_form(world: World) -> None:
    """Alice leaves her name blank; the refusal says `/intro write` opens the form again with her answers, and
    it does. Once she fills her name in, the card is posted and the kept answers are gone."""
    refused = await write_intro(world, world.alice, ALICE, name="   ")
    assert_responded(refused, contains="is empty", ephemeral=True)
    assert_responded(refused, contains="`/intro write` opens the form again with your answers", ephemeral=True)
    assert_error(world.env, InvalidInput)
    assert await row_counts(world) == (0, 0)
    assert await draft_rows(world) == 1

    reopened = await open_form(world, world.alice)
    assert reopened.modal["title"] == "Introduce yourself"
    typed = form_values(reopened)
    assert {key: typed[key] for key in ("heritages", "languages", "location", "story")} == {
        key: ALICE[key] for key in ("heritages", "languages", "location", "story")
    }
    assert not (typed["name"] or "").strip()

    done = await world.alice.submit_modal(reopened, {**typed, "name": ALICE["name"]})
    assert_responded(done, contains="Your introduction is posted", ephemeral=True)
    assert len(cards_of(world, world.alice)) == 1
    assert await draft_rows(world) == 0
    assert form_values(await open_form(world, world.alice))["story"] == ALICE["story"]  # the stored intro now


async def test_a_refused_edit_reopens_with_what_was_typed_not_the_old_intro(world: World) -> None:
    """An edit refused for an empty field reopens with the new answers Alice typed; the card is unchanged."""
    await write_intro(world, world.alice, ALICE)
    await write_intro(world, world.alice, FROM_THE_PHONE, heritages=" ")
    assert_error(world.env, InvalidInput)
    assert (await stored_intro(world, world.alice)).location == ALICE["location"]

    reopened = await open_form(world, world.alice)
    assert reopened.modal["title"] == "Edit your introduction"
    assert form_values(reopened)["story"] == FROM_THE_PHONE["story"]


async def test_a_card_that_cannot_be_posted_keeps_the_answers_not_the_intro(world: World) -> None:
    """When I may not post in the intro channel, nothing is saved as an intro, the refusal says the answers are
    kept, and the next form opens with them."""
    world.env.inject_error("POST", f"/channels/{world.intro.id}/messages", status=403, code=50013)
    done = await write_intro(world, world.alice, ALICE)
    assert_responded(done, contains="with your answers", ephemeral=True)
    assert_error(world.env, NotAllowed)
    assert await row_counts(world) == (0, 0)
    assert form_values(await open_form(world, world.alice))["story"] == ALICE["story"]


async def test_kept_answers_are_deleted_after_a_day(world: World) -> None:
    """A refused form's answers are kept a day, then deleted; the form opens empty again."""
    await write_intro(world, world.alice, ALICE, story=" ")
    assert_error(world.env, InvalidInput)
    await world.env.advance_time(24 * 3600 + 1)
    assert form_values(await open_form(world, world.alice))["name"] in (None, "")
    await world.bot.run_due_jobs()
    assert await draft_rows(world) == 0


async def test_privacy_delete_removes_kept_answers(world: World) -> None:
    """/privacy export shows kept answers and /privacy delete removes them with everything else."""
    await write_intro(world, world.alice, ALICE, name=" ")
    assert_error(world.env, InvalidInput)
    provider = world.bot.privacy.providers["Introductions"]
    assert "intro_drafts" in provider.tables
    async with world.bot.db.read() as session:
        exported = await provider.export(session, world.guild.id, world.alice.id)
    assert exported["answers_kept_from_a_refused_form"]["story"] == ALICE["story"]
    async with world.bot.db.write() as session:
        assert await provider.delete(session, world.guild.id, world.alice.id) == 1
    assert await draft_rows(world) == 0


async def test_a_refused_post_after_the_claim_leaves_no_stuck_intro(world: World) -> None:
    """One of Alice's two devices claims her first intro but I may not post its card, while the other's answers
    are stored for that card: the refusal says the card isn't posted, not that nothing is saved, the claim is
    released at once, and her next submission posts the one card."""
    world.env.inject_error("POST", f"/channels/{world.intro.id}/messages", status=403, code=50013)
    answers = await both_at_once(world, world.alice, ALICE, FROM_THE_PHONE)
    assert_error(world.env, NotAllowed)
    assert all(APOLOGY not in answer for answer in answers)
    intro = await stored_intro(world, world.alice)
    assert intro is not None and intro.card_claim is None  # released: no minute to wait
    assert intro.story in (ALICE["story"], FROM_THE_PHONE["story"])  # the answers of the one not posting
    posted = cards_of(world, world.alice)
    if posted:  # the databases' threads let the other device in only after the claim was released: it posted
        assert len(posted) == 1 and intro.message_id == posted[0].id
        assert any(f"Your introduction is posted: {posted[0].jump_url}" in answer for answer in answers)
        assert any("I'm not allowed to post" in answer for answer in answers)
        return
    assert any("your card isn't posted yet" in answer for answer in answers)  # not "isn't saved"

    again = await write_intro(world, world.alice, FROM_THE_PHONE)
    cards = cards_of(world, world.alice)
    assert len(cards) == 1
    assert_responded(again, contains=f"Your introduction is posted: {cards[0].jump_url}", ephemeral=True)
    assert (await stored_intro(world, world.alice)).message_id == cards[0].id
    assert await draft_rows(world) == 0


async def test_a_failing_post_after_the_claim_saves_nothing_but_keeps_the_answers(world: World) -> None:
    """Discord fails while posting Alice's first card: no intro is left half-saved (the claim is undone), the
    apology promises nothing, and the next form still opens with her answers."""
    world.env.inject_error("POST", f"/channels/{world.intro.id}/messages", status=500)
    done = await write_intro(world, world.alice, ALICE)
    assert_responded(done, contains=APOLOGY, ephemeral=True)
    assert_error(world.env, discord.HTTPException)
    assert await row_counts(world) == (0, 0)
    assert form_values(await open_form(world, world.alice))["story"] == ALICE["story"]
    await write_intro(world, world.alice, ALICE)
    assert len(cards_of(world, world.alice)) == 1


async def test_a_double_click_whose_post_is_refused_never_says_saved_for_nothing(world: World) -> None:
    """Alice's form is sent twice with the same answers and I may not post the card: the submission told its
    answers are saved finds them saved (the intro stays, unclaimed), and the next submission posts the card."""
    world.env.inject_error("POST", f"/channels/{world.intro.id}/messages", status=403, code=50013)
    answers = await both_at_once(world, world.alice, ALICE, ALICE)
    assert_error(world.env, NotAllowed)
    intro = await stored_intro(world, world.alice)
    assert intro is not None and intro.card_claim is None and intro.story == ALICE["story"]
    posted = cards_of(world, world.alice)
    if posted:  # the databases' threads let the other submission in only after the claim was released: it posted
        assert len(posted) == 1 and intro.message_id == posted[0].id
        assert any(f"Your introduction is posted: {posted[0].jump_url}" in answer for answer in answers)
        assert any("I'm not allowed to post" in answer for answer in answers)
        assert not any("Your introduction is saved" in answer for answer in answers)
        return
    assert any("Your introduction is saved" in answer for answer in answers)
    await write_intro(world, world.alice, ALICE)
    assert len(cards_of(world, world.alice)) == 1
    assert (await stored_intro(world, world.alice)).unposted_saves == 0


async def test_a_claim_outlived_by_its_intro_or_taken_over_records_no_card(world: World) -> None:
    """The database refuses to record a card for a claim that was lost: the intro deleted meanwhile
    (/intro delete, leaving), or a stale claim taken over by a later submission (which posts its own card)."""
    now = world.bot.clock()
    base: dict[str, Any] = dict(
        guild_id=world.guild.id, user_id=world.alice.id, text=dict(ALICE), heritage_tags=(), language_tags=()
    )
    async with world.bot.db.write() as session:
        first = await claim_intro(session, **base, token="a" * 32, now=now)
    async with world.bot.db.write() as session:
        later = await claim_intro(session, **base, token="b" * 32, now=now + CLAIM_LEASE)
    assert (first.created, first.posting, later.created, later.posting) == (True, True, False, True)
    async with world.bot.db.write() as session:
        assert await record_card(session, first.intro_id, "a" * 32, CardRef(world.intro.id, 1)) is None
        assert await record_card(session, later.intro_id, "b" * 32, CardRef(world.intro.id, 2)) is not None
    async with world.bot.db.write() as session:
        await delete_intro(session, world.guild.id, world.alice.id)
        gone = await claim_intro(session, **base, token="c" * 32, now=now)
        await delete_intro(session, world.guild.id, world.alice.id)
        assert await record_card(session, gone.intro_id, "c" * 32, CardRef(world.intro.id, 3)) is None
    assert await row_counts(world) == (0, 0)
