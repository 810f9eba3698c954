"""Report to moderators (issue 20): a member reports a message (or a pair thread) with a reason and optional
words; the report reaches the mod-log privately with a link and a *Mark handled* button; the reported member
is never told who reported; reports are rate-limited and covered by /privacy."""

from __future__ import annotations

from typing import Any

import discord
import pytest
from simcord import assert_error, assert_responded
from simcord.backend.models.channel import Overwrite
from simcord.enums import OverwriteType
from sqlalchemy import select

from core.errors import CoolingDown, NotAllowed
from storage import care as store
from storage.models.care import CareReport
from storage.models.limits import RateLimitUse
from tests.conftest import World
from tests.features.test_departures import restart_after

MENU = "Report to moderators"


async def private_modlog(care_world: World) -> None:
    world = care_world
    """#mod-log → Edit Channel → Permissions: @everyone can't view it; Moderators and Lantern can (private
    backend API, as in test_setup_checklist.py)."""
    view = discord.Permissions(view_channel=True).value
    backend = world.env.backend
    backend.set_overwrite(world.modlog.id, Overwrite(target_id=world.guild.id, type=OverwriteType.ROLE, deny=view))
    backend.set_overwrite(world.modlog.id, Overwrite(target_id=world.mod_role.id, type=OverwriteType.ROLE, allow=view))
    backend.set_overwrite(
        world.modlog.id, Overwrite(target_id=backend.bot_user.id, type=OverwriteType.MEMBER, allow=view)
    )
    await world.env.settle()


@pytest.fixture
async def care_world(world: World) -> World:
    """The world with a mod-log only moderators (and Lantern) can read, as a server should have it."""
    await private_modlog(world)
    return world


def button_ids(message: discord.Message) -> list[str | None]:
    return [child.custom_id for row in message.components for child in getattr(row, "children", ())]


async def reports(world: World) -> list[CareReport]:
    async with world.bot.db.read() as session:
        return list((await session.scalars(select(CareReport).order_by(CareReport.id))).all())


async def report(world: World, reporter: Any, message: Any, reason: str = "harass", words: str = "") -> Any:
    """Right-click → Report to moderators → pick a reason → the form → submit."""
    asked = await reporter.context_menu(world.general, MENU, message)
    assert_responded(asked, contains="Why are you reporting this?", ephemeral=True)
    shown = await reporter.select(asked.response, [reason])
    assert shown.modal is not None and shown.modal["title"] == "Report to moderators"
    return await reporter.submit_modal(shown, {"words": words} if words else {})


async def test_a_report_reaches_the_mod_log_privately_with_a_link(care_world: World) -> None:
    world = care_world
    """Alice reports Bob's message: it's stored, the mod-log shows the reason, her words, a jump link, who
    reported and a Mark handled button; Alice is thanked privately; Bob hears nothing."""
    message = await world.bob.send(world.general, "you don't belong here")
    before = len(world.general.history())
    done = await report(world, world.alice, message, "hate", "This is the third time this week.")
    assert_responded(done, contains="passed your report to the moderators privately", ephemeral=True)
    [stored] = await reports(world)
    assert (stored.user_id, stored.reported_user_id, stored.kind, stored.reason) == (
        world.alice.id,
        world.bob.id,
        "message",
        "hate",
    )
    assert (stored.channel_id, stored.message_id, stored.details) == (
        world.general.id,
        message.id,
        "This is the third time this week.",
    )
    entry = world.modlog.history()[-1]
    embed = entry.embeds[0]
    assert embed.title == f"Report #{stored.id}: Hate or racism"
    assert embed.description == "This is the third time this week."
    fields = {field.name: field.value for field in embed.fields}
    link = f"https://discord.com/channels/{world.guild.id}/{world.general.id}/{message.id}"
    assert f"]({link})" in fields["Reported"] and f"<@{world.bob.id}>" in fields["Reported"]
    assert fields["Reported by"] == f"<@{world.alice.id}>"
    assert fields["Status"].startswith("Open")
    assert button_ids(entry) == [f"care:handled:{stored.id}"]
    assert (stored.modlog_channel_id, stored.modlog_message_id) == (world.modlog.id, entry.id)
    # Bob is told nothing: no DM, nothing new in the channel.
    assert world.bob.user.dm_channel is None or world.bob.user.dm_channel.history() == []
    assert len(world.general.history()) == before


