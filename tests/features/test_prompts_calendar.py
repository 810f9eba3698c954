"""The cultural calendar in Discord: `/prompts calendar` lists occasions and turns them on or off, and each occasion
that is on posts once on its day (or days before), in the server's timezone, through claims in the database."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime

import discord
import pytest
from simcord import assert_error, assert_responded
from sqlalchemy import func, select

from cogs.prompts import calendar_prompts
from cogs.prompts.calendar import UnknownOccasion
from cogs.prompts.occasions import OccasionPoster
from core.errors import InvalidInput, NotAllowed
from storage import prompts as prompt_queries
from storage.models.occasions import GuildOccasion, OccasionBank, OccasionPost
from storage.models.prompts import Prompt, PromptBank, PromptPost
from storage.prompts import LEASE
from tests.conftest import World
from tests.features.test_setup_checklist import clear_bot_overwrite, deny_bot

HOUR = 3600
DAY = 24 * HOUR
START = datetime(2026, 1, 1, tzinfo=UTC)  # SimCord's virtual epoch


async def occasions(world: World) -> list[GuildOccasion]:
    async with world.bot.db.read() as session:
        return list((await session.execute(select(GuildOccasion).order_by(GuildOccasion.id))).scalars().all())


async def posts(world: World) -> list[OccasionPost]:
    async with world.bot.db.read() as session:
        return list((await session.execute(select(OccasionPost).order_by(OccasionPost.id))).scalars().all())


def calendar_messages(world: World) -> list[discord.Message]:
    return [
        m
        for m in world.prompts.history()
        if m.embeds
        and (m.embeds[0].footer.text or "").endswith("answer at whatever depth feels right")
        and "Cultural calendar" in (m.embeds[0].footer.text or "")
    ]


async def go_to(world: World, moment: datetime) -> None:
    """Advance the simulated clock to `moment` (no due-job run on the way)."""
    seconds = (moment - world.bot.clock()).total_seconds()
    assert seconds >= 0
    await world.env.advance_time(seconds)


async def tick_to(world: World, moment: datetime) -> None:
    await go_to(world, moment)
    await world.bot.run_due_jobs()


async def in_seoul(world: World) -> None:
    await world.mod.slash(world.general, "setup options", timezone="Asia/Seoul")


async def turn_on(world: World, **options: object) -> discord.Message:
    result = await world.mod.slash(world.general, "prompts calendar", **options)
    assert_responded(result, ephemeral=True)
    assert result.response.embeds[0].title == "Cultural calendar: turned on", result.response
    return result.response


async def test_seollal_posts_once_on_its_day_across_the_year_end_and_a_restart(world: World) -> None:
    """Seollal 2027 is 7 February in Korea: a Seoul server's post appears at 09:00 that day (00:00 UTC), once,
    although the clock crosses 31 Dec → 1 Jan, the due jobs run many times and the bot restarts."""
    await in_seoul(world)
    await go_to(world, datetime(2026, 12, 30, 12, tzinfo=UTC))
    await turn_on(world, occasions="seollal", channel=world.prompts)
    [row] = await occasions(world)
    assert (row.occasion, row.channel_id, row.days_before, row.time, row.paused) == (
        "seollal",
        world.prompts.id,
        0,
        "09:00",
        False,
    )
    assert row.next_day == date(2027, 2, 7)
    assert row.next_at == datetime(2027, 2, 7, 0, 0, tzinfo=UTC)  # 09:00 in Seoul

    for moment in (
        datetime(2026, 12, 31, 14, 59, tzinfo=UTC),  # 23:59 on 31 December in Seoul
        datetime(2026, 12, 31, 15, 1, tzinfo=UTC),  # the new year in Seoul, still 2026 in UTC
        datetime(2027, 1, 1, 0, 0, tzinfo=UTC),
    ):
        await tick_to(world, moment)
    await world.restart()
    for moment in (datetime(2027, 2, 6, 15, 0, tzinfo=UTC), datetime(2027, 2, 6, 23, 59, tzinfo=UTC)):
        await tick_to(world, moment)  # the 7th has begun in Seoul, but it isn't 09:00 yet
    assert calendar_messages(world) == []
    assert await posts(world) == []

    await tick_to(world, datetime(2027, 2, 7, 0, 0, tzinfo=UTC))
    await world.bot.run_due_jobs()
    await world.restart()
    await world.bot.run_due_jobs()
    await tick_to(world, datetime(2027, 2, 7, 14, 0, tzinfo=UTC))
    await tick_to(world, datetime(2027, 2, 8, 3, 0, tzinfo=UTC))

    [message] = calendar_messages(world)
    embed = message.embeds[0]
    assert embed.title == "Seollal (Korean New Year)"
    assert (embed.description or "").startswith("**Seollal (Korean New Year)** is today.")
    texts = {p.text for p in calendar_prompts.prompts_for("seollal")}
    assert any(text in (embed.description or "") for text in texts)
    [thread] = world.prompts.threads
    assert thread.id == message.id
    [post] = await posts(world)
    assert (post.family, post.day, post.occasions, post.status, post.message_id) == (
        "lunar-new-year",
        date(2027, 2, 7),
        "seollal",
        "posted",
        message.id,
    )
    assert post.thread_state == "open" and post.lease_owner is None
    [row] = await occasions(world)
    assert row.next_day is not None and row.next_day.year == 2028  # waits for next year's Seollal


async def test_days_before_posts_that_many_days_early(world: World) -> None:
    """days_before:3 posts Seollal on 4 February at 09:00 Seoul time, saying it is in 3 days."""
    await in_seoul(world)
    await go_to(world, datetime(2027, 1, 20, tzinfo=UTC))
    await turn_on(world, occasions="Seollal (Korean New Year)", channel=world.prompts, days_before=3, thread=False)
    [row] = await occasions(world)
    assert row.next_at == datetime(2027, 2, 4, 0, 0, tzinfo=UTC)
    await tick_to(world, datetime(2027, 2, 3, 23, 59, tzinfo=UTC))
    assert calendar_messages(world) == []
    await tick_to(world, datetime(2027, 2, 4, 0, 0, tzinfo=UTC))
    await tick_to(world, datetime(2027, 2, 7, 1, 0, tzinfo=UTC))  # the day itself: no second post
    [message] = calendar_messages(world)
    assert "is in 3 days, on Sun 7 Feb 2027." in (message.embeds[0].description or "")
    assert world.prompts.threads == []
    [post] = await posts(world)
    assert post.day == date(2027, 2, 7) and post.thread_state is None


async def test_a_family_posts_once_per_date(world: World) -> None:
    """Lunar New Year and Tết both fall on 6 February 2027: one post names both; Seollal (the 7th) has its own."""
    await in_seoul(world)
    await go_to(world, datetime(2027, 1, 20, tzinfo=UTC))
    await turn_on(world, occasions="lunar-new-year, tet, seollal", channel=world.prompts, thread=False)
    await tick_to(world, datetime(2027, 2, 6, 0, 0, tzinfo=UTC))
    await tick_to(world, datetime(2027, 2, 7, 0, 0, tzinfo=UTC))
    titles = [m.embeds[0].title for m in calendar_messages(world)]
    assert titles == ["Lunar New Year · Tết Nguyên Đán (Vietnamese New Year)", "Seollal (Korean New Year)"]
    first = calendar_messages(world)[0].embeds[0].description or ""
    assert first.startswith("**Lunar New Year** and **Tết Nguyên Đán (Vietnamese New Year)** are today.")
    assert [(p.day, p.occasions) for p in await posts(world)] == [
        (date(2027, 2, 6), "lunar-new-year,tet"),
        (date(2027, 2, 7), "seollal"),
    ]


async def test_the_prompt_rotates_from_year_to_year(world: World) -> None:
    """Each year's Seollal post uses a prompt not posted in an earlier year while others remain."""
    await turn_on(world, occasions="seollal", channel=world.prompts, thread=False)
    used = []
    for year in (2026, 2027, 2028):
        [row] = await occasions(world)
        assert row.next_at is not None and row.next_day is not None and row.next_day.year == year
        await tick_to(world, row.next_at)
        used.append((await posts(world))[-1].prompt_id)
    assert len(set(used)) == 3 and None not in used


