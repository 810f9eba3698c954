"""Life of a pairing: check-ins, endings (member or moderator), forced pairings, stats, privacy."""

from __future__ import annotations

from simcord import assert_error, assert_responded

from core.errors import NotAllowed
from storage.models.mentorship import ACTIVE, ENDED, PENDING_MENTOR
from tests.conftest import World
from tests.features.test_mentorship_support import (
    DAY,
    accept_as_mentor,
    blocks,
    button,
    checkins,
    dms,
    last_dm,
    matched,
    mentees,
    mentors,
    offer,
    opted_in_pair,
    pairings,
    proposals,
    request,
    run_round,
)


async def test_checkin_at_day_14_asks_each_member_privately(world: World) -> None:
    """At day 14 each member gets "How is it going?" with 1-5 and an end button; only once."""
    pairing = await matched(world)
    await world.env.advance_time(14 * DAY + 60)
    results = await world.bot.run_due_jobs()
    assert results["mentorship"]["checkins"] == 2
    assert (await world.bot.run_due_jobs())["mentorship"]["checkins"] == 0
    for actor in (world.alice, world.bob):
        dm = last_dm(actor)
        assert "How is it going" in dm.content
        assert button(dm, ":5").startswith("mentor:checkin:")
        assert button(dm, f"mentor:checkin-end:{pairing.id}")
    rows = await checkins(world)
    assert sorted((c.user_id, c.day) for c in rows) == sorted([(world.alice.id, 14), (world.bob.id, 14)])


async def test_checkins_follow_the_days_the_server_chose(world: World) -> None:
    """The default second check-in is at day 45; with `/setup options pairing_checkins:7,30` a pairing made after
    it is asked at days 7 and 30 instead, never at 14 or 45."""
    first = await matched(world)
    for days in (14, 31):
        await world.env.advance_time(days * DAY + 60)
        await world.bot.run_due_jobs()
    assert sorted({c.day for c in await checkins(world) if c.pairing_id == first.id}) == [14, 45]
    result = await world.mod.slash(world.general, "setup options", pairing_checkins="7,30")
    assert_responded(result, contains="Pairing check-ins: days 7,30", ephemeral=True)
    cat, dan = world.add_member("cat"), world.add_member("dan")
    await world.env.settle()
    await opted_in_pair(world, cat, dan)
    await run_round(world)
    await accept_as_mentor(world, cat)
    invitation = last_dm(dan)
    await dan.user.click(invitation, custom_id=button(invitation, ":accept"))
    (pairing,) = [p for p in await pairings(world) if p.id != first.id]
    for days in (6, 1, 7, 16, 15, 40):  # days 6, 7, 14, 30, 45, 85
        await world.env.advance_time(days * DAY + 60)
        await world.bot.run_due_jobs()
    assert sorted({c.day for c in await checkins(world) if c.pairing_id == pairing.id}) == [7, 30]


async def test_low_rating_tells_the_modlog_without_any_text(world: World) -> None:
    """A rating of 2 is stored and the mod-log names the pairing, never anyone's words."""
    pairing = await matched(world)
    await world.env.advance_time(14 * DAY + 60)
    await world.bot.run_due_jobs()
    dm = last_dm(world.bob)
    result = await world.bob.user.click(dm, custom_id=button(dm, ":2"))
    assert result.acknowledged
    assert "you rated it 2/5" in last_dm(world.bob).content
    rated = next(c for c in await checkins(world) if c.user_id == world.bob.id)
    assert rated.rating == 2
    entry = world.modlog.history()[-1].embeds[0]
    assert entry.title == "Mentor pairing may need care"
    assert f"Pairing #{pairing.id}" in entry.description and "2/5" in entry.description


async def test_good_rating_stays_private(world: World) -> None:
    """A rating of 5 is stored and nothing goes to the mod-log."""
    await matched(world)
    await world.env.advance_time(14 * DAY + 60)
    await world.bot.run_due_jobs()
    before = len(world.modlog.history())
    dm = last_dm(world.alice)
    await world.alice.user.click(dm, custom_id=button(dm, ":5"))
    assert len(world.modlog.history()) == before
    assert [c.rating for c in await checkins(world) if c.user_id == world.alice.id] == [5]


async def test_checkin_end_button_ends_the_pairing(world: World) -> None:
    """'End this pairing' on a check-in ends it no-fault and frees the mentor's place."""
    pairing = await matched(world)
    await world.env.advance_time(14 * DAY + 60)
    await world.bot.run_due_jobs()
    dm = last_dm(world.bob)
    await world.bob.user.click(dm, custom_id=button(dm, f"mentor:checkin-end:{pairing.id}"))
    (ended,) = await pairings(world)
    assert (ended.status, ended.ended_by) == (ENDED, "mentee")
    assert (await mentors(world))[0].active_count == 0
    assert "come to an end" in last_dm(world.alice).content


