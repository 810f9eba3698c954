"""URL canonicalisation for the resource library: examples and properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cogs.resources.urls import MAX_URL_LENGTH, UrlRejected, canonical_url, short_link, stored_uri, uri_form
from tests.contract.schema import is_uri


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("HTTPS://Example.COM/Article", "https://example.com/Article"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("https://example.com/a/#section-2", "https://example.com/a"),
        ("https://example.com/a?utm_source=x&utm_medium=y&fbclid=z&gclid=1&ref=hn", "https://example.com/a"),
        ("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com/a/./b/../c/", "https://example.com/a/c"),
        ("https://example.com/%7euser", "https://example.com/~user"),
        ("https://www.example.com./x", "https://www.example.com/x"),
        ("  https://example.com/x  ", "https://example.com/x"),
        ("https://bücher.example/", "https://xn--bcher-kva.example/"),
    ],
)
def test_equivalent_spellings_have_one_canonical_form(spelling: str, canonical: str) -> None:
    """Scheme/host case, default ports, fragments, tracking parameters, order and trailing slashes don't matter."""
    assert canonical_url(spelling) == canonical


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("javascript:alert(1)", "`javascript:` link"),
        ("JavaScript:alert(document.cookie)", "`javascript:` link"),
        ("file:///etc/passwd", "`file:` link"),
        ("data:text/html;base64,PHNjcmlwdD4=", "`data:` link"),
        ("ftp://example.com/file", "`ftp:` link"),
        ("example.com/article", "doesn't start with"),
        ("https://", "doesn't have a website"),
        ("https:example.com", "doesn't have a website"),
        ("http://localhost/", "website name I can't read"),
        ("https://exa mple.com/", "spaces"),
        ("https://user:secret@example.com/", "user name or password"),
        ("https://example.com:99999/", "isn't a link I can read"),
        ("https://-bad-.com/", "website name I can't read"),
        ("", "is empty"),
        ("https://example.com/" + "a" * MAX_URL_LENGTH, "the limit is 2000"),
    ],
)
def test_bad_links_are_rejected_with_a_reason(text: str, reason: str) -> None:
    """Other schemes and malformed input are refused, and the reason says why."""
    with pytest.raises(UrlRejected) as caught:
        canonical_url(text)
    assert reason in caught.value.reason


# Properties -------------------------------------------------------------------------------

_label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
_host = st.builds(lambda labels, tld: ".".join([*labels, tld]), st.lists(_label, min_size=1, max_size=3), _label)
_segment = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_~", min_size=1, max_size=12)
_path = st.lists(_segment, min_size=0, max_size=4).map(lambda parts: "/" + "/".join(parts))
_param = st.tuples(st.from_regex(r"[a-z][a-z0-9]{0,6}", fullmatch=True), st.text("abcxyz019", max_size=5))
_params = st.lists(_param, max_size=4, unique_by=lambda pair: pair[0])


def _base(scheme: str, host: str, path: str, params: list[tuple[str, str]]) -> str:
    query = "&".join(f"{name}={value}" for name, value in params)
    return f"{scheme}://{host}{path}" + (f"?{query}" if query else "")


def _wild_case(text: str, data: st.DataObject) -> str:
    flips = data.draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(char.upper() if flip else char for char, flip in zip(text, flips, strict=True))


@given(st.sampled_from(["http", "https"]), _host, _path, _params)
def test_canonicalising_twice_changes_nothing(scheme: str, host: str, path: str, params: list) -> None:
    """canonical_url is idempotent."""
    once = canonical_url(_base(scheme, host, path, params))
    assert canonical_url(once) == once


@given(st.text(max_size=80))
def test_arbitrary_text_is_either_rejected_or_stable(text: str) -> None:
    """Whatever a member types, the result is a refusal or a stable http(s) link."""
    try:
        once = canonical_url(text)
    except UrlRejected:
        return
    assert once.startswith(("http://", "https://"))
    assert canonical_url(once) == once


@given(st.sampled_from(["http", "https"]), _host, _path, _params, st.data())
def test_equivalent_spellings_collide(scheme: str, host: str, path: str, params: list, data: st.DataObject) -> None:
    """Case, default port, fragment, tracking parameters, order and a trailing slash don't change the form."""
    plain = canonical_url(_base(scheme, host, path, params))
    port = data.draw(st.sampled_from(["", ":80" if scheme == "http" else ":443"]))
    shuffled = data.draw(st.permutations(params))
    tracking = data.draw(st.lists(st.sampled_from(["utm_source=x", "utm_campaign=y", "fbclid=1", "gclid=2"])))
    query = "&".join([*(f"{n}={v}" for n, v in shuffled), *tracking])
    slash = data.draw(st.sampled_from(["", "/"])) if path != "/" else ""
    fragment = data.draw(st.sampled_from(["", "#top", "#"]))
    spelled = (
        f"{_wild_case(scheme, data)}://{_wild_case(host, data)}{port}{path}{slash}"
        + (f"?{query}" if query else "")
        + fragment
    )
    assert canonical_url(spelled) == plain


