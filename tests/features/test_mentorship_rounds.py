"""Pairing rounds and consent: proposals to the mentor first, then the mentee, then a pair thread."""

from __future__ import annotations

import gc
from datetime import timedelta

import discord
import pytest
from simcord import assert_error, assert_responded

from cogs.mentorship import rounds as rounds_module
from core.errors import FeatureNotConfigured
from core.heap import OUT_OF_REACH
from storage import mentorship as store
from storage.mentorship import _common as common_module
from storage.mentorship import proposals as proposals_module
from storage.models.mentorship import (
    ACCEPTED,
    DECLINED,
    EXPIRED,
    PENDING_MENTEE,
    PENDING_MENTOR,
    MentorshipBlock,
)
from tests.conftest import World
from tests.features.test_mentorship_support import (
    DAY,
    accept_as_mentor,
    button,
    dms,
    last_dm,
    matched,
    mentors,
    offer,
    opted_in_pair,
    pairings,
    proposals,
    request,
    round_in_worker,
    run_round,
)


async def test_dry_run_shows_pairs_and_changes_nothing(world: World) -> None:
    """A dry run lists the pair, score and reason to the moderator only; no proposal, no DM."""
    await opted_in_pair(world)
    result = await world.mod.slash(world.general, "pairing run", dry_run=True)
    assert_responded(result, ephemeral=True)
    text = result.response.embeds[0].description
    assert "Dry run: I would propose 1 pair" in text
    assert f"<@{world.alice.id}> → <@{world.bob.id}> · score" in text
    assert "career" in text.lower()
    assert await proposals(world) == []
    assert dms(world.alice) == [] and dms(world.bob) == []


async def test_the_deployers_weights_score_the_pairs(world: World) -> None:
    """With MATCH_WEIGHTS=100,0,0,0 only themes count: Bob, who wants exactly what Alice offers, scores 100 in a
    dry run and in the moderator's forced proposal (the default weights give 99: an hour apart)."""
    await opted_in_pair(world)
    text = (await world.mod.slash(world.general, "pairing run", dry_run=True)).response.embeds[0].description
    assert "· score 99 ·" in text
    world.bot.settings = world.bot.settings.model_copy(update={"match_weights": "100,0,0,0"})
    text = (await world.mod.slash(world.general, "pairing run", dry_run=True)).response.embeds[0].description
    assert "· score 100 ·" in text
    await world.mod.slash(world.general, "pairing create", mentor=world.alice, mentee=world.bob)
    (proposal,) = await proposals(world)
    assert proposal.score == 100


async def test_a_mentor_is_never_proposed_for_a_theme_they_said_they_dont_cover(world: World) -> None:
    """Alice offers identity and says she doesn't cover coping; Bob asks for coping only: no theme she covers is
    one he wants, so a round never proposes her to him (docs/matching.md, "Rules"). Cat, who offers coping, is."""
    await offer(world, world.alice, themes="identity", not_covered="coping")
    await request(world, world.bob, themes="coping")
    text = (await world.mod.slash(world.general, "pairing run", dry_run=True)).response.embeds[0].description
    assert "→" not in text
    cat = world.add_member("cat")
    await world.env.settle()
    await offer(world, cat, themes="identity, coping")
    text = (await world.mod.slash(world.general, "pairing run", dry_run=True)).response.embeds[0].description
    assert f"<@{cat.id}> → <@{world.bob.id}>" in text and f"<@{world.alice.id}>" not in text


async def test_round_asks_the_mentor_first_with_the_reason(world: World) -> None:
    """A round creates one proposal and DMs only the mentor, with the reason and Accept/Decline buttons."""
    await opted_in_pair(world)
    result = await run_round(world)
    assert "1 proposal sent" in result.response.embeds[0].description
    (proposal,) = await proposals(world)
    assert (proposal.mentor_id, proposal.mentee_id, proposal.status) == (world.alice.id, world.bob.id, PENDING_MENTOR)
    assert proposal.reason and proposal.score > 0
    dm = last_dm(world.alice)
    assert "looking for a mentor" in dm.content and proposal.reason in dm.content
    assert button(dm, ":accept") == f"mentor:proposal:{proposal.id}:accept"
    assert dms(world.bob) == []
    assert world.modlog.history()[-1].embeds[0].title == "Pairing round"