async def test_member_ends_pairing_other_is_told_kindly(world: World) -> None:
    """/mentor end by the mentee: the mentor is told kindly (never the feedback), the place is freed."""
    pairing = await matched(world)
    result = await world.bob.slash(world.general, "mentor end", pairing=pairing.id, feedback="We never clicked.")
    assert_responded(result, contains="nobody is at fault", ephemeral=True)
    (ended,) = await pairings(world)
    assert (ended.status, ended.ended_by, ended.feedback) == (ENDED, "mentee", "We never clicked.")
    told = last_dm(world.alice).content
    assert "come to an end" in told and "nobody's fault" in told and "clicked" not in told
    assert (await mentors(world))[0].active_count == 0
    assert "This pairing has ended" in world.mentorship.threads[0].history(viewer=world.alice)[-1].content


FEEDBACK = "Feedback from pairings that ended (last 90 days)"


async def test_end_feedback_reaches_the_moderators_only_for_90_days(world: World) -> None:
    """`/mentor end`'s feedback is "for the moderators' records": `/pairing list` shows it to moderators (as typed,
    no masked link) for 90 days; it never reaches the other member."""
    pairing = await matched(world)
    feedback = "We never clicked. [Verify](https://evil.example)"
    await world.bob.slash(world.general, "mentor end", pairing=pairing.id, feedback=feedback)
    listed = (await world.mod.slash(world.general, "pairing list")).response.embeds[0]
    notes = {f.name: f.value for f in listed.fields}[FEEDBACK]
    assert f"#{pairing.id}: <@{world.alice.id}> and <@{world.bob.id}>, ended by the mentee" in notes
    assert "We never clicked. \\[Verify\\](https://evil.example)" in notes
    assert all("never clicked" not in message.content for message in dms(world.alice))
    await world.env.advance_time(91 * DAY)
    listed = (await world.mod.slash(world.general, "pairing list")).response.embeds[0]
    assert all(f.name != FEEDBACK for f in listed.fields)


async def test_end_feedback_goes_when_its_writer_erases_their_data(world: World) -> None:
    pairing = await matched(world)
    await world.bob.slash(world.general, "mentor end", pairing=pairing.id, feedback="Thank you, truly.")
    listed = (await world.mod.slash(world.general, "pairing list")).response.embeds[0]
    assert "Thank you, truly." in {f.name: f.value for f in listed.fields}[FEEDBACK]
    asked = await world.bob.slash(world.general, "privacy delete")
    await world.bob.click(asked.response, custom_id=f"privacy:delete:{world.bob.id}")
    listed = (await world.mod.slash(world.general, "pairing list")).response.embeds[0]
    assert all(f.name != FEEDBACK for f in listed.fields)


async def test_member_end_autocomplete_lists_only_own_pairings(world: World) -> None:
    """The pairing option offers the member's own active pairings by the other person's name."""
    pairing = await matched(world)
    choices = await world.bob.autocomplete(world.general, "mentor end", "pairing", "")
    assert [(c["name"], c["value"]) for c in choices] == [(f"#{pairing.id} with alice", pairing.id)]
    assert await world.mod.autocomplete(world.general, "mentor end", "pairing", "") == []


async def test_member_cannot_end_someone_elses_pairing(world: World) -> None:
    """Ending a pairing you're not in is refused and changes nothing."""
    pairing = await matched(world)
    result = await world.mod.slash(world.general, "mentor end", pairing=pairing.id)
    assert_responded(result, contains="I can't find a pairing of yours", ephemeral=True)
    from core.errors import NotFound

    assert_error(world.env, NotFound)
    assert (await pairings(world))[0].status == ACTIVE


async def test_moderator_ends_pairing_both_told_and_logged(world: World) -> None:
    """/pairing end: both members are told kindly, the place is freed, the mod-log records it."""
    pairing = await matched(world)
    result = await world.mod.slash(world.general, "pairing end", pairing=pairing.id)
    assert_responded(result, contains=f"Pairing #{pairing.id} has ended", ephemeral=True)
    assert (await pairings(world))[0].ended_by == "moderator"
    assert "come to an end" in last_dm(world.alice).content
    assert "come to an end" in last_dm(world.bob).content
    assert (await mentors(world))[0].active_count == 0
    assert world.modlog.history()[-1].embeds[0].title == "Pairing ended by a moderator"


async def test_ended_pair_is_never_proposed_again(world: World) -> None:
    """After an ending, the next round doesn't propose the same two people."""
    pairing = await matched(world)
    await world.bob.slash(world.general, "mentor end", pairing=pairing.id)
    result = await world.mod.slash(world.general, "pairing run")
    assert "0 proposals sent" in result.response.embeds[0].description
    assert len(await proposals(world)) == 1