async def test_turning_off_stops_the_posts(world: World) -> None:
    """off:True forgets the occasion: nothing is posted on its day."""
    await turn_on(world, occasions="seollal, nowruz", channel=world.prompts)
    result = await world.mod.slash(world.general, "prompts calendar", occasions="seollal", off=True)
    assert_responded(result, contains="Turned off: Seollal (Korean New Year).", ephemeral=True)
    assert [row.occasion for row in await occasions(world)] == ["nowruz"]
    await tick_to(world, datetime(2026, 2, 18, tzinfo=UTC))
    assert calendar_messages(world) == []
    assert await posts(world) == []
    assert world.modlog.history()[-1].embeds[0].title == "Cultural calendar: turned off"


async def test_listing_shows_the_next_dates_in_the_servers_timezone(world: World) -> None:
    """The list names each occasion's next date as the server keeps it, soonest first, and which are on."""
    await in_seoul(world)
    await go_to(world, datetime(2026, 12, 30, tzinfo=UTC))
    await turn_on(world, occasions="seollal", channel=world.prompts, days_before=2)
    result = await world.mod.slash(world.general, "prompts calendar")
    assert_responded(result, ephemeral=True)
    embed = result.response.embeds[0]
    assert embed.title == "Cultural calendar · 1 of 21 on"
    lines = (embed.description or "").splitlines()
    assert lines[0].startswith("Sat 6 Feb 2027 (in 38 days) · **Lunar New Year**")
    seollal = lines.index(next(line for line in lines if "**Seollal" in line))
    assert lines[seollal].startswith("Sun 7 Feb 2027 (in 39 days) · **Seollal (Korean New Year)**")
    assert lines[seollal + 1] == f"  ✅ <#{world.prompts.id}>, 2 days before at 09:00 · next post Fri 5 Feb 2027 09:00"
    assert "Asia/Seoul" in (embed.footer.text or "")


