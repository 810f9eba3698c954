"""The tag normaliser: spellings that mean the same thing become one tag; the rules hold for any text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cogs.intros.tags import (
    LANGUAGE,
    MAX_ENTRIES,
    MAX_TAG_LENGTH,
    normalise_tag,
    normalise_tags,
    spelling_tables,
    split_entries,
    tag_label,
)

KINDS = st.sampled_from([None, LANGUAGE])
# Entries without separators: letters (any script), digits, spaces, some punctuation.
ENTRY = st.text(
    alphabet=st.characters(
        categories=("Lu", "Ll", "Lo", "Nd", "Zs", "Mn"),
        exclude_characters=",/&;+|\n、，／＆·•",
    ),
    min_size=1,
    max_size=30,
).filter(lambda text: len(split_entries(text)) == 1 and split_entries(text)[0] == text.strip(" .\t"))
SEPARATOR = st.sampled_from([", ", ",", " / ", "/", " & ", "&", " and ", " AND ", "; ", "\n", " + "])


@pytest.mark.parametrize(
    ("spellings", "kind", "tag"),
    [
        (["Pilipino", "Filipina", "Filipino", "pinay", "PINOY"], None, "filipino"),
        (["Mandarin Chinese", "Mandarin", "mandarin", "Chinese (Mandarin)", "Putonghua"], LANGUAGE, "mandarin"),
        (["Viet", "Vietnamese", "Tiếng Việt", "vietnamese "], LANGUAGE, "vietnamese"),
        (["Viet", "Vietnamese", "Vietnam"], None, "vietnamese"),
        (["Tagalog", "Filipino", "Filipino language", "Pilipino", "Wikang Filipino"], LANGUAGE, "tagalog"),
        (["Taiwanese", "Hokkien", "Minnan", "Taiwanese Hokkien"], LANGUAGE, "hokkien"),
        (["half Japanese", "Japanese (mom's side)", "50% Japanese", "japan", "JAPANESE"], None, "japanese"),
        (["Hawaiʻi", "Native Hawaiian", "hawaiian"], None, "hawaiian"),
        (["Sri Lankan", "sri-lankan", "Sri  Lanka"], None, "sri lankan"),
        (["Cantonese", "Yue", "廣東話"], LANGUAGE, "cantonese"),
    ],
)
def test_common_spellings_become_one_tag(spellings: list[str], kind: str | None, tag: str) -> None:
    """Case, spacing, accents, qualifiers and common spellings all fold to one canonical tag."""
    assert {normalise_tag(spelling, kind) for spelling in spellings} == {tag}


def test_heritage_and_language_readings_differ_where_they_should() -> None:
    """'Filipino' is a heritage in a heritage field and Tagalog in a language field."""
    assert normalise_tag("Filipino") == "filipino"
    assert normalise_tag("Filipino", LANGUAGE) == "tagalog"
    assert normalise_tag("Taiwanese") == "taiwanese"


def test_separators_split_a_field_and_words_are_kept_for_display() -> None:
    """Commas, slashes, '&' and 'and' separate entries; the member's own words are kept."""
    text = "Japanese, Irish & Filipina and Chinese/Korean"
    assert split_entries(text) == ["Japanese", "Irish", "Filipina", "Chinese", "Korean"]
    assert normalise_tags(text) == {"japanese", "irish", "filipino", "chinese", "korean"}


def test_nothing_left_is_no_tag() -> None:
    """Punctuation, numbers and blank entries give no tag."""
    assert normalise_tag("  ?! ") is None
    assert normalise_tag("1") is None
    assert normalise_tags(" , / & ") == frozenset()


def test_every_canonical_tag_is_its_own_tag() -> None:
    """The spelling table is consistent: each canonical tag normalises to itself in its kind."""
    common, language = spelling_tables()
    for tag in set(common.values()):
        assert normalise_tag(tag) == tag
    for tag in set(language.values()):
        assert normalise_tag(tag, LANGUAGE) == tag


def test_labels_are_title_case() -> None:
    assert tag_label("sri lankan") == "Sri Lankan"


@given(st.text(max_size=200), KINDS)
@settings(max_examples=300)
def test_normalising_is_idempotent(text: str, kind: str | None) -> None:
    """A tag normalises to itself."""
    tag = normalise_tag(text, kind)
    if tag is not None:
        assert normalise_tag(tag, kind) == tag
    tags = normalise_tags(text, kind)
    assert normalise_tags(", ".join(sorted(tags)), kind) == tags


@given(st.lists(ENTRY, min_size=1, max_size=MAX_ENTRIES), st.randoms(use_true_random=False), KINDS)
def test_order_of_entries_does_not_matter(entries: list[str], random: object, kind: str | None) -> None:
    """The same entries in any order give the same tags."""
    shuffled = list(entries)
    random.shuffle(shuffled)  # type: ignore[attr-defined]
    assert normalise_tags(", ".join(entries), kind) == normalise_tags(", ".join(shuffled), kind)


@given(st.lists(ENTRY, min_size=1, max_size=MAX_ENTRIES), SEPARATOR, KINDS)
def test_any_separator_gives_the_tags_of_each_entry(entries: list[str], separator: str, kind: str | None) -> None:
    """Entries joined by any separator give exactly the tags of the entries one by one."""
    expected = {normalise_tag(entry, kind) for entry in entries} - {None}
    assert normalise_tags(separator.join(entries), kind) == expected


@given(st.text(max_size=2000), KINDS)
def test_output_is_bounded(text: str, kind: str | None) -> None:
    """Never more than MAX_ENTRIES tags, none longer than MAX_TAG_LENGTH, none blank."""
    tags = normalise_tags(text, kind)
    assert len(tags) <= MAX_ENTRIES
    assert all(0 < len(tag) <= MAX_TAG_LENGTH and tag == tag.strip() for tag in tags)


def test_a_separator_word_joined_by_underscores_is_still_a_separator() -> None:
    """Found by test_normalising_is_idempotent: '_AND' used to become the tag 'and'."""
    assert normalise_tags("_AND") == frozenset()
    assert normalise_tags("Filipino_and_Japanese") == normalise_tags("Filipino and Japanese")
