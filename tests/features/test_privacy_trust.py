"""Issue 16, "Nothing private leaks, and opt-in means opt-in": what a member sees in their export,
and what is left of them after they erase their data."""

from __future__ import annotations

import json

from simcord import MemberActor

from tests.conftest import World


async def export_of(world: World, member: MemberActor) -> dict:  # type: ignore[type-arg]
    result = await member.slash(world.general, "privacy export")
    [attachment] = result.response.attachments
    return json.loads(await attachment.read())  # type: ignore[no-any-return]


async def test_export_holds_the_description_and_tags_of_shared_resources(world: World) -> None:
    """A member's export shows the resources they shared as they wrote them: description, themes and tags too."""
    await world.mod.slash(world.general, "setup options", review_resources=False)
    await world.alice.slash(
        world.general,
        "resource share",
        url="https://example.org/bilingual",
        title="Raising bilingual kids",
        description="How my aunt kept Ilocano alive at home",
        themes="culture",
        tags="ilocano, parenting",
    )
    data = await export_of(world, world.alice)
    [shared] = data["features"]["Resources"]["shared"]
    assert shared["description"] == "How my aunt kept Ilocano alive at home"
    assert shared["themes"] == ["culture"]
    assert sorted(shared["tags"]) == ["ilocano", "parenting"]


async def erase(world: World, member: MemberActor) -> None:
    result = await member.slash(world.general, "privacy delete")
    await member.click(result.response, custom_id=f"privacy:delete:{member.id}")


def modlog_text(world: World) -> str:
    """Everything the mod-log channel shows: contents, embed titles, descriptions and footers."""
    parts = []
    for message in world.modlog.history():
        parts.append(message.content or "")
        for embed in message.embeds:
            parts += [embed.title or "", embed.description or "", (embed.footer.text if embed.footer else "") or ""]
    return "\n".join(parts)


async def test_erasure_takes_the_member_out_of_the_mod_log(world: World) -> None:
    """After /privacy delete, the mod-log no longer shows the member's suggestion, name or id; the moderator stays."""
    words = "Which lullaby did your grandmother sing to you?"
    shown = await world.alice.slash(world.general, "prompt suggest")
    await world.alice.submit_modal(shown, {"text": words, "theme": "culture"})
    review = await world.mod.slash(world.general, "prompts review")
    approve = next(
        c["custom_id"]
        for row in review.response.components
        for c in row["components"]
        if c["custom_id"].startswith("prompts:approve:")
    )
    await world.mod.click(review.response.message, custom_id=approve)
    before = modlog_text(world)
    assert words in before and str(world.alice.id) in before and "alice" in before

    await erase(world, world.alice)
    after = modlog_text(world)
    assert words not in after
    assert str(world.alice.id) not in after
    assert "alice" not in after
    assert "erased their data" in after
    assert "stella" in after  # the moderator who approved is still named
    data = await export_of(world, world.bob)
    assert data["features"]["Mentions in Lantern's messages"] == {"mod_log_entries_naming_you": []}


async def test_erasure_renames_the_pair_thread(world: World) -> None:
    """The private thread of a pairing is named after both members; after one erases, neither name remains."""
    from tests.features.test_mentorship_support import matched

    pairing = await matched(world)
    [thread] = world.mentorship.threads
    assert "alice" in thread.name and "bob" in thread.name
    await erase(world, world.alice)
    [thread] = world.mentorship.threads
    assert thread.name == f"Mentoring pair #{pairing.id}"
    lantern_said = [m.content for m in thread.history(viewer=world.bob) if m.author.id == world.bot.user.id]
    assert lantern_said and not any(str(world.alice.id) in text for text in lantern_said)
    assert str(world.bob.id) in lantern_said[0]  # the welcome still greets the member who stays


async def test_erasure_takes_the_member_out_of_entries_that_mention_them(world: World) -> None:
    """A mod-log entry that mentions the member (a moderator ending their pairing) no longer names them."""
    from tests.features.test_mentorship_support import matched

    pairing = await matched(world)
    await world.mod.slash(world.general, "pairing end", pairing=pairing.id)
    assert f"<@{world.bob.id}>" in modlog_text(world)
    await erase(world, world.bob)
    after = modlog_text(world)
    assert str(world.bob.id) not in after
    assert "Pairing ended by a moderator" in after  # what happened stays; who it was about does not


SECRET_WORDS = ("Quillameadow", "Brindlewhisk", "Marrowfennel", "Tamborquesse")


