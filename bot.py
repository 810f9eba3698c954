"""Lantern: the composition root and the command line (`lantern`, or `python bot.py`; its words: core/cli.py).

lantern [run]                 run the bot
lantern sync [--guild ID]     register the slash commands with Discord once
lantern migrate               apply database migrations and exit
lantern backup [PATH]         a consistent copy of the live SQLite database (PostgreSQL: the pg_dump line)
lantern restore PATH          put a backup in place (refused while Lantern runs)
lantern doctor [--offline]    check settings, token, database, disk, backups and Discord, one line each
lantern demo                  try Lantern without a token, in a simulated server in your browser (hands over to
                              `python -m tools.demo`: the product never imports tools/)
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
import sys
import uuid
from collections.abc import Callable, Coroutine, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import aiohttp
import discord
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from discord.ext import commands
from pydantic import ValidationError

from config import Settings
from core import callbacks, cli, heap, operations
from core.jobs import DueJobs, Pace, gateway_ready, paced_requests
from core.modlog import ModLog
from core.privacy import PrivacyRegistry
from core.protection import ProtectionKey, ProtectionKeyError, default_key_file
from core.ratelimits import sweep_now_and_then
from core.sync import describe_refusal
from core.tree import LanternTree
from core.ui import FormRouter
from storage import Database
from storage.backup import RunLock, daily_backup
from storage.database import sqlite_path
from storage.mentorship import check_key_fingerprint
from storage.migrate import DatabaseNewerThanCode, upgrade_to_head

log = logging.getLogger("lantern")

__version__ = "0.1.0"

# Loaded in this order in setup_hook; each module has `async def setup(bot)`.
EXTENSIONS: tuple[str, ...] = (
    "cogs.guild_config",
    "cogs.intros.cog",
    "cogs.mentorship.cog",
    "cogs.circles.cog",
    "cogs.prompts.cog",
    "cogs.resources.cog",
    "cogs.care.cog",
    "cogs.privacy",
)

Clock = Callable[[], datetime]


# Tasks discord.py starts for one interaction or event, by name (discord.py 2.7); close() lets them finish.
# A fallback: what Lantern starts itself is tracked by object (`LanternBot.track`, `spawn`).
IN_FLIGHT_TASK_PREFIXES = (
    "CommandTree-invoker",  # slash commands and autocomplete
    "discord-ui-view-dispatch",  # component callbacks of views kept in memory
    "discord-ui-modal-dispatch",  # modals discord.py keeps (Lantern's forms never are: core.ui.show_form)
    "discord-ui-dynamic-item",  # persistent buttons (DynamicItem)
    "discord-ui-view-timeout",  # a view's on_timeout
    "discord.py: on_",  # every event handler and cog listener, on_interaction (the form router) included
)
SHUTDOWN_GRACE_SECONDS = 10.0


# Lantern never joins voice: discord.py's warnings that voice libraries are missing are noise in its logs.
discord.VoiceClient.warn_nacl = False
discord.VoiceClient.warn_dave = False


class LanternBot(commands.AutoShardedBot):
    """The bot. Everything it needs is built by `create_bot` and handed in.

    With SHARD_COUNT/SHARD_IDS set, a process runs only those shards and does scheduled work only for
    the guilds they hold (`owns_guild`); the database claims keep two processes from doing it twice.
    """

    def __init__(self, settings: Settings, *, clock: Clock | None = None) -> None:
        intents = discord.Intents.default()
        intents.members = True  # welcome on join, clean up on leave (privileged: Server Members)
        intents.message_content = False  # Lantern never reads message text
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            tree_cls=LanternTree,
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            shard_count=settings.shard_count,
            # discord.py documents shard_ids as Optional[List[int]] (None: all shards), but its options
            # TypedDict says list[int].
            shard_ids=settings.shard_id_list(),  # type: ignore[arg-type]
        )
        self.settings = settings
        self.instance_id = uuid.uuid4().hex  # this process, as the holder of the claims it leases
        self._clock: Clock = clock or discord.utils.utcnow
        self.db = Database(
            settings.database_url,
            busy_timeout_ms=settings.sqlite_busy_timeout_ms,
            clock=self.clock,
            cache_size=settings.cache_size,
        )
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        # One pace for all due work (prompt posts, owed DMs and notices): together under Discord's global limit.
        self.jobs = DueJobs(
            clock=self.clock,
            pace=Pace(settings.due_requests_per_second),
            concurrency=settings.due_concurrency,
        )
        self.forms = FormRouter()
        self.in_flight: set[asyncio.Task[Any]] = set()
        self._closing: asyncio.Task[None] | None = None
        self.modlog = ModLog(self)
        self.privacy = PrivacyRegistry()
        secret = settings.protection_key.get_secret_value() if settings.protection_key else None
        self.protection = ProtectionKey(
            secret=secret, key_file=settings.protection_key_file or default_key_file(settings.database_url)
        )
        self.started_at: datetime | None = None
        self.run_lock: RunLock | None = None
        self.synced_commands: list[discord.app_commands.AppCommand] = []
        self._started_monotonic: float | None = None
        self._heap_frozen = False

    def track(self, task: asyncio.Task[Any] | None = None) -> None:
        """Count `task` (by default the running one) as work in flight: `close()` waits for it to finish
        before it closes the HTTP session and the database."""
        task = task or asyncio.current_task()
        if task is not None and not task.done():
            self.in_flight.add(task)
            task.add_done_callback(self.in_flight.discard)

    @contextlib.contextmanager
    def working(self) -> Iterator[None]:
        """Count the running task as work in flight while the block runs (for work a long-lived task calls)."""
        task = asyncio.current_task()
        if task is None or task in self.in_flight:  # already counted until it ends
            yield
            return
        self.in_flight.add(task)
        try:
            yield
        finally:
            self.in_flight.discard(task)

    def spawn(self, coroutine: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
        """Start background work that `close()` waits for (e.g. Discord calls after a commit)."""
        task = asyncio.get_running_loop().create_task(coroutine, name=name)
        self.track(task)
        return task

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Every form submission goes to the form router (core.ui.FormRouter): discord.py keeps no forms."""
        if interaction.type is discord.InteractionType.modal_submit:
            self.track()
            await self.forms.dispatch(interaction)

    def clock(self) -> datetime:
        """The current aware UTC time. Product code takes "now" from here only."""
        return self._clock()

    @property
    def version(self) -> str:
        return __version__

    def owns_guild(self, guild_id: int) -> bool:
        """Whether this process runs the shard that holds `guild_id` (always, when not sharded by hand)."""
        count = self.settings.shard_count
        ids = self.settings.shard_id_list()
        if not count or ids is None:
            return True
        return (guild_id >> 22) % count in ids

    def uptime_seconds(self) -> float:
        if self.started_at is None:
            return 0.0
        return max((self.clock() - self.started_at).total_seconds(), 0.0)

    async def setup_hook(self) -> None:
        self.started_at = self.clock()
        callbacks.install()  # answers skip discord.py's parse of the message they create (unless discord.py moved)
        sweep_now_and_then(self.http, asyncio.get_running_loop().time)  # the clock discord.py times buckets by
        paced_requests(self.http)  # owed work's requests wait their turn on self.jobs.pace (core.jobs.in_batches)
        self.db.prepare()
        database_file = sqlite_path(self.settings.database_url)
        if database_file is not None:  # `lantern restore` refuses while any bot holds this
            self.run_lock = RunLock(database_file)
            self.run_lock.hold()
        await upgrade_to_head(self.db)
        await self.check_protection_key()
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        if self.settings.backup_dir is not None and database_file is not None:
            keep = self.settings.backup_keep
            backup = functools.partial(daily_backup, database_file, self.settings.backup_dir, keep)
            self.jobs.register("backup", backup, needs_gateway=False)
        if self.settings.scheduler_enabled:
            self.scheduler.add_job(
                self.run_due_jobs,
                "interval",
                seconds=self.settings.due_jobs_interval_seconds,
                id="run_due_jobs",
                coalesce=True,
                # A tick stuck on one hung job must not stop the next: the runner never starts a job that is
                # still running (core/jobs.py), so a second tick runs only the others.
                max_instances=2,
                misfire_grace_time=None,
                replace_existing=True,
            )
            self.scheduler.start()
        if self.settings.sync_commands_on_start:
            self.synced_commands = await self.sync_commands(self.settings.dev_guild_id)

    async def app_command(self, name: str) -> discord.app_commands.AppCommand | None:
        """The top-level command `name` as registered with Discord: from this process's sync, else asked of
        Discord once (a process started without syncing)."""
        if not self.synced_commands:
            guild = discord.Object(self.settings.dev_guild_id) if self.settings.dev_guild_id else None
            try:
                self.synced_commands = await self.tree.fetch_commands(guild=guild)
            except discord.HTTPException as error:  # (the caller falls back to Manage Server)
                log.warning("could not read the registered commands: %s", error)
                return None
        return next((command for command in self.synced_commands if command.name == name), None)

    async def check_protection_key(self) -> None:
        """Read (or create) the protection key at start, and refuse a key that isn't the one the database's
        kept protections were made with: they would silently stop protecting anyone."""
        fingerprint = self.protection.fingerprint()
        async with self.db.write() as session:
            same = await check_key_fingerprint(session, fingerprint, self.clock())
        if not same:
            raise ProtectionKeyError(
                f"the protection key ({self.protection.source}) isn't the one this database's kept blocks and "
                "anonymous answers were made with: restore the key file from your backup, or set PROTECTION_KEY "
                "to the old key"
            )

    async def on_ready(self) -> None:
        """Freeze the heap once the caches are loaded (FREEZE_HEAP_ON_READY).

        A busy bot's full garbage collections walk every object alive, and on a large server most of them
        are Discord's member and channel caches, loaded at startup and kept. `gc.freeze()` moves them to
        a generation the collector skips. Measured with bench/load.py: full collections took up to 140 ms
        and were the whole p99 of the sustained shape (p99 88 ms without, 18 ms with). It runs once: later
        READYs (reconnects) leave the heap alone. Young collections then run every YOUNG_THRESHOLD allocations
        instead of 700 (core.heap.freeze_startup_heap).
        """
        if self.settings.freeze_heap_on_ready and not self._heap_frozen:
            self._heap_frozen = True
            log.info("heap frozen after startup: %d objects", heap.freeze_startup_heap())

    async def sync_commands(self, guild_id: int | None = None) -> list[discord.app_commands.AppCommand]:
        if guild_id is None:
            return await self.tree.sync()
        guild = discord.Object(guild_id)
        self.tree.copy_global_to(guild=guild)
        return await self.tree.sync(guild=guild)

    def command_payload(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        """The body `sync_commands(guild_id)` sends to Discord, built the way discord.py's sync builds it."""
        guild = None if guild_id is None else discord.Object(guild_id)
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        # CommandTree.sync serialises _get_all_commands(guild=…) in this order; Discord's errors index into it.
        return [command.to_dict(self.tree) for command in self.tree._get_all_commands(guild=guild)]

    async def run_due_jobs(self) -> dict[str, object]:
        """Do everything that is due at `clock()`; a second call for the same moment does nothing.

        Work that looks at Discord waits until every shard this process runs has delivered its servers
        (`core.jobs.gateway_ready`): the timer starts in setup_hook, before READY, and until then a
        schedule's channel would look deleted. A failing job is retried on its own backoff (core/jobs.py)."""
        with self.working():  # close() waits for a run in progress (APScheduler's shutdown would cancel it)
            return await self.jobs.run_due(self.clock(), gateway_ready=gateway_ready(self))

    async def close(self) -> None:
        """Graceful, in this order: stop taking new work, let the work in flight finish while Discord and the
        database are still there to answer it, then close the HTTP session, then the database.

        New work stops first: the due-jobs timer (paused; a run in progress is tracked and waited for, where
        APScheduler's shutdown would cancel it), then each shard's gateway connection (`ShardInfo.disconnect`;
        answering an interaction needs only HTTP). discord.py's own close() comes after the wait, because it
        unloads the cogs and closes the HTTP session: run first (as it was), the handlers still running could
        not answer, and the database closed under them (cards posted with no stored intro). A second call
        waits for the first.
        """
        if self._closing is None:
            self._closing = asyncio.create_task(self._close(), name="lantern-close")
        await asyncio.shield(self._closing)

    async def _close(self) -> None:
        timer = self.scheduler.running
        if timer:
            self.scheduler.pause()
        for shard_id, shard in self.shards.items():
            try:
                await shard.disconnect()
            except Exception:  # a shard that never connected, or a socket already gone: nothing to stop
                log.debug("shard %s was not connected at shutdown", shard_id, exc_info=True)
        await self.wait_for_in_flight(SHUTDOWN_GRACE_SECONDS)
        if timer:
            self.scheduler.shutdown(wait=False)
        await super().close()
        await self.db.dispose()
        if self.run_lock is not None:
            self.run_lock.release()

    def _pending_work(self) -> set[asyncio.Task[Any]]:
        current = asyncio.current_task()
        named = {task for task in asyncio.all_tasks() if task.get_name().startswith(IN_FLIGHT_TASK_PREFIXES)}
        return {task for task in self.in_flight | named if task is not current and not task.done()}

    async def wait_for_in_flight(self, grace_seconds: float) -> int:
        """Wait (up to `grace_seconds` in all) for the work in flight, and for any work it starts meanwhile.
        Returns how many tasks it waited for; logs the ones still running when the grace runs out."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace_seconds
        await asyncio.sleep(0)  # a task created but not yet started (a due-jobs run) tracks itself first
        waited: set[asyncio.Task[Any]] = set()
        while pending := self._pending_work():
            if not waited:
                log.info("waiting for %d in-flight handlers before shutting down", len(pending))
            waited |= pending
            remaining = deadline - loop.time()
            if remaining <= 0:
                names = sorted(task.get_name() for task in pending)
                log.warning("shutting down with %d handlers still running: %s", len(pending), ", ".join(names))
                break
            await asyncio.wait(pending, timeout=remaining)
        return len(waited)


def create_bot(settings: Settings, *, clock: Clock | None = None) -> LanternBot:
    """Build the bot. No network and no side effects until it logs in."""
    return LanternBot(settings, clock=clock)


MISSING_TOKEN = "no Discord token: copy .env.example to .env and set DISCORD_TOKEN (or export DISCORD_TOKEN)."
REJECTED_TOKEN = "Discord rejected the token in DISCORD_TOKEN: reset it in the developer portal and update .env."


async def _run(settings: Settings, token: str) -> None:
    bot = create_bot(settings)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):  # not on Windows
            loop.add_signal_handler(signum, lambda: asyncio.ensure_future(bot.close()))
    async with bot:
        await bot.start(token)


MISSING_ACCESS = 50001  # Discord's code when the bot may not touch that server's commands


def error_tree(error: discord.HTTPException) -> Any:
    """The field-by-field errors Discord sent with a 400 (discord.py keeps them, unflattened, on `_errors`)."""
    return getattr(error, "_errors", None)


async def _sync(settings: Settings, token: str, guild_id: int | None) -> int:
    bot = create_bot(settings.model_copy(update={"scheduler_enabled": False, "sync_commands_on_start": False}))
    async with bot:
        await bot.login(token)
        try:
            synced = await bot.sync_commands(guild_id)
        except discord.HTTPException as error:
            reason = error.text.splitlines()[0] if error.text else ""
            line = describe_refusal(error.status, error.code, reason, error_tree(error), bot.command_payload(guild_id))
            if error.code == MISSING_ACCESS and guild_id is not None:
                line += f". Is Lantern in server {guild_id}, invited with the applications.commands scope?"
            return cli.fail(line, 1)
    where = f"guild {guild_id}" if guild_id else "every server (global; Discord may take up to an hour)"
    print(f"Synced {len(synced)} commands to {where}.")
    return 0


async def _migrate(settings: Settings) -> int:
    database = Database(settings.database_url)
    database.prepare()
    try:
        await upgrade_to_head(database)
    except DatabaseNewerThanCode as error:
        return cli.fail(str(error))
    finally:
        await database.dispose()
    print(f"Database is up to date ({database.kind}).")
    return 0


def settings_problems(error: ValidationError) -> str:
    """Each invalid setting by its environment name and why, on one line: `PRIVACY_NOTICE_URL: must be …`."""
    problems = []
    for found in error.errors():
        name = str(found["loc"][0]).upper() if found["loc"] else "a setting"
        reason = found["msg"].removeprefix("Value error, ")
        problems.append(f"{name}: {reason}")
    return "; ".join(problems)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["demo"]:  # needs the dev requirements (SimCord); no token, no .env
        cli.hand_over_to_demo(arguments[1:])
    args = cli.build_parser().parse_args(arguments)

    try:
        settings = Settings()
    except ValidationError as error:
        return cli.fail(f"the settings in .env or the environment are invalid: {settings_problems(error)}")
    except Exception as error:  # an unreadable .env, say: one line
        return cli.fail(f"the settings in .env or the environment are invalid: {error}".splitlines()[0])
    # `sync` is a one-shot command: its answer is its one line; the log says only what went wrong.
    quiet = args.command == "sync" and logging.getLevelName(settings.log_level) < logging.WARNING
    cli.configure_logging("WARNING" if quiet else settings.log_level)

    if args.command == "migrate":
        return asyncio.run(_migrate(settings))
    if args.command == "backup":
        return operations.backup(settings, args.path)
    if args.command == "restore":
        return operations.restore(settings, args.path)
    if args.command == "doctor":
        return asyncio.run(operations.doctor(settings, online=not args.offline))

    token = settings.token_value()
    if token is None:
        return cli.fail(MISSING_TOKEN)
    try:
        if args.command == "sync":
            guild_id = args.guild if args.guild is not None else settings.dev_guild_id
            return asyncio.run(_sync(settings, token, guild_id))
        asyncio.run(_run(settings, token))
    except discord.LoginFailure:
        return cli.fail(REJECTED_TOKEN)
    except DatabaseNewerThanCode as error:
        return cli.fail(str(error))
    except ProtectionKeyError as error:
        return cli.fail(str(error))
    except discord.PrivilegedIntentsRequired:
        return cli.fail("Discord refused the Server Members intent: enable it under Bot → Privileged Gateway Intents.")
    except (OSError, aiohttp.ClientError, discord.GatewayNotFound) as error:
        return cli.fail(f"I couldn't reach Discord ({error.__class__.__name__}); check the network.", 1)
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
