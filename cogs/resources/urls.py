"""Validating and canonicalising shared links. Pure: no discord import.

`canonical_url(text)` returns the form two spellings of the same page share, so the library can
refuse a duplicate: lower-case scheme and host, no default port, no fragment, no tracking
parameters, remaining query parameters sorted, no trailing slash (except the root), `.`/`..`
segments resolved and percent-escapes in one spelling. It raises `UrlRejected` (with a sentence
for the member) for anything that is not a plain http(s) link to a named host.

`uri_form(url)` is the link as the member typed it, written as an RFC 3986 URI: a host in another script as
punycode, everything else outside a URI's characters as UTF-8 percent-escapes. Discord's schema takes only URIs in
an embed's link, so a card for `https://例え.jp/家族の話` as typed would be refused.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

MAX_URL_LENGTH = 2000
SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}

# Parameters that identify a campaign or a click, never the page.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "ref",
        "ref_src",
        "ref_url",
        "spm",
        "si",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "hsa_")

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# Characters allowed unescaped in a path (RFC 3986 pchar and "/"), plus "%" for existing escapes.
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_QUERY_SAFE = _PATH_SAFE + "?"  # a query or fragment may also hold "?"
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


class UrlRejected(ValueError):
    """The text is not a link Lantern accepts; `reason` is a sentence for the member."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def is_tracking_param(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def _normalise_escapes(text: str) -> str:
    """Decode escapes of unreserved characters, upper-case the rest, escape what must be escaped."""

    def fix(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else "%" + match.group(1).upper()

    return _escaped(_ESCAPE.sub(fix, text), _PATH_SAFE)  # a "%" that starts no escape is itself escaped


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4, on a path that starts with '/'."""
    output: list[str] = []
    segments = path.split("/")[1:]
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
        elif segment == "..":
            if output:
                output.pop()
            if last:
                output.append("")
        else:
            output.append(segment)
    return "/" + "/".join(output)


def _host(hostname: str) -> str:
    host = hostname.rstrip(".").lower()
    if not host:
        raise UrlRejected("has no website name after `//`")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return f"[{address.compressed}]" if address.version == 6 else address.compressed
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise UrlRejected(f"has a website name I can't read (`{hostname[:60]}`)") from None
    labels = host.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels) or len(host) > 253:
        raise UrlRejected(f"has a website name I can't read (`{hostname[:60]}`)")
    return host


def _port(scheme: str, netloc: str, port: int | None) -> str:
    if port is None or port == DEFAULT_PORTS[scheme]:
        return ""
    return f":{port}"


def _query(query: str) -> str:
    pairs = [
        (name, value)
        for name, value in parse_qsl(query, keep_blank_values=True)
        if name and not is_tracking_param(name)
    ]
    pairs.sort()
    return urlencode(pairs, quote_via=quote, safe="-._~")


def canonical_url(text: str) -> str:
    """The canonical form of an http(s) link, or UrlRejected with the reason."""
    raw = (text or "").strip()
    if not raw:
        raise UrlRejected("is empty")
    if len(raw) > MAX_URL_LENGTH:
        raise UrlRejected(f"is {len(raw)} characters long; the limit is {MAX_URL_LENGTH}")
    if any(char.isspace() or ord(char) < 32 or ord(char) == 127 for char in raw):
        raise UrlRejected("contains spaces or invisible characters")
    scheme_match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*):", raw)
    if scheme_match is None:
        raise UrlRejected("doesn't start with `https://` or `http://`")
    scheme = scheme_match.group(1).lower()
    if scheme not in SCHEMES:
        raise UrlRejected(f"is a `{scheme}:` link; I only accept `https://` and `http://` links")
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        raise UrlRejected("isn't a link I can read") from None
    if not raw[len(scheme) + 1 :].startswith("//") or not parts.netloc:
        raise UrlRejected("doesn't have a website after `://`")
    if parts.username is not None or parts.password is not None:
        raise UrlRejected("contains a user name or password; share the link without them")
    host = _host(parts.hostname or "")
    path = _remove_dot_segments(_normalise_escapes(parts.path or "/"))
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    canonical = urlunsplit((scheme, host + _port(scheme, parts.netloc, port), path, _query(parts.query), ""))
    if len(canonical) > MAX_URL_LENGTH:
        raise UrlRejected(f"is {len(canonical)} characters long; the limit is {MAX_URL_LENGTH}")
    return canonical


def _escaped(text: str, safe: str) -> str:
    """`text` with every character outside `safe` (and a `%` that starts no escape) percent-escaped."""
    return quote(_LONE_PERCENT.sub("%25", text), safe=safe)


def uri_form(url: str) -> str:
    """`url` (a link `canonical_url` accepts) as an RFC 3986 URI, otherwise as typed: scheme in lower case, the host
    in punycode when it is in another script, and in the path, query and fragment every character a URI cannot hold
    as the percent-escapes of its UTF-8 bytes (a `%` that starts no escape too). A URI comes back unchanged, so
    writing a link twice changes nothing."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if not netloc.isascii():
        port = f":{parts.port}" if parts.port is not None else ""
        netloc = _host(parts.hostname or "") + port
    return urlunsplit(
        (
            parts.scheme.lower(),
            netloc,
            _escaped(parts.path, _PATH_SAFE),
            _escaped(parts.query, _QUERY_SAFE),
            _escaped(parts.fragment, _QUERY_SAFE),
        )
    )


def stored_uri(url: str) -> str:
    """A stored link as a URI, to show or send: links are stored that way since 2026-12-03 (`uri_form` returns them
    unchanged), and a row stored earlier may hold letters of other scripts, brackets or other characters as typed.
    Never raises: what `uri_form` cannot read has everything but a URI's characters escaped. Holds no square
    bracket, so it cannot become a masked link in Lantern's name."""
    try:
        return uri_form(url)
    except (UrlRejected, ValueError):
        return _escaped(url, _QUERY_SAFE)


def short_link(url: str, limit: int = 60) -> str:
    """A readable stand-in for a link too long to show: host and path without the scheme, cut with "…".

    Without `https://` no client turns the cut text into a (wrong) link.
    """
    try:
        parts = urlsplit(url)
    except ValueError:  # only links canonical_url accepted are stored, and it reads them the same way
        parts = None
    if parts is None or not parts.netloc:
        shown = url.split("//", 1)[-1]
    else:
        shown = parts.netloc + parts.path.rstrip("/") + (f"?{parts.query}" if parts.query else "")
    return shown if len(shown) <= limit else shown[: max(limit - 1, 0)] + "…"