@given(st.sampled_from(["http", "https"]), _host, _path, _path)
def test_different_paths_do_not_collide(scheme: str, host: str, first: str, second: str) -> None:
    """Two different pages on one site keep different canonical forms."""
    if first.rstrip("/") == second.rstrip("/"):
        return
    assert canonical_url(f"{scheme}://{host}{first}") != canonical_url(f"{scheme}://{host}{second}")


@given(st.sampled_from(["javascript", "file", "data", "vbscript", "ftp", "mailto"]), st.text(max_size=40))
def test_other_schemes_are_always_rejected(scheme: str, rest: str) -> None:
    """No scheme but http and https gets through, however the rest is spelled."""
    with pytest.raises(UrlRejected):
        canonical_url(f"{scheme}:{rest}")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://example.org/essays/being-hapa/", "example.org/essays/being-hapa"),
        ("https://example.org/", "example.org"),
        ("http://example.org:8080/a?b=1", "example.org:8080/a?b=1"),
        ("https://example.org/" + "a" * 100, "example.org/" + "a" * 47 + "…"),
    ],
)
def test_short_link_keeps_host_and_path_start_without_the_scheme(url: str, shown: str) -> None:
    """A long link's stand-in is readable, at most 60 characters, and not itself a (wrong) link."""
    assert short_link(url) == shown
    assert len(short_link(url)) <= 60


# Links as URIs (what Discord takes in an embed's link) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "uri"),
    [
        ("https://例え.jp/家族の話", "https://xn--r8jz45g.jp/%E5%AE%B6%E6%97%8F%E3%81%AE%E8%A9%B1"),
        ("HTTPS://bücher.example:8443/a?q=phở#mục", "https://xn--bcher-kva.example:8443/a?q=ph%E1%BB%9F#m%E1%BB%A5c"),
        ("https://example.org/100%/a%2Fb", "https://example.org/100%25/a%2Fb"),
        ("https://example.org/a|b{c}^d", "https://example.org/a%7Cb%7Bc%7D%5Ed"),
        ("https://example.org/being-hapa?utm_source=x#intro", "https://example.org/being-hapa?utm_source=x#intro"),
    ],
)
def test_a_link_is_written_as_a_uri_otherwise_as_typed(typed: str, uri: str) -> None:
    """Other scripts become punycode and escapes; a URI already (tracking parameters, fragment) is left as it is."""
    assert uri_form(typed) == uri
    assert is_uri(uri)


_letters = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp")), max_size=12)


@given(st.sampled_from(["http", "https"]), _host, st.lists(_letters, max_size=3), _letters, _letters)
def test_any_accepted_link_becomes_a_stable_uri_of_the_same_page(
    scheme: str, host: str, segments: list[str], query: str, fragment: str
) -> None:
    """Whatever letters a member's link holds: once canonical_url accepts it, its URI form is a URI, writing it again
    changes nothing, and it is the same page (the same canonical form)."""
    typed = (
        f"{scheme}://{host}/"
        + "/".join(segments)
        + (f"?{query}" if query else "")
        + (f"#{fragment}" if fragment else "")
    )
    try:
        canonical = canonical_url(typed)
    except UrlRejected:
        return
    uri = uri_form(typed)
    assert is_uri(uri)
    assert uri_form(uri) == uri
    assert canonical_url(uri) == canonical


@given(st.text(max_size=80))
def test_a_stored_link_is_shown_without_brackets_or_spaces_whatever_it_holds(text: str) -> None:
    """Rows stored before links were written as URIs may hold anything canonical_url let through (and a hand-edited
    database anything at all): what is shown never raises, is ASCII and holds no square bracket or space, so it
    cannot become a masked link."""
    shown = stored_uri(text)
    assert not any(char in shown for char in '[] <>"') and shown.isascii()


def test_a_hostile_link_stored_as_typed_is_shown_as_a_uri() -> None:
    """`…/x)[Verify](https://evil…)` as an older row holds it: shown with its brackets escaped."""
    shown = stored_uri("https://example.org/x)[Verify](https://evil.example/login")
    assert shown == "https://example.org/x)%5BVerify%5D(https://evil.example/login"
