"""Peer circles for members a round leaves out, and the funnel chart: a left-out member is told privately why
(the solver's words, naming nobody), once, never on a dry run; /circles stats attaches the funnel chart with
small groups hidden."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from simcord import MemberActor
from sqlalchemy import select

from core import charts
from engine.circles import REASON_TEXT, LeftOutReason
from storage.models.circles import FORMED, LEFT, Circle, CircleInvite, CircleLeftOut
from tests.conftest import World
from tests.features.test_circles import click, form, four_in_pool, join, rows
from tests.features.test_mentorship_support import DAY, dms

NO_ONE_NEAR = REASON_TEXT[LeftOutReason.NO_ONE_IN_WINDOW]


async def with_one_far_away(world: World) -> tuple[list[MemberActor], MemberActor]:
    """Alice, Bob, Cat and Dan in Manila; Eve in London accepts at most a one-hour difference."""
    actors = await four_in_pool(world)
    eve = world.add_member("eve")
    await world.env.settle()
    await join(world, eve, timezone="Europe/London", window=1)
    return actors, eve


async def test_a_left_out_member_is_told_why_once_without_names(world: World) -> None:
    """Eve can't be placed: after the round one DM tells her the solver's reason and one thing to change, names
    nobody; two more due runs and a restart send nothing more; the four placed get only their invitation."""
    actors, eve = await with_one_far_away(world)
    await form(world)
    await world.bot.run_due_jobs()
    await world.env.advance_time(300)
    await world.bot.run_due_jobs()
    await world.restart()
    await world.env.advance_time(300)
    await world.bot.run_due_jobs()
    (message,) = dms(eve)
    assert NO_ONE_NEAR in message.content
    assert "wider timezone window (yours is 1 hour)" in message.content
    assert "You stay in the pool for the next round." in message.content
    for actor in actors:
        assert actor.name not in message.content and str(actor.id) not in message.content
        assert len(dms(actor)) == 1 and "peer circle of 4 members" in dms(actor)[0].content
    assert "block" not in message.content.casefold()
    (row,) = await rows(world, CircleLeftOut)
    assert (row.user_id, row.reason, row.delivery) == (eve.id, LeftOutReason.NO_ONE_IN_WINDOW.value, "sent")
    assert eve.id not in {i.user_id for i in await rows(world, CircleInvite)}


async def test_a_left_out_message_leased_by_a_process_that_died_is_sent_once_after_the_lease(world: World) -> None:
    """A process leased Eve's message and died before sending it: a restarted bot leaves it alone until the
    lease runs out, then sends it, once."""
    _actors, eve = await with_one_far_away(world)
    result = await form(world)
    assert "Members left out are told privately why" in result.response.embeds[0].description
    async with world.bot.db.write() as session:
        (row,) = (await session.scalars(select(CircleLeftOut))).all()
        row.send_after = world.bot.clock() + timedelta(minutes=2)  # the dead process's lease
    await world.restart()
    await world.bot.run_due_jobs()
    assert dms(eve) == []
    await world.env.advance_time(121)
    await world.bot.run_due_jobs()
    await world.env.advance_time(121)
    await world.bot.run_due_jobs()
    assert len(dms(eve)) == 1 and NO_ONE_NEAR in dms(eve)[0].content
    assert [r.delivery for r in await rows(world, CircleLeftOut)] == ["sent"]


async def test_a_dry_run_tells_nobody_they_were_left_out(world: World) -> None:
    """A dry run sends nothing to Eve and owes her nothing, even after the due work runs."""
    _actors, eve = await with_one_far_away(world)
    result = await form(world, dry_run=True)
    assert "Nothing was sent or saved" in result.response.embeds[0].description
    await world.bot.run_due_jobs()
    assert dms(eve) == []
    assert await rows(world, CircleLeftOut) == []


async def test_a_scheduled_round_says_when_the_next_round_runs(world: World) -> None:
    """With /circles auto every_days:7, the message names the next round's date (a week after this one)."""
    _actors, eve = await with_one_far_away(world)
    await world.mod.slash(world.general, "circles auto every_days", days=7)
    await world.env.advance_time(7 * DAY + 60)
    await world.bot.run_due_jobs()
    await world.env.advance_time(60)
    await world.bot.run_due_jobs()
    (message,) = dms(eve)
    assert NO_ONE_NEAR in message.content
    assert "The next round runs <t:" in message.content and "you stay in the pool for it" in message.content
    next_at = int(message.content.split("The next round runs <t:")[1].split(":")[0])
    assert next_at - world.bot.clock().timestamp() > 6 * DAY