async def test_mutual_accept_opens_a_private_thread_with_reason_and_three_starters(world: World) -> None:
    """Mentor accepts, then mentee accepts: a private thread with both, the reason and 3 starters."""
    await opted_in_pair(world)
    await run_round(world)
    await accept_as_mentor(world, world.alice)
    (proposal,) = await proposals(world)
    assert proposal.status == PENDING_MENTEE
    assert "would like to be your mentor" in last_dm(world.bob).content
    dm = last_dm(world.bob)
    await world.bob.user.click(dm, custom_id=button(dm, ":accept"))
    (proposal,) = await proposals(world)
    assert proposal.status == ACCEPTED
    (pairing,) = await pairings(world)
    (thread,) = world.mentorship.threads
    assert pairing.thread_id == thread.id
    dthread = world.bot.get_channel(thread.id)
    assert dthread.type is discord.ChannelType.private_thread
    members = {m.id for m in await dthread.fetch_members()}
    assert {world.alice.id, world.bob.id} <= members
    welcome = thread.history(viewer=world.bob)[-1].content
    assert proposal.reason in welcome
    assert all(f"{n}. " in welcome for n in (1, 2, 3)) and "4. " not in welcome
    assert (await mentors(world))[0].active_count == 1


async def test_decline_is_never_revealed_and_never_proposed_again(world: World) -> None:
    """The mentor declines: the mentee hears nothing, and the next round doesn't propose them again."""
    await opted_in_pair(world)
    await run_round(world)
    dm = last_dm(world.alice)
    result = await world.alice.user.click(dm, custom_id=button(dm, ":decline"))
    assert result.acknowledged
    assert "won't be told" in last_dm(world.alice).content
    (proposal,) = await proposals(world)
    assert (proposal.status, proposal.declined_by) == (DECLINED, "mentor")
    assert dms(world.bob) == []
    again = await run_round(world)
    assert "0 proposals sent" in again.response.embeds[0].description
    assert len(await proposals(world)) == 1


async def test_mentee_decline_is_not_revealed_to_the_mentor(world: World) -> None:
    """The mentee declines after the mentor accepted: the mentor gets no message about it."""
    await opted_in_pair(world)
    await run_round(world)
    await accept_as_mentor(world, world.alice)
    before = len(dms(world.alice))
    dm = last_dm(world.bob)
    await world.bob.user.click(dm, custom_id=button(dm, ":decline"))
    (proposal,) = await proposals(world)
    assert (proposal.status, proposal.declined_by) == (DECLINED, "mentee")
    assert len(dms(world.alice)) == before
    assert await pairings(world) == []


async def test_closed_dms_hold_the_proposal_for_mentor_status(world: World) -> None:
    """With the mentor's DMs closed, nothing private is posted where others could read it: a nudge that
    names only them, and the proposal itself shown to them alone in /mentor status, buttons working."""
    await opted_in_pair(world)
    world.env.inject_error("POST", "/users/@me/channels", status=403, code=50007)
    await run_round(world)
    assert dms(world.alice) == []
    assert world.mentorship.threads == []
    nudge = world.mentorship.last_message
    assert nudge.content.startswith(world.alice.mention)
    assert "looking for a mentor" not in nudge.content and "bob" not in nudge.content.lower()
    assert "`/mentor status`" in nudge.content

    status = await world.alice.slash(world.general, "mentor status")
    [held] = status.followups
    assert held.ephemeral and "looking for a mentor" in held.content
    accept = next(
        c["custom_id"] for row in held.components for c in row["components"] if c["custom_id"].endswith(":accept")
    )
    await world.alice.click(held, custom_id=accept)
    (proposal,) = await proposals(world)
    assert proposal.status == PENDING_MENTEE
    assert all(message.id != nudge.id for message in world.mentorship.history())  # the nudge is gone once read
    again = await world.alice.slash(world.general, "mentor status")
    assert again.followups == []


