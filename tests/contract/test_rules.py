"""Each Discord rule the contract checks can fail: a valid payload passes, and breaking one rule is caught.

Every case starts from a body Discord accepts, breaks exactly one documented rule, and expects the checks
(the published schema and the documented rules together) to name it.
"""

from __future__ import annotations

import copy
import io
from collections.abc import Callable
from typing import Any

import discord
import pytest

from tests.contract.rules import check_request
from tests.contract.schema import schema_errors

Body = Any
Mutation = Callable[[Body], None]

CHANNEL = ("POST", "/channels/1/messages")
EDIT = ("PATCH", "/channels/1/messages/2")
CALLBACK = ("POST", "/interactions/1/token/callback")
FOLLOWUP = ("POST", "/webhooks/1/token")
COMMANDS = ("PUT", "/applications/1/commands")
GUILD_COMMANDS = ("PUT", "/applications/1/guilds/2/commands")
THREAD = ("POST", "/channels/1/messages/2/threads")


def violations(route: tuple[str, str], body: Body, **kwargs: Any) -> list[str]:
    method, path = route
    return schema_errors(method, path, body) + check_request(method, path, body, **kwargs)


def button(custom_id: str, label: str = "Go") -> dict[str, Any]:
    return {"type": 2, "style": 1, "label": label, "custom_id": custom_id}


def message() -> dict[str, Any]:
    return {
        "content": "Hello",
        "embeds": [
            {
                "title": "A resource",
                "description": "Worth reading.",
                "fields": [{"name": "Themes", "value": "identity", "inline": True}],
                "footer": {"text": "Shared by ann"},
                "author": {"name": "Lantern"},
            }
        ],
        "components": [
            {"type": 1, "components": [button("a"), button("b")]},
            {
                "type": 1,
                "components": [
                    {
                        "type": 3,
                        "custom_id": "pick",
                        "placeholder": "Choose",
                        "min_values": 1,
                        "max_values": 2,
                        "options": [{"label": "One", "value": "1"}, {"label": "Two", "value": "2"}],
                    }
                ],
            },
        ],
        "allowed_mentions": {"parse": [], "users": [5]},
    }


def option(name: str, kind: int = 3, required: bool = False, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "name": name, "description": f"The {name}", "required": required, **extra}


def commands() -> list[dict[str, Any]]:
    return [
        {
            "type": 1,
            "name": "resource",
            "description": "Share and find resources",
            "options": [
                {
                    "type": 1,
                    "name": "remove",
                    "description": "Remove one",
                    "options": [option("resource", 4, True, min_value=1, max_value=2**53 - 1), option("why")],
                },
                {
                    "type": 1,
                    "name": "search",
                    "description": "Search",
                    "options": [
                        option("query", 3, True, min_length=1, max_length=200, autocomplete=True),
                        option("theme", 3, choices=[{"name": "Identity", "value": "identity"}]),
                    ],
                },
            ],
        },
        {"type": 2, "name": "View intro", "description": ""},
    ]


def modal() -> dict[str, Any]:
    text = {"type": 4, "custom_id": "story", "style": 2, "placeholder": "A few lines", "max_length": 1000}
    return {
        "type": 9,
        "data": {
            "custom_id": "intro",
            "title": "Introduce yourself",
            "components": [
                {"type": 18, "label": "Your story", "description": "Shown on your card", "component": text},
                {"type": 1, "components": [{"type": 4, "custom_id": "where", "style": 1, "label": "Where"}]},
            ],
        },
    }


def big(n: int) -> str:
    return "x" * n


def row(*components: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(components)}


