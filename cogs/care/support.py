"""Where members find support: the server's own channel or people, and a short list of helplines.

Pure rules (no Discord): parsing and checking the helplines a moderator types, and the words `/support` and
the line under hard-theme prompts show. Lantern ships no phone numbers, which it couldn't keep current: by
default it points to an international directory of helplines, kept up to date by the people who run it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from core.errors import InvalidInput
from core.text import unlink

# Prompts of these themes (keys of config/themes.toml) carry the support line.
HARD_THEMES = frozenset({"support", "coping"})

# Find A Helpline, by ThroughLine: free, confidential helplines checked and kept current for many countries.
DEFAULT_HELPLINES: tuple[tuple[str, str], ...] = (
    ("Find A Helpline (helplines in many countries)", "https://findahelpline.com"),
)

MAX_HELPLINES = 5
LABEL_MAX = 60
URL_MAX = 150
PEOPLE_MAX = 200
HELPLINES_FIELD_MAX = MAX_HELPLINES * (LABEL_MAX + URL_MAX + 3) + MAX_HELPLINES  # the form's paragraph
LINE_MAX = 1024  # an embed field's value

_HOST = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_LABEL_FORBIDDEN = set("[]()<>`*_~|\\") | {"@", "#"}


@dataclass(frozen=True)
class Support:
    """A server's support settings as `/support` reads them."""

    channel_id: int | None = None
    people: str | None = None
    helplines: tuple[tuple[str, str], ...] = DEFAULT_HELPLINES

    @property
    def default_helplines(self) -> bool:
        return self.helplines == DEFAULT_HELPLINES


def load_helplines(stored: str | None) -> tuple[tuple[str, str], ...]:
    """The stored JSON list, or the default directory (NULL, or anything unreadable)."""
    if not stored:
        return DEFAULT_HELPLINES
    try:
        rows = json.loads(stored)
        found = tuple((str(label), str(url)) for label, url in rows)
    except (ValueError, TypeError):
        return DEFAULT_HELPLINES
    return found or DEFAULT_HELPLINES


def dump_helplines(helplines: Sequence[tuple[str, str]]) -> str | None:
    """What is stored: NULL for the default directory, so a later better default reaches the server too."""
    if tuple(helplines) == DEFAULT_HELPLINES or not helplines:
        return None
    return json.dumps([list(pair) for pair in helplines], ensure_ascii=False)


def helplines_text(helplines: Sequence[tuple[str, str]]) -> str:
    """The helplines as the form shows them: one `Label | https://link` a line."""
    return "\n".join(f"{label} | {url}" for label, url in helplines)


def check_url(url: str, line: int) -> str:
    where = f"Line {line}'s link"
    if len(url) > URL_MAX:
        raise InvalidInput(where, f"is {len(url)} characters long; the limit is {URL_MAX}", "Use a shorter link.")
    if any(char.isspace() or char in "<>\"'`" for char in url):
        raise InvalidInput(where, "has a space or a character links can't hold", "Paste the link on its own.")
    parts = urlsplit(url)
    if parts.scheme.lower() != "https":
        raise InvalidInput(where, "must start with https://", "Only secure links are shown to members.")
    host = (parts.hostname or "").lower()
    if parts.username or parts.password or parts.port not in (None, 443) or not _HOST.match(host):
        raise InvalidInput(where, f"doesn't name a website I can check (`{url[:80]}`)", "Paste the helpline's page.")
    return url


def parse_helplines(text: str) -> tuple[tuple[str, str], ...]:
    """`Label | https://link`, one a line, at most MAX_HELPLINES; empty means the default directory."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return DEFAULT_HELPLINES
    if len(lines) > MAX_HELPLINES:
        raise InvalidInput(
            "The helplines", f"have {len(lines)} lines; the limit is {MAX_HELPLINES}", "Keep the ones that matter most."
        )
    found: list[tuple[str, str]] = []
    for number, line in enumerate(lines, 1):
        label, bar, url = line.rpartition("|")
        label, url = " ".join(label.split()), url.strip()
        if not bar or not label or not url:
            raise InvalidInput(
                f"Line {number}",
                "isn't `Label | https://link`",
                "For example: `Samaritans | https://www.samaritans.org`.",
            )
        if len(label) > LABEL_MAX:
            raise InvalidInput(f"Line {number}'s label", f"is {len(label)} characters long; the limit is {LABEL_MAX}")
        bad = sorted(set(label) & _LABEL_FORBIDDEN)
        if bad:
            raise InvalidInput(
                f"Line {number}'s label",
                f"has {' '.join(f'`{char}`' for char in bad)}, which would change how it shows",
                "Use plain words.",
            )
        found.append((label, check_url(url, number)))
    return tuple(found)


def parse_people(text: str | None) -> str | None:
    """Who members can ask (plain words, role or member mentions are fine: Lantern never pings from here)."""
    cleaned = " ".join((text or "").split())
    if not cleaned:
        return None
    if len(cleaned) > PEOPLE_MAX:
        raise InvalidInput("Who to ask", f"is {len(cleaned)} characters long; the limit is {PEOPLE_MAX}")
    return cleaned


def link(label: str, url: str) -> str:
    return f"[{label}](<{url}>)"


def here_line(support: Support) -> str | None:
    """The server's own support: its channel and people, or None."""
    parts = []
    if support.channel_id is not None:
        parts.append(f"<#{support.channel_id}>")
    if support.people:
        parts.append(unlink(support.people))
    return " · ".join(parts) if parts else None


def support_line(support: Support) -> str:
    """The short, kind line under a prompt on a hard theme: the server's own support first, then the
    helplines (whole links only; fits an embed field)."""
    lines = ["If this brings up something heavy, you don't have to hold it alone."]
    here = here_line(support)
    if here:
        lines.append(f"Here: {here}")
    links = [link(label, url) for label, url in support.helplines]
    lines.append("Helplines: " + " · ".join(links))
    text = "\n".join(lines)
    if len(text) <= LINE_MAX:
        return text
    # Too long with every link (five long ones): as many whole links as fit, then where the rest are.
    head = "\n".join(lines[:-1]) + "\nHelplines: "
    rest = " · `/support` lists more"
    kept: list[str] = []
    for item in links:
        if len(head) + len(" · ".join([*kept, item])) + len(rest) > LINE_MAX:
            break
        kept.append(item)
    return head + " · ".join(kept) + rest


def for_prompt(support: Support, theme: str) -> str | None:
    """`support_line` for a prompt of a hard theme; None for other themes."""
    return support_line(support) if theme in HARD_THEMES else None
