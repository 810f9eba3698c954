"""A protection belongs to the person it protects: Ben's block, his "never again" and his past pairings
with Ann outlive Ann's data. Ann erasing it (to escape a block, say), or leaving until the retention
purge runs, and then opting in again never gets her proposed to Ben; and nothing kept names her.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from simcord import MemberActor, assert_error, assert_responded
from sqlalchemy import select

from cogs.mentorship.moderator import UNAVAILABLE
from core.errors import NotAllowed
from core.protection import ProtectionKey, ProtectionKeyError
from storage.models import Base
from storage.models.mentorship import MentorshipProtection
from tests.conftest import World
from tests.features.test_mentorship_support import (
    DAY,
    accept_as_mentor,
    button,
    dms,
    last_dm,
    offer,
    pairings,
    request,
    rows,
)


async def ben_and_ann(world: World) -> tuple[MemberActor, MemberActor]:
    """Ben offers to mentor career and identity; Ann asks for help with career: a good match."""
    ben, ann = world.add_member("ben"), world.add_member("ann")
    await world.env.settle()
    await offer(world, ben, languages="English, Tagalog")
    await request(world, ann, languages="Tagalog")
    return ben, ann


def invitations(member: MemberActor) -> list[Any]:
    """The member's DMs other than a round's private note on why it found them nobody (issue 19)."""
    return [m for m in dms(member) if not m.content.startswith("This round of mentor pairing")]


def assert_explained_without_the_block(member: MemberActor, other: MemberActor) -> None:
    """The unmatched note says they've met everyone available: never a block, never the other's name."""
    (note,) = [m.content for m in dms(member) if m.content.startswith("This round of mentor pairing")]
    assert "you've met everyone currently available" in note
    assert "block" not in note.lower() and other.name not in note.lower()


async def erase(world: World, member: MemberActor) -> None:
    """/privacy delete, then the red button."""
    result = await member.slash(world.general, "privacy delete")
    await member.click(result.response, custom_id=f"privacy:delete:{member.id}")


async def round_sent(world: World) -> str:
    result = await world.mod.slash(world.general, "pairing run")
    return str(result.response.embeds[0].description)


async def export(world: World, member: MemberActor) -> dict[str, Any]:
    result = await member.slash(world.general, "privacy export")
    [attachment] = result.response.attachments
    data = json.loads(await attachment.read())
    return dict(data["features"]["Mentor pairing"])


async def rows_naming(world: World, user_id: int) -> list[str]:
    """Every row of mentor pairing's tables (and departures) holding `user_id` in any column."""
    found = []
    async with world.bot.db.read() as session:
        for table in Base.metadata.sorted_tables:
            if not table.name.startswith("mentor") and table.name != "departures":
                continue
            for row in (await session.execute(select(table))).all():
                if any(value == user_id or (isinstance(value, str) and str(user_id) in value) for value in row):
                    found.append(f"{table.name}: {row}")
    return found


async def test_a_blocked_member_who_erases_and_opts_in_again_is_never_proposed(world: World) -> None:
    """Ben blocks Ann; Ann erases her data and asks for a mentor again: the next round doesn't propose her
    to Ben, and nothing kept in the database names her."""
    ben, ann = await ben_and_ann(world)
    await ben.slash(world.general, "mentor block", member=ann)
    await erase(world, ann)
    assert await rows_naming(world, ann.id) == []

    await request(world, ann, languages="Tagalog")
    assert "0 proposals sent" in await round_sent(world)
    assert dms(ben) == [] and invitations(ann) == []
    assert_explained_without_the_block(ann, ben)


async def test_a_decline_outlives_the_other_members_erasure(world: World) -> None:
    """Ben declines Ann ("I won't suggest this pairing again"); Ann erases and asks again: not proposed."""
    ben, ann = await ben_and_ann(world)
    assert "1 proposal sent" in await round_sent(world)
    invitation = last_dm(ben)
    await ben.user.click(invitation, custom_id=button(invitation, ":decline"))
    assert "won't suggest this pairing again" in last_dm(ben).content
    await erase(world, ann)
    await request(world, ann, languages="Tagalog")
    told = len(dms(ben))
    assert "0 proposals sent" in await round_sent(world)
    assert len(dms(ben)) == told


async def test_an_ended_pairing_outlives_the_other_members_erasure(world: World) -> None:
    """Ben and Ann were paired and Ann ended it; she erases and asks again: never proposed to Ben again."""
    ben, ann = await ben_and_ann(world)
    await round_sent(world)
    await accept_as_mentor(world, ben)
    invitation = last_dm(ann)
    await ann.user.click(invitation, custom_id=button(invitation, ":accept"))
    (pairing,) = await pairings(world)
    await ann.slash(world.general, "mentor end", pairing=pairing.id)
    await erase(world, ann)
    await request(world, ann, languages="Tagalog")
    told = len(dms(ben))
    assert "0 proposals sent" in await round_sent(world)
    assert len(dms(ben)) == told