MESSAGE_CASES: dict[str, tuple[Mutation, str]] = {
    "content over 2,000": (lambda b: b.update(content=big(2001)), ".content: 2001 characters"),
    "more than 10 embeds": (lambda b: b.update(embeds=[{"title": "t"}] * 11), "11 embeds"),
    "embed title over 256": (lambda b: b["embeds"][0].update(title=big(257)), "title"),
    "embed description over 4,096": (lambda b: b["embeds"][0].update(description=big(4097)), "description"),
    "more than 25 fields": (lambda b: b["embeds"][0].update(fields=[{"name": "n", "value": "v"}] * 26), "26"),
    "empty field name": (lambda b: b["embeds"][0]["fields"][0].update(name=""), "fields[0].name: 0 characters"),
    "empty field value": (lambda b: b["embeds"][0]["fields"][0].update(value=""), "fields[0].value: 0 characters"),
    "blank field name": (lambda b: b["embeds"][0]["fields"][0].update(name="  "), "fields[0].name: only whitespace"),
    "blank message": (lambda b: b.clear() or b.update(content=" \n"), "an empty message"),
    "field value over 1,024": (lambda b: b["embeds"][0]["fields"][0].update(value=big(1025)), "value"),
    "footer over 2,048": (lambda b: b["embeds"][0]["footer"].update(text=big(2049)), "footer"),
    "author over 256": (lambda b: b["embeds"][0]["author"].update(name=big(257)), "author"),
    "embeds over 6,000 in all": (
        lambda b: b.update(embeds=[{"description": big(4000)}, {"description": big(2001)}]),
        "6001 characters in all",
    ),
    "unknown mention type": (lambda b: b["allowed_mentions"].update(parse=["here"]), "parse"),
    "users in parse and listed": (lambda b: b["allowed_mentions"].update(parse=["users"]), "exclude each other"),
    "more than 100 users": (lambda b: b["allowed_mentions"].update(users=list(range(1, 102))), "users"),
    "ephemeral flag on a channel message": (lambda b: b.update(flags=64), "flags"),
    "nonce over 25": (lambda b: b.update(nonce=big(26)), "nonce"),
    "empty message": (lambda b: b.clear(), "an empty message"),
    "six action rows": (lambda b: b.update(components=[row(button(str(i))) for i in range(6)]), "6 rows"),
    "six buttons in a row": (lambda b: b.update(components=[row(*(button(str(i)) for i in range(6)))]), "6 buttons"),
    "button without label or emoji": (lambda b: b["components"][0]["components"][0].pop("label"), "label or an emoji"),
    "button label over 80": (lambda b: b["components"][0]["components"][0].update(label=big(81)), "label"),
    "custom_id over 100": (lambda b: b["components"][0]["components"][0].update(custom_id=big(101)), "custom_id"),
    "empty custom_id": (lambda b: b["components"][0]["components"][0].update(custom_id=""), "custom_id"),
    "custom_id twice in a message": (
        lambda b: b["components"][0]["components"][1].update(custom_id="a"),
        "custom_id 'a' is used twice",
    ),
    "link button with a custom_id": (
        lambda b: b["components"][0]["components"][0].update(style=5, url="https://example.org"),
        "link button",
    ),
    "select with no options": (lambda b: b["components"][1]["components"][0].update(options=[]), "options"),
    "select with 26 options": (
        lambda b: b["components"][1]["components"][0].update(
            options=[{"label": str(i), "value": str(i)} for i in range(26)], max_values=1
        ),
        "26",
    ),
    "max_values above the options": (
        lambda b: b["components"][1]["components"][0].update(max_values=3),
        "max_values 3 exceeds its 2 options",
    ),
    "min_values above max_values": (
        lambda b: b["components"][1]["components"][0].update(min_values=2, max_values=1),
        "min",
    ),
    "placeholder over 150": (
        lambda b: b["components"][1]["components"][0].update(placeholder=big(151)),
        "placeholder",
    ),
    "select value twice": (
        lambda b: b["components"][1]["components"][0]["options"][1].update(value="1"),
        "value '1' is used twice",
    ),
    "select beside a button": (
        lambda b: b["components"][1]["components"].append(button("c")),
        "a select fills its row alone",
    ),
    "a button outside an action row": (lambda b: b.update(components=[button("x")]), "components[0]"),
    "embed link in another script": (lambda b: b["embeds"][0].update(url="https://例え.jp/家族の話"), "is not a 'uri'"),
    "embed link with a space": (lambda b: b["embeds"][0].update(url="https://example.org/a b"), "is not a 'uri'"),
    "embed image with a lone percent": (
        lambda b: b["embeds"][0].update(image={"url": "https://example.org/100%"}),
        "is not a 'uri'",
    ),
}


