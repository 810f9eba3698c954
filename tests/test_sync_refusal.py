"""`./lantern sync` against a Discord that refuses the commands: one line naming the command and field.

The fake Discord is a local HTTP server speaking just enough of the API for a login and a sync: it
answers the bulk command upload as real Discord answers a payload outside its rules (400, error 50035,
errors keyed by position). The bot runs as a separate process, as `./lantern sync` runs it, with
discord.py's API base pointed at the fake.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.fake_discord import FakeDiscord, fake_discord, run_lantern

__all__ = ["fake_discord"]  # the fixture, used by name below


def first_integer_option(payload: list[dict[str, Any]]) -> tuple[str, str, str]:
    """Where a refusal of an integer bound points: (error key path, command as named, option name)."""
    for index, command in enumerate(payload):
        stack: list[tuple[str, list[str], dict[str, Any]]] = [(str(index), [command["name"]], command)]
        while stack:
            key, names, node = stack.pop(0)
            for position, option in enumerate(node.get("options") or []):
                child = f"{key}.options.{position}"
                if option["type"] in (1, 2):
                    stack.append((child, [*names, option["name"]], option))
                elif option["type"] == 4:
                    return child, "/" + " ".join(names), option["name"]
    raise AssertionError("no integer option in the payload")


def nest(path: str, leaf: dict[str, Any]) -> dict[str, Any]:
    tree = leaf
    for key in reversed(path.split(".")):
        tree = {key: tree}
    return tree


def refuse_the_first_integer_bound(payload: list[dict[str, Any]]) -> tuple[int, dict[str, Any]]:
    """Discord's answer to a bound past its largest integer, pointing where real Discord points."""
    path, _, _ = first_integer_option(payload)
    message = "int value should be less than or equal to 9007199254740991."
    error = {"_errors": [{"code": "NUMBER_TYPE_MAX", "message": message}]}
    return 400, {"message": "Invalid Form Body", "code": 50035, "errors": nest(f"{path}.max_value", error)}


def test_a_refused_sync_is_one_line_naming_command_and_field(
    fake_discord: tuple[str, type[FakeDiscord]], tmp_path: Path
) -> None:
    """Discord's 400 becomes one line: the command, the option and the field it pointed at; exit code 1."""
    api, handler = fake_discord
    handler.refusal = refuse_the_first_integer_bound
    result = run_lantern(api, tmp_path, "sync")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    (payload,) = handler.received
    _, command, option = first_integer_option(payload)
    assert lines[0].startswith("lantern: Discord refused the commands (400, error 50035: Invalid Form Body)")
    assert f"{command}, option {option}, max_value: int value should be less than or equal to" in lines[0]
    assert result.stdout == ""


def test_a_sync_to_a_server_without_access_says_what_to_check(
    fake_discord: tuple[str, type[FakeDiscord]], tmp_path: Path
) -> None:
    """A guild sync Discord refuses with Missing Access says to check the invite, in one line."""
    api, handler = fake_discord
    handler.refusal = (403, {"message": "Missing Access", "code": 50001})
    result = run_lantern(api, tmp_path, "sync", "--guild", "1234")
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Missing Access" in lines[0] and "applications.commands" in lines[0] and "1234" in lines[0]
