"""Side effects that fail are retried or reported truthfully (issue 17), outside prompt posting.

A library card that can't be posted never leaves a link "already in the library" that nobody can see:
Lantern checks its permissions before storing anything, tries a transient failure again, and undoes the
share (or leaves the approval undone) when Discord refuses. The mod-log is told once, naming a missing
permission only when Discord's permissions really lack it, and otherwise what Discord said.

SimCord has no public verb for a moderator editing a channel's permissions later; `deny_bot` uses its
private backend API as tests/features/test_setup_checklist.py does.
"""

from __future__ import annotations

import discord
import pytest
from simcord import ChannelHandle, MemberActor, assert_error, assert_responded
from simcord.backend.models.channel import Overwrite
from simcord.enums import OverwriteType
from sqlalchemy import func, select

from cogs.resources import cards
from core.errors import NotAllowed
from storage.models.limits import RateLimitUse
from storage.models.resources import Resource, ResourceVote
from tests.conftest import World
from tests.features.test_due_faults import drop_connection
from tests.features.test_mentorship_support import matched, pairings

ARTICLE = "https://example.org/essays/being-hapa"
BOOK = "https://example.org/books/kin"


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pauses between attempts are real seconds in SimCord; the tests keep the attempts, not the pauses."""
    monkeypatch.setattr(cards, "RETRY_DELAYS", (0.0, 0.0))


def deny_bot(world: World, channel: ChannelHandle, *permissions: str) -> None:
    """#channel → Edit Channel → Permissions → Lantern → ✗ (private backend API)."""
    denied = discord.Permissions(**dict.fromkeys(permissions, True))
    world.env.backend.set_overwrite(
        channel.id, Overwrite(target_id=world.env.backend.bot_user.id, type=OverwriteType.MEMBER, deny=denied.value)
    )


def allow_bot_again(world: World, channel: ChannelHandle) -> None:
    world.env.backend.delete_overwrite(channel.id, world.env.backend.bot_user.id)


async def stored(world: World) -> list[Resource]:
    async with world.bot.db.read() as session:
        return list(await session.scalars(select(Resource).order_by(Resource.id)))


async def share_uses(world: World) -> int:
    async with world.bot.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(RateLimitUse)) or 0)


async def votes(world: World) -> int:
    async with world.bot.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(ResourceVote)) or 0)


async def review_off(world: World) -> None:
    await world.mod.slash(world.general, "setup options", review_resources=False)
    await world.env.settle()


async def share(world: World, member=None, url: str = ARTICLE, title: str = "Being hapa"):
    return await (member or world.alice).slash(world.general, "resource share", url=url, title=title)


def modlog_entries(world: World, title: str) -> list[discord.Embed]:
    return [m.embeds[0] for m in world.modlog.history() if m.embeds and m.embeds[0].title == title]


def posted_cards(world: World) -> list[object]:
    return world.resources.history()


# Sharing straight into the library (review off) ------------------------------------------------


async def test_a_share_without_embed_links_in_the_library_is_refused_and_nothing_is_stored(world: World) -> None:
    """Lantern lacks Embed Links in the library channel: the member is told so and that moderators know; nothing
    is stored or counted; the mod-log names the permission and the channel; after the fix the share works."""
    await review_off(world)
    deny_bot(world, world.resources, "embed_links")
    result = await share(world)
    assert_responded(
        result,
        contains=f"I can't post in the library channel {world.resources.mention} right now: I'm missing Embed Links",
        ephemeral=True,
    )
    assert "I haven't saved your link. I've told the moderators" in result.response.content
    assert_error(world.env, NotAllowed)
    assert await stored(world) == [] and await share_uses(world) == 0
    assert posted_cards(world) == []
    [entry] = modlog_entries(world, "Library card not posted")
    assert f"I need Embed Links in {world.resources.mention}" in entry.description
    assert "Edit Channel → Permissions" in entry.description and "Send Messages" not in entry.description

    allow_bot_again(world, world.resources)
    again = await share(world)
    assert_responded(again, contains="Added “Being hapa” to the library", ephemeral=True)
    [resource] = await stored(world)
    assert resource.message_id == world.resources.last_message.id