@pytest.mark.parametrize("case", MESSAGE_CASES)
def test_a_message_rule_breaks(case: str) -> None:
    """A message that breaks one rule is refused, naming that rule."""
    mutate, expected = MESSAGE_CASES[case]
    body = message()
    mutate(body)
    found = violations(CHANNEL, body)
    assert any(expected in v for v in found), found


def test_the_valid_message_passes_on_every_route() -> None:
    """The base message is within every rule, as a channel message, an edit and an interaction follow-up."""
    assert violations(CHANNEL, message()) == []
    assert violations(EDIT, message()) == []
    assert violations(FOLLOWUP, {**message(), "flags": 64}) == []
    assert violations(CALLBACK, {"type": 4, "data": {**message(), "flags": 64}}, interaction_type=2) == []


def test_links_as_a_uri_holds_them_pass() -> None:
    """A host in another script as punycode, a path in percent-escapes and an attachment reference are URIs."""
    body = message()
    body["embeds"][0].update(
        url="https://xn--r8jz45g.jp/%E5%AE%B6%E6%97%8F?q=1#top", image={"url": "attachment://chart.png"}
    )
    assert violations(CHANNEL, body) == []


def test_an_edit_may_be_empty_but_may_not_set_ephemeral() -> None:
    """Editing a message to clear it is allowed; flags an edit cannot set are refused."""
    assert violations(EDIT, {"content": "", "embeds": []}) == []
    assert any("flags" in v for v in violations(EDIT, {"flags": 64}))


COMMAND_CASES: dict[str, tuple[Mutation, str]] = {
    "uppercase name": (lambda c: c[0].update(name="Resource"), "is not a valid name"),
    "space in a name": (lambda c: c[0]["options"][0].update(name="re move"), "is not a valid name"),
    "name over 32": (lambda c: c[0].update(name=big(33)), "name"),
    "empty description": (lambda c: c[0].update(description=""), "description: 0 characters"),
    "description over 100": (lambda c: c[0]["options"][0].update(description=big(101)), "description"),
    "26 options": (lambda c: c[0]["options"][1].update(options=[option(f"o{i}") for i in range(26)]), "26"),
    "26 subcommands": (
        lambda c: c[0].update(options=[{"type": 1, "name": f"s{i}", "description": "d"} for i in range(26)]),
        "26",
    ),
    "26 choices": (
        lambda c: c[0]["options"][1]["options"][1].update(
            choices=[{"name": str(i), "value": str(i)} for i in range(26)]
        ),
        "26",
    ),
    "integer bound at 2^53": (
        lambda c: c[0]["options"][0]["options"][0].update(max_value=2**53),
        "9007199254740992",
    ),
    "integer bound below -(2^53 - 1)": (
        lambda c: c[0]["options"][0]["options"][0].update(min_value=-(2**53)),
        "outside ±(2^53 − 1)",
    ),
    "min_value above max_value": (
        lambda c: c[0]["options"][0]["options"][0].update(min_value=10, max_value=5),
        "min_value 10 is above max_value 5",
    ),
    "max_length over 6,000": (lambda c: c[0]["options"][1]["options"][0].update(max_length=6001), "max_length"),
    "required after optional": (
        lambda c: c[0]["options"][0]["options"].append(option("late", required=True)),
        "required option after an optional one",
    ),
    "option name twice": (
        lambda c: c[0]["options"][0]["options"].append(option("why")),
        "option name 'why' is used twice",
    ),
    "autocomplete with choices": (
        lambda c: c[0]["options"][1]["options"][1].update(autocomplete=True),
        "autocomplete may not be set with choices",
    ),
    "choice value over 100": (
        lambda c: c[0]["options"][1]["options"][1]["choices"][0].update(value=big(101)),
        "value",
    ),
    "over 8,000 characters in one command": (
        lambda c: (
            c[0]["options"][1]["options"][1].update(choices=[{"name": big(100), "value": big(100)} for _ in range(25)])
            or c[0]["options"].extend(copy.deepcopy(c[0]["options"][1]) | {"name": f"s{i}"} for i in range(2))
        ),
        "at most 8000",
    ),
    "a subcommand inside a subcommand": (
        lambda c: c[0]["options"][0]["options"].insert(0, {"type": 1, "name": "deep", "description": "d"}),
        "cannot sit inside",
    ),
    "a context menu with a description": (lambda c: c[1].update(description="Shows it"), "must be empty"),
    "101 slash commands": (
        lambda c: c.extend({"type": 1, "name": f"c{i}", "description": "d"} for i in range(100)),
        "101 commands of type 1",
    ),
    "16 user commands": (
        lambda c: c.extend({"type": 2, "name": f"User {i}", "description": ""} for i in range(15)),
        "16 commands of type 2",
    ),
    "the same command twice": (lambda c: c.append(copy.deepcopy(c[0])), "command 'resource' is used twice"),
}


