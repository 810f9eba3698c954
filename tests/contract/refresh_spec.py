"""Rebuild `discord-openapi.json`, the part of Discord's published OpenAPI description the contract checks use.

The source is github.com/discord/discord-api-spec (`specs/openapi.json`). The snapshot keeps, for every
route that takes a body, the JSON schema of that body and every schema it refers to; responses are left
out, so it stays small. Refresh it when Discord publishes new rules:

    python -m tests.contract.refresh_spec path/to/discord-api-spec/specs/openapi.json [COMMIT]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

SNAPSHOT = Path(__file__).with_name("discord-openapi.json")


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                found.add(value.rsplit("/", 1)[-1])
            else:
                found |= _refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= _refs(value)
    return found


def request_bodies(spec: dict[str, Any]) -> dict[str, Any]:
    """The snapshot: each route's JSON request-body schema, plus the schemas those refer to."""
    paths: dict[str, dict[str, Any]] = {}
    for template, operations in spec["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "requestBody" not in operation:
                continue
            content = operation["requestBody"]["content"]
            if "application/json" in content:
                paths.setdefault(template, {})[method.upper()] = content["application/json"]["schema"]
    schemas = spec["components"]["schemas"]
    kept: dict[str, Any] = {}
    pending = _refs(paths)
    while pending:
        name = pending.pop()
        if name not in kept:
            kept[name] = schemas[name]
            pending |= _refs(schemas[name]) - kept.keys()
    return {"paths": paths, "components": {"schemas": dict(sorted(kept.items()))}}


def main(argv: list[str]) -> int:
    source = Path(argv[0])
    spec = json.loads(source.read_text(encoding="utf-8"))
    snapshot = {
        "x-source": "github.com/discord/discord-api-spec specs/openapi.json"
        + (f" at {argv[1]}" if len(argv) > 1 else ""),
        "x-openapi": spec.get("openapi"),
        **request_bodies(spec),
    }
    SNAPSHOT.write_text(json.dumps(snapshot, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    print(f"wrote {SNAPSHOT} ({len(snapshot['paths'])} routes, {len(snapshot['components']['schemas'])} schemas)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
