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