async def test_listing_counts_the_day_in_the_servers_timezone(world: World) -> None:
    """At 20:00 UTC on 16 Feb 2026 it is already the 17th (Seollal) in Seoul: listed as today there."""
    await in_seoul(world)
    await go_to(world, datetime(2026, 2, 16, 20, tzinfo=UTC))
    result = await world.mod.slash(world.general, "prompts calendar")
    lines = (result.response.embeds[0].description or "").splitlines()
    assert "Tue 17 Feb 2026 (today) · **Seollal (Korean New Year)**" in lines


@pytest.mark.parametrize(
    ("options", "error", "says"),
    [
        ({"occasions": "halloween", "channel": "prompts"}, UnknownOccasion, "I don't know the occasion `halloween`"),
        ({"occasions": "seollal", "time": "25:00"}, InvalidInput, "`25:00` isn't a time I understand"),
        ({"channel": "prompts"}, InvalidInput, "`occasions` is needed with `channel`"),
        ({"occasions": "seollal", "off": True, "days_before": 2}, InvalidInput, "`off:True` takes only `occasions`"),
        ({"occasions": "seollal", "off": True}, NotAllowed, "none of them is on"),
    ],
)
async def test_bad_input_is_refused_and_changes_nothing(
    world: World, options: dict[str, object], error: type[Exception], says: str
) -> None:
    """Each mistake gets a clear private answer; no occasion is turned on or off."""
    await turn_on(world, occasions="nowruz", channel=world.general, days_before=1)
    before = [(r.occasion, r.channel_id, r.days_before, r.time) for r in await occasions(world)]
    given = {key: (world.prompts if value == "prompts" else value) for key, value in options.items()}
    result = await world.mod.slash(world.general, "prompts calendar", **given)
    assert_responded(result, contains=says, ephemeral=True)
    assert_error(world.env, error)
    assert [(r.occasion, r.channel_id, r.days_before, r.time) for r in await occasions(world)] == before


async def test_days_before_is_bounded_by_discord(world: World) -> None:
    """days_before above 14 never reaches Lantern: Discord's client refuses it."""
    with pytest.raises(Exception, match="days_before"):
        await world.mod.slash(world.general, "prompts calendar", occasions="seollal", days_before=15)
    assert await occasions(world) == []


