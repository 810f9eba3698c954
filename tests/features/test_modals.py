"""Every form Lantern shows, as Discord receives it: each field in a Label (type 18), within Discord's limits.

Discord's component reference (developers/components/reference.mdx, "Text Input" and "Label") says text
inputs in modals go inside a Label, whose `label` is at most 45 characters and `description` at most 100;
a text input's own `label` is deprecated and its `placeholder` is at most 100 characters.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from simcord import InteractionResult, assert_responded

from core.text import unlink
from tests.conftest import World
from tests.features.test_intros_helpers import ALICE, stored_intro
from tests.features.test_prompts_members import review, suggest

LABEL = 18
TEXT_INPUT = 4

# (label text, custom_id, required, min_length, max_length) of each field, in order: what each form asked
# for before it moved to Labels, which the move must keep.
FORMS: dict[str, list[tuple[str, str, bool, int | None, int]]] = {
    "intro write": [
        ("Name and pronouns", "name", True, None, 80),
        ("Heritages and cultures", "heritages", True, None, 200),
        ("Languages", "languages", False, None, 200),
        ("Where you are", "location", False, None, 100),
        ("Your story and what you hope to find", "story", True, None, 1000),
    ],
    "prompt suggest": [("Prompt", "text", True, 10, 300), ("Theme", "theme", True, None, 80)],
    "prompts add": [("Prompt", "text", True, 10, 300), ("Theme", "theme", True, None, 80)],
    "reject with reason": [("Reason", "reason", True, None, 300)],
}


# The custom id each form carries: what a freshly started Lantern rebuilds it from (core.ui.FormRouter).
CUSTOM_IDS = {
    "intro write": r"lantern:modal:intro",
    "prompt suggest": r"prompts:modal:suggest",
    "prompts add": r"prompts:modal:add",
    "reject with reason": r"prompts:rejectwhy-modal:\d+",
}


async def open_form(world: World, which: str) -> InteractionResult:
    if which == "reject with reason":
        stored = await suggest(world)
        return await world.mod.click(await review(world), custom_id=f"prompts:rejectwhy:{stored.id}")
    actor = world.mod if which == "prompts add" else world.alice
    return await actor.slash(world.general, which)


def labels(shown: InteractionResult) -> list[dict[str, Any]]:
    assert shown.modal is not None, "no modal was opened"
    return list(shown.modal["components"])


@pytest.mark.parametrize("which", list(FORMS))
async def test_every_form_puts_each_field_in_a_label(world: World, which: str) -> None:
    """Each top-level component is a Label carrying the text and a description; the text input inside it
    keeps its custom_id, required flag and length bounds, and every string is within Discord's limits."""
    shown = await open_form(world, which)
    found = labels(shown)
    assert [label["type"] for label in found] == [LABEL] * len(found)  # no action rows left
    inputs = [label["component"] for label in found]
    assert [field["type"] for field in inputs] == [TEXT_INPUT] * len(inputs)
    assert [
        (label["label"], field["custom_id"], field["required"], field.get("min_length"), field["max_length"])
        for label, field in zip(found, inputs, strict=True)
    ] == FORMS[which]
    for label, field in zip(found, inputs, strict=True):
        assert 1 <= len(label["label"]) <= 45
        assert 1 <= len(label["description"]) <= 100, f"{label['label']} has no useful description"
        assert field.get("label") is None  # the deprecated text-input label is not sent
        assert len(field.get("placeholder") or "") <= 100


async def test_the_edit_form_prefills_inside_the_labels(world: World) -> None:
    """A member editing their intro sees each current answer in the text input under its Label."""
    await world.alice.submit_modal(await open_form(world, "intro write"), ALICE)
    shown = await open_form(world, "intro write")
    assert {label["component"]["custom_id"]: label["component"].get("value") for label in labels(shown)} == ALICE


async def test_the_theme_option_prefills_the_theme_field(world: World) -> None:
    """`/prompts add theme:` fills the Theme field inside its Label."""
    shown = await world.mod.slash(world.general, "prompts add", theme="culture")
    theme = next(label["component"] for label in labels(shown) if label["label"] == "Theme")
    assert theme.get("value") == "culture"


async def test_a_label_form_saves_what_the_member_typed(world: World) -> None:
    """Submitting the Label form stores each answer as typed, with control characters stripped from the
    inputs inside the Labels (LanternModal.interaction_check reaches them)."""
    shown = await open_form(world, "intro write")
    typed = {**ALICE, "story": "I grew up between Cebu and Cork.\x07\x1b[31m And I'd love to meet you."}
    done = await world.alice.submit_modal(shown, typed)
    assert_responded(done, contains="Your introduction is posted", ephemeral=True)
    intro = await stored_intro(world, world.alice)
    assert intro is not None
    assert (intro.name, intro.heritages, intro.languages, intro.location) == (
        ALICE["name"],
        ALICE["heritages"],
        ALICE["languages"],
        ALICE["location"],
    )
    assert intro.story == "I grew up between Cebu and Cork.[31m And I'd love to meet you."
    assert world.intro.last_message.embeds[0].description == unlink(intro.story)  # `[` shown, never a link


@pytest.mark.parametrize("which", list(FORMS))
async def test_every_form_carries_a_stable_custom_id(world: World, which: str) -> None:
    """Each form's custom id names the form and what it acts on (never a random one), within Discord's 100
    characters, so whichever process receives the submission can answer it."""
    shown = await open_form(world, which)
    assert shown.modal is not None
    assert re.fullmatch(CUSTOM_IDS[which], shown.modal["custom_id"]) and len(shown.modal["custom_id"]) <= 100


def test_every_form_is_opened_through_show_form() -> None:
    """Product code opens forms with core.ui.show_form only: a form sent with send_modal directly would be
    kept by discord.py too, and its submission answered twice (once by discord.py, once by the router)."""
    root = Path(__file__).resolve().parents[2]
    callers = [
        str(path.relative_to(root))
        for folder in ("cogs", "core")
        for path in sorted((root / folder).rglob("*.py"))
        if "send_modal(" in path.read_text(encoding="utf-8")
    ]
    assert callers == ["core/ui.py"]
