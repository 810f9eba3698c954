"""Helpers shared by the safety suites (no tests here): what Lantern sent, and what the database holds.

`outgoing(env)` reads SimCord's request log and returns every payload that creates or edits a message:
channel messages and DMs (POST/PATCH /channels/*/messages), interaction responses that carry a message
(callback types 4 and 7) and interaction followups/edits (POST/PATCH /webhooks/*).
`db_snapshot(bot)` dumps every table of `storage.models.Base.metadata`: row counts and a checksum.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from storage.models import Base

CHANNEL_MESSAGE = re.compile(r"^/channels/(?P<channel>\d+)/messages(?:/(?P<message>\d+))?$")
WEBHOOK_MESSAGE = re.compile(r"^/webhooks/\d+/[^/]+(?:/messages/[^/]+)?$")
CALLBACK = re.compile(r"^/interactions/\d+/[^/]+/callback$")
MESSAGE_CALLBACK_TYPES = {4, 7}  # CHANNEL_MESSAGE_WITH_SOURCE, UPDATE_MESSAGE


@dataclass(frozen=True)
class Outgoing:
    """One message Lantern created or edited, as it went over the wire."""

    method: str
    path: str
    channel_id: int | None  # for /channels/*/messages; None for interaction responses and followups
    payload: dict[str, Any]

    @property
    def content(self) -> str:
        return self.payload.get("content") or ""

    def text(self) -> str:
        """Everything visible in the payload (content, embeds, components) as one JSON string."""
        return json.dumps(self.payload, ensure_ascii=False, default=str)


def outgoing(env: Any) -> list[Outgoing]:
    """Every message-creating or message-editing request the bot made, in order."""
    found = []
    for entry in env.http_requests:
        body = entry.json if isinstance(entry.json, dict) else None
        if body is None:
            continue
        if entry.method in {"POST", "PATCH"} and (match := CHANNEL_MESSAGE.match(entry.path)):
            found.append(Outgoing(entry.method, entry.path, int(match["channel"]), body))
        elif entry.method in {"POST", "PATCH"} and WEBHOOK_MESSAGE.match(entry.path):
            found.append(Outgoing(entry.method, entry.path, None, body))
        elif entry.method == "POST" and CALLBACK.match(entry.path) and body.get("type") in MESSAGE_CALLBACK_TYPES:
            found.append(Outgoing(entry.method, entry.path, None, body.get("data") or {}))
    return found


# Database snapshots -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    counts: dict[str, int]
    checksums: dict[str, str]

    def diff(self, other: Snapshot) -> list[str]:
        """The tables whose rows differ between the two snapshots, with their counts."""
        return [
            f"{name}: {self.counts[name]} -> {other.counts[name]} rows"
            for name in self.counts
            if self.checksums[name] != other.checksums[name]
        ]

    def without(self, *tables: str) -> Snapshot:
        """The snapshot leaving out `tables`."""
        return Snapshot(
            {n: c for n, c in self.counts.items() if n not in tables},
            {n: c for n, c in self.checksums.items() if n not in tables},
        )


async def db_snapshot(bot: Any) -> Snapshot:
    """Row counts and a checksum of every row of every table Lantern's models describe."""
    counts: dict[str, int] = {}
    checksums: dict[str, str] = {}
    async with bot.db.read() as session:
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(select(table))).all()
            lines = sorted(json.dumps([str(value) for value in row], ensure_ascii=False) for row in rows)
            counts[table.name] = len(rows)
            checksums[table.name] = hashlib.sha256("\n".join(lines).encode()).hexdigest()
    return Snapshot(counts, checksums)