async def test_a_channel_is_needed_when_there_is_no_prompts_channel(bare_world: World) -> None:
    """Without channel: and without a prompts channel from /setup, Lantern asks where to post."""
    result = await bare_world.mod.slash(bare_world.general, "prompts calendar", occasions="diwali")
    assert_responded(result, contains="Where should Diwali be posted?", ephemeral=True)
    assert_error(bare_world.env, NotAllowed)
    assert await occasions(bare_world) == []


async def test_missing_permission_pauses_the_occasion_and_tells_the_modlog(world: World) -> None:
    """Without Embed Links in the channel, the occasion pauses and the mod-log names what is missing."""
    await turn_on(world, occasions="nowruz", channel=world.prompts)
    deny_bot(world, world.prompts, "embed_links")
    await tick_to(world, datetime(2026, 3, 21, 9, tzinfo=UTC))  # Nowruz 2026 (UTC server)
    assert calendar_messages(world) == []
    [row] = await occasions(world)
    assert row.paused and "Embed Links" in (row.paused_reason or "")
    [post] = await posts(world)
    assert post.status == "dropped"
    entry = world.modlog.history()[-1].embeds[0]
    assert entry.title == "Cultural calendar: occasion paused"
    assert "Embed Links" in (entry.description or "") and "/prompts calendar occasions:nowruz" in (
        entry.description or ""
    )
    result = await world.mod.slash(world.general, "prompts calendar")
    assert "⏸️ paused: I need Embed Links" in (result.response.embeds[0].description or "")


async def test_deleted_channel_pauses_the_occasion(world: World) -> None:
    """A deleted channel pauses the occasion and the mod-log says so."""
    extra = world.guild.create_text_channel("festivals")
    await world.env.settle()
    await turn_on(world, occasions="nowruz", channel=extra)
    world.env.backend.delete_channel(extra.id)
    await world.env.settle()
    await tick_to(world, datetime(2026, 3, 21, 9, tzinfo=UTC))
    [row] = await occasions(world)
    assert row.paused and "is gone" in (row.paused_reason or "")
    assert "is gone" in (world.modlog.history()[-1].embeds[0].description or "")


async def test_a_server_error_is_retried_with_backoff_and_posts_once(world: World) -> None:
    """A 503 on the post keeps the claim; the next run posts it, once."""
    await turn_on(world, occasions="nowruz", channel=world.prompts, thread=False)
    world.env.inject_error("POST", f"/channels/{world.prompts.id}/messages", status=503)
    await tick_to(world, datetime(2026, 3, 21, 9, tzinfo=UTC))
    assert calendar_messages(world) == []
    [post] = await posts(world)
    assert (post.status, post.attempts) == ("claimed", 1) and "503" in (post.last_error or "")
    await tick_to(world, datetime(2026, 3, 21, 9, 1, tzinfo=UTC))
    await world.bot.run_due_jobs()
    assert len(calendar_messages(world)) == 1
    [post] = await posts(world)
    assert post.status == "posted"


async def test_a_day_missed_entirely_is_not_posted_late(world: World) -> None:
    """If Lantern was down for all of Nowruz, nothing is posted the day after; it waits for next year."""
    await turn_on(world, occasions="nowruz", channel=world.prompts)
    await tick_to(world, datetime(2026, 3, 22, 0, 30, tzinfo=UTC))
    assert calendar_messages(world) == []
    assert await posts(world) == []
    [row] = await occasions(world)
    assert row.next_day is not None and row.next_day.year == 2027


async def test_a_late_start_on_the_day_posts_once(world: World) -> None:
    """Down at 09:00 but back before the day ends: one catch-up post."""
    await turn_on(world, occasions="nowruz", channel=world.prompts, thread=False)
    await tick_to(world, datetime(2026, 3, 21, 22, tzinfo=UTC))
    await tick_to(world, datetime(2026, 3, 21, 23, tzinfo=UTC))
    assert len(calendar_messages(world)) == 1


async def test_occasion_prompts_are_in_the_bank_but_not_in_random_or_schedules(world: World) -> None:
    """Every occasion has at least three prompts in the bank, marked with it; /prompt random never picks them."""
    await world.mod.slash(world.general, "prompts list")
    async with world.bot.db.read() as session:
        counted = dict(
            (
                await session.execute(
                    select(Prompt.occasion, func.count()).where(Prompt.occasion.is_not(None)).group_by(Prompt.occasion)
                )
            ).all()
        )
        picks = {
            (await prompt_queries.random_prompt(session, world.guild.id)).occasion  # type: ignore[union-attr]
            for _ in range(60)
        }
    assert len(counted) == 21 and min(counted.values()) >= 3
    assert picks == {None}


