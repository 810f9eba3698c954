"""The search normaliser: what is stored and what a member types fold the same way, so any text finds itself
and every piece of a Chinese, Japanese or Korean run finds the run; no operator ever reaches the database."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.search_text import MAX_TERMS, SearchTerms, Term, fold, index_text, parse_query, singular, tokens, typed_in


def matches(term: Term, stored: list[str]) -> bool:
    """What FTS5 and tsquery do with a term: a phrase of consecutive tokens, or a token prefix."""
    if term.prefix:
        return any(token.startswith(term.tokens[0]) for token in stored)
    size = len(term.tokens)
    return any(tuple(stored[i : i + size]) == term.tokens for i in range(len(stored) - size + 1))


def finds(query: str, text: str) -> bool:
    stored = tokens(text)
    terms = parse_query(query)
    return bool(terms) and all(matches(term, stored) for term in terms.terms)


@pytest.mark.parametrize(
    ("plural", "word"),
    [
        ("families", "family"),
        ("stories", "story"),
        ("aunties", "aunty"),
        ("auntie", "aunty"),
        ("boxes", "box"),
        ("churches", "church"),
        ("classes", "class"),
        ("asians", "asian"),
        ("filipinos", "filipino"),
        ("parents", "parent"),
    ],
)
def test_an_english_plural_folds_to_its_singular(plural: str, word: str) -> None:
    """Plurals and their singulars are stored and searched as one word."""
    assert singular(plural) == singular(word) == word


@pytest.mark.parametrize("word", ["status", "this", "analysis", "class", "was", "its", "bus", "identity", "mixed"])
def test_words_that_only_look_plural_are_kept(word: str) -> None:
    """-ss, -us, -is endings and short words are not plurals; nothing else is stemmed."""
    assert singular(word) == word


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("families", "Family stories"),
        ("family", "Mixed families"),
        ("gia dinh", "Gia đình là tất cả"),
        ("gia đình", "Gia dinh: traditions"),
        ("cafe", "Café Hapa"),
        ("CAFÉ", "cafe night"),
        ("ＡＢＣ", "abc"),
        ("jose", "José Rizal"),
        ("lodz", "Łódź"),
        ("hawaii", "Hawaiʻi"),
        ("hawaii", "Hawai‘i"),
        ("lolas", "Lola's kitchen"),
        ("家族", "家族の話"),
        ("の話", "家族の話"),
        ("話", "家族の話"),
        ("家", "家族の話"),
        ("日本語", "はじめての日本語"),
        ("한국어", "한국어를 잊어버린 아이들"),
        ("ｶﾀｶﾅ", "カタカナ"),
        ("hapa 家族", "Hapa 家族 stories"),
    ],
)
def test_what_a_member_means_finds_the_title(query: str, title: str) -> None:
    """Case, width, accents, plurals and CJK substrings do not stand between a query and a title."""
    assert finds(query, title)


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("日本語", "日本の料理"),
        ("家族", "家の族長"),
        ("cafeteria", "Café Hapa"),
        ("identity", "identical twins"),
        ("が", "か"),
    ],
)
def test_near_misses_are_not_matches(query: str, title: str) -> None:
    """A longer word, the same characters apart, or a different kana do not match."""
    assert not finds(query, title)


def test_a_cjk_run_is_stored_as_character_pairs_and_its_last_character() -> None:
    """`家族の話` → `家族 族の の話 話`; words around it are folded words."""
    assert index_text("Hapa 家族の話!") == "hapa 家族 族の の話 話"
    assert index_text("茶") == "茶"


def test_query_syntax_is_never_interpreted() -> None:
    """Quotes, colons, stars and NEAR( typed by a member become words, quoted."""
    terms = parse_query('hapa" OR scope:* NEAR( -x')
    assert terms.words == ("hapa", "or", "scope", "near", "x")
    assert (
        terms.fts5(7) == 'scope : "g7" AND {title description tags} : ("hapa" AND "or" AND "scope" AND "near" AND "x")'
    )
    assert terms.tsquery() == "'hapa' & 'or' & 'scope' & 'near' & 'x'"


def test_a_query_has_at_most_max_terms() -> None:
    """Long queries keep their first MAX_TERMS distinct terms."""
    assert len(parse_query(" ".join(f"w{i}" for i in range(30))).terms) == MAX_TERMS
    assert parse_query("Family families FAMILY").words == ("family",)


def test_nothing_to_search_is_empty() -> None:
    """Punctuation alone has no terms."""
    assert not parse_query("?! … —")
    assert parse_query("?!") == SearchTerms(())


# Properties ---------------------------------------------------------------------------------------

CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x4FFF) | st.sampled_from(
    list("のをはがカタナ한국어를가족々ー")
)
LATIN = st.sampled_from(list("abcdefghijklmnopqrstuvwxyzÀÉÎÕÜàéîõüđĐøłßçñăâêôơưạảấầẩẫậ"))
TEXT = st.text(
    alphabet=st.one_of(CJK, LATIN, st.sampled_from(list(" ,.-'’!?\"*:()_")), st.characters(categories=("L", "N"))),
    max_size=60,
)


@given(TEXT)
def test_any_text_finds_itself(text: str) -> None:
    """Whatever a resource's title is, searching for that title finds it (on both backends: same tokens)."""
    terms = parse_query(text)
    stored = tokens(text)
    assert all(matches(term, stored) for term in terms.terms)


@given(st.text(alphabet=CJK, min_size=1, max_size=12), st.data())
def test_every_piece_of_a_cjk_run_finds_the_run(run: str, data: st.DataObject) -> None:
    """Any substring of an unspaced Chinese/Japanese/Korean run finds a title containing the run."""
    start = data.draw(st.integers(0, len(run) - 1))
    end = data.draw(st.integers(start + 1, len(run)))
    assert finds(run[start:end], f"Hapa {run}!")


@given(TEXT)
def test_stored_terms_carry_no_quotes_or_operators(text: str) -> None:
    """Every token is letters and digits only, so a quoted FTS5 phrase or tsquery lexeme stays one word."""
    for token in tokens(text):
        assert token and not re.search(r"[\s\"'*:()&|!<>-]", token)
    terms = parse_query(text)
    assert terms.fts5(1).count('"') % 2 == 0


@given(st.text(alphabet=st.sampled_from(list("aeioucnyd")), min_size=1, max_size=10), st.data())
def test_latin_accents_never_matter(word: str, data: st.DataObject) -> None:
    """A Latin word with any combining marks folds to the word without them."""
    marks = [chr(c) for c in (0x300, 0x301, 0x302, 0x303, 0x308, 0x309, 0x323, 0x327, 0x31B)]
    marked = "".join(char + data.draw(st.sampled_from(["", *marks])) for char in word)
    assert fold(unicodedata.normalize("NFC", marked)) == word


@given(TEXT)
def test_folding_is_stable(text: str) -> None:
    """Folding folded text changes nothing (what is stored can be searched for as it is)."""
    assert fold(fold(text)) == fold(text)


@pytest.mark.parametrize(
    ("typed", "texts", "found"),
    [
        ("tet nguyen", ("tet", "Tết Nguyên Đán (Vietnamese New Year)"), True),
        ("TẾT", ("Mid-Autumn Festival · Tết Trung Thu",), True),
        ("hang", ("#3 with Hằng",), True),
        ("  ＳＥＯＬ ", ("Seollal (Korean New Year)",), True),
        ("lolas", ("Lola's kitchen",), True),
        ("家族", ("家族の話",), True),
        ("", ("anything",), True),
        ("tet trung thu", ("Tết Nguyên Đán",), False),
        ("x", (), False),
    ],
)
def test_typed_in_ignores_case_width_and_accents(typed: str, texts: tuple[str, ...], found: bool) -> None:
    assert typed_in(typed, *texts) is found


@given(st.text(max_size=20), st.text(max_size=20), st.text(max_size=20))
def test_typed_in_finds_a_whole_word_typed_anyhow(before: str, word: str, after: str) -> None:
    """A word typed in another case or width, or without its accents, is found between spaces in any text."""
    text = f"{before} {word} {after}"
    assert (
        typed_in(word.upper(), text)
        and typed_in(fold(word), text)
        and typed_in(unicodedata.normalize("NFKC", word), text)
    )
