"""/resource share, review and the library card's buttons, as members and a moderator use them."""

from __future__ import annotations

import pytest
from simcord import InteractionResult, OptionError, assert_error, assert_responded
from sqlalchemy import func, select

from core.errors import InvalidInput, NotAllowed
from storage.models.resources import Resource, ResourceVote
from tests.conftest import World

ARTICLE = "https://example.org/essays/being-hapa"


async def resources(world: World) -> list[Resource]:
    async with world.bot.db.read() as session:
        return list(await session.scalars(select(Resource).order_by(Resource.id)))


async def vote_count(world: World) -> int:
    async with world.bot.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(ResourceVote)) or 0)


async def review_off(world: World) -> None:
    await world.mod.slash(world.general, "setup options", review_resources=False)


async def share(world: World, member=None, **options):
    options.setdefault("url", ARTICLE)
    options.setdefault("title", "Being hapa")
    return await (member or world.alice).slash(world.general, "resource share", **options)


# Sharing --------------------------------------------------------------------------------------


async def test_share_with_review_on_waits_for_a_moderator(world: World) -> None:
    """With review on (the default) a valid share is stored as pending and nothing is posted yet."""
    result = await share(
        world,
        url="HTTPS://Example.org/essays/being-hapa/?utm_source=newsletter#intro",
        description="An essay on growing up between cultures.",
        themes="identity, Cultural knowledge sharing",
        tags="Essays, mixed heritage",
    )
    assert_responded(result, contains="is waiting for a moderator's review", ephemeral=True)
    [stored] = await resources(world)
    assert stored.status == "pending"
    assert stored.canonical_url == ARTICLE
    assert stored.themes == "identity,culture"
    assert stored.tags == "essays,mixed heritage"
    assert stored.submitter_id == world.alice.id
    assert world.resources.history() == []


async def test_share_with_review_off_posts_the_card(world: World) -> None:
    """With review off, the resource goes straight to the library channel with its buttons."""
    await review_off(world)
    result = await share(world, themes="career")
    card = world.resources.last_message
    assert_responded(result, contains="Added “Being hapa” to the library", ephemeral=True)
    assert card.embeds[0].title == "Being hapa"
    assert card.embeds[0].url == ARTICLE
    assert card.embeds[0].fields[0].value == "Career guidance"
    labels = [c.label for row in card.components for c in row.children]
    assert labels == ["Helped me (0)", "Save (0)"]
    [stored] = await resources(world)
    assert (stored.status, stored.message_id) == ("approved", card.id)


async def test_a_link_in_another_script_reaches_discord_as_a_uri(world: World) -> None:
    """A Japanese host and path, as a member pastes them, are posted as punycode and percent-escapes: Discord's
    schema takes only RFC 3986 URIs in an embed's link (the contract plugin checks every request), and the card
    still opens the page the member meant."""
    await review_off(world)
    result = await share(world, url="https://例え.jp/家族の話?utm_source=line", title="家族の話")
    assert_responded(result, contains="Added “家族の話” to the library", ephemeral=True)
    page = "https://xn--r8jz45g.jp/%E5%AE%B6%E6%97%8F%E3%81%AE%E8%A9%B1"
    card = world.resources.last_message
    assert card.embeds[0].url == page + "?utm_source=line"  # the link as typed, written as a URI
    [stored] = await resources(world)
    assert (stored.url, stored.canonical_url) == (page + "?utm_source=line", page)


async def test_a_link_long_once_written_as_a_uri_is_shortened_in_the_review_queue(world: World) -> None:
    """40 Japanese letters are 360 characters as a URI: the moderator's queue shows the start of it and its length
    (a field holds 1,024), and the title opens the whole link."""
    await share(world, url="https://example.org/" + "家" * 40, title="Family")
    queue = await world.mod.slash(world.general, "resources review")
    embed = queue.response.embeds[0]
    uri = "https://example.org/" + "%E5%AE%B6" * 40
    assert embed.url == uri
    link = embed.fields[-1].value
    assert link.startswith("example.org/%E5%AE%B6") and "380 characters long: the title opens it." in link


