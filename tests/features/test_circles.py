"""Peer circles as members and moderators meet them: opting in, forming, consent, the thread, leaving."""

from __future__ import annotations

from typing import Any

from simcord import MemberActor, assert_error, assert_responded
from sqlalchemy import select

from core.errors import InvalidInput, NotAllowed
from storage.models.circles import (
    FORMED,
    INVITED,
    LEFT,
    NO,
    PROPOSED,
    UNFORMED,
    YES,
    Circle,
    CircleCheckin,
    CircleInvite,
    CircleProfile,
)
from tests.conftest import World
from tests.features.test_mentorship_support import DAY, button, dms, last_dm


async def rows(world: World, model: Any) -> list[Any]:
    async with world.bot.db.read() as session:
        return list((await session.scalars(select(model).order_by(model.id))).all())


async def join(world: World, actor: MemberActor, **options: Any) -> Any:
    options = {"themes": "career, identity", "timezone": "Asia/Manila", "heritages": "Filipino, Irish", **options}
    return await actor.slash(world.general, "circle join", **options)


async def four_in_pool(world: World) -> list[MemberActor]:
    """Alice, Bob, Cat and Dan opt in with the same themes and close timezones."""
    cat, dan = world.add_member("cat"), world.add_member("dan")
    await world.env.settle()
    actors = [world.alice, world.bob, cat, dan]
    for actor in actors:
        await join(world, actor)
    return actors


async def form(world: World, dry_run: bool = False) -> Any:
    return await world.mod.slash(world.general, "circles form", dry_run=dry_run)


async def click(actor: MemberActor, action: str) -> Any:
    dm = last_dm(actor)
    return await actor.user.click(dm, custom_id=button(dm, f":{action}"))


async def test_join_saves_the_profile_and_says_nobody_is_added_without_yes(world: World) -> None:
    """/circle join stores themes, heritages in the member's words, size and window; the answer is private."""
    result = await join(world, world.alice, size=4, window=3)
    assert_responded(result, contains="You've joined peer circles", ephemeral=True)
    assert "nobody is added without saying yes" in result.response.content
    (profile,) = await rows(world, CircleProfile)
    assert (profile.user_id, profile.themes, profile.heritages) == (
        world.alice.id,
        "career,identity",
        "Filipino, Irish",
    )
    assert (profile.size, profile.window_hours, profile.timezone) == (4, 3, "Asia/Manila")


async def test_join_refuses_an_unknown_theme_and_saves_nothing(world: World) -> None:
    result = await join(world, world.alice, themes="cooking")
    assert_responded(result, contains="cooking", ephemeral=True)
    assert_error(world.env, InvalidInput)
    assert await rows(world, CircleProfile) == []


async def test_status_and_leave_without_joining_say_how_to_join(world: World) -> None:
    assert_responded(await world.alice.slash(world.general, "circle status"), contains="/circle join", ephemeral=True)
    assert_responded(await world.alice.slash(world.general, "circle leave"), contains="/circle join", ephemeral=True)
    assert_error(world.env, NotAllowed)


async def test_dry_run_shows_circles_without_pinging_or_saving(world: World) -> None:
    """The moderator sees the proposed circle with non-pinging mentions; nobody is messaged, nothing saved."""
    actors = await four_in_pool(world)
    result = await form(world, dry_run=True)
    text = result.response.embeds[0].description
    assert "Dry run: I would propose 1 circle" in text and "4 of 4 members placed" in text
    assert all(f"<@{actor.id}>" in text for actor in actors)
    assert await rows(world, Circle) == []
    assert all(dms(actor) == [] for actor in actors)


