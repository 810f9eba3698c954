"""`/setup themes`' writes (storage.guilds.save_theme): each change decides on the themes as the previous one left
them, even when two moderators change themes at the same moment, on either backend."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from core.errors import InvalidInput
from core.search_text import folded_name
from core.themes import ThemeRow, change_theme
from storage import Database
from storage.guilds import all_themes, get_settings, save_theme
from storage.models import GuildSettings

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
GUILD = 77


async def change(database: Database, typed: str, name: str | None = None, enabled: bool | None = None) -> str:
    """'saved', or the refusal's text; a refusal rolls the whole transaction back."""
    try:
        async with database.write() as session:
            await save_theme(session, GUILD, NOW, lambda rows: change_theme(rows, typed, name, enabled))
    except InvalidInput as refused:
        return str(refused)
    return "saved"


async def themes(database: Database) -> list[ThemeRow]:
    async with database.read() as session:
        return await all_themes(session, GUILD)


async def test_two_renames_to_one_name_at_once_keep_the_names_apart(two_databases: tuple[Database, Database]) -> None:
    """Two moderators give two themes the same new name at the same moment, ten times over (two handles, as two
    processes): one rename goes through, the other is refused, and no two themes ever share a name."""
    first, second = two_databases
    for turn in range(10):
        name = f"Shared name {turn}"
        outcomes = await asyncio.gather(change(first, "career", name), change(second, "networking", name))
        assert sorted(outcome == "saved" for outcome in outcomes) == [False, True], outcomes
        rows = await themes(first)
        names = [folded_name(row.label) for row in rows]
        assert len(set(names)) == len(names) and folded_name(name) in names


async def test_two_new_themes_at_once_stay_within_the_limit(two_databases: tuple[Database, Database]) -> None:
    """At 24 themes, two moderators each add one at the same moment: only one fits under the 25."""
    first, second = two_databases
    for number in range(12):
        assert await change(first, f"Extra {number}") == "saved"
    outcomes = await asyncio.gather(change(first, "One more"), change(second, "Another more"))
    assert sorted(outcome == "saved" for outcome in outcomes) == [False, True], outcomes
    assert len(await themes(first)) == 25


@pytest.mark.parametrize("seeded", [True, False])
async def test_a_refused_change_leaves_the_themes_as_they_were(
    two_databases: tuple[Database, Database], seeded: bool
) -> None:
    """A refused change writes nothing: not the settings row's touch, not the default themes it would have stored
    for a guild that had none."""
    database, _ = two_databases
    if seeded:
        assert await change(database, "career", "Work") == "saved"
    before = await themes(database)
    assert "already the theme" in await change(database, "identity", "networking")
    assert await themes(database) == before
    async with database.read() as session:
        assert (await get_settings(session, GUILD) is not None) is seeded


async def test_the_cached_configuration_keeps_the_name_of_a_theme_turned_off(
    two_databases: tuple[Database, Database],
) -> None:
    """A theme renamed and then turned off leaves the themes members pick from, and keeps its new name for what
    they chose before (prompt posts, stats and cards read `theme_labels`); the process's copy follows each change."""
    database, _ = two_databases
    assert "career" in dict((await database.guild_config(GUILD)).themes)
    assert await change(database, "career", "Work") == "saved"
    assert await change(database, "work", enabled=False) == "saved"
    config = await database.guild_config(GUILD)
    assert "career" not in dict(config.themes) and len(config.themes) == 11
    assert config.theme_labels["career"] == "Work" and config.themes_off == (("career", "Work"),)


async def test_a_guild_whose_themes_were_never_stored_gets_the_defaults_it_was_shown(
    two_databases: tuple[Database, Database],
) -> None:
    """A settings row without theme rows (written around `ensure_settings`): the first change stores the twelve
    defaults it was shown, then applies itself to them."""
    database, _ = two_databases
    async with database.write() as session:
        session.add(GuildSettings(guild_id=GUILD, created_at=NOW, updated_at=NOW))
    shown = await themes(database)
    assert await change(database, "career", "Work") == "saved"
    after = await themes(database)
    assert [row.key for row in after] == [row.key for row in shown] and len(after) == 12
    assert [row.label for row in after if row.key == "career"] == ["Work"]