async def test_an_existing_guild_gets_the_occasion_prompts_too(world: World) -> None:
    """A guild whose bank was seeded before the calendar existed is given its prompts the next time it is used."""
    async with world.bot.db.write() as session:
        session.add(PromptBank(guild_id=world.guild.id, seeded_at=START))
    await world.mod.slash(world.general, "prompts list")
    async with world.bot.db.read() as session:
        assert await session.get(OccasionBank, world.guild.id) is not None
        found = (await session.execute(select(func.count()).where(Prompt.occasion == "diwali"))).scalar_one()
    assert found >= 3


async def test_privacy_is_unaffected(world: World) -> None:
    """Occasion posts store nothing about members: a member's export has none of it, and erasure leaves it be."""
    await turn_on(world, occasions="nowruz", channel=world.prompts)
    await tick_to(world, datetime(2026, 3, 21, 9, tzinfo=UTC))
    result = await world.alice.slash(world.general, "privacy export")
    data = json.loads(await result.response.attachments[0].read())
    dumped = json.dumps(data["features"])
    assert "nowruz" not in dumped.lower() and "occasion" not in dumped.lower()
    before = (await occasions(world), await posts(world))
    deleted = await world.alice.slash(world.general, "privacy delete")
    await world.alice.click(deleted.response, custom_id=f"privacy:delete:{world.alice.id}")
    after = (await occasions(world), await posts(world))
    assert [r.id for r in after[0]] == [r.id for r in before[0]]
    assert [(p.id, p.status) for p in after[1]] == [(p.id, p.status) for p in before[1]]


async def test_autocomplete_offers_occasions_and_keeps_earlier_picks(world: World) -> None:
    """Typing after a comma keeps what was picked and offers the rest."""
    choices = await world.mod.autocomplete(world.general, "prompts calendar", "occasions", "seollal, ch")
    assert {"name": "seollal, Chuseok", "value": "seollal, chuseok"} in choices
    assert all(choice["value"] != "seollal, seollal" for choice in choices)


async def test_occasions_are_found_typed_without_accents(world: World) -> None:
    """`tet nguyen` offers Tết Nguyên Đán and `tet trung` the Mid-Autumn Festival (Tết Trung Thu); the full name
    typed without its accents turns Tết on."""
    typed = await world.mod.autocomplete(world.general, "prompts calendar", "occasions", "tet nguyen")
    assert [choice["value"] for choice in typed] == ["tet"]
    typed = await world.mod.autocomplete(world.general, "prompts calendar", "occasions", "seollal, TET TRUNG")
    assert [choice["value"] for choice in typed] == ["seollal, mid-autumn"]
    await turn_on(world, occasions="Tet Nguyen Dan (Vietnamese New Year)")
    assert [row.occasion for row in await occasions(world)] == ["tet"]


async def test_turning_all_on_lists_every_occasion_within_discords_limits(world: World) -> None:
    """occasions:all turns every occasion on in the prompts channel; the answer names each (checked by the
    contract plugin against Discord's embed limits)."""
    await go_to(world, datetime(2026, 12, 30, tzinfo=UTC))
    response = await turn_on(world, occasions="all")
    rows = await occasions(world)
    assert len(rows) == 21 and {row.channel_id for row in rows} == {world.prompts.id}
    assert (response.embeds[0].description or "").count("\n") >= 20
    result = await world.mod.slash(world.general, "prompts calendar")
    assert result.response.embeds[0].title == "Cultural calendar · 21 of 21 on"


