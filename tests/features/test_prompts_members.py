"""What members do with prompts: suggest one (and hear the outcome), post a random one, erase their data."""

from __future__ import annotations

from typing import Any

import discord
import pytest
from simcord import assert_error, assert_responded
from sqlalchemy import event, select

from core import limits
from core.errors import CoolingDown, NotAllowed
from storage.models.limits import RateLimitUse
from storage.models.prompts import Prompt, PromptSuggestion
from tests.conftest import World

TEXT = "What is a smell that takes you straight back to someone you love?"


async def suggestions(world: World) -> list[PromptSuggestion]:
    async with world.bot.db.read() as session:
        return list((await session.execute(select(PromptSuggestion).order_by(PromptSuggestion.id))).scalars().all())


async def suggest(world: World, text: str = TEXT, theme: str = "culture") -> PromptSuggestion:
    shown = await world.alice.slash(world.general, "prompt suggest")
    result = await world.alice.submit_modal(shown, {"text": text, "theme": theme})
    assert_responded(result, contains="I'll send you a DM with the outcome", ephemeral=True)
    return (await suggestions(world))[-1]


async def review(world: World):
    result = await world.mod.slash(world.general, "prompts review")
    return result.response.message


async def test_suggestion_waits_for_review_and_is_logged(world: World) -> None:
    """A suggestion is stored as pending, and the mod-log points moderators to /prompts review."""
    stored = await suggest(world)
    assert (stored.user_id, stored.text, stored.theme, stored.status) == (world.alice.id, TEXT, "culture", "pending")
    entry = world.modlog.history()[-1].embeds[0]
    assert entry.title == "New prompt suggestion" and "/prompts review" in entry.description


async def test_a_member_over_the_limit_hears_the_limit_before_a_mistake_in_the_form(world: World) -> None:
    """Forms opened before the member used up the day's suggestions are refused with the limit, whether the theme
    is one of the server's or not, and nothing is stored (the limit is read with the suggestion's checks)."""
    await suggest(world)  # the bank is seeded
    fine = await world.alice.slash(world.general, "prompt suggest")
    unknown_theme = await world.alice.slash(world.general, "prompt suggest")
    for _ in range(limits.PROMPT_SUGGEST.uses - 1):
        await limits.record_now(world.bot, limits.PROMPT_SUGGEST, world.guild.id, world.alice.id)
    text = "Which song would you play to explain your childhood?"
    for shown, theme in ((fine, "culture"), (unknown_theme, "underwater basket weaving")):
        result = await world.alice.submit_modal(shown, {"text": text, "theme": theme})
        assert_responded(result, contains=limits.PROMPT_SUGGEST.reason, ephemeral=True)
        assert_error(world.env, CoolingDown)
    assert len(await suggestions(world)) == 1