@pytest.mark.parametrize("case", COMMAND_CASES)
@pytest.mark.parametrize("route", [COMMANDS, GUILD_COMMANDS], ids=["global", "guild"])
def test_a_command_rule_breaks(case: str, route: tuple[str, str]) -> None:
    """A command list that breaks one rule is refused (globally and for one guild), naming that rule."""
    mutate, expected = COMMAND_CASES[case]
    body = commands()
    mutate(body)
    found = violations(route, body)
    assert any(expected in v for v in found), found


def test_the_valid_command_list_passes() -> None:
    assert violations(COMMANDS, commands()) == []
    assert violations(GUILD_COMMANDS, commands()) == []


MODAL_CASES: dict[str, tuple[Mutation, str]] = {
    "title over 45": (lambda m: m["data"].update(title=big(46)), "title"),
    "no components": (lambda m: m["data"].update(components=[]), "0 components"),
    "six components": (lambda m: m["data"]["components"].extend([m["data"]["components"][1]] * 5), "7 components"),
    "label over 45": (lambda m: m["data"]["components"][0].update(label=big(46)), "label"),
    "label description over 100": (lambda m: m["data"]["components"][0].update(description=big(101)), "description"),
    "label around a button": (lambda m: m["data"]["components"][0].update(component=button("x")), "component"),
    "placeholder over 100": (
        lambda m: m["data"]["components"][0]["component"].update(placeholder=big(101)),
        "placeholder",
    ),
    "max_length over 4,000": (lambda m: m["data"]["components"][0]["component"].update(max_length=4001), "max_length"),
    "min_length above max_length": (
        lambda m: m["data"]["components"][0]["component"].update(min_length=50, max_length=10),
        "min_length 50 / max_length 10",
    ),
    "pre-filled past max_length": (
        lambda m: m["data"]["components"][0]["component"].update(value=big(1001)),
        "1001 characters pre-filled",
    ),
    "row text input without a label": (
        lambda m: m["data"]["components"][1]["components"][0].pop("label"),
        "label",
    ),
    "two inputs in one row": (
        lambda m: m["data"]["components"][1]["components"].append({"type": 4, "custom_id": "z", "style": 1}),
        "exactly one text input",
    ),
    "custom_id twice": (
        lambda m: m["data"]["components"][1]["components"][0].update(custom_id="story"),
        "custom_id 'story' is used twice",
    ),
}


