"""The operator's commands: backup, restore, doctor, and migrations that refuse a newer database.

Each is driven as an operator runs it (`bot.main([...])`, or a separate process for the checks that talk to
Discord), on real SQLite files.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import bot as bot_module
from config import Settings
from storage import Database
from storage.backup import BackupError, RunLock, backup_sqlite, daily_backup, restore_sqlite
from storage.migrate import upgrade_to_head
from tests.conftest import World
from tests.fake_discord import TOKEN, fake_discord, run_lantern

__all__ = ["fake_discord"]  # the fixture, used by name below


async def migrated(path: Path) -> Path:
    database = Database(f"sqlite+aiosqlite:///{path}")
    database.prepare()
    await upgrade_to_head(database)
    await database.dispose()
    return path


@pytest.fixture
def operator(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An operator's shell: settings from the environment, in a folder of their own. Returns the database."""
    monkeypatch.chdir(tmp_path)
    database = tmp_path / "data" / "lantern.db"
    for name in ("DISCORD_TOKEN", "BACKUP_DIR", "PRIVACY_NOTICE_URL", "PROTECTION_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{database}")
    monkeypatch.setenv("PROTECTION_KEY", "a-protection-key-for-tests-only-0123456789")
    return database


@pytest.fixture
def writer(tmp_path: Path) -> Iterator[tuple[Path, list[int], threading.Event]]:
    """A database under steady write load: a thread commits numbered rows until told to stop."""
    path = tmp_path / "live.db"
    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE load (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    committed: list[int] = []
    stop = threading.Event()

    def write() -> None:
        connection = sqlite3.connect(path, timeout=30)
        number = 0
        while not stop.is_set():
            number += 1
            connection.execute("INSERT INTO load (id, body) VALUES (?, ?)", (number, "x" * 200))
            connection.commit()
            committed.append(number)
        connection.close()

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    try:
        yield path, committed, stop
    finally:
        stop.set()
        thread.join(timeout=10)


def test_a_backup_under_write_load_restores_every_committed_row(
    writer: tuple[Path, list[int], threading.Event], tmp_path: Path
) -> None:
    """A backup taken while rows are being committed passes integrity_check and holds every row committed before
    it began, with no holes; restored, it is that database."""
    path, committed, stop = writer
    while len(committed) < 500:
        threading.Event().wait(0.01)
    before = len(committed)
    made = backup_sqlite(path, tmp_path / "copy.db", datetime(2026, 12, 2, tzinfo=UTC))
    while len(committed) < before + 200:  # the writer kept going during and after the copy
        threading.Event().wait(0.01)
    stop.set()
    restored = tmp_path / "restored" / "lantern.db"
    restore_sqlite(made.path, restored)
    with sqlite3.connect(restored) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        ids = [row[0] for row in copy.execute("SELECT id FROM load ORDER BY id")]
    assert ids[:before] == committed[:before]
    assert ids == list(range(1, len(ids) + 1))  # a consistent snapshot: a prefix of the commits


def test_backup_command_copies_the_live_database(
    operator: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`lantern backup` writes a dated copy into ./backups and says where, and what else to keep."""
    asyncio.run(migrated(operator))
    assert bot_module.main(["backup"]) == 0
    out = capsys.readouterr().out
    (copy,) = (tmp_path / "backups").glob("lantern-*.db")
    assert str(copy) in out and "integrity ok" in out and "PROTECTION_KEY" in out
    with sqlite3.connect(copy) as connection:
        assert connection.execute("SELECT count(*) FROM alembic_version").fetchone()[0] >= 1


def test_backup_on_postgresql_says_the_pg_dump_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """On PostgreSQL Lantern leaves backups to PostgreSQL's own tools, and says how."""
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://lantern@db.example:5433/lantern")
    assert bot_module.main(["backup"]) == 0
    assert "pg_dump -Fc -h db.example -p 5433 -U lantern lantern" in capsys.readouterr().out


def test_restore_refuses_while_lantern_runs(operator: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """While any bot holds the database, `lantern restore` refuses in one line and changes nothing."""
    asyncio.run(migrated(operator))
    backup = operator.with_name("backup.db")
    backup_sqlite(operator, backup, datetime(2026, 12, 2, tzinfo=UTC))
    running = RunLock(operator)
    running.hold()
    try:
        assert bot_module.main(["restore", str(backup)]) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "Lantern is running" in err[0] and "stop it first" in err[0]
    finally:
        running.release()
    assert bot_module.main(["restore", str(backup)]) == 0
    assert "Restored" in capsys.readouterr().out


def test_restore_puts_the_backup_in_place(operator: Path, tmp_path: Path) -> None:
    """What was written after the backup is gone once it is restored; a damaged file is refused."""
    asyncio.run(migrated(operator))
    backup = backup_sqlite(operator, tmp_path / "b.db", datetime(2026, 12, 2, tzinfo=UTC)).path
    with sqlite3.connect(operator) as connection:
        connection.execute("CREATE TABLE later (id INTEGER)")
    restore_sqlite(backup, operator)
    with sqlite3.connect(operator) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "later" not in tables and "alembic_version" in tables
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises((BackupError, sqlite3.DatabaseError)):
        restore_sqlite(junk, operator)


async def test_a_running_bot_blocks_a_restore(world: World, settings: Settings, tmp_path: Path) -> None:
    """The bot under SimCord holds its database: a restore is refused until it stops."""
    if not settings.is_sqlite:
        pytest.skip("backups and restores by Lantern are for SQLite; PostgreSQL uses pg_dump")
    from storage.database import sqlite_path

    database = sqlite_path(settings.database_url)
    assert database is not None
    backup = backup_sqlite(database, tmp_path / "b.db", world.bot.clock()).path
    with pytest.raises(BackupError, match="Lantern is running"):
        restore_sqlite(backup, database)
    await world.bot.close()
    restore_sqlite(backup, database)


async def test_daily_backups_keep_the_newest(tmp_path: Path) -> None:
    """One backup a day, whatever the number of timer ticks; only the newest BACKUP_KEEP are kept."""
    database = await migrated(tmp_path / "lantern.db")
    folder = tmp_path / "backups"
    day = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
    made = []
    for n in range(4):
        now = day + timedelta(days=n)
        first = await daily_backup(database, folder, 2, now)
        again = await daily_backup(database, folder, 2, now + timedelta(hours=1))
        assert first is not None and again is None
        made.append(first.path.name)
    assert sorted(p.name for p in folder.glob("lantern-*.db")) == made[-2:]


@pytest.fixture
def backup_settings(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(
        update={"backup_dir": tmp_path / "daily", "backup_keep": 3, "sync_commands_on_start": False}
    )


async def test_the_due_jobs_timer_makes_the_daily_backup(backup_settings: Settings, tmp_path: Path) -> None:
    """With BACKUP_DIR set, run_due_jobs makes the day's backup once."""
    if not backup_settings.is_sqlite:
        pytest.skip("daily backups by Lantern are for SQLite; PostgreSQL uses pg_dump")
    bot = bot_module.create_bot(backup_settings, clock=lambda: datetime(2026, 12, 2, 9, tzinfo=UTC))
    await bot.setup_hook()
    try:
        await bot.run_due_jobs()
        await bot.run_due_jobs()
    finally:
        await bot.db.dispose()
        assert bot.run_lock is not None
        bot.run_lock.release()
    assert [p.name for p in (tmp_path / "daily").iterdir()] == ["lantern-2026-12-02-090000.db"]


def test_migrate_refuses_a_database_newer_than_the_code(operator: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A database migrated by a newer Lantern is left alone, with one line saying why."""
    asyncio.run(migrated(operator))
    with sqlite3.connect(operator) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999' WHERE rowid = 1")
    assert bot_module.main(["migrate"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "newer Lantern" in err[0] and "9999" in err[0]


def doctor_lines(out: str) -> dict[str, str]:
    return {line.split(":", 1)[0].split(maxsplit=1)[1]: line.split(maxsplit=1)[0] for line in out.splitlines()}


def test_doctor_offline_on_a_healthy_install(
    operator: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Token, database, disk: each one line; warnings (no backups, no privacy notice) don't fail it."""
    asyncio.run(migrated(operator))
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    assert bot_module.main(["doctor", "--offline"]) == 0
    status = doctor_lines(capsys.readouterr().out)
    assert status == {"token": "ok", "database": "ok", "disk": "ok", "backups": "warn", "privacy notice": "warn"}


def test_doctor_names_what_is_wrong(
    operator: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A malformed token fails; an unmigrated database is a warning; the exit code says it failed."""
    monkeypatch.setenv("DISCORD_TOKEN", "my-token-pasted-wrong")
    assert bot_module.main(["doctor", "--offline"]) == 1
    out = capsys.readouterr().out
    status = doctor_lines(out)
    assert status["token"] == "FAIL" and "three parts" in out
    assert status["database"] == "warn" and "doesn't exist yet" in out
    monkeypatch.delenv("DISCORD_TOKEN")
    assert bot_module.main(["doctor", "--offline"]) == 1
    assert ".env" in capsys.readouterr().out


def test_doctor_warns_of_pending_migrations(
    operator: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A database an older Lantern left behind is a warning: migrations run at the next start."""
    asyncio.run(migrated(operator))
    with sqlite3.connect(operator) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0001' WHERE rowid = 1")
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    assert bot_module.main(["doctor", "--offline"]) == 0
    out = capsys.readouterr().out
    assert doctor_lines(out)["database"] == "warn" and "migrations pending" in out


def test_doctor_asks_discord_about_the_members_intent(fake_discord: tuple[str, type], tmp_path: Path) -> None:
    """Online, doctor says whether Discord accepts the token and whether the Server Members intent is on."""
    api, handler = fake_discord
    asyncio.run(migrated(tmp_path / "lantern.db"))
    handler.flags = 0
    off = run_lantern(api, tmp_path, "doctor")
    assert off.returncode == 1, off.stderr
    assert "ok    discord: the token is accepted" in off.stdout
    assert "FAIL  members intent: off" in off.stdout and "Privileged Gateway Intents" in off.stdout
    handler.flags = 1 << 15
    on = run_lantern(api, tmp_path, "doctor")
    assert on.returncode == 0, on.stdout + on.stderr
    assert "ok    members intent: granted" in on.stdout
