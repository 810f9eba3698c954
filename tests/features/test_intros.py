"""/intro write, show and delete, and the card in the intro channel, as members use them."""

from __future__ import annotations

import discord
import pytest
from simcord import SetupError, assert_error, assert_responded

from core.errors import FeatureNotConfigured, InvalidInput, NotAllowed
from storage.intros import intro_summary
from tests.conftest import World
from tests.features.test_intros_helpers import (
    ALICE,
    cards_of,
    open_form,
    row_counts,
    stored_intro,
    stored_tags,
    write_intro,
)


async def test_first_intro_posts_a_card_and_stores_the_intro(world: World) -> None:
    """The form posts a card in the intro channel with the member's own words; the row and its tags are stored."""
    shown = await open_form(world, world.alice)
    assert shown.modal["title"] == "Introduce yourself"
    done = await world.alice.submit_modal(shown, ALICE)

    card = world.intro.last_message
    embed = card.embeds[0]
    assert embed.title == "Alice (she/her)"
    assert embed.description == ALICE["story"]
    fields = {field.name: field.value for field in embed.fields}
    assert fields["Heritages and cultures"] == "Japanese, Irish & Pinay"
    assert fields["Languages"] == "English / Tagalog"
    assert fields["Where"] == "Manchester"
    assert embed.thumbnail.url
    assert_responded(done, contains="Your introduction is posted", ephemeral=True)
    assert card.jump_url in done.response.content

    intro = await stored_intro(world, world.alice)
    assert intro is not None
    assert (intro.message_id, intro.channel_id) == (card.id, world.intro.id)
    assert intro.discoverable is False  # hidden from /intro find until Alice says yes
    assert await stored_tags(world, world.alice) == {
        ("heritage", "japanese"),
        ("heritage", "irish"),
        ("heritage", "filipino"),
        ("language", "english"),
        ("language", "tagalog"),
    }


async def test_editing_prefills_the_form_and_edits_the_card_in_place(world: World) -> None:
    """A second /intro write shows the current answers and edits the same card message."""
    await write_intro(world, world.alice, ALICE)
    first = world.intro.last_message

    shown = await open_form(world, world.alice)
    assert shown.modal["title"] == "Edit your introduction"
    fields = [label["component"] for label in shown.modal["components"]]  # each text input sits in a Label
    defaults = {field["custom_id"]: field.get("value") for field in fields}
    assert defaults["heritages"] == ALICE["heritages"]
    done = await world.alice.submit_modal(shown, {**ALICE, "heritages": "Japanese, Irish", "location": "Leeds"})

    cards = cards_of(world, world.alice)
    assert [card.id for card in cards] == [first.id]
    assert cards[0].edited_at is not None
    assert {f.name: f.value for f in cards[0].embeds[0].fields}["Where"] == "Leeds"
    assert_responded(done, contains="Your introduction is updated", ephemeral=True)
    intro = await stored_intro(world, world.alice)
    assert (intro.location, intro.message_id) == ("Leeds", first.id)
    assert ("heritage", "filipino") not in await stored_tags(world, world.alice)
    assert await row_counts(world) == (1, 4)


async def test_a_deleted_card_is_posted_again(world: World) -> None:
    """If the card message was deleted, editing the intro posts a new card and remembers it."""
    await write_intro(world, world.alice, ALICE)
    old = world.intro.last_message
    cleaners = world.guild.create_role("Cleaners", permissions=discord.Permissions(manage_messages=True))
    await world.add_member("janitor", roles=[cleaners]).delete(old)

    await write_intro(world, world.alice, ALICE, story="Back again.")
    new = world.intro.last_message
    assert new.id != old.id
    assert new.embeds[0].description == "Back again."
    assert (await stored_intro(world, world.alice)).message_id == new.id


async def test_everyone_in_a_story_never_pings(world: World) -> None:
    """`@everyone` and mentions in a member's words are shown, with mentions disabled."""
    await write_intro(world, world.alice, ALICE, story=f"Hi @everyone and {world.bob.mention}!")
    card = world.intro.last_message
    assert "@everyone" in card.embeds[0].description
    assert card.mention_everyone is False
    stored = world.env.backend.messages[world.intro.id][card.id]
    assert (stored.ping_user_ids, stored.ping_role_ids) == ([], [])
    assert stored.allowed_mentions.everyone is False


async def test_over_long_field_is_refused_by_the_form(world: World) -> None:
    """Every field has a max_length, so Discord's client refuses an over-long answer; nothing is stored."""
    shown = await open_form(world, world.alice)
    with pytest.raises(SetupError, match="max_length"):
        await world.alice.submit_modal(shown, {**ALICE, "story": "x" * 1001})
    assert await row_counts(world) == (0, 0)
    assert world.intro.last_message is None


@pytest.mark.parametrize("field", ["name", "heritages", "story"])
async def test_whitespace_only_required_field_is_refused(world: World, field: str) -> None:
    """A required answer of only spaces is named back to the member; nothing is posted or stored."""
    done = await write_intro(world, world.alice, ALICE, **{field: "   \n  "})
    assert_responded(done, contains="is empty", ephemeral=True)
    assert_error(world.env, InvalidInput)
    assert await row_counts(world) == (0, 0)
    assert world.intro.last_message is None


async def test_whitespace_edit_leaves_the_existing_intro_unchanged(world: World) -> None:
    """A refused edit changes neither the card nor the stored intro."""
    await write_intro(world, world.alice, ALICE)
    card = world.intro.last_message
    await write_intro(world, world.alice, ALICE, name="  ")
    assert_error(world.env, InvalidInput)
    assert (await stored_intro(world, world.alice)).name == ALICE["name"]
    assert world.intro.last_message.edited_at == card.edited_at