@pytest.mark.parametrize("case", MODAL_CASES)
def test_a_modal_rule_breaks(case: str) -> None:
    """A modal that breaks one rule is refused, naming that rule."""
    mutate, expected = MODAL_CASES[case]
    body = modal()
    mutate(body)
    found = violations(CALLBACK, body, interaction_type=2)
    assert any(expected in v for v in found), found


def test_the_valid_modal_passes() -> None:
    assert violations(CALLBACK, modal(), interaction_type=2) == []
    assert violations(CALLBACK, modal(), interaction_type=3) == []


def test_callback_types_follow_the_interaction() -> None:
    """A modal cannot answer a modal; autocomplete takes only choices; unknown types are refused."""
    assert any("interaction type 5" in v for v in violations(CALLBACK, modal(), interaction_type=5))
    assert any(
        "interaction type 4" in v for v in violations(CALLBACK, {"type": 4, "data": message()}, interaction_type=4)
    )
    assert any(
        "interaction type 2" in v
        for v in violations(CALLBACK, {"type": 8, "data": {"choices": []}}, interaction_type=2)
    )
    assert any("callback" in v for v in violations(CALLBACK, {"type": 3}, interaction_type=2))
    assert violations(CALLBACK, {"type": 6}, interaction_type=3) == []
    assert any("interaction type 2" in v for v in violations(CALLBACK, {"type": 7, "data": {}}, interaction_type=2))


def test_autocomplete_choices_are_bounded() -> None:
    """At most 25 choices, names 1-100 characters, string values up to 100."""
    ok = {"type": 8, "data": {"choices": [{"name": "Identity", "value": "identity"}]}}
    assert violations(CALLBACK, ok, interaction_type=4) == []
    many = {"type": 8, "data": {"choices": [{"name": str(i), "value": str(i)} for i in range(26)]}}
    assert any("26" in v for v in violations(CALLBACK, many, interaction_type=4))
    long_name = {"type": 8, "data": {"choices": [{"name": big(101), "value": "v"}]}}
    assert any("name" in v for v in violations(CALLBACK, long_name, interaction_type=4))
    long_value = {"type": 8, "data": {"choices": [{"name": "n", "value": big(101)}]}}
    assert any("value" in v for v in violations(CALLBACK, long_value, interaction_type=4))


def test_thread_names_and_archive_durations() -> None:
    """A thread's name is 1-100 characters; auto-archive is one of Discord's four durations."""
    assert violations(THREAD, {"name": "Discussion", "auto_archive_duration": 1440}) == []
    assert any("101 characters" in v for v in violations(THREAD, {"name": big(101)}))
    assert any("0 characters" in v for v in violations(THREAD, {"name": ""}))
    assert any("auto_archive" in v for v in violations(THREAD, {"name": "n", "auto_archive_duration": 30}))
    assert any("name" in v for v in violations(("PATCH", "/channels/9"), {"name": big(101)}))


def test_uploads_are_bounded() -> None:
    """Ten files at most, each within 10 MiB, 25 MiB in one request."""

    def file(size: int, name: str = "a.csv") -> discord.File:
        return discord.File(io.BytesIO(b"x" * size), filename=name)

    body = {"content": "Export"}
    assert violations(CHANNEL, body, files=[file(10)]) == []
    assert any("11 files" in v for v in violations(CHANNEL, body, files=[file(1) for _ in range(11)]))
    assert any("over 10 MiB" in v for v in violations(CHANNEL, body, files=[file(10 * 1024 * 1024 + 1)]))
    three = [file(9 * 1024 * 1024, f"{i}.csv") for i in range(3)]
    assert any("over 25 MiB" in v for v in violations(CHANNEL, body, files=three))
    assert violations(CHANNEL, {}, files=[file(10)]) == []  # a file alone is a message