async def test_moderator_creates_a_pairing_that_still_needs_consent(world: World) -> None:
    """/pairing create sends the mentor an invitation (consent still needed) and logs it."""
    await opted_in_pair(world)
    result = await world.mod.slash(world.general, "pairing create", mentor=world.alice, mentee=world.bob)
    assert_responded(result, contains="I've invited", ephemeral=True)
    (proposal,) = await proposals(world)
    assert (proposal.status, proposal.forced) == (PENDING_MENTOR, True)
    assert "looking for a mentor" in last_dm(world.alice).content
    assert world.modlog.history()[-1].embeds[0].title == "Pairing proposed by a moderator"


async def test_forced_pairing_skips_the_never_before_rule(world: World) -> None:
    """A moderator can propose a pair again after it was declined."""
    await opted_in_pair(world)
    await world.mod.slash(world.general, "pairing run")
    dm = last_dm(world.alice)
    await world.alice.user.click(dm, custom_id=button(dm, ":decline"))
    await world.mod.slash(world.general, "pairing create", mentor=world.alice, mentee=world.bob)
    (proposal,) = await proposals(world)
    assert proposal.status == PENDING_MENTOR and proposal.declined_by is None


async def test_forced_pairing_needs_both_to_have_opted_in(world: World) -> None:
    """A moderator can't pair someone who never asked for a mentor."""
    await offer(world, world.alice)
    result = await world.mod.slash(world.general, "pairing create", mentor=world.alice, mentee=world.bob)
    assert_responded(result, contains="hasn't asked for a mentor", ephemeral=True)
    assert_error(world.env, NotAllowed)
    assert await proposals(world) == []
    assert dms(world.alice) == [] and dms(world.bob) == []


async def test_list_and_stats_show_the_funnel(world: World) -> None:
    """/pairing list shows the active pairing; /pairing stats counts each step of the funnel."""
    pairing = await matched(world)
    listed = await world.mod.slash(world.general, "pairing list")
    assert (
        f"#{pairing.id}: <@{world.alice.id}> mentoring <@{world.bob.id}>" in listed.response.embeds[0].fields[0].value
    )
    stats = await world.mod.slash(world.general, "pairing stats")
    text = stats.response.embeds[0].description
    for line in (
        "Offers to mentor: 1",
        "Requests for a mentor: 1",
        "Proposals: 1",
        "Accepted: 1",
        "Active pairings: 1",
    ):
        assert line in text
    [chart] = stats.response.attachments
    assert chart.filename == "pairing-funnel.png"
    assert (await chart.read()).startswith(b"\x89PNG")
    assert stats.response.embeds[0].image.url == "attachment://pairing-funnel.png"


async def test_stats_never_break_down_a_handful_of_ratings(world: World) -> None:
    """With fewer than five check-in answers, /pairing stats gives no per-star counts."""
    await matched(world)
    await world.env.advance_time(14 * DAY + 60)
    await world.bot.run_due_jobs()
    dm = last_dm(world.bob)
    await world.bob.user.click(dm, custom_id=button(dm, ":1"))
    stats = await world.mod.slash(world.general, "pairing stats")
    text = stats.response.embeds[0].description
    assert "Check-in ratings: fewer than 5 answers so far" in text
    assert "1★" not in text


async def test_privacy_delete_ends_pairings_and_removes_every_row(world: World) -> None:
    """The privacy provider erases the member's rows (and blocks both ways); the partner is told kindly."""
    await matched(world)
    await world.bob.slash(world.general, "mentor block", member=world.mod)
    await world.mod.slash(world.general, "mentor block", member=world.bob)
    provider = world.bot.privacy.providers["Mentor pairing"]
    async with world.bot.db.read() as session:
        exported = await provider.export(session, world.guild.id, world.bob.id)
    assert exported["mentor_request"]["themes"] == "career"
    assert [b["user_id"] for b in exported["blocks_you_made"]] == [world.mod.id]
    async with world.bot.db.write() as session:
        removed = await provider.delete(session, world.guild.id, world.bob.id)
    await world.env.settle()
    assert removed > 0
    assert await mentees(world) == [] and await pairings(world) == [] and await proposals(world) == []
    assert await blocks(world) == []
    assert (await mentors(world))[0].active_count == 0
    assert "come to an end" in last_dm(world.alice).content


async def test_mentor_request_again_keeps_a_single_request(world: World) -> None:
    """Updating a request replaces it."""
    await request(world, world.bob)
    await request(world, world.bob, themes="identity", note="Hi!")
    (profile,) = await mentees(world)
    assert (profile.themes, profile.note) == ("identity", "Hi!")