async def test_refused_dm_message_is_held_too(world: World) -> None:
    """If Discord refuses the DM message itself (50007), the words are held the same way, never put in a thread."""
    await opted_in_pair(world)
    world.env.inject_error("POST", "/channels/*/messages", status=403, code=50007)
    await run_round(world)
    assert world.mentorship.threads == []
    status = await world.alice.slash(world.general, "mentor status")
    assert any("looking for a mentor" in message.content for message in status.followups)


async def test_round_needs_the_mentorship_channel(bare_world: World) -> None:
    """Without a mentorship channel a round is refused with the setup step, and nobody is proposed."""
    await opted_in_pair(bare_world)
    result = await run_round(bare_world)
    assert "`/setup channels mentorship:`" in result.response.content
    assert_error(bare_world.env, FeatureNotConfigured)
    assert await proposals(bare_world) == []
    assert dms(bare_world.alice) == []


async def test_unanswered_proposal_expires_after_three_days(world: World) -> None:
    """After 3 days without an answer the proposal lapses (once) and the mentee is back in the pool."""
    await opted_in_pair(world)
    await run_round(world)
    await world.env.advance_time(3 * DAY - 60)
    await world.bot.run_due_jobs()
    assert (await proposals(world))[0].status == PENDING_MENTOR
    await world.env.advance_time(120)
    results = await world.bot.run_due_jobs()
    assert results["mentorship"]["expired"] == 1
    assert (await proposals(world))[0].status == EXPIRED
    assert "lapsed" in last_dm(world.alice).content
    assert (await world.bot.run_due_jobs())["mentorship"]["expired"] == 0
    await offer(world, world.mod)  # a new mentor: the mentee is in the pool again
    await run_round(world)
    assert [(p.mentor_id, p.mentee_id) for p in await proposals(world)][-1] == (world.mod.id, world.bob.id)


async def test_buttons_work_after_a_restart(world: World) -> None:
    """The Accept button of a proposal sent before a restart still works afterwards."""
    await opted_in_pair(world)
    await run_round(world)
    dm = last_dm(world.alice)
    await world.restart()
    result = await world.alice.user.click(dm, custom_id=button(dm, ":accept"))
    assert result.acknowledged
    assert (await proposals(world))[0].status == PENDING_MENTEE


async def test_members_who_have_not_opted_in_are_never_proposed(world: World) -> None:
    """Only opted-in members are in a round; someone with no request is never messaged."""
    await offer(world, world.alice)
    result = await run_round(world)
    assert "0 proposals sent" in result.response.embeds[0].description
    assert dms(world.alice) == [] and dms(world.bob) == []


async def test_scheduled_rounds_run_once_when_due(world: World) -> None:
    """/pairing auto every_days stores the next round; the due job runs it once, then schedules the next."""
    await opted_in_pair(world)
    result = await world.mod.slash(world.general, "pairing auto every_days", days=7)
    assert_responded(result, contains="every 7 days", ephemeral=True)
    await world.env.advance_time(7 * DAY + 60)
    first = await world.bot.run_due_jobs()
    second = await world.bot.run_due_jobs()
    assert (first["mentorship"]["rounds"], second["mentorship"]["rounds"]) == (1, 0)
    assert len(await proposals(world)) == 1
    assert world.modlog.history()[-1].embeds[0].title == "Scheduled pairing round"
    off = await world.mod.slash(world.general, "pairing auto off")
    assert_responded(off, contains="off", ephemeral=True)


async def test_mentee_with_a_pairing_is_not_proposed_again(world: World) -> None:
    """Once matched, a mentee isn't in the next round even if another mentor has room."""
    await matched(world)
    await offer(world, world.mod)
    await run_round(world)
    assert len(await proposals(world)) == 1


