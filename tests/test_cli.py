"""The command line: one clear line and an exit code, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import discord
import pytest

import bot as bot_module

ROOT = Path(__file__).resolve().parent.parent


def run_cli(
    *args: str, env_extra: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DISCORD_TOKEN", "DATABASE_URL"}}
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd or ROOT,
        timeout=60,
        check=False,
    )


def test_missing_token_is_one_line_naming_env_file(tmp_path: Path) -> None:
    """Without a token the bot says where to put it, in one line, and exits 2."""
    result = run_cli(cwd=tmp_path, env_extra={"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert ".env.example" in lines[0] and "DISCORD_TOKEN" in lines[0]
    assert "Traceback" not in result.stderr


def test_an_invalid_setting_is_named_with_its_reason_in_one_line(tmp_path: Path) -> None:
    """A mistyped setting stops the bot with one line that names it and says what is wrong, and exit code 2."""
    result = run_cli(
        cwd=tmp_path,
        env_extra={
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}",
            "PRIVACY_NOTICE_URL": "example.org/privacy",
            "LOG_LEVEL": "chatty",
        },
    )
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("lantern: the settings in .env or the environment are invalid: ")
    assert "LOG_LEVEL: unknown log level 'chatty'" in line
    assert "PRIVACY_NOTICE_URL: must be a web address starting with https://" in line


def test_migrate_command_builds_the_database(tmp_path: Path) -> None:
    """`python bot.py migrate` applies migrations without needing a token."""
    db = tmp_path / "data" / "lantern.db"
    result = run_cli("migrate", cwd=tmp_path, env_extra={"DATABASE_URL": f"sqlite+aiosqlite:///{db}"})
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout
    assert db.exists()


def test_rejected_token_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A token Discord rejects ends in one line and exit code 2."""

    async def refuse(self: discord.Client, token: str) -> None:
        raise discord.LoginFailure("Improper token has been passed.")

    monkeypatch.setattr(discord.Client, "login", refuse)
    monkeypatch.setenv("DISCORD_TOKEN", "not-a-real-token")
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    monkeypatch.chdir(tmp_path)
    assert bot_module.main([]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"lantern: {bot_module.REJECTED_TOKEN}"]


def test_sync_subcommand_syncs_to_one_guild(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`python bot.py sync --guild ID` logs in, syncs the tree to that guild once and exits."""
    synced: list[object] = []

    async def login(self: discord.Client, token: str) -> None:
        await self.setup_hook()

    async def sync(
        self: discord.app_commands.CommandTree, *, guild: discord.abc.Snowflake | None = None
    ) -> list[object]:
        synced.append(guild.id if guild else None)
        return [object(), object()]

    monkeypatch.setattr(discord.Client, "login", login)
    monkeypatch.setattr(discord.app_commands.CommandTree, "sync", sync)
    monkeypatch.setenv("DISCORD_TOKEN", "not-a-real-token")
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    monkeypatch.chdir(tmp_path)
    assert bot_module.main(["sync", "--guild", "1234"]) == 0
    assert synced == [1234]
    assert "Synced 2 commands to guild 1234" in capsys.readouterr().out