async def test_closed_dms_hold_the_left_out_message_for_circle_status(world: World) -> None:
    """Eve's DMs are closed: the message is held (never posted elsewhere) and /circle status shows it to her."""
    _actors, eve = await with_one_far_away(world)
    await form(world)
    world.env.inject_error("POST", "/users/@me/channels", status=403, code=50007)
    await world.bot.run_due_jobs()
    assert dms(eve) == []
    (row,) = await rows(world, CircleLeftOut)
    assert row.delivery == "held"
    result = await eve.slash(world.general, "circle status")
    assert any(NO_ONE_NEAR in followup.content for followup in result.followups)


async def test_stats_attach_the_funnel_chart_with_small_groups_hidden(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Five opted in and invited, one said yes: the chart is attached; the stages it draws are the funnel's,
    and the text and chart show the single yes as "fewer than 5", never as 1."""
    drawn: list[list[tuple[str, int]]] = []
    real = charts.funnel_chart

    def spy(stages: list[tuple[str, int]], *args: Any, **kwargs: Any) -> bytes:
        drawn.append(stages)
        return real(stages, *args, **kwargs)

    monkeypatch.setattr(charts, "funnel_chart", spy)
    actors = await four_in_pool(world)
    eve = world.add_member("eve")
    await world.env.settle()
    await join(world, eve)
    await form(world)
    await click(actors[0], "yes")
    stats = await world.mod.slash(world.general, "circles stats")
    [chart] = stats.response.attachments
    assert chart.filename == "circles-funnel.png"
    assert (await chart.read()).startswith(b"\x89PNG")
    embed = stats.response.embeds[0]
    assert embed.image.url == "attachment://circles-funnel.png"
    assert "**Opted in:** 5" in embed.description and "**Accepted:** fewer than 5" in embed.description
    assert "**Still in their circle at 30 / 60 / 90 days:** 0 / 0 / 0" in embed.description
    assert drawn == [
        [
            ("Opted in", 5),
            ("Invited", 5),
            ("Said yes", 1),
            ("Formed", 0),
            ("Active at 30 days", 0),
            ("Active at 60 days", 0),
            ("Active at 90 days", 0),
            ("Rated", 0),
        ]
    ]
    assert charts._shown_count(1, charts.MIN_GROUP) == "fewer than 5"


async def test_stats_count_members_still_in_a_formed_circle_at_30_60_90_days(world: World) -> None:
    """Five say yes and the circle forms; one leaves 40 days after it formed: 95 days on, five were still in it
    at 30 days, and the four at 60 and 90 days are shown as "fewer than 5"."""
    actors = await four_in_pool(world)
    eve = world.add_member("eve")
    await world.env.settle()
    await join(world, eve)
    await form(world)
    for actor in [*actors, eve]:
        await click(actor, "yes")
    await eve.slash(world.general, "circle leave")
    now = world.bot.clock()
    async with world.bot.db.write() as session:  # as if it formed 95 days ago and Eve left at day 40
        (circle,) = (await session.scalars(select(Circle))).all()
        assert circle.status == FORMED and circle.formed_at is not None
        circle.formed_at = now - timedelta(days=95)
        for invite in (await session.scalars(select(CircleInvite))).all():
            if invite.user_id == eve.id:
                assert invite.status == LEFT and invite.left_at == now
                invite.left_at = now - timedelta(days=55)
    text = (await world.mod.slash(world.general, "circles stats")).response.embeds[0].description
    assert "**Still in their circle at 30 / 60 / 90 days:** 5 / fewer than 5 / fewer than 5" in text


async def test_a_member_with_any_window_is_offered_another_theme(world: World) -> None:
    """Eve accepts any time difference but the others in Manila accept two hours: she is told nobody is within
    her window this round and, since hers can't widen, offered adding a theme; nothing says why the others
    can't meet her."""
    cat, dan = world.add_member("cat"), world.add_member("dan")
    eve = world.add_member("eve")
    await world.env.settle()
    for actor in (world.alice, world.bob, cat, dan):
        await join(world, actor, window=2)
    await join(world, eve, timezone="Europe/London")
    await form(world)
    await world.bot.run_due_jobs()
    (message,) = dms(eve)
    assert NO_ONE_NEAR in message.content
    assert "adding a theme (you have 2 themes)" in message.content and "window (yours" not in message.content
    (row,) = await rows(world, CircleLeftOut)
    assert (row.user_id, row.delivery) == (eve.id, "sent")