async def test_a_moderator_marks_a_report_handled_after_a_restart(care_world: World) -> None:
    world = care_world
    """Mark handled works after a restart, records who and when, and the entry says so without the button."""
    message = await world.bob.send(world.general, "buy cheap followers at my link")
    await report(world, world.alice, message, "spam")
    entry = world.modlog.history()[-1]
    await world.restart()
    await world.mod.click(entry, label="Mark handled")
    [stored] = await reports(world)
    assert stored.handled_by_id == world.mod.id and stored.handled_at is not None
    edited = world.modlog.history()[-1]
    assert edited.id == entry.id
    fields = {field.name: field.value for field in edited.embeds[0].fields}
    assert fields["Status"].startswith(f"Handled by <@{world.mod.id}>")
    assert edited.components == []


async def test_only_moderators_can_mark_a_report_handled(care_world: World) -> None:
    """A helper who can read the mod-log but lacks Manage Server is refused, and nothing changes."""
    world = care_world
    helpers = world.guild.create_role("Helpers", permissions=discord.Permissions.none())
    view = discord.Permissions(view_channel=True).value
    overwrite = Overwrite(target_id=helpers.id, type=OverwriteType.ROLE, allow=view)
    world.env.backend.set_overwrite(world.modlog.id, overwrite)
    helper = world.add_member("hana", roles=[helpers])
    await world.env.settle()
    message = await world.bob.send(world.general, "rude words")
    await report(world, world.alice, message)
    entry = world.modlog.history()[-1]
    result = await helper.click(entry, label="Mark handled")
    assert_responded(result, contains="Only the server's moderators", ephemeral=True)
    assert_error(world.env, NotAllowed)
    [stored] = await reports(world)
    assert stored.handled_at is None and stored.handled_by_id is None


async def test_a_second_mark_handled_says_it_already_was(care_world: World) -> None:
    """When another moderator marked the report handled a moment before (their click landed first), the
    second press is told so, keeps the first moderator's record, and refreshes the entry."""
    world = care_world
    other = world.add_member("omar", roles=[world.mod_role])
    await world.env.settle()
    message = await world.bob.send(world.general, "rude words")
    await report(world, world.alice, message)
    [stored] = await reports(world)
    async with world.bot.db.write() as session:  # omar's press, committed before the entry was edited
        assert await store.mark_handled(session, world.guild.id, stored.id, other.id, world.bot.clock())
    result = await world.mod.click(world.modlog.history()[-1], label="Mark handled")
    assert "already marked handled" in result.followups[0].content
    [stored] = await reports(world)
    assert stored.handled_by_id == other.id
    fields = {field.name: field.value for field in world.modlog.history()[-1].embeds[0].fields}
    assert fields["Status"].startswith(f"Handled by <@{other.id}>")


async def test_reporting_my_own_message_or_lanterns_is_refused(care_world: World) -> None:
    """A member can't report their own message (they're pointed to /support) or one of Lantern's."""
    world = care_world
    mine = await world.alice.send(world.general, "my own words")
    result = await world.alice.context_menu(world.general, MENU, mine)
    assert_responded(result, contains="That's your own message", ephemeral=True)
    assert "`/support`" in result.response.content
    assert_error(world.env, NotAllowed)
    await world.bob.slash(world.general, "prompt random")
    lanterns = world.general.last_message
    assert lanterns.author.id == world.bot.user.id
    result = await world.alice.context_menu(world.general, MENU, lanterns)
    assert_responded(result, contains="That's one of my own messages", ephemeral=True)
    assert_error(world.env, NotAllowed)
    assert await reports(world) == []


async def test_the_same_message_is_reported_once_by_each_member(care_world: World) -> None:
    """Alice's second report of one message is refused and stores nothing; Bob may still report it."""
    world = care_world
    message = await world.mod.send(world.general, "something unkind")
    await report(world, world.alice, message)
    again = await world.alice.context_menu(world.general, MENU, message)
    assert_responded(again, contains="You've reported this message already", ephemeral=True)
    assert_error(world.env, NotAllowed)
    await report(world, world.bob, message, "other")
    assert [(r.user_id, r.message_id) for r in await reports(world)] == [
        (world.alice.id, message.id),
        (world.bob.id, message.id),
    ]


