"""Discord's documented limits on one message, asserted in a test's own words (no tests here).

tests/contract checks every HTTP body the bot sends; this checks one message a member sees with the same
rules (tests/contract/rules.py), so a test can say "and it fits" next to what it asserts the member reads.
"""

from __future__ import annotations

from typing import Any

import discord

from tests.contract.rules import check_message


def _as_dict(item: Any) -> dict[str, Any]:
    return item if isinstance(item, dict) else item.to_dict()


def assert_within_discord_limits(message: Any) -> None:
    """`message` (a SimCord result, response or channel message) is one Discord would accept from a bot."""
    message = getattr(message, "response", message)
    message = getattr(message, "message", None) or message
    embeds: list[discord.Embed | dict[str, Any]] = list(getattr(message, "embeds", None) or [])
    body = {
        "content": getattr(message, "content", None) or "",
        "embeds": [_as_dict(embed) for embed in embeds],
        "components": [_as_dict(row) for row in getattr(message, "components", None) or []],
    }
    problems = check_message(body, "the message", allowed_flags=~0, edit=True)
    assert not problems, "Discord would refuse it:\n  " + "\n  ".join(problems)
