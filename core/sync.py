"""Discord's refusal of a command sync, said in one line that names the command and the field.

A sync sends every command in one request, and Discord answers a payload outside its rules with 400
Invalid Form Body (50035) and a tree of errors keyed by position: `{"12": {"options": {"0": {"max_value":
{"_errors": [{"code": …, "message": …}]}}}}}`. Positions mean nothing to a moderator; this walks the tree
along the payload that was sent and names what Discord pointed at: `/resources remove, option resource,
max_value: int value should be less than or equal to 9007199254740991.`
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

SHOWN = 3  # errors spelled out in the line; the rest are counted


def _leaves(tree: Mapping[str, Any], path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], str]]:
    found: list[tuple[tuple[str, ...], str]] = []
    for key, value in tree.items():
        if key == "_errors" and isinstance(value, list):
            message = " ".join(str(e.get("message", "")).strip() for e in value if isinstance(e, Mapping))
            found.append((path, message or "refused"))
        elif isinstance(value, Mapping):
            found += _leaves(value, (*path, key))
    return found


def _name_path(path: Sequence[str], payload: Sequence[Mapping[str, Any]]) -> str:
    """`("12", "options", "0", "max_value")` → `/resources remove, option resource, max_value`."""
    if not path or not path[0].isdigit() or int(path[0]) >= len(payload):
        return ".".join(path) or "the command list"
    node: Mapping[str, Any] = payload[int(path[0])]
    words = [str(node.get("name", "?"))]
    rest = list(path[1:])
    options: list[str] = []
    while len(rest) >= 2 and rest[0] == "options" and rest[1].isdigit():
        children = node.get("options") or []
        index = int(rest[1])
        if index >= len(children):
            break
        node = children[index]
        if node.get("type") in (1, 2):  # subcommand, group: part of the command's name
            words.append(str(node.get("name", "?")))
        else:
            options.append(str(node.get("name", "?")))
        rest = rest[2:]
    kind = payload[int(path[0])].get("type", 1)
    named = ("/" if kind == 1 else "") + " ".join(words)
    parts = [named, *(f"option {name}" for name in options)]
    if rest:
        parts.append(".".join(rest))
    return ", ".join(parts)


def describe_refusal(status: int, code: int, message: str, errors: Any, payload: Sequence[Mapping[str, Any]]) -> str:
    """One line: what Discord refused, where, and why."""
    head = f"Discord refused the commands ({status}, error {code}: {message or 'no reason given'})"
    leaves = _leaves(errors) if isinstance(errors, Mapping) else []
    if not leaves:
        return head
    shown = "; ".join(f"{_name_path(path, payload)}: {why}" for path, why in leaves[:SHOWN])
    more = f" (and {len(leaves) - SHOWN} more)" if len(leaves) > SHOWN else ""
    return f"{head}: {shown}{more}"