async def test_a_flood_of_reports_is_held_to_five_an_hour(care_world: World) -> None:
    """Five reports an hour; the sixth is refused (nothing stored, nothing posted) until the hour has passed."""
    world = care_world
    messages = [await world.bob.send(world.general, f"message {n}") for n in range(7)]
    for message in messages[:5]:
        await report(world, world.alice, message, "spam")
    posted = len(world.modlog.history())
    refused = await world.alice.context_menu(world.general, MENU, messages[5])
    assert_responded(refused, contains="You've sent 5 reports to the moderators in the last hour", ephemeral=True)
    assert_error(world.env, CoolingDown)
    assert len(await reports(world)) == 5 and len(world.modlog.history()) == posted
    await world.env.advance_time(3601)
    await report(world, world.alice, messages[5], "spam")
    assert len(await reports(world)) == 6
    async with world.bot.db.read() as session:
        uses = (await session.scalars(select(RateLimitUse).where(RateLimitUse.action == "report"))).all()
    assert len(uses) <= 6


async def test_reporting_a_moderator_leaves_the_reporters_name_out(care_world: World) -> None:
    """A report of someone who can read the mod-log doesn't name the reporter there; the database keeps them
    (for the rate limit and abuse), and the reporter is told before and after."""
    world = care_world
    message = await world.mod.send(world.general, "a moderator being unkind")
    asked = await world.alice.context_menu(world.general, MENU, message)
    assert "I'll leave your name out" in asked.response.content
    shown = await world.alice.select(asked.response, ["harass"])
    done = await world.alice.submit_modal(shown, {"words": "Not the first time."})
    assert "I left your name out of it" in done.response.content
    [stored] = await reports(world)
    assert stored.user_id == world.alice.id and stored.reporter_hidden
    entry = world.modlog.history()[-1].embeds[0]
    fields = {field.name: field.value for field in entry.fields}
    assert str(world.alice.id) not in str(entry.to_dict()) and "alice" not in str(entry.to_dict())
    assert fields["Reported by"].startswith("Left out")


async def test_hostile_words_never_become_links_or_mentions(care_world: World) -> None:
    """Masked links, mentions and formulas in a reporter's words are shown as typed and ping nobody."""
    world = care_world
    words = f'@everyone <@{world.mod.id}> [Verify here](https://evil.example/login) =HYPERLINK("https://x")'
    message = await world.bob.send(world.general, "hello")
    await report(world, world.alice, message, "other", words)
    entry = world.modlog.history()[-1]
    assert entry.embeds[0].description == words.replace("[", "\\[").replace("]", "\\]")
    path = f"/channels/{world.modlog.id}/messages"
    posts = [r for r in world.env.http_requests if r.method == "POST" and r.path == path]
    assert posts[-1].json["allowed_mentions"] == {"parse": []}
    assert (await reports(world))[0].details == words


async def test_a_report_with_no_mod_log_is_kept_and_the_reporter_asked_to_tell_a_moderator(
    bare_world: World,
) -> None:
    """Without a mod-log channel the report is stored and the reporter is told honestly to tell a moderator."""
    world = bare_world
    message = await world.bob.send(world.general, "rude")
    done = await report(world, world.alice, message)
    assert "please also tell a moderator directly" in done.response.content
    assert "deliver it as soon as I can" in done.response.content
    [stored] = await reports(world)
    assert stored.modlog_message_id is None


async def test_a_self_harm_concern_points_the_reporter_to_support(care_world: World) -> None:
    """Reporting a worry that someone may hurt themselves also shows the reporter where help is."""
    world = care_world
    message = await world.bob.send(world.general, "I can't do this any more")
    done = await report(world, world.alice, message, "selfharm")
    assert "findahelpline.com" in done.response.content and "emergency number" in done.response.content


async def test_a_pair_thread_button_reports_the_other_member(care_world: World) -> None:
    """The pair thread Lantern opens for a new pairing carries *Report to moderators*; Bob's report names Alice
    (the thread's other member), the button itself names nobody, and a second report waits for the first."""
    from tests.features.test_mentorship_support import matched

    world = care_world
    await matched(world)
    handle = world.mentorship.threads[0]
    opener = handle.history(viewer=world.bob)[0]
    # No member id left behind after an erasure: the report button names nobody, the goals button the pairing.
    ids = button_ids(opener)
    assert ids[0] == "care:report-thread" and all(i.startswith("mentor:goals:") for i in ids[1:])
    assert not any(str(member.id) in i for member in (world.alice, world.bob) for i in ids)
    asked = await world.bob.click(opener, label="Report to moderators")
    assert_responded(asked, contains="Why are you reporting this?", ephemeral=True)
    shown = await world.bob.select(asked.response, ["harass"])
    await world.bob.submit_modal(shown, {"words": "They keep pushing me to meet in person."})
    [stored] = await reports(world)
    assert (stored.kind, stored.channel_id, stored.message_id, stored.reported_user_id, stored.user_id) == (
        "thread",
        handle.id,
        None,
        world.alice.id,
        world.bob.id,
    )
    fields = {field.name: field.value for field in world.modlog.history()[-1].embeds[0].fields}
    assert f"<#{handle.id}>" in fields["Reported"] and f"<@{world.alice.id}>" in fields["Reported"]
    again = await world.bob.click(opener, label="Report to moderators")
    assert_responded(again, contains="You've reported this thread already", ephemeral=True)
    assert_error(world.env, NotAllowed)
    await world.mod.click(world.modlog.history()[-1], label="Mark handled")
    once_more = await world.bob.click(opener, label="Report to moderators")
    assert_responded(once_more, contains="Why are you reporting this?", ephemeral=True)