async def test_a_suggestion_forgets_expired_uses_only_when_there_are_some(world: World) -> None:
    """Recording a suggestion deletes the member's uses older than a day when the limit check saw one, and sends
    no DELETE when it saw none (one statement fewer while the single SQLite writer is held)."""
    await suggest(world)  # the bank is seeded
    statements: list[str] = []

    def seen(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(world.bot.db.writer.sync_engine, "before_cursor_execute", seen)
    try:
        await suggest(world, text="Which song would you play to explain your childhood?")
        assert not [sql for sql in statements if sql.lstrip().upper().startswith("DELETE")]
        async with world.bot.db.write() as session:
            session.add(
                RateLimitUse(
                    guild_id=world.guild.id,
                    user_id=world.alice.id,
                    action="prompt_suggest",
                    used_at=world.bot.clock() - limits.PROMPT_SUGGEST.per * 2,
                )
            )
        statements.clear()
        await suggest(world, text="What is a word from your family's language that has no translation?")
        assert [sql for sql in statements if sql.lstrip().upper().startswith("DELETE")]
    finally:
        event.remove(world.bot.db.writer.sync_engine, "before_cursor_execute", seen)
    async with world.bot.db.read() as session:
        kept = (await session.scalars(select(RateLimitUse.used_at).where(RateLimitUse.user_id == world.alice.id))).all()
    assert len(kept) == 3 and min(kept) > world.bot.clock() - limits.PROMPT_SUGGEST.per


async def test_a_suggestion_is_answered_before_its_use_is_counted_and_the_use_still_counts(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The member's thanks is sent before the write that counts the suggestion against the limit (one write fewer
    before the answer), and that use is stored all the same: the member is thanked, then the limit holds."""
    await suggest(world)  # the bank is seeded
    order: list[str] = []
    send = discord.InteractionResponse.send_message

    async def sent(self: discord.InteractionResponse, *args: Any, **kwargs: Any) -> Any:
        result = await send(self, *args, **kwargs)
        order.append("answer")
        return result

    def seen(*args: object) -> None:
        if str(args[2]).lstrip().upper().startswith("INSERT INTO RATE_LIMIT_USES"):
            order.append("use")

    monkeypatch.setattr(discord.InteractionResponse, "send_message", sent)
    event.listen(world.bot.db.writer.sync_engine, "before_cursor_execute", seen)
    try:
        await suggest(world, text="Which song would you play to explain your childhood?")
    finally:
        event.remove(world.bot.db.writer.sync_engine, "before_cursor_execute", seen)
    assert order == ["answer", "use"]
    async with world.bot.db.read() as session:
        uses = (await session.scalars(select(RateLimitUse.id).where(RateLimitUse.user_id == world.alice.id))).all()
    assert len(uses) == 2


async def test_review_lists_pending_suggestions_with_buttons(world: World) -> None:
    """The review shows each suggestion with Approve and Reject buttons carrying its id."""
    stored = await suggest(world)
    result = await world.mod.slash(world.general, "prompts review")
    assert_responded(result, contains="1 suggestion waiting", ephemeral=True)
    assert result.response.embeds[0].description == TEXT
    ids = [c["custom_id"] for row in result.response.components for c in row["components"]]
    assert f"prompts:approve:{stored.id}" in ids and f"prompts:reject:{stored.id}" in ids


async def test_approval_after_a_restart_adds_the_prompt_with_credit_and_tells_the_member(world: World) -> None:
    """The buttons still work after a restart; the prompt joins the bank credited to alice, who gets a DM."""
    stored = await suggest(world)
    message = await review(world)
    await world.restart()
    result = await world.mod.click(message, custom_id=f"prompts:approve:{stored.id}")
    assert_responded(result, contains=f"Approved suggestion #{stored.id}", ephemeral=True)
    async with world.bot.db.read() as session:
        prompt = (await session.execute(select(Prompt).where(Prompt.text == TEXT))).scalar_one()
    assert (prompt.source, prompt.suggested_by_id, prompt.theme) == ("suggested", world.alice.id, "culture")
    assert (await suggestions(world))[0].status == "approved"
    assert "was approved" in world.alice.user.dm_channel.history()[-1].content


async def test_approved_prompt_is_posted_with_suggested_by(world: World) -> None:
    """A posted prompt that a member suggested shows who suggested it."""
    stored = await suggest(world)
    await world.mod.click(await review(world), custom_id=f"prompts:approve:{stored.id}")
    async with world.bot.db.read() as session:
        prompt = (await session.execute(select(Prompt).where(Prompt.text == TEXT))).scalar_one()
    from cogs.prompts.prompt_post import prompt_embed

    embed = prompt_embed(prompt, "Cultural knowledge sharing")
    assert embed.fields[0].name == "Suggested by" and embed.fields[0].value == world.alice.mention


async def test_reject_with_reason_sends_the_reason(world: World) -> None:
    """Reject with reason opens a modal; alice's DM carries the reason and the suggestion is rejected."""
    stored = await suggest(world)
    shown = await world.mod.click(await review(world), custom_id=f"prompts:rejectwhy:{stored.id}")
    result = await world.mod.submit_modal(shown, {"reason": "We have a very similar one already."})
    assert_responded(result, contains=f"Rejected suggestion #{stored.id}", ephemeral=True)
    [after] = await suggestions(world)
    assert (after.status, after.reason) == ("rejected", "We have a very similar one already.")
    dm = world.alice.user.dm_channel.history()[-1].content
    assert "wasn't added" in dm and "We have a very similar one already." in dm


async def test_closed_dms_do_not_stop_the_decision(world: World) -> None:
    """If alice's DMs are closed, the rejection still happens and the moderator is told."""
    stored = await suggest(world)
    message = await review(world)
    world.env.inject_error("POST", "/channels/*/messages", status=403, code=50007, message="Cannot send messages")
    result = await world.mod.click(message, custom_id=f"prompts:reject:{stored.id}")
    assert_responded(result, contains="couldn't DM", ephemeral=True)
    assert (await suggestions(world))[0].status == "rejected"


async def test_a_suggestion_is_decided_only_once(world: World) -> None:
    """A second click on a decided suggestion is refused and changes nothing."""
    stored = await suggest(world)
    message = await review(world)
    await world.mod.click(message, custom_id=f"prompts:reject:{stored.id}")
    result = await world.mod.click(message, custom_id=f"prompts:approve:{stored.id}")
    assert_responded(result, contains="was already reviewed", ephemeral=True)
    assert_error(world.env, NotAllowed)
    assert (await suggestions(world))[0].status == "rejected"


async def test_random_posts_a_prompt_here_with_a_cooldown(world: World) -> None:
    """/prompt random posts publicly in the channel; a second one within ten minutes is refused, later it works."""
    result = await world.alice.slash(world.general, "prompt random", theme="career")
    assert not result.response.ephemeral
    assert result.response.embeds[0].title == "Career guidance"
    again = await world.bob.slash(world.general, "prompt random")
    assert_responded(again, contains="Please try again in about 10 minutes", ephemeral=True)
    assert_error(world.env, CoolingDown)
    elsewhere = await world.bob.slash(world.intro, "prompt random")
    assert not elsewhere.response.ephemeral
    await world.env.advance_time(10 * 60)
    later = await world.bob.slash(world.general, "prompt random")
    assert later.response.embeds and not later.response.ephemeral


async def test_privacy_delete_removes_suggestions_and_anonymises_credit(world: World) -> None:
    """Erasing alice's data deletes her suggestions and removes her name from the approved prompt."""
    first = await suggest(world)
    await suggest(world, "Which word from a family language do you use most?", "identity")
    await world.mod.click(await review(world), custom_id=f"prompts:approve:{first.id}")
    provider = world.bot.privacy.providers["Prompts"]
    async with world.bot.db.read() as session:
        exported = await provider.export(session, world.guild.id, world.alice.id)
    assert len(exported["suggestions"]) == 2 and len(exported["prompts_credited_to_you"]) == 1
    async with world.bot.db.write() as session:
        await provider.delete(session, world.guild.id, world.alice.id)
    assert await suggestions(world) == []
    async with world.bot.db.read() as session:
        prompt = (await session.execute(select(Prompt).where(Prompt.text == TEXT))).scalar_one()
    assert prompt.suggested_by_id is None
