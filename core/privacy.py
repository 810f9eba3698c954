"""What each feature stores about a member, so `/privacy` can show, export and delete all of it.

Every feature that stores member ids registers a `PrivacyProvider` in its cog's `setup`. A test
walks every table in the metadata and fails if a table holding member ids is not claimed by a
provider (see tests/storage/test_privacy_coverage.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

Exporter = Callable[[AsyncSession, int, int], Awaitable[dict[str, Any]]]
Deleter = Callable[[AsyncSession, int, int], Awaitable[int]]
# Discord-side clean-up run before the rows go (delete a card message, tell a partner kindly).
# Called as cleanup(bot, guild, user_id); it must not raise for Discord failures.
Cleanup = Callable[[Any, Any, int], Awaitable[None]]


@dataclass(frozen=True)
class PrivacyProvider:
    """One feature's view of a member's data.

    name: the feature as members know it ("Introductions").
    summary: one plain sentence of what is stored.
    tables: the tables this provider covers (names), for the coverage test.
    export(session, guild_id, user_id) -> JSON-able dict.
    delete(session, guild_id, user_id) -> rows removed (or anonymised).
    cleanup(bot, guild, user_id): optional Discord-side work before the delete (see Cleanup).
    """

    name: str
    summary: str
    tables: tuple[str, ...]
    export: Exporter
    delete: Deleter
    cleanup: Cleanup | None = None


@dataclass
class PrivacyRegistry:
    providers: dict[str, PrivacyProvider] = field(default_factory=dict)

    def register(self, provider: PrivacyProvider) -> None:
        self.providers[provider.name] = provider

    def covered_tables(self) -> set[str]:
        return {table for provider in self.providers.values() for table in provider.tables}