# ------------------------------------------------------------------------------------------ privacy


async def erase(world: World, member: Any) -> None:
    asked = await member.slash(world.general, "privacy delete")
    await member.click(asked.response, custom_id=f"privacy:delete:{member.id}")


async def test_export_shows_my_reports_and_never_reports_about_me(care_world: World) -> None:
    """Alice's export lists her report in her words; Bob's export says nothing of being reported."""
    world = care_world
    message = await world.bob.send(world.general, "rude")
    await report(world, world.alice, message, "harass", "Please look at this.")
    from cogs.privacy import collect

    mine = (await collect(world.bot, world.guild.id, world.alice.id))["Reports"]
    [entry] = mine["reports_you_made"]
    assert (entry["reason"], entry["your_words"]) == ("harass", "Please look at this.")
    assert entry["link"].endswith(f"/{world.general.id}/{message.id}")
    theirs = await collect(world.bot, world.guild.id, world.bob.id)
    assert theirs["Reports"] == {"reports_you_made": []}
    assert str(world.alice.id) not in str(theirs)


async def test_a_reporter_who_erases_their_data_leaves_an_anonymous_report(care_world: World) -> None:
    """/privacy delete by the reporter removes their id and words from the report and its mod-log entry;
    what moderators need to follow it up (reason, link, reported member, status) stays."""
    world = care_world
    message = await world.bob.send(world.general, "rude")
    await report(world, world.alice, message, "hate", "My words about it.")
    entry_id = world.modlog.history()[-1].id
    await erase(world, world.alice)
    [stored] = await reports(world)
    assert (stored.user_id, stored.details) == (None, None)
    assert (stored.reported_user_id, stored.reason, stored.message_id) == (world.bob.id, "hate", message.id)
    entry = next(m for m in world.modlog.history() if m.id == entry_id)
    text = str(entry.embeds[0].to_dict())
    assert str(world.alice.id) not in text and "My words about it." not in text
    fields = {field.name: field.value for field in entry.embeds[0].fields}
    assert fields["Reported by"] == "a member who has since erased their data"
    assert f"<@{world.bob.id}>" in fields["Reported"]
    # The button still works on the anonymous report.
    await world.mod.click(entry, label="Mark handled")
    assert (await reports(world))[0].handled_by_id == world.mod.id


async def test_a_reported_member_who_erases_their_data_is_no_longer_named(care_world: World) -> None:
    """/privacy delete by the reported member removes their id from the report and its entry; the reporter's
    report (reason, words, link) stays for the moderators."""
    world = care_world
    message = await world.bob.send(world.general, "rude")
    await report(world, world.alice, message, "harass", "Third time.")
    entry_id = world.modlog.history()[-1].id
    await erase(world, world.bob)
    [stored] = await reports(world)
    assert (stored.user_id, stored.reported_user_id, stored.details) == (world.alice.id, None, "Third time.")
    entry = next(m for m in world.modlog.history() if m.id == entry_id)
    assert str(world.bob.id) not in str(entry.embeds[0].to_dict())
    assert entry.embeds[0].description == "Third time."


async def test_a_moderator_who_erases_their_data_leaves_the_report_handled(care_world: World) -> None:
    """The handling moderator's erasure keeps the report handled (and when), without their name."""
    world = care_world
    message = await world.bob.send(world.general, "rude")
    await report(world, world.alice, message)
    entry_id = world.modlog.history()[-1].id
    await world.mod.click(world.modlog.history()[-1], label="Mark handled")
    await erase(world, world.mod)
    [stored] = await reports(world)
    assert stored.handled_by_id is None and stored.handled_at is not None
    entry = next(m for m in world.modlog.history() if m.id == entry_id)
    fields = {field.name: field.value for field in entry.embeds[0].fields}
    assert fields["Status"].startswith("Handled by a moderator")


