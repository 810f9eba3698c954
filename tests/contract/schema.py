"""Layer one of the Discord contract: every request body against Discord's own OpenAPI description.

`discord-openapi.json` is a snapshot of github.com/discord/discord-api-spec (see refresh_spec.py): for each
route that takes a JSON body, the schema Discord publishes for it. A body that does not match is what
Discord answers with 400 Invalid Form Body (50035). The published schema is looser than the developer
docs in places (it allows 4,000 characters of content, the limit for Nitro users); rules.py holds the
documented limits that apply to a bot, and the rules no schema can express.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SNAPSHOT = Path(__file__).with_name("discord-openapi.json")
SPEC_URI = "urn:discord-api-spec"


@dataclass(frozen=True)
class Route:
    template: str
    method: str
    pattern: re.Pattern[str]
    literals: int


@functools.cache
def _spec() -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    # The published schema writes snowflakes as strings only; Discord also takes them as JSON numbers, which
    # is how discord.py sends ids (allowed_mentions.users, recipient_id, …) to the real API every day.
    schemas = spec["components"]["schemas"]
    schemas["SnowflakeType"] = {"anyOf": [schemas["SnowflakeType"], {"type": "integer", "minimum": 0}]}
    return _discriminated(spec, schemas)


def _type_tag(branch: Any, schemas: dict[str, Any]) -> int | None:
    """The one `type` value a branch of a oneOf accepts (components, options: each kind has its own)."""
    if "$ref" in branch:
        branch = schemas.get(branch["$ref"].rsplit("/", 1)[-1], {})
    enum = branch.get("properties", {}).get("type", {}).get("enum") if isinstance(branch, dict) else None
    return enum[0] if isinstance(enum, list) and len(enum) == 1 and "type" in branch.get("required", ()) else None


def _discriminated(node: Any, schemas: dict[str, Any]) -> Any:
    """Rewrite each oneOf whose branches differ by their `type` value into one if/then per value.

    Same meaning (exactly one branch can match a given `type`), but an element is checked against its own
    branch only, instead of against all of them: a message with components is checked about 40 times faster.
    """
    if isinstance(node, list):
        return [_discriminated(item, schemas) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _discriminated(value, schemas) for key, value in node.items()}
    branches = node.get("oneOf")
    tags = [_type_tag(branch, schemas) for branch in branches] if isinstance(branches, list) else []
    if tags and None not in tags and len(set(tags)) == len(tags):
        rest = {key: value for key, value in node.items() if key != "oneOf"}
        pairs = zip(tags, branches, strict=True)
        chosen = [{"if": {"properties": {"type": {"const": tag}}}, "then": branch} for tag, branch in pairs]
        known = {"type": "object", "required": ["type"], "properties": {"type": {"enum": tags}}}
        return {**rest, "allOf": [*rest.get("allOf", []), known, *chosen]}
    return node


@functools.cache
def _routes() -> tuple[Route, ...]:
    routes = []
    for template, methods in _spec()["paths"].items():
        parts = template.strip("/").split("/")
        regex = "/".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts)
        literals = sum(not part.startswith("{") for part in parts)
        for method in methods:
            routes.append(Route(template, method, re.compile(f"/{regex}"), literals))
    return tuple(routes)


def route_of(method: str, path: str) -> Route | None:
    """The published route a request goes to (the most literal match, as Discord's router picks)."""
    matches = [r for r in _routes() if r.method == method and r.pattern.fullmatch(path)]
    return max(matches, key=lambda r: r.literals, default=None)


@functools.cache
def _registry() -> Registry[Any]:
    return Registry().with_resource(SPEC_URI, Resource.from_contents(_spec(), default_specification=DRAFT202012))


def _pointer(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


# The spec marks link fields (embed url, image and icon urls, link buttons) `"format": "uri"`: an RFC 3986 URI, which
# is ASCII only (a host or path in another script travels as punycode and percent-escapes). jsonschema checks no
# format unless given a checker, and its own "uri" check needs a package we don't otherwise use; this is the rule.
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=%-]*")
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
FORMATS = FormatChecker(formats=())


@FORMATS.checks("uri")
def is_uri(value: object) -> bool:
    """An absolute RFC 3986 URI: a scheme, then only the characters a URI may hold, `%` only as an escape."""
    if not isinstance(value, str):
        return True  # the schema's "type" judges other values
    return _URI.fullmatch(value) is not None and _LONE_PERCENT.search(value) is None


@functools.cache
def _validator(template: str, method: str) -> Draft202012Validator:
    ref = f"{SPEC_URI}#/paths/{_pointer(template)}/{method}"
    return Draft202012Validator({"$ref": ref}, registry=_registry(), format_checker=FORMATS)


def schema_errors(method: str, path: str, body: Any) -> list[str]:
    """What Discord's published schema says is wrong with `body` (empty when it conforms or has no schema)."""
    route = route_of(method, path)
    if route is None or body is None:
        return []
    errors = list(_validator(route.template, route.method).iter_errors(body))
    if not errors:
        return []
    best = best_match(errors)
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in best.absolute_path) or "(body)"
    if best.validator in ("maxLength", "minLength") and isinstance(best.instance, str):
        what = f"{len(best.instance)} characters, {best.validator} {best.validator_value}"
    elif best.validator in ("maxItems", "minItems") and isinstance(best.instance, list):
        what = f"{len(best.instance)} items, {best.validator} {best.validator_value}"
    else:
        what = best.message if len(best.message) <= 240 else best.message[:240] + "…"
    return [f"{route.method} {route.template} {where}: {what} (discord-api-spec)"]