async def test_the_modlog_hears_about_a_missing_permission_once(world: World) -> None:
    """Two members sharing while View Channel is denied: both are told, the mod-log gets one entry. (Without
    View Channel Discord grants nothing else there either, so the entry lists all three, as Discord computes.)"""
    await review_off(world)
    deny_bot(world, world.resources, "view_channel")
    await share(world)
    await share(world, member=world.bob, url=BOOK, title="Kin")
    assert_error(world.env, NotAllowed)
    [entry] = modlog_entries(world, "Library card not posted")
    assert entry.description.startswith(
        f"I need View Channel, Send Messages and Embed Links in {world.resources.mention}"
    )
    assert await stored(world) == []


async def test_a_403_with_every_permission_in_place_is_undone_and_reported_as_discord_said(world: World) -> None:
    """Discord refuses the card although Lantern's permissions look right: the share is undone (a re-share is
    not "already in the library"), and nobody is told a permission is missing."""
    await review_off(world)
    world.env.inject_error(
        "POST", f"/channels/{world.resources.id}/messages", status=403, code=50013, message="Missing Permissions"
    )
    result = await share(world)
    assert_responded(result, contains="Discord didn't let me post in the library channel", ephemeral=True)
    assert "missing" not in result.response.content.lower()
    assert_error(world.env, NotAllowed)
    assert await stored(world) == [] and await share_uses(world) == 0
    [entry] = modlog_entries(world, "Library card not posted")
    assert "although my permissions there look right" in entry.description
    assert "Discord answered 403: Missing Permissions (code 50013)" in entry.description
    assert "I need" not in entry.description

    again = await share(world)
    assert_responded(again, contains="Added “Being hapa” to the library", ephemeral=True)
    assert len(await stored(world)) == 1 and len(posted_cards(world)) == 1


async def test_a_503_on_the_card_is_tried_again_and_the_share_completes(world: World) -> None:
    """One 503 from Discord: the card is posted on the next attempt (with the same enforced nonce) and the
    member reads the link to it."""
    await review_off(world)
    world.env.inject_error("POST", f"/channels/{world.resources.id}/messages", status=503)
    result = await share(world)
    assert_responded(result, contains="Added “Being hapa” to the library", ephemeral=True)
    [card] = posted_cards(world)
    [resource] = await stored(world)
    assert (resource.status, resource.message_id) == ("approved", card.id)  # type: ignore[attr-defined]
    assert await share_uses(world) == 1
    assert modlog_entries(world, "Library card not posted") == []
    # Both attempts carry one nonce that Discord enforces: an attempt that did reach Discord is not posted twice.
    attempts = [r.json for r in world.env.http_requests if r.path == f"/channels/{world.resources.id}/messages"]
    assert len(attempts) == 2 and attempts[0]["nonce"] == attempts[1]["nonce"]
    assert attempts[1]["enforce_nonce"] is True