async def test_a_report_survives_the_reported_member_leaving_and_can_be_handled(care_world: World) -> None:
    """Bob leaves the server after being reported: the report stays open and a moderator can handle it."""
    world = care_world
    message = await world.bob.send(world.general, "rude")
    await report(world, world.alice, message)
    world.guild.remove_member(world.bob)
    await world.env.settle()
    await world.mod.click(world.modlog.history()[-1], label="Mark handled")
    [stored] = await reports(world)
    assert stored.reported_user_id == world.bob.id and stored.handled_by_id == world.mod.id


async def test_a_reported_member_who_leaves_while_lantern_is_down_is_unnamed_after_the_retention(
    care_world: World,
) -> None:
    """Bob, reported, leaves during a restart: Lantern notices at start (the report is all it holds about him),
    keeps the report for 30 days, then takes his id out of it; Alice's report itself stays."""
    world = care_world
    message = await world.bob.send(world.general, "rude")
    await report(world, world.alice, message, "harass", "Third time.")
    await restart_after(world, lambda: world.guild.remove_member(world.bob))
    await world.env.advance_time(29 * 24 * 3600)
    await world.bot.run_due_jobs()
    assert (await reports(world))[0].reported_user_id == world.bob.id
    await world.env.advance_time(2 * 24 * 3600)
    await world.bot.run_due_jobs()
    [stored] = await reports(world)
    assert (stored.user_id, stored.reported_user_id, stored.details) == (world.alice.id, None, "Third time.")


async def test_a_report_made_before_the_mod_log_existed_is_delivered_once_it_does(bare_world: World) -> None:
    """With no mod-log, the report waits; once a moderator sets one, the next due run posts it (once)."""
    world = bare_world
    message = await world.bob.send(world.general, "rude")
    await report(world, world.alice, message)
    await world.bot.run_due_jobs()
    assert (await reports(world))[0].modlog_message_id is None
    await world.mod.slash(world.general, "setup channels", modlog=world.modlog)
    await world.bot.run_due_jobs()  # not yet: the interaction that made a report may still be posting it
    assert (await reports(world))[0].modlog_message_id is None
    await world.env.advance_time(121)
    await world.bot.run_due_jobs()
    await world.bot.run_due_jobs()
    [stored] = await reports(world)
    entries = [m for m in world.modlog.history() if m.embeds and m.embeds[0].title.startswith("Report #")]
    assert len(entries) == 1 and stored.modlog_message_id == entries[0].id
    assert button_ids(entries[0]) == [f"care:handled:{stored.id}"]


async def test_a_reporter_who_leaves_is_erased_from_their_reports_after_the_retention(care_world: World) -> None:
    """Alice reports and leaves: her report stays as it was for 30 days (moderators can still act on it), then
    her id and words are removed from it and from its mod-log entry; the report itself stays."""
    world = care_world
    day = 24 * 3600
    message = await world.bob.send(world.general, "rude")
    await report(world, world.alice, message, "harass", "It keeps happening.")
    entry_id = world.modlog.history()[-1].id
    world.guild.remove_member(world.alice)
    await world.env.settle()
    await world.env.advance_time(29 * day)
    await world.bot.run_due_jobs()
    assert (await reports(world))[0].user_id == world.alice.id
    await world.env.advance_time(2 * day)
    await world.bot.run_due_jobs()
    [stored] = await reports(world)
    assert (stored.user_id, stored.details, stored.reported_user_id) == (None, None, world.bob.id)
    entry = next(m for m in world.modlog.history() if m.id == entry_id)
    assert "It keeps happening." not in str(entry.embeds[0].to_dict())
    assert str(world.alice.id) not in str(entry.embeds[0].to_dict())


async def test_a_mod_log_everyone_can_read_never_names_the_reporter(world: World) -> None:
    """When @everyone can view the mod-log, the reporter is told before sending, and the entry leaves them out."""
    message = await world.bob.send(world.general, "rude")
    asked = await world.alice.context_menu(world.general, MENU, message)
    assert "can be read by everyone, so I'll leave your name out" in asked.response.content
    shown = await world.alice.select(asked.response, ["harass"])
    done = await world.alice.submit_modal(shown, {})
    assert "I left your name out of it" in done.response.content
    [stored] = await reports(world)
    assert stored.user_id == world.alice.id and stored.reporter_hidden
    entry = world.modlog.history()[-1].embeds[0]
    assert str(world.alice.id) not in str(entry.to_dict())