async def test_when_lantern_cannot_post_the_card_nothing_is_saved_and_moderators_are_told(world: World) -> None:
    """A missing permission in the intro channel is explained to the member and the mod-log; nothing is stored."""
    world.env.inject_error("POST", f"/channels/{world.intro.id}/messages", status=403, code=50013)
    done = await write_intro(world, world.alice, ALICE)
    assert_responded(done, contains="I'm not allowed to post in", ephemeral=True)
    assert_error(world.env, NotAllowed)
    assert await row_counts(world) == (0, 0)
    assert world.modlog.last_message.embeds[0].title == "Intro card not posted"


async def test_no_intro_channel_tells_the_member_to_ask_a_moderator(bare_world: World) -> None:
    """Before /setup, /intro write explains that a moderator must set the intro channel; nothing is stored."""
    result = await bare_world.alice.slash(bare_world.general, "intro write")
    assert_responded(result, contains="`/setup channels intro:`", ephemeral=True)
    assert result.modal is None
    assert_error(bare_world.env, FeatureNotConfigured)
    assert await row_counts(bare_world) == (0, 0)


async def test_show_answers_privately_with_the_card(world: World) -> None:
    """/intro show member shows their card to the caller only."""
    await write_intro(world, world.alice, ALICE)
    result = await world.bob.slash(world.general, "intro show", member=world.alice)
    assert_responded(result, embed_title="Alice (she/her)", ephemeral=True)
    assert all(m.id != result.response.id for m in world.general.history(viewer=world.alice))


async def test_show_without_member_shows_your_own_or_says_how_to_write_one(world: World) -> None:
    """Without a member, /intro show is about the caller."""
    result = await world.alice.slash(world.general, "intro show")
    assert_responded(result, contains="`/intro write` opens the form", ephemeral=True)
    await write_intro(world, world.alice, ALICE)
    result = await world.alice.slash(world.general, "intro show")
    assert_responded(result, embed_title="Alice (she/her)", ephemeral=True)


async def test_view_intro_context_menu_shows_the_card(world: World) -> None:
    """Right-click → Apps → View intro shows a member's card privately, or says they have none."""
    await write_intro(world, world.alice, ALICE)
    result = await world.bob.context_menu(world.general, "View intro", world.alice)
    assert_responded(result, embed_title="Alice (she/her)", ephemeral=True)
    result = await world.alice.context_menu(world.general, "View intro", world.bob)
    assert_responded(result, contains="bob hasn't written an introduction yet", ephemeral=True)


async def test_delete_after_confirming_removes_card_and_rows(world: World) -> None:
    """/intro delete asks first; confirming removes the card message, the intro and its tags."""
    await write_intro(world, world.alice, ALICE)
    card = world.intro.last_message
    asked = await world.alice.slash(world.general, "intro delete")
    assert_responded(asked, contains="Delete your introduction?", ephemeral=True)

    done = await world.alice.click(asked.response, label="Delete my introduction")
    assert "deleted" in done.response.content
    assert all(m.id != card.id for m in world.intro.history())
    assert await row_counts(world) == (0, 0)


async def test_keeping_on_the_delete_question_changes_nothing(world: World) -> None:
    """Choosing 'Keep it' leaves the card and the intro as they were."""
    await write_intro(world, world.alice, ALICE)
    asked = await world.alice.slash(world.general, "intro delete")
    done = await world.alice.click(asked.response, label="Keep it")
    assert "nothing changed" in done.response.content
    assert await row_counts(world) == (1, 5)
    assert len(cards_of(world, world.alice)) == 1


async def test_delete_without_an_intro_says_so(world: World) -> None:
    """/intro delete with nothing stored answers plainly."""
    result = await world.alice.slash(world.general, "intro delete")
    assert_responded(result, contains="You don't have an introduction to delete", ephemeral=True)


async def test_leaving_the_server_removes_card_and_intro(world: World) -> None:
    """When a member leaves, their card message is removed and their intro rows deleted."""
    await write_intro(world, world.alice, ALICE)
    card = world.intro.last_message
    world.guild.remove_member(world.alice)
    await world.env.settle()
    assert all(m.id != card.id for m in world.intro.history())
    assert await row_counts(world) == (0, 0)


async def test_intro_summary_is_short_plain_text(world: World) -> None:
    """The summary mentorship shows has the name, heritages, languages, place and story, within 400 characters."""
    await write_intro(world, world.alice, ALICE, story="word " * 199)
    async with world.bot.db.read() as session:
        summary = await intro_summary(session, world.guild.id, world.alice.id)
        nobody = await intro_summary(session, world.guild.id, world.bob.id)
    assert summary is not None and len(summary) <= 400
    assert summary.startswith("Alice (she/her) · Heritages: Japanese, Irish & Pinay · Languages: English / Tagalog")
    assert "Manchester" in summary
    assert nobody is None


async def test_privacy_provider_exports_and_deletes_the_rows(world: World) -> None:
    """The Introductions privacy provider exports the intro, removes the card, then deletes the rows."""
    await write_intro(world, world.alice, ALICE)
    provider = world.bot.privacy.providers["Introductions"]
    assert set(provider.tables) == {"intros", "intro_tags", "intro_drafts"}
    async with world.bot.db.read() as session:
        exported = await provider.export(session, world.guild.id, world.alice.id)
    assert exported["heritages"] == ALICE["heritages"]
    assert "filipino" in exported["heritage_tags"]
    card = world.intro.last_message
    guild = world.bot.get_guild(world.guild.id)
    await provider.cleanup(world.bot, guild, world.alice.id)
    async with world.bot.db.write() as session:
        removed = await provider.delete(session, world.guild.id, world.alice.id)
    assert removed == 6
    assert await row_counts(world) == (0, 0)
    assert all(m.id != card.id for m in world.intro.history())