def stored_bytes(world: World) -> bytes:
    """The SQLite database as it lies on disk: the main file and its write-ahead log."""
    from pathlib import Path

    from sqlalchemy.engine import make_url

    path = Path(make_url(world.settings.database_url).database or "")
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


async def rows_holding(world: World, word: str) -> list[str]:
    """Tables with a text cell containing `word` (any backend)."""
    from sqlalchemy import String, Text, or_, select

    from storage.models import Base

    found = []
    async with world.bot.db.read() as session:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text)]
            if columns:
                hit = await session.scalar(
                    select(table).where(or_(*(c.contains(word) for c in columns))).limit(1).exists().select()
                )
                if hit:
                    found.append(table.name)
    return found


async def test_erased_words_are_gone_from_the_database_file(world: World) -> None:
    """After /privacy delete, the member's words can't be read back from the database: not by any query,
    and on SQLite not from the file's bytes either (freed pages are zeroed, the search index rebuilt)."""
    await world.mod.slash(world.general, "setup options", review_resources=False, keep_shared_resources=False)
    story, note, description, suggestion = SECRET_WORDS
    shown = await world.alice.slash(world.general, "intro write")
    await world.alice.submit_modal(
        shown, {"name": "Alice", "heritages": "Japanese", "story": f"I grew up in {story} by the sea."}
    )
    await world.alice.slash(
        world.general, "mentor request", themes="career", timezone="Asia/Tokyo", note=f"Near {note}, please"
    )
    await world.alice.slash(
        world.general,
        "resource share",
        url="https://example.org/lullabies",
        title="Lullabies",
        description=f"Songs from {description} and beyond",
    )
    found = await world.alice.slash(world.general, "resource search", query=description)
    assert "Lullabies" in str(found.response.embeds[0].to_dict())
    shown = await world.alice.slash(world.general, "prompt suggest")
    await world.alice.submit_modal(shown, {"text": f"What does {suggestion} mean to you?", "theme": "culture"})
    if world.bot.db.dialect == "sqlite":
        before = stored_bytes(world)
        assert all(word.encode() in before for word in SECRET_WORDS)

    await erase(world, world.alice)
    for word in SECRET_WORDS:
        assert await rows_holding(world, word) == [], word
    if world.bot.db.dialect == "sqlite":
        after = stored_bytes(world)
        left = [word for word in SECRET_WORDS if word.encode() in after or word.lower().encode() in after]
        assert left == []


async def test_a_check_in_with_dms_closed_reaches_only_its_member(world: World) -> None:
    """With DMs closed, a check-in is not put in a thread moderators can read: bob reads and answers it in
    /mentor status, and the mentorship channel only ever says there is something for him."""
    from tests.features.test_mentorship_support import DAY, checkins, matched

    await matched(world)
    threads_before = len(world.mentorship.threads)
    bob_dms = world.bob.user.dm_channel.id  # bob closes his DMs after the pairing began
    world.env.inject_error("POST", f"/channels/{bob_dms}/messages", status=403, code=50007, times=None)
    await world.env.advance_time(14 * DAY + 60)
    await world.bot.run_due_jobs()
    assert len(world.mentorship.threads) == threads_before  # no new thread for anyone's private words
    public = [m.content for m in world.mentorship.history()]
    assert not any("How is it going" in text for text in public)
    assert any(text.startswith(world.bob.mention) and "private message" in text for text in public)

    status = await world.bob.slash(world.general, "mentor status")
    [held] = [m for m in status.followups if "How is it going" in m.content]
    five = next(c["custom_id"] for row in held.components for c in row["components"] if c["custom_id"].endswith(":5"))
    await world.bob.click(held, custom_id=five)
    assert [c.rating for c in await checkins(world) if c.user_id == world.bob.id] == [5]


async def test_erasure_finds_mod_log_entries_from_before_they_were_recorded(world: World) -> None:
    """Entries posted before Lantern recorded whom they name (an older version) are found and cleaned too."""
    from sqlalchemy import delete

    from storage.models.privacy import NamedMessage

    words = "Which festival smells like home to you?"
    shown = await world.alice.slash(world.general, "prompt suggest")
    await world.alice.submit_modal(shown, {"text": words, "theme": "culture"})
    async with world.bot.db.write() as session:
        await session.execute(delete(NamedMessage))
    assert words in modlog_text(world)
    await erase(world, world.alice)
    after = modlog_text(world)
    assert words not in after and str(world.alice.id) not in after