async def test_a_circle_forms_when_three_say_yes_and_opens_a_private_thread(world: World) -> None:
    """Four invited; three say yes, one says no: the thread holds the three, with starters; the decline is
    never mentioned, and the decliner isn't in it."""
    alice, bob, cat, dan = await four_in_pool(world)
    await form(world)
    (circle,) = await rows(world, Circle)
    assert circle.status == PROPOSED
    for actor in (alice, bob, cat, dan):
        assert "peer circle of 4 members" in last_dm(actor).content
    await click(alice, "yes")
    await click(dan, "no")
    assert "nobody is told" in last_dm(dan).content
    await click(bob, "yes")
    assert world.mentorship.threads == []  # cat hasn't answered yet
    await click(cat, "yes")
    (circle,) = await rows(world, Circle)
    assert circle.status == FORMED and circle.thread_id is not None
    (thread,) = world.mentorship.threads
    members = {m.id for m in await world.bot.get_channel(thread.id).fetch_members()}
    assert {alice.id, bob.id, cat.id} <= members and dan.id not in members
    welcome = thread.history(viewer=alice)[0].content
    assert "A few ways to begin" in welcome and "Career" in welcome and "Filipino" in welcome
    assert "no" not in welcome.split("What you share")[0].lower().split()  # nobody's answer is shown
    assert dan.mention not in welcome
    statuses = {i.user_id: i.status for i in await rows(world, CircleInvite)}
    assert statuses == {alice.id: YES, bob.id: YES, cat.id: YES, dan.id: NO}


async def test_a_circle_without_enough_yes_lapses_kindly_without_naming_anyone(world: World) -> None:
    """Two yes, two never answer: after 3 days it doesn't form; the yes-sayers read a kind line that names
    nobody, the others see their invitation lapse."""
    alice, bob, cat, dan = await four_in_pool(world)
    await form(world)
    await click(alice, "yes")
    await click(bob, "yes")
    await world.env.advance_time(3 * DAY + 60)
    await world.bot.run_due_jobs()
    (circle,) = await rows(world, Circle)
    assert circle.status == UNFORMED and world.mentorship.threads == []
    for actor in (alice, bob):
        text = last_dm(actor).content
        assert "didn't come together" in text and "nobody's fault" in text
        assert cat.name not in text and dan.name not in text
    assert "has closed" in dms(cat)[0].content
    assert {i.status for i in await rows(world, CircleInvite) if i.user_id in (cat.id, dan.id)} == {"lapsed"}


async def test_leaving_a_circle_tells_the_others_only_that_a_member_left(world: World) -> None:
    alice, bob, cat, dan = await four_in_pool(world)
    await form(world)
    for actor in (alice, bob, cat, dan):
        await click(actor, "yes")
    result = await dan.slash(world.general, "circle leave")
    assert_responded(result, contains="the others are only told that a member left", ephemeral=True)
    (thread,) = world.mentorship.threads
    last = thread.history(viewer=alice)[-1].content
    assert last.startswith("A member has left the circle") and dan.name not in last
    members = {m.id for m in await world.bot.get_channel(thread.id).fetch_members()}
    assert dan.id not in members
    invites = {i.user_id: i.status for i in await rows(world, CircleInvite)}
    assert invites[dan.id] == LEFT
    assert dan.id not in {p.user_id for p in await rows(world, CircleProfile)}


async def test_answer_buttons_work_after_a_restart(world: World) -> None:
    alice, *_ = await four_in_pool(world)
    await form(world)
    await world.restart()
    await click(alice, "yes")
    assert {i.status for i in await rows(world, CircleInvite) if i.user_id == alice.id} == {YES}
    assert {i.status for i in await rows(world, CircleInvite) if i.user_id != alice.id} == {INVITED}


async def test_status_shows_invitation_and_circle(world: World) -> None:
    alice, *_ = await four_in_pool(world)
    await form(world)
    result = await alice.slash(world.general, "circle status")
    fields = {f.name: f.value for f in result.response.embeds[0].fields}
    assert "waiting for your answer" in fields["Invitations"]