async def test_request_with_similar_heritage_preference_is_saved(world: World) -> None:
    """The heritage preference and timezone window are stored as chosen."""
    await request(world, world.bob, heritage_preference="similar", max_timezone_gap=3, heritages="Filipino, Irish")
    from tests.features.test_mentorship_support import mentees

    (profile,) = await mentees(world)
    assert (profile.heritage_preference, profile.max_timezone_gap_hours, profile.heritages) == (
        "similar",
        3,
        "Filipino, Irish",
    )


async def test_large_pools_are_matched_in_a_worker_process(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Above the inline limit the engine runs off the event loop, with the same result."""
    round_in_worker(world, monkeypatch)
    await opted_in_pair(world)
    cog = world.bot.get_cog("Mentorship")
    try:
        result = await world.mod.slash(world.general, "pairing run", dry_run=True)
        assert cog.rounds._executor is not None
    finally:
        cog.rounds.close()
    assert f"<@{world.alice.id}> → <@{world.bob.id}> · score" in result.response.embeds[0].description


async def test_proposal_expiry_is_a_setting(world: World) -> None:
    """PROPOSAL_EXPIRY_DAYS changes how long an invitation stays open, and the invitation says so."""
    world.settings = world.settings.model_copy(update={"proposal_expiry_days": 7})
    await world.restart()  # a bot started with the new setting
    await opted_in_pair(world)
    await run_round(world)
    assert "open for 7 days" in last_dm(world.alice).content
    await world.env.advance_time(4 * DAY)
    await world.bot.run_due_jobs()
    assert (await proposals(world))[0].status == PENDING_MENTOR


async def test_a_round_loads_builds_and_creates_a_page_at_a_time(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """A large pool is loaded, turned into the engine's profiles and proposed in pages, letting the event loop
    run between them; with pages of one member the round is the same, and full collections are back after it.
    The outcome keeps only the pairs a summary can show, and the summary still counts them all."""
    monkeypatch.setattr(common_module, "PAGE", 1)
    monkeypatch.setattr(proposals_module, "ROUND_INSERT_BATCH", 1)
    monkeypatch.setattr(rounds_module, "PROFILE_SLICE", 1)
    monkeypatch.setattr(rounds_module, "SHOWN_PAIRS", 1)  # the outcome keeps one pair line and the count
    carol, dan = world.add_member("carol"), world.add_member("dan")
    await world.env.settle()
    await opted_in_pair(world)
    await offer(world, carol, themes="identity")
    await request(world, dan, themes="identity")
    await request(world, world.mod, themes="advocacy")  # no mentor offers advocacy: left unmatched
    result = await run_round(world)
    summary = result.response.embeds[0].description
    assert "Round done: 2 proposals sent to mentors first" in summary
    assert summary.count(" · score ") == 1 and summary.endswith("…and 1 more pair.")
    assert {(row.mentor_id, row.mentee_id) for row in await proposals(world)} == {
        (world.alice.id, world.bob.id),
        (carol.id, dan.id),
    }
    assert "introduce you to **dan**" in last_dm(carol).content
    assert gc.get_threshold()[2] != OUT_OF_REACH  # full collections are back after the round


async def test_exclusions_are_read_a_page_at_a_time_and_all_kept(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every pair proposed before and every block (both ways) excludes, however many pages they take."""
    monkeypatch.setattr(common_module, "ROWS_PAGE", 1)
    now = world.bot.clock()
    async with world.bot.db.write() as session:
        for mentor, mentee in ((1, 2), (1, 3), (4, 2)):
            await store.create_proposal(
                session,
                world.guild.id,
                mentor,
                mentee,
                score=1,
                reason="r",
                shared_themes="",
                now=now,
                expiry=timedelta(days=3),
            )
        for user, blocked in ((5, 6), (7, 8)):
            session.add(MentorshipBlock(guild_id=world.guild.id, user_id=user, blocked_user_id=blocked, created_at=now))
    async with world.bot.db.read() as session:
        excluded = await store.exclusions(session, world.guild.id)
    assert excluded == {(1, 2), (1, 3), (4, 2), (5, 6), (6, 5), (7, 8), (8, 7)}