async def test_a_card_shared_before_links_were_stored_as_uris_still_redraws(world: World) -> None:
    """A row stored with the letters as typed (before this rule) is drawn with its link as a URI when a vote
    redraws its card; the vote counts."""
    await review_off(world)
    await share(world, url="https://example.org/家族", title="Family")
    async with world.bot.db.write() as session:
        (await session.scalars(select(Resource))).one().url = "https://例え.jp/家族の話"
    card = world.resources.last_message
    await world.bob.click(card, label="Helped me (0)")
    card = world.resources.last_message
    assert card.embeds[0].url == "https://xn--r8jz45g.jp/%E5%AE%B6%E6%97%8F%E3%81%AE%E8%A9%B1"
    assert await vote_count(world) == 1


async def test_duplicate_after_canonicalisation_points_to_the_existing_entry(world: World) -> None:
    """Another spelling of a shared URL is not added; the member is pointed to the existing card."""
    await review_off(world)
    await share(world)
    card = world.resources.last_message
    result = await share(world, member=world.bob, url="HTTPS://EXAMPLE.org:443/essays/being-hapa/?fbclid=abc")
    result2 = await share(world, member=world.bob, url="https://example.org/essays/being-hapa#comments")
    assert_responded(result, contains="already in the library as “Being hapa”", ephemeral=True)
    assert card.jump_url.split("/")[-1] in result.response.content
    assert_responded(result2, contains="already in the library", ephemeral=True)
    assert len(await resources(world)) == 1
    assert len(world.resources.history()) == 1


async def test_duplicate_of_a_pending_share_says_it_waits_for_review(world: World) -> None:
    """Sharing a link someone already submitted tells the member it is waiting for review."""
    await share(world)
    result = await share(world, member=world.bob, url=ARTICLE + "/")
    assert_responded(result, contains="already shared as “Being hapa”", ephemeral=True)
    assert len(await resources(world)) == 1


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("javascript:alert(document.cookie)", "is a `javascript:` link"),
        ("file:///etc/passwd", "is a `file:` link"),
        ("data:text/html,<b>hi</b>", "is a `data:` link"),
        ("example.org/essay", "doesn't start with `https://`"),
        ("https://exa mple.org/", "contains spaces"),
        ("https://localhost/", "website name I can't read"),
        ("https://example.org/a#" + "家" * 230, "is 2,092 characters long written as a web address"),
    ],
)
async def test_bad_links_are_refused_and_nothing_is_stored(world: World, url: str, reason: str) -> None:
    """Only http(s) links to a real host are accepted; the reply says why; the database is unchanged."""
    result = await share(world, url=url)
    assert_responded(result, contains=reason, ephemeral=True)
    assert_error(world.env, InvalidInput)
    assert await resources(world) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("url", "https://example.org/" + "a" * 2000),
        ("title", "t" * 151),
        ("description", "d" * 1001),
        ("tags", "t" * 201),
    ],
)
async def test_over_long_fields_are_refused_before_the_bot_sees_them(world: World, field: str, value: str) -> None:
    """Every option is bounded, so Discord refuses an over-long value and nothing is stored."""
    with pytest.raises(OptionError):
        await share(world, **{field: value})
    assert await resources(world) == []


async def test_blank_title_and_unknown_theme_are_refused(world: World) -> None:
    """A title of spaces and a theme the server doesn't have are explained; nothing is stored."""
    result = await share(world, title="   ")
    assert_responded(result, contains="The title is empty", ephemeral=True)
    assert_error(world.env, InvalidInput)
    result = await share(world, themes="identity, astrology")
    assert_responded(result, contains="`astrology` isn't one of this server's themes", ephemeral=True)
    assert_error(world.env, InvalidInput)
    assert await resources(world) == []


async def test_theme_autocomplete_completes_the_last_entry(world: World) -> None:
    """Typing 'identity, care' offers 'identity, career'."""
    choices = await world.alice.autocomplete(world.general, "resource share", "themes", "identity, care")
    assert [c["value"] for c in choices] == ["identity, career"]


# Review ---------------------------------------------------------------------------------------


async def test_moderator_approves_after_a_restart_and_the_member_is_told(world: World) -> None:
    """The review buttons work after a restart; approval posts the card and DMs the submitter."""
    await share(world, themes="identity")
    queue = await world.mod.slash(world.general, "resources review")
    assert_responded(queue, contains="1 waiting for review", ephemeral=True)
    assert queue.response.embeds[0].title == "Being hapa"
    [stored] = await resources(world)
    await world.restart()
    await world.mod.click(queue.response, label=f"Approve #{stored.id}")
    card = world.resources.last_message
    assert card.embeds[0].title == "Being hapa"
    [stored] = await resources(world)
    assert (stored.status, stored.message_id) == ("approved", card.id)
    dm = world.alice.user.dm_channel.history()[-1]
    assert "is now in the resource library" in dm.content
    assert world.modlog.history()[-1].embeds[0].title == "Resource approved"


