"""Discord's documented limits on a message, checked on what a member sees (no tests here).

tests/contract checks every HTTP body the bot sends; this checks one message in a test's own words, so a
test can say "and it fits" next to what it asserts the member reads.
"""

from __future__ import annotations

from typing import Any

import discord

CONTENT = 2000
EMBEDS = 10
EMBEDS_TOTAL = 6000
FIELDS = 25
ROWS = 5
BUTTONS_PER_ROW = 5
SELECT_OPTIONS = 25
CUSTOM_ID = 100
BUTTON_LABEL = 80
TEXT_LIMITS = {"title": 256, "description": 4096, "footer": 2048, "author": 256, "field name": 256, "field value": 1024}


def _embed_texts(embed: discord.Embed | dict[str, Any]) -> list[tuple[str, str | None]]:
    data = embed.to_dict() if isinstance(embed, discord.Embed) else embed
    texts: list[tuple[str, str | None]] = [
        ("title", data.get("title")),
        ("description", data.get("description")),
        ("footer", (data.get("footer") or {}).get("text")),
        ("author", (data.get("author") or {}).get("name")),
    ]
    fields = data.get("fields") or []
    assert len(fields) <= FIELDS, f"{len(fields)} fields in one embed; Discord allows {FIELDS}"
    for field in fields:
        name, value = field.get("name"), field.get("value")
        assert name and name.strip(), f"a field with an empty name (value {value!r:.60})"
        assert value and value.strip(), f"field {name!r} has an empty value"
        texts += [("field name", name), ("field value", value)]
    return texts


def _components(message: Any) -> list[dict[str, Any]]:
    rows = getattr(message, "components", None) or []
    return [row if isinstance(row, dict) else row.to_dict() for row in rows]


def assert_within_discord_limits(message: Any) -> None:
    """`message` (a SimCord result, response or channel message) is one Discord would accept from a bot."""
    message = getattr(message, "response", message)
    message = getattr(message, "message", None) or message
    content = getattr(message, "content", None) or ""
    assert len(content) <= CONTENT, f"content is {len(content)} characters; Discord allows {CONTENT}"
    embeds = list(getattr(message, "embeds", None) or [])
    assert len(embeds) <= EMBEDS, f"{len(embeds)} embeds; Discord allows {EMBEDS}"
    total = 0
    for embed in embeds:
        for kind, text in _embed_texts(embed):
            if text is None:
                continue
            limit = TEXT_LIMITS[kind]
            assert len(text) <= limit, f"embed {kind} is {len(text)} characters; Discord allows {limit}"
            total += len(text)
    assert total <= EMBEDS_TOTAL, f"the embeds hold {total} characters together; Discord allows {EMBEDS_TOTAL}"
    rows = _components(message)
    assert len(rows) <= ROWS, f"{len(rows)} action rows; Discord allows {ROWS}"
    for row in rows:
        children = row.get("components") or []
        buttons = [child for child in children if child.get("type") == 2]
        assert len(buttons) <= BUTTONS_PER_ROW, f"{len(buttons)} buttons in a row; Discord allows {BUTTONS_PER_ROW}"
        for child in children:
            custom_id = child.get("custom_id") or ""
            assert len(custom_id) <= CUSTOM_ID, f"custom id {custom_id!r} is longer than {CUSTOM_ID}"
            assert len(child.get("label") or "") <= BUTTON_LABEL, f"label {child.get('label')!r} is too long"
            options = child.get("options") or []
            assert len(options) <= SELECT_OPTIONS, f"a select with {len(options)} options; Discord allows 25"