async def test_a_claim_leased_by_a_process_that_died_is_posted_once_after_its_lease(world: World) -> None:
    """A process claims and leases Nowruz's post and dies. The next process leaves the live lease alone, takes it
    over once the lease has run out, and posts it once."""
    await turn_on(world, occasions="nowruz", channel=world.prompts, thread=False)
    await go_to(world, datetime(2026, 3, 21, 9, tzinfo=UTC))
    now = world.bot.clock()
    dead = OccasionPoster(world.bot, owner="dead")
    assert await dead.claim_due(now) == 1
    [post_id], _ = await dead.lease(now)
    await world.restart()
    await world.bot.run_due_jobs()
    assert calendar_messages(world) == []  # never a live lease
    await world.env.advance_time(LEASE.total_seconds() + 1)
    await world.bot.run_due_jobs()
    await world.bot.run_due_jobs()
    [message] = calendar_messages(world)
    [post] = await posts(world)
    assert (post.id, post.status, post.message_id, post.lease_owner) == (post_id, "posted", message.id, None)


async def test_two_processes_due_at_once_post_once(world: World) -> None:
    """Two processes running the due jobs at the same moment: one post, one claim."""
    await turn_on(world, occasions="nowruz", channel=world.prompts, thread=False)
    await go_to(world, datetime(2026, 3, 21, 9, tzinfo=UTC))
    now = world.bot.clock()
    first, second = OccasionPoster(world.bot, owner="first"), OccasionPoster(world.bot, owner="second")
    results = await asyncio.gather(first.run_due(now), second.run_due(now))
    await world.env.settle()
    assert sorted(r["posted"] for r in results) == [0, 1]
    assert len(calendar_messages(world)) == 1
    assert len(await posts(world)) == 1


async def test_a_timezone_change_moves_the_post_to_the_new_local_time(world: World) -> None:
    """Turned on in Seoul, then the server moves to Los Angeles: Seollal 2026 (17 February) posts at 09:00 there."""
    await in_seoul(world)
    await turn_on(world, occasions="seollal", channel=world.prompts, thread=False)
    await world.mod.slash(world.general, "setup options", timezone="America/Los_Angeles")
    await tick_to(world, datetime(2026, 2, 17, 0, 0, tzinfo=UTC))  # 09:00 in Seoul: not any more
    assert calendar_messages(world) == []
    [row] = await occasions(world)
    assert row.next_at == datetime(2026, 2, 17, 17, 0, tzinfo=UTC)
    await tick_to(world, datetime(2026, 2, 17, 17, 0, tzinfo=UTC))
    assert len(calendar_messages(world)) == 1


async def test_no_thread_permission_keeps_the_post_and_tells_the_modlog(world: World) -> None:
    """Without Create Public Threads the post still goes out, once; the mod-log names the missing permission."""
    await turn_on(world, occasions="nowruz", channel=world.prompts)
    deny_bot(world, world.prompts, "create_public_threads")
    await tick_to(world, datetime(2026, 3, 21, 9, tzinfo=UTC))
    await world.bot.run_due_jobs()
    assert len(calendar_messages(world)) == 1
    [post] = await posts(world)
    assert (post.status, post.thread_state) == ("posted", "failed")
    entry = world.modlog.history()[-1].embeds[0]
    assert entry.title == "Cultural calendar: no thread" and "Create Public Threads" in (entry.description or "")


async def test_turning_it_on_again_after_a_fix_posts_the_same_day(world: World) -> None:
    """Paused at 09:00 for a missing permission; the moderator fixes it and turns the occasion on again before the
    day is over: the post goes out then, once."""
    await turn_on(world, occasions="nowruz", channel=world.prompts, thread=False)
    deny_bot(world, world.prompts, "send_messages")
    await tick_to(world, datetime(2026, 3, 21, 9, tzinfo=UTC))
    [row] = await occasions(world)
    assert row.paused and "Send Messages" in (row.paused_reason or "")
    clear_bot_overwrite(world, world.prompts)
    await go_to(world, datetime(2026, 3, 21, 11, tzinfo=UTC))
    await turn_on(world, occasions="nowruz")
    await world.bot.run_due_jobs()
    await tick_to(world, datetime(2026, 3, 21, 12, tzinfo=UTC))
    assert len(calendar_messages(world)) == 1
    [post] = await posts(world)
    assert (post.status, post.day) == ("posted", date(2026, 3, 21))


async def test_turning_on_warns_of_a_missing_permission(world: World) -> None:
    """Turned on in a channel where Lantern can't embed links: it is on, and the answer says what to allow."""
    deny_bot(world, world.prompts, "embed_links")
    response = await turn_on(world, occasions="vesak", channel=world.prompts)
    assert f"⚠️ In <#{world.prompts.id}> I still need: Embed Links." in (response.embeds[0].description or "")
    [row] = await occasions(world)
    assert (row.occasion, row.paused) == ("vesak", False)