async def test_moderator_rejects_and_the_member_is_told_kindly(world: World) -> None:
    """Rejecting deletes the submission, posts nothing and DMs the submitter."""
    await share(world)
    queue = await world.mod.slash(world.general, "resources review")
    [stored] = await resources(world)
    await world.restart()
    result = await world.mod.click(queue.response, label=f"Reject #{stored.id}")
    assert "Rejected “Being hapa”" in result.response.content
    assert await resources(world) == []
    assert world.resources.history() == []
    assert "decided not to add it" in world.alice.user.dm_channel.history()[-1].content


async def test_closed_dms_do_not_break_approval(world: World) -> None:
    """If the submitter's DMs are closed, the resource is approved and posted all the same."""
    await share(world)
    queue = await world.mod.slash(world.general, "resources review")
    [stored] = await resources(world)
    world.env.inject_error("POST", "/users/@me/channels", status=403, code=50007, times=None)
    await world.mod.click(queue.response, label=f"Approve #{stored.id}")
    [stored] = await resources(world)
    assert (stored.status, stored.message_id) == ("approved", world.resources.last_message.id)


async def test_a_second_click_on_a_reviewed_item_changes_nothing(world: World) -> None:
    """Approving twice (a stale queue) is refused the second time; one card is posted."""
    await share(world)
    queue = await world.mod.slash(world.general, "resources review")
    stale = await world.mod.slash(world.general, "resources review")
    [stored] = await resources(world)
    await world.mod.click(queue.response, label=f"Approve #{stored.id}")
    result = await world.mod.click(stale.response, label=f"Approve #{stored.id}")
    assert_responded(result, contains="was already reviewed", ephemeral=True)
    assert_error(world.env, NotAllowed)
    assert len(world.resources.history()) == 1


async def test_members_cannot_see_the_moderator_commands(world: World) -> None:
    """/resources is hidden from members; /resource is visible."""
    visible = world.alice.available_commands(world.general)
    assert "resources review" not in visible
    assert "resource share" in visible


# Helped me and Save ---------------------------------------------------------------------------


def button_labels(message) -> list[str]:
    return [c.label for row in message.components for c in row.children]


async def test_helped_and_save_toggle_per_member_and_update_the_card(world: World) -> None:
    """Two members press the buttons; counts show on the card; pressing again takes a vote back."""
    await review_off(world)
    await share(world)
    card = world.resources.last_message
    result = await world.alice.click(card, label="Helped me (0)")
    assert "Glad it helped" in result.followups[0].content
    await world.bob.click(world.resources.last_message, label="Helped me (1)")
    await world.bob.click(world.resources.last_message, label="Save (0)")
    card = world.resources.last_message
    assert button_labels(card) == ["Helped me (2)", "Save (1)"]
    assert "helped 2 · saved 1" in card.embeds[0].footer.text
    assert await vote_count(world) == 3
    await world.restart()
    await world.alice.click(card, label="Helped me (2)")
    card = world.resources.last_message
    assert button_labels(card) == ["Helped me (1)", "Save (1)"]
    [stored] = await resources(world)
    assert (stored.helped_count, stored.saved_count) == (1, 1)
    assert await vote_count(world) == 2


async def test_saved_lists_a_members_bookmarks(world: World) -> None:
    """/resource saved shows what the member saved, and only that."""
    await review_off(world)
    await share(world)
    await share(world, url="https://example.org/books", title="Reading list")
    await world.bob.click(world.resources.history()[0], label="Save (0)")
    result = await world.bob.slash(world.general, "resource saved")
    assert "Being hapa" in result.response.embeds[0].description
    assert "Reading list" not in result.response.embeds[0].description
    result = await world.alice.slash(world.general, "resource saved")
    assert_responded(result, contains="haven't saved anything yet", ephemeral=True)