async def test_a_dropped_connection_on_the_card_is_tried_again(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The connection drops on the first post of the card: the next attempt posts it; one card, one resource."""
    await review_off(world)
    dropped = drop_connection(world, monkeypatch, "POST", f"/channels/{world.resources.id}/messages")
    result = await share(world)
    assert dropped == [f"/channels/{world.resources.id}/messages"]
    assert_responded(result, contains="Added “Being hapa” to the library", ephemeral=True)
    [card] = posted_cards(world)
    [resource] = await stored(world)
    assert resource.message_id == card.id  # type: ignore[attr-defined]


async def test_discord_failing_on_every_attempt_undoes_the_share_without_blaming_permissions(world: World) -> None:
    """503 on all three attempts: nothing is stored, the member is asked to try again in a few minutes (and not
    told a card "will appear"), no permission is named, and moderators aren't bothered with Discord's outage."""
    await review_off(world)
    world.env.inject_error("POST", f"/channels/{world.resources.id}/messages", status=503, times=3)
    result = await share(world)
    assert_responded(result, contains="Discord kept failing when I posted the card", ephemeral=True)
    assert "Please share it again in a few minutes." in result.response.content
    assert "permission" not in result.response.content.lower() and "missing" not in result.response.content
    assert_error(world.env, NotAllowed)
    assert await stored(world) == [] and await share_uses(world) == 0
    assert modlog_entries(world, "Library card not posted") == []

    again = await share(world)
    assert_responded(again, contains="Added “Being hapa” to the library", ephemeral=True)


async def test_a_library_channel_deleted_under_the_share_is_undone(world: World) -> None:
    """Discord answers 404 (the channel went away between lookup and post): nothing is stored; the mod-log says
    to choose another channel."""
    await review_off(world)
    world.env.inject_error(
        "POST", f"/channels/{world.resources.id}/messages", status=404, code=10003, message="Unknown Channel"
    )
    result = await share(world)
    assert_responded(result, contains="The library channel was deleted", ephemeral=True)
    assert_error(world.env, NotAllowed)
    assert await stored(world) == []
    [entry] = modlog_entries(world, "Library card not posted")
    assert "`/setup channels resources:`" in entry.description


# Approving from the review queue ---------------------------------------------------------------


async def queued(world: World):
    await share(world)
    queue = await world.mod.slash(world.general, "resources review")
    [resource] = await stored(world)
    return queue, resource


async def test_approving_without_send_messages_keeps_it_in_the_queue_and_names_the_fix(world: World) -> None:
    """Lantern lacks Send Messages in the library channel (so Embed Links too, as Discord computes it): the
    moderator reads what is missing and where; the resource stays pending with no card, the submitter gets no
    DM, no "Resource approved" entry."""
    queue, resource = await queued(world)
    deny_bot(world, world.resources, "send_messages")
    dms_before = len(world.alice.user.dm_channel.history()) if world.alice.user.dm_channel else 0
    result = await world.mod.click(queue.response, label=f"Approve #{resource.id}")
    assert_responded(result, contains="I'm missing Send Messages and Embed Links there", ephemeral=True)
    assert f"resource #{resource.id} stays in the review queue" in result.response.content
    assert "Edit Channel → Permissions" in result.response.content
    assert_error(world.env, NotAllowed)
    [after] = await stored(world)
    assert (after.status, after.message_id, after.approved_at) == ("pending", None, None)
    assert posted_cards(world) == []
    assert (len(world.alice.user.dm_channel.history()) if world.alice.user.dm_channel else 0) == dms_before
    assert modlog_entries(world, "Resource approved") == []
    [entry] = modlog_entries(world, "Library card not posted")
    assert f"I need Send Messages and Embed Links in {world.resources.mention}" in entry.description

    allow_bot_again(world, world.resources)
    await world.mod.click(queue.response, label=f"Approve #{resource.id}")
    [after] = await stored(world)
    assert (after.status, after.message_id) == ("approved", world.resources.last_message.id)
    assert "Approved “Being hapa”" in queue.response.message.content


async def test_approving_through_a_503_posts_the_card_once(world: World) -> None:
    """A 503 on the approval's card is tried again: one card, the resource approved with it, the member told."""
    queue, resource = await queued(world)
    world.env.inject_error("POST", f"/channels/{world.resources.id}/messages", status=503)
    await world.mod.click(queue.response, label=f"Approve #{resource.id}")
    [card] = posted_cards(world)
    [after] = await stored(world)
    assert (after.status, after.message_id) == ("approved", card.id)  # type: ignore[attr-defined]
    assert "is now in the resource library" in world.alice.user.dm_channel.history()[-1].content
    assert len(modlog_entries(world, "Resource approved")) == 1


async def test_an_approval_whose_queue_refresh_fails_still_tells_everyone(world: World) -> None:
    """The card is up and the resource approved, but Discord fails the queue's refresh: the moderator reads
    the approval privately, the submitter gets their DM and the mod-log its entry."""
    queue, resource = await queued(world)
    world.env.inject_error("PATCH", "/webhooks/*/*/messages/@original", status=503)
    result = await world.mod.click(queue.response, label=f"Approve #{resource.id}")
    [told] = result.followups
    assert told.ephemeral and told.content.startswith("Approved “Being hapa”: https://discord.com/channels/")
    [card] = posted_cards(world)
    [after] = await stored(world)
    assert (after.status, after.message_id) == ("approved", card.id)  # type: ignore[attr-defined]
    assert "is now in the resource library" in world.alice.user.dm_channel.history()[-1].content
    assert len(modlog_entries(world, "Resource approved")) == 1


async def test_the_approval_dm_survives_a_503(world: World) -> None:
    """Discord 503s once while Lantern opens the submitter's DM: it tries again and the member is told."""
    queue, resource = await queued(world)
    world.env.inject_error("POST", "/users/@me/channels", status=503)
    await world.mod.click(queue.response, label=f"Approve #{resource.id}")
    assert "is now in the resource library" in world.alice.user.dm_channel.history()[-1].content


async def test_approving_while_discord_keeps_failing_changes_nothing(world: World) -> None:
    """503 on every attempt: the resource stays pending, the moderator is asked to approve again later, no
    permission is blamed."""
    queue, resource = await queued(world)
    world.env.inject_error("POST", f"/channels/{world.resources.id}/messages", status=503, times=3)
    result = await world.mod.click(queue.response, label=f"Approve #{resource.id}")
    [told] = result.followups  # the click was acknowledged before the attempts
    assert told.ephemeral and "Please approve it again in a few minutes." in told.content
    assert "missing" not in told.content
    assert_error(world.env, NotAllowed)
    [after] = await stored(world)
    assert (after.status, after.message_id) == ("pending", None)
    assert posted_cards(world) == []
    assert modlog_entries(world, "Resource approved") == []


# Removing and voting: the other requests resources makes ------------------------------------


async def in_library(world: World) -> Resource:
    await review_off(world)
    await share(world)
    [resource] = await stored(world)
    return resource


async def test_a_removal_whose_card_stays_up_says_so_and_names_the_missing_permission(world: World) -> None:
    """Lantern lost View Channel in the library: the member's removal stands, they read that the card is still
    up, and the mod-log names View Channel and links the card to delete by hand."""
    resource = await in_library(world)
    deny_bot(world, world.resources, "view_channel")
    result = await world.alice.slash(world.general, "resource remove", resource=resource.id)
    assert_responded(result, contains="Removed “Being hapa” from the library.", ephemeral=True)
    [note] = result.followups
    assert note.ephemeral and f"Its card in {world.resources.mention} is still up" in note.content
    assert await stored(world) == []
    [entry] = modlog_entries(world, "Library card not taken down")
    assert f"I need View Channel in {world.resources.mention}" in entry.description
    assert f"/{world.resources.id}/{resource.message_id}" in entry.description


async def test_a_moderator_removal_refused_with_permissions_in_place_reports_what_discord_said(
    world: World,
) -> None:
    """A 403 on the delete although View Channel is granted: the mod-log repeats Discord's answer, no
    permission is blamed."""
    resource = await in_library(world)
    world.env.inject_error("DELETE", f"/channels/{world.resources.id}/messages/*", status=403, code=50013)
    result = await world.mod.slash(world.general, "resources remove", resource=resource.id)
    assert "is still up" in result.followups[0].content
    [entry] = modlog_entries(world, "Library card not taken down")
    assert "although my permissions there look right" in entry.description and "I need" not in entry.description
    assert len(posted_cards(world)) == 1
    assert await stored(world) == []


async def test_a_503_on_taking_a_card_down_is_tried_again(world: World) -> None:
    """One 503 on the delete: the card is gone on the next attempt and nobody is told otherwise."""
    resource = await in_library(world)
    world.env.inject_error("DELETE", f"/channels/{world.resources.id}/messages/*", status=503)
    result = await world.alice.slash(world.general, "resource remove", resource=resource.id)
    assert result.followups == []
    assert posted_cards(world) == []
    assert modlog_entries(world, "Library card not taken down") == []


async def test_a_vote_whose_card_update_fails_is_taken_back(world: World) -> None:
    """Discord fails the "Helped me" click's card update: the card shows no change and the member reads that it
    didn't work, so no vote is kept; the next click counts."""
    await in_library(world)
    world.env.inject_error("POST", "/interactions/*/*/callback", status=503)
    failed = await world.alice.click(world.resources.last_message, label="Helped me (0)")
    assert_responded(failed, contains="I couldn't finish that", ephemeral=True)
    assert_error(world.env, discord.HTTPException)
    [resource] = await stored(world)
    assert resource.helped_count == 0 and await votes(world) == 0
    await world.alice.click(world.resources.last_message, label="Helped me (0)")
    [resource] = await stored(world)
    assert resource.helped_count == 1 and await votes(world) == 1


async def test_an_erasure_whose_card_stays_up_is_reported_without_the_member(world: World) -> None:
    """The guild doesn't keep shared resources; erasing a member whose card Discord keeps failing to delete:
    their rows go, the mod-log says a card is still up (with its link, never who), no "already gone" pretence."""
    await world.mod.slash(world.general, "setup options", keep_shared_resources=False)
    resource = await in_library(world)
    world.env.inject_error("DELETE", f"/channels/{world.resources.id}/messages/*", status=503, times=3)
    asked = await world.alice.slash(world.general, "privacy delete")
    await world.alice.click(asked.response, custom_id=f"privacy:delete:{world.alice.id}")
    assert await stored(world) == []
    [entry] = modlog_entries(world, "Library card not taken down")
    assert "Discord answered 503" in entry.description and "I need" not in entry.description
    assert f"/{world.resources.id}/{resource.message_id}" in entry.description
    assert str(world.alice.id) not in entry.description


# Other places that tell moderators about a permission ------------------------------------------


async def test_a_welcome_without_send_messages_names_it_in_the_modlog(world: World) -> None:
    """Lantern can't send in the welcome channel: the mod-log names Send Messages and the channel."""
    deny_bot(world, world.welcome, "send_messages")
    world.add_member("ann")
    await world.env.settle()
    [entry] = modlog_entries(world, "Welcome not posted")
    assert f"I need Send Messages in {world.welcome.mention}" in entry.description


async def test_a_welcome_lost_to_a_503_does_not_claim_a_missing_permission(world: World) -> None:
    """Discord 503s on the welcome: the mod-log repeats what Discord said and names no permission."""
    world.env.inject_error("POST", f"/channels/{world.welcome.id}/messages", status=503)
    world.add_member("ann")
    await world.env.settle()
    [entry] = modlog_entries(world, "Welcome not posted")
    assert "Discord answered 503" in entry.description
    assert "I need" not in entry.description and "send messages" not in entry.description.lower()


async def test_a_pair_thread_without_create_private_threads_names_it(world: World) -> None:
    """Both accept, but Lantern lacks Create Private Threads in the mentorship channel: the mod-log says so."""
    deny_bot(world, world.mentorship, "create_private_threads")
    pairing = await matched(world)
    [entry] = modlog_entries(world, "Mentor pairing: no thread opened")
    assert f"Pairing #{pairing.id} was accepted" in entry.description
    assert f"I need Create Private Threads in {world.mentorship.mention}" in entry.description
    [stored_pairing] = await pairings(world)
    assert stored_pairing.thread_id is None


async def test_a_pair_thread_lost_to_a_503_names_no_permission(world: World) -> None:
    """Discord 503s on the thread: the mod-log says what Discord answered, not that a permission is missing."""
    world.env.inject_error("POST", f"/channels/{world.mentorship.id}/threads", status=503)
    await matched(world)
    [entry] = modlog_entries(world, "Mentor pairing: no thread opened")
    assert "Discord answered 503" in entry.description and "I need" not in entry.description


async def test_an_intro_role_above_lantern_asks_only_for_the_move(world: World) -> None:
    """Lantern has Manage Roles but sits below the chosen role: /setup options asks to move its role, and
    doesn't claim Manage Roles is missing."""
    role = world.guild.create_role("Introduced", position=50)  # above Lantern's role
    owner = MemberActor(world.env, world.guild, world.guild.owner)
    result = await owner.slash(world.general, "setup options", intro_role=role)
    assert_responded(result, contains=f"I can't give {role.mention} yet: move my role above it.", ephemeral=True)
    assert "Manage Roles" not in result.response.content