async def test_an_occasion_the_calendar_no_longer_knows_is_paused_not_fatal(world: World) -> None:
    """A stored occasion key this version doesn't know pauses that occasion (and tells the mod-log); the others post."""
    await turn_on(world, occasions="nowruz", channel=world.prompts, thread=False)
    async with world.bot.db.write() as session:
        session.add(
            GuildOccasion(
                guild_id=world.guild.id,
                occasion="retired-festival",
                channel_id=world.prompts.id,
                days_before=0,
                time="09:00",
                thread=False,
                paused=False,
                next_day=date(2026, 3, 1),
                next_at=datetime(2026, 3, 1, 9, tzinfo=UTC),
                created_at=START,
                updated_at=START,
            )
        )
    await tick_to(world, datetime(2026, 3, 21, 9, tzinfo=UTC))
    assert len(calendar_messages(world)) == 1
    retired = next(row for row in await occasions(world) if row.occasion == "retired-festival")
    assert retired.paused and retired.next_at is None
    assert any("retired-festival" in (m.embeds[0].description or "") for m in world.modlog.history() if m.embeds)


async def test_schedules_never_post_the_calendars_prompts(world: World) -> None:
    """A daily culture schedule (the theme most occasion prompts carry) uses only the ordinary bank."""
    result = await world.mod.slash(
        world.general, "prompts schedule", channel=world.prompts, cadence="daily", time="09:00", themes="culture"
    )
    assert_responded(result, contains="Scheduled #", ephemeral=True)
    await world.mod.slash(world.general, "prompts list")  # the calendar's prompts are in the bank
    for day in range(1, 9):
        await tick_to(world, datetime(2026, 1, day, 9, tzinfo=UTC))
    async with world.bot.db.read() as session:
        used = (
            (
                await session.execute(
                    select(Prompt.occasion)
                    .join(PromptPost, PromptPost.prompt_id == Prompt.id)
                    .where(PromptPost.status == "posted")
                )
            )
            .scalars()
            .all()
        )
    assert len(used) == 8 and set(used) == {None}


async def test_a_server_error_on_the_thread_is_retried_without_reposting(world: World) -> None:
    """A 503 when opening the thread: the post stays single and the thread opens on the next run."""
    await turn_on(world, occasions="nowruz", channel=world.prompts)
    world.env.inject_error("POST", f"/channels/{world.prompts.id}/messages/*/threads", status=503)
    await tick_to(world, datetime(2026, 3, 21, 9, tzinfo=UTC))
    [post] = await posts(world)
    assert (post.status, post.thread_state) == ("posted", "pending")
    assert world.prompts.threads == []
    await world.bot.run_due_jobs()
    [message] = calendar_messages(world)
    [thread] = world.prompts.threads
    assert thread.id == message.id
    [post] = await posts(world)
    assert (post.thread_state, post.thread_id) == ("open", message.id)


async def test_an_occasion_post_carries_the_prompt_buttons(world: World) -> None:
    """Under an occasion's post, as under every prompt: *Answer anonymously* and *This one was good*; a vote
    on it counts once."""
    await in_seoul(world)
    await go_to(world, datetime(2027, 1, 20, tzinfo=UTC))
    await turn_on(world, occasions="Seollal (Korean New Year)", channel=world.prompts, thread=False)
    await tick_to(world, datetime(2027, 2, 7, 0, 0, tzinfo=UTC))
    [message] = calendar_messages(world)
    ids = [child.custom_id for row in message.components for child in row.children]
    [prompt_id] = {int(i.rsplit(":", 1)[1]) for i in ids if i.startswith("prompts:good:")}
    assert f"prompts:anon:{prompt_id}" in ids
    voted = await world.alice.click(message, custom_id=f"prompts:good:{prompt_id}")
    assert_responded(voted, contains="prompts people love come back sooner", ephemeral=True)
    async with world.bot.db.read() as session:
        prompt = await session.get(Prompt, prompt_id)
    assert prompt is not None and prompt.occasion == "seollal"