async def test_a_circle_forms_as_soon_as_enough_say_yes_and_a_late_yes_joins_it(world: World) -> None:
    """Three of four say yes: the circle forms at once; Dan's later yes adds him to the thread."""
    alice, bob, cat, dan = await four_in_pool(world)
    await form(world)
    for actor in (alice, bob, cat):
        await click(actor, "yes")
    (circle,) = await rows(world, Circle)
    assert circle.status == FORMED
    (thread,) = world.mentorship.threads
    members = {m.id for m in await world.bot.get_channel(thread.id).fetch_members()}
    assert dan.id not in members
    await click(dan, "yes")
    members = {m.id for m in await world.bot.get_channel(thread.id).fetch_members()}
    assert dan.id in members
    assert "joined your circle" in last_dm(dan).content


async def test_a_circle_that_can_no_longer_form_closes_at_once_and_names_nobody(world: World) -> None:
    """Two of four say no: three yeses are impossible, so the one yes-sayer is told kindly right away."""
    alice, bob, cat, dan = await four_in_pool(world)
    await form(world)
    await click(alice, "yes")
    await click(bob, "no")
    await click(cat, "no")
    (circle,) = await rows(world, Circle)
    assert circle.status == UNFORMED
    text = last_dm(alice).content
    assert "didn't come together" in text and bob.name not in text and cat.name not in text
    assert "has closed" in last_dm(dan).content
    assert world.mentorship.threads == []


async def test_a_member_who_never_opted_in_is_never_invited(world: World) -> None:
    """Alice, Bob, Cat and Dan opted in; the moderator and Eve didn't: neither hears anything."""
    await four_in_pool(world)
    eve = world.add_member("eve")
    await world.env.settle()
    await form(world)
    assert dms(eve) == [] and dms(world.mod) == []
    assert eve.id not in {i.user_id for i in await rows(world, CircleInvite)}


async def test_checkins_ask_each_member_privately_and_a_low_rating_names_nobody(world: World) -> None:
    """Day 14 after the circle formed: each member gets a private 1-5 check-in, once even if the due work runs
    twice; a 2 tells the mod-log which circle may need care, never who rated it."""
    actors = await four_in_pool(world)
    await form(world)
    for actor in actors:
        await click(actor, "yes")
    before = [len(dms(actor)) for actor in actors]
    await world.env.advance_time(14 * DAY + 60)
    await world.bot.run_due_jobs()
    await world.bot.run_due_jobs()
    assert [len(dms(actor)) for actor in actors] == [n + 1 for n in before]
    assert "How is it going" in last_dm(actors[0]).content
    await click(actors[0], "2")
    entry = world.modlog.last_message
    text = entry.embeds[0].description if entry.embeds else entry.content
    assert "Circle #1 got a rating of 2/5" in text
    assert all(actor.mention not in text and str(actor.id) not in text for actor in actors)
    ratings = {c.user_id: c.rating for c in await rows(world, CircleCheckin)}
    assert ratings[actors[0].id] == 2 and len(ratings) == 4


async def test_a_member_who_left_or_declined_gets_no_checkin_and_the_rest_get_one_each(world: World) -> None:
    """Four invited, one says no; of the three in the circle one runs `/circle leave` before day 14: the two still
    in it get one check-in each, and nobody else is asked or owed one."""
    alice, bob, cat, dan = await four_in_pool(world)
    await form(world)
    for actor in (alice, bob, cat):
        await click(actor, "yes")
    await click(dan, "no")
    assert_responded(await cat.slash(world.general, "circle leave"), ephemeral=True)
    await world.env.advance_time(14 * DAY + 60)
    await world.bot.run_due_jobs()
    asked = [actor for actor in (alice, bob, cat, dan) if "How is it going" in last_dm(actor).content]
    assert asked == [alice, bob]
    assert sorted(c.user_id for c in await rows(world, CircleCheckin)) == sorted([alice.id, bob.id])


async def test_a_real_run_tells_the_moderator_sizes_but_not_who_was_invited(world: World) -> None:
    """After a real run the moderator sees how many circles of what size, never who, so that the thread's
    members can't tell them who said no."""
    actors = await four_in_pool(world)
    result = await form(world)
    text = result.response.embeds[0].description
    assert "1 circle proposed" in text and "4 members" in text
    assert all(f"<@{actor.id}>" not in text for actor in actors)
