"""Consent and capacity are honest: nobody is asked for a place that isn't there, the status says the
truth, and an invitation that closes never leaves the mentor reading "I've asked …" forever."""

from __future__ import annotations

from typing import Any

from simcord import assert_error, assert_responded

from core.errors import NotAllowed
from storage.models.mentorship import CANCELLED, PENDING_MENTEE, PENDING_MENTOR
from tests.conftest import World
from tests.features.test_mentorship_support import (
    DAY,
    accept_as_mentor,
    button,
    dms,
    last_dm,
    matched,
    offer,
    opted_in_pair,
    proposals,
    request,
    run_round,
)

CLOSED = "closed without a pairing this time"


def mentor_message(world: World) -> str:
    """The mentor's proposal message as it reads now (the first DM Alice got)."""
    return str(dms(world.alice)[0].content)


async def mentor_said_yes(world: World) -> None:
    await opted_in_pair(world)
    await run_round(world)
    await accept_as_mentor(world, world.alice)
    assert "I've asked bob" in mentor_message(world)


async def test_mentor_message_closes_kindly_when_the_mentee_declines(world: World) -> None:
    """Bob declines after Alice said yes: Alice's "I've asked bob…" becomes a kind closing line
    that doesn't say Bob declined."""
    await mentor_said_yes(world)
    dm = last_dm(world.bob)
    await world.bob.user.click(dm, custom_id=button(dm, ":decline"))
    text = mentor_message(world)
    assert "I've asked" not in text
    assert CLOSED in text and "nobody's fault" in text
    assert "declin" not in text and "lapse" not in text and "expire" not in text
    assert dms(world.alice)[0].components == []


async def test_mentor_message_closes_the_same_way_when_the_invitation_lapses(world: World) -> None:
    """Bob never answers: after three days Alice reads exactly what she would have read after a decline."""
    await mentor_said_yes(world)
    await world.env.advance_time(3 * DAY + 60)
    await world.bot.run_due_jobs()
    text = mentor_message(world)
    assert "I've asked" not in text and CLOSED in text
    assert "declin" not in text and "lapse" not in text and "expire" not in text
    assert "lapsed" in last_dm(world.bob).content  # Bob's own invitation tells him it lapsed


async def test_pairing_create_refuses_a_mentor_with_no_place_before_asking_anyone(world: World) -> None:
    """Alice mentors Bob with her only place; /pairing create alice → cat is refused at once and
    neither Alice nor Cat hears anything."""
    await matched(world)
    cat = world.add_member("cat")
    await world.env.settle()
    await request(world, cat)
    alice_dms = len(dms(world.alice))
    result = await world.mod.slash(world.general, "pairing create", mentor=world.alice, mentee=cat)
    assert_responded(result, contains="has no mentoring place free", ephemeral=True)
    assert_error(world.env, NotAllowed)
    assert len(dms(world.alice)) == alice_dms
    assert dms(cat) == []
    assert len(await proposals(world)) == 1


async def test_pairing_create_counts_open_invitations_against_the_places(world: World) -> None:
    """Alice's only place is held by an open invitation to Bob: a second forced invitation is refused."""
    await opted_in_pair(world)
    await run_round(world)
    cat = world.add_member("cat")
    await world.env.settle()
    await request(world, cat)
    result = await world.mod.slash(world.general, "pairing create", mentor=world.alice, mentee=cat)
    assert_responded(result, contains="has no mentoring place free", ephemeral=True)
    assert_error(world.env, NotAllowed)
    assert dms(cat) == []


async def test_lowering_capacity_closes_the_invitations_that_no_longer_fit(world: World) -> None:
    """Alice offers two places and has two open invitations; she lowers to one: the newest invitation
    closes kindly (her buttons go, the mentee is never told why), the other stays open."""
    await offer(world, world.alice, capacity=2)
    await request(world, world.bob)
    cat = world.add_member("cat")
    await world.env.settle()
    await request(world, cat)
    await run_round(world)
    assert [p.status for p in await proposals(world)] == [PENDING_MENTOR, PENDING_MENTOR]
    first, _second = dms(world.alice)
    await world.alice.user.click(first, custom_id=button(first, ":accept"))  # the first mentee is asked
    result = await offer(world, world.alice, capacity=1)
    assert_responded(result, contains="closed 1 invitation", ephemeral=True)
    statuses = [p.status for p in await proposals(world)]
    assert statuses == [PENDING_MENTEE, CANCELLED]
    closed = dms(world.alice)[1]
    assert closed.components == [] and "no longer open" in closed.content
    assert "I've asked" in dms(world.alice)[0].content  # the invitation she still has a place for is untouched


def status_text(result: Any) -> str:
    embed = result.response.embeds[0]
    return "\n".join(f"{field.name}: {field.value}" for field in embed.fields)


async def test_status_of_a_mentor_whose_places_are_all_taken_says_so(world: World) -> None:
    """Alice mentors Bob with her only place: /mentor status says no proposals will come, not
    "receiving proposals"."""
    await matched(world)
    text = status_text(await world.alice.slash(world.general, "mentor status"))
    assert "1 of 1 places taken" in text
    assert "All your mentoring places are taken" in text
    assert "receiving proposals" not in text


async def test_status_of_a_mentee_already_paired_says_so(world: World) -> None:
    """Bob has a mentor: /mentor status says I'm not looking for another, not "receiving proposals"."""
    await matched(world)
    text = status_text(await world.bob.slash(world.general, "mentor status"))
    assert "You have a mentor" in text
    assert "receiving proposals" not in text


async def test_status_of_a_mentor_with_open_places_says_they_are_in_the_next_round(world: World) -> None:
    """Alice offers two places and mentors nobody: she's in the next round for two mentees."""
    await offer(world, world.alice, capacity=2)
    text = status_text(await world.alice.slash(world.general, "mentor status"))
    assert "in the next pairing round for 2 more mentees" in text


async def test_status_with_closed_dms_never_points_to_the_dms(world: World) -> None:
    """Alice's DMs are closed, so her invitation reached her another way: /mentor status doesn't send her
    looking in DMs that hold nothing."""
    await opted_in_pair(world)
    world.env.inject_error("POST", "/users/@me/channels", status=403, code=50007)
    await run_round(world)
    assert dms(world.alice) == []
    text = status_text(await world.alice.slash(world.general, "mentor status"))
    assert "Waiting for your answer: 1 invitation" in text
    assert "in your DMs" not in text
    assert "your DMs are closed, so I kept the buttons for you: they're just below" in text


async def test_status_with_open_dms_points_to_the_dms(world: World) -> None:
    """With DMs open, the invitation's buttons are where the status says: in the DMs."""
    await opted_in_pair(world)
    await run_round(world)
    text = status_text(await world.alice.slash(world.general, "mentor status"))
    assert "1 invitation: the buttons are in your DMs" in text