async def bob_saves_six(world: World) -> InteractionResult:
    """Six resources (five by Alice, one by a moderator) in the library, all saved by Bob; his /resource saved."""
    await review_off(world)
    for i in range(5):
        await share(world, url=f"https://example.org/read-{i}", title=f"Read {i}")
    await share(world, world.mod, url="https://example.org/read-5", title="Read 5")
    for card in world.resources.history():
        await world.bob.click(card, label="Save (0)")
    return await world.bob.slash(world.general, "resource saved")


async def test_saved_pages_after_a_restart(world: World) -> None:
    """/resource saved pages five at a time; its buttons carry no member id and still work after a restart."""
    result = await bob_saves_six(world)
    assert result.response.embeds[0].footer.text == "Page 1"
    assert button_labels(result.response.message) == ["Previous", "Next"]
    await world.restart()
    await world.bob.click(result.response, custom_id="res:pg:saved:1:-:-:new")
    second = result.response.message
    assert second.embeds[0].title == "Your saved resources"
    assert second.embeds[0].footer.text == "Page 2"
    assert second.embeds[0].description.count("**[") == 1
    previous, following = (c for row in second.components for c in row.children)
    assert (previous.custom_id, previous.disabled) == ("res:pg:saved:0:-:-:new", False)
    assert (following.custom_id, following.disabled) == ("res:pg:saved:2:-:-:new", True)
    await world.bob.click(result.response, label="Previous")
    assert result.response.message.embeds[0].footer.text == "Page 1"


async def test_saved_page_after_everything_was_unsaved_says_so(world: World) -> None:
    """Turning a page of a list that has emptied since shows the empty message instead of a blank page."""
    result = await bob_saves_six(world)
    for card in world.resources.history():
        await world.bob.click(card, label="Save (1)")
    await world.bob.click(result.response, label="Next")
    message = result.response.message
    assert "haven't saved anything yet" in message.content
    assert message.embeds == [] and message.components == []


async def test_member_removes_their_own_resource_only(world: World) -> None:
    """A member can remove what they shared (the card goes too) but not someone else's."""
    await review_off(world)
    await share(world)
    [stored] = await resources(world)
    result = await world.bob.slash(world.general, "resource remove", resource=stored.id)
    assert_error(world.env, Exception)
    assert "can't find a resource you shared" in result.response.content
    assert len(await resources(world)) == 1
    choices = await world.alice.autocomplete(world.general, "resource remove", "resource", "hapa")
    assert [c["value"] for c in choices] == [stored.id]
    result = await world.alice.slash(world.general, "resource remove", resource=stored.id)
    assert_responded(result, contains="Removed “Being hapa”", ephemeral=True)
    assert await resources(world) == []
    assert world.resources.history() == []


async def test_remove_autocomplete_finds_a_title_however_it_is_typed(world: World) -> None:
    """The moderator's `/resources remove` list matches titles as search does, on either backend: without
    accents, in any case (SQLite's own case folding stops at ASCII), half a word typed; `%` and `_` are plain
    characters; a member's own list still holds only what they shared."""
    await review_off(world)
    titles = ["Đời sống của mẹ tôi", "Family stories from Hà Nội", "100% hapa", "家族の話"]
    for number, title in enumerate(titles):
        await share(world, url=f"https://example.org/{number}", title=title)
    ids = {r.title: r.id for r in await resources(world)}

    async def offered(member, command: str, typed: str) -> list[int]:
        return [c["value"] for c in await member.autocomplete(world.general, command, "resource", typed)]

    for typed, title in [
        ("doi song", "Đời sống của mẹ tôi"),
        ("ĐỜI", "Đời sống của mẹ tôi"),
        ("mẹ TÔI", "Đời sống của mẹ tôi"),
        ("ha noi", "Family stories from Hà Nội"),
        ("stori", "Family stories from Hà Nội"),
        ("Story", "Family stories from Hà Nội"),
        ("%", "100% hapa"),
        ("家族", "家族の話"),
        ("の話", "家族の話"),
    ]:
        assert await offered(world.mod, "resources remove", typed) == [ids[title]], typed
    assert await offered(world.mod, "resources remove", "_") == []
    assert await offered(world.mod, "resources remove", "zzz") == []
    assert await offered(world.mod, "resources remove", "") == sorted(ids.values(), reverse=True)
    assert await offered(world.alice, "resource remove", "doi") == [ids["Đời sống của mẹ tôi"]]
    assert await offered(world.bob, "resource remove", "doi") == []
    assert len(await resources(world)) == len(titles)
