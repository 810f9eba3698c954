"""`lantern doctor`: what can go wrong before members notice, one line per check.

Offline checks read the settings, the token's shape, the database (reachable, migrated, room to grow)
and the backups. Online checks (unless `--offline`) ask Discord whether it accepts the token and whether
the Server Members intent is on: without it Lantern can't welcome anyone or notice who left.
"""

from __future__ import annotations

import base64
import binascii
import re
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import discord

from config import Settings
from storage import Database
from storage.backup import BACKUP_PREFIX, BACKUP_SUFFIX
from storage.database import sqlite_path
from storage.migrate import current_revisions, head_revisions, known_revisions

OK, WARN, FAIL = "ok", "warn", "FAIL"
TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{17,40}\.[A-Za-z0-9_-]{4,12}\.[A-Za-z0-9_-]{20,80}$")
DISK_FAIL_BYTES = 50 * 1024 * 1024
DISK_WARN_BYTES = 500 * 1024 * 1024
BACKUP_STALE_DAYS = 2
# Application flags (developers/resources/application.mdx): the Server Members intent, full or limited.
GATEWAY_GUILD_MEMBERS = 1 << 14
GATEWAY_GUILD_MEMBERS_LIMITED = 1 << 15


@dataclass(frozen=True)
class Check:
    status: str
    name: str
    detail: str

    def line(self) -> str:
        return f"{self.status:<4}  {self.name}: {self.detail}"


def check_token(settings: Settings) -> Check:
    token = settings.token_value()
    if token is None:
        return Check(FAIL, "token", "missing: copy .env.example to .env and set DISCORD_TOKEN")
    if not TOKEN_SHAPE.match(token):
        return Check(FAIL, "token", "not shaped like a bot token (three parts joined by dots): copy it again")
    head = token.split(".", 1)[0]
    try:
        user_id = base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError):
        user_id = ""
    if not user_id.isdigit():
        return Check(FAIL, "token", "its first part doesn't name a bot: copy the token again from Bot → Reset Token")
    return Check(OK, "token", f"present and well formed (bot user {user_id})")


async def check_database(settings: Settings) -> Check:
    path = sqlite_path(settings.database_url)
    if path is not None and not path.exists():  # and don't create it by looking
        return Check(WARN, "database", f"{path} doesn't exist yet: Lantern creates it at first start")
    database = Database(settings.database_url)
    try:
        current = await current_revisions(database)
    except Exception as error:  # any driver's "can't connect", summarised
        return Check(FAIL, "database", f"unreachable ({error.__class__.__name__}: {str(error).splitlines()[0][:120]})")
    finally:
        await database.dispose()
    unknown = current - known_revisions()
    if unknown:
        return Check(FAIL, "database", f"migrated by a newer Lantern ({', '.join(sorted(unknown))}): update the code")
    if current != head_revisions():
        return Check(WARN, "database", "migrations pending: Lantern applies them at start (or ./lantern migrate)")
    return Check(OK, "database", f"reachable and migrated ({database.kind})")


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())


def check_disk(settings: Settings) -> Check:
    path = sqlite_path(settings.database_url)
    if path is None:
        return Check(OK, "disk", "PostgreSQL keeps its own files; watch the database server's disk")
    folder = path.parent if path.parent.exists() else Path.cwd()
    free = shutil.disk_usage(folder).free
    size = _size(path) if path.exists() else 0
    text = f"{free // (1024 * 1024)} MB free beside {path.name} ({size // (1024 * 1024)} MB)"
    if free < max(DISK_FAIL_BYTES, size):
        return Check(FAIL, "disk", f"{text}: writes will fail soon; free some space")
    if free < max(DISK_WARN_BYTES, 2 * size):
        return Check(WARN, "disk", f"{text}: less than a backup's worth to spare")
    return Check(OK, "disk", text)


def check_backups(settings: Settings, now: datetime) -> Check:
    if settings.backup_dir is None:
        return Check(WARN, "backups", "BACKUP_DIR is not set: no daily backups (./lantern backup makes one by hand)")
    if sqlite_path(settings.database_url) is None:
        return Check(WARN, "backups", "on PostgreSQL, back up with pg_dump (./lantern backup prints the line)")
    made = sorted(settings.backup_dir.glob(f"{BACKUP_PREFIX}*{BACKUP_SUFFIX}"), key=lambda p: p.name)
    if not made:
        return Check(WARN, "backups", f"none in {settings.backup_dir} yet: the first is made within a day of start")
    newest = made[-1]
    day = newest.name.removeprefix(BACKUP_PREFIX)[:10]
    age = (now.date() - datetime.strptime(day, "%Y-%m-%d").date()).days  # noqa: DTZ007 - a date, no time
    if age > BACKUP_STALE_DAYS:
        return Check(WARN, "backups", f"the newest, {newest.name}, is {age} days old: is Lantern running?")
    return Check(OK, "backups", f"{len(made)} in {settings.backup_dir}, newest {newest.name}")


def check_privacy_notice(settings: Settings) -> Check:
    if not settings.privacy_notice_url:
        return Check(WARN, "privacy notice", "PRIVACY_NOTICE_URL is not set: publish PRIVACY.md and set it")
    return Check(OK, "privacy notice", settings.privacy_notice_url)


async def check_discord(token: str) -> list[Check]:
    """Ask Discord: is the token accepted, and is the Server Members intent on?"""
    client = discord.Client(intents=discord.Intents.none())
    try:
        await client.login(token)
    except discord.LoginFailure:
        return [Check(FAIL, "discord", "Discord rejected the token: reset it in the developer portal, update .env")]
    except (OSError, discord.HTTPException) as error:
        return [Check(WARN, "discord", f"couldn't reach Discord ({error.__class__.__name__}); the checks above stand")]
    try:
        application = client.application
        flags = application.flags.value if application else 0
        name = application.name if application else "?"
    finally:
        await client.close()
    checks = [Check(OK, "discord", f"the token is accepted (application {name})")]
    if flags & (GATEWAY_GUILD_MEMBERS | GATEWAY_GUILD_MEMBERS_LIMITED):
        checks.append(Check(OK, "members intent", "granted"))
    else:
        checks.append(
            Check(FAIL, "members intent", "off: developer portal → Bot → Privileged Gateway Intents → Server Members")
        )
    return checks


async def run_checks(settings: Settings, now: datetime, *, online: bool) -> list[Check]:
    checks = [check_token(settings), await check_database(settings), check_disk(settings)]
    checks += [check_backups(settings, now), check_privacy_notice(settings)]
    token = settings.token_value()
    if online and token is not None and checks[0].status != FAIL:
        checks += await check_discord(token)
    return checks