async def test_a_block_outlives_leaving_and_the_retention_purge(world: World) -> None:
    """Ben blocks Ann; Ann leaves, the purge erases her data after 30 days, she rejoins and asks for a
    mentor: the next round doesn't propose her to Ben."""
    ben, ann = await ben_and_ann(world)
    await ben.slash(world.general, "mentor block", member=ann)
    world.guild.remove_member(ann)
    await world.env.settle()
    await world.env.advance_time(31 * DAY)
    await world.bot.run_due_jobs()
    assert await rows_naming(world, ann.id) == []

    back = world.guild.add_member(ann.user)
    await world.env.settle()
    await request(world, back, languages="Tagalog")
    assert "0 proposals sent" in await round_sent(world)
    assert dms(ben) == []


async def test_a_block_holds_whichever_role_the_erased_member_comes_back_in(world: World) -> None:
    """Ben blocks Ann and erasing doesn't help her: back as a mentor while Ben asks for one, she still
    isn't proposed to him."""
    ben, ann = await ben_and_ann(world)
    await ben.slash(world.general, "mentor block", member=ann)
    await erase(world, ann)
    await offer(world, ann, languages="English, Tagalog")
    await ben.slash(world.general, "mentor leave")
    await request(world, ben, languages="Tagalog")
    assert "0 proposals sent" in await round_sent(world)
    assert dms(ann) == [] and invitations(ben) == []
    assert_explained_without_the_block(ben, ann)


async def test_a_moderator_cannot_pair_someone_with_the_member_who_blocked_them_after_an_erasure(
    world: World,
) -> None:
    """After Ann erased her data, /pairing create mentor:ben mentee:ann is still refused, without a reason."""
    ben, ann = await ben_and_ann(world)
    await ben.slash(world.general, "mentor block", member=ann)
    await erase(world, ann)
    await request(world, ann, languages="Tagalog")
    result = await world.mod.slash(world.general, "pairing create", mentor=ben, mentee=ann)
    assert_responded(result, content=UNAVAILABLE.format(mentor=ben.mention, mentee=ann.mention), ephemeral=True)
    assert_error(world.env, NotAllowed)
    assert dms(ben) == [] and dms(ann) == []


async def test_the_protector_sees_what_is_kept_and_the_erased_member_sees_nothing(world: World) -> None:
    """Ben's export says he blocked a member whose data was erased, naming nobody; Ann, back again, sees
    nothing of Ben's protection. When Ben erases his own data, his protections go too."""
    ben, ann = await ben_and_ann(world)
    await ben.slash(world.general, "mentor block", member=ann)
    await erase(world, ann)
    await request(world, ann, languages="Tagalog")

    bens = await export(world, ben)
    assert bens["blocks_you_made"] == []
    [kept] = bens["kept_after_the_other_member_erased_their_data"]
    assert kept["what"] == "you chose never to be paired with this member"
    assert str(ann.id) not in json.dumps(bens)

    anns = await export(world, ann)
    assert anns["kept_after_the_other_member_erased_their_data"] == []
    assert str(ben.id) not in json.dumps(anns)

    await erase(world, ben)
    assert await rows(world, MentorshipProtection) == []


async def test_a_mentors_decline_is_not_in_the_mentees_export(world: World) -> None:
    """Ben declines an invitation to mentor Ann, who was never asked: her /privacy export shows no
    invitation and never names Ben."""
    ben, ann = await ben_and_ann(world)
    await round_sent(world)
    invitation = last_dm(ben)
    await ben.user.click(invitation, custom_id=button(invitation, ":decline"))
    anns = await export(world, ann)
    assert anns["proposals"] == []
    assert str(ben.id) not in json.dumps(anns)
    bens = await export(world, ben)
    assert [p["your_answer"] for p in bens["proposals"]] == ["declined"]


async def test_a_refusal_because_of_a_block_reads_like_any_other_unavailability(world: World) -> None:
    """/pairing create refused because Ann blocked Ben says exactly what a refusal because a member paused
    says: the moderator can't tell a block exists."""
    ben, ann = await ben_and_ann(world)
    await ann.slash(world.general, "mentor block", member=ben)
    blocked = await world.mod.slash(world.general, "pairing create", mentor=ben, mentee=ann)
    assert_error(world.env, NotAllowed)

    cat = world.add_member("cat")
    await world.env.settle()
    await request(world, cat)
    await cat.slash(world.general, "mentor pause")
    paused = await world.mod.slash(world.general, "pairing create", mentor=ben, mentee=cat)
    assert_error(world.env, NotAllowed)

    assert blocked.response.content == UNAVAILABLE.format(mentor=ben.mention, mentee=ann.mention)
    assert paused.response.content == UNAVAILABLE.format(mentor=ben.mention, mentee=cat.mention)
    assert "block" not in blocked.response.content and "chosen" not in blocked.response.content
    assert dms(ben) == [] and dms(ann) == [] and dms(cat) == []


async def test_lantern_refuses_another_key_while_kept_protections_exist(world: World) -> None:
    """A restore without the key file would silently unprotect people: a different key is refused at start
    once a protection was kept, and accepted while none exists."""
    world.bot.protection = ProtectionKey(secret="a" * 40, key_file=world.bot.protection.key_file)
    await world.bot.check_protection_key()  # nothing hashed yet: the new key is taken
    ben, ann = await ben_and_ann(world)
    await ben.slash(world.general, "mentor block", member=ann)
    await erase(world, ann)
    world.bot.protection = ProtectionKey(secret="b" * 40, key_file=world.bot.protection.key_file)
    with pytest.raises(ProtectionKeyError, match="isn't the one"):
        await world.bot.check_protection_key()
