"""Many guilds in one process: time to ready and memory, through SimCord.

    python -m bench.guilds [--guilds 250 500 1000] [--members 100] [--cache-size 5000] [--postgres URL]

For each size, a fresh SimCord world of `guilds` guilds with `members` members each (built with a bare
discord.py client, so Lantern's join handlers don't run 100,000 times), then Lantern is started in it as a
process restart would (`env.restart_bot`): it logs in, runs its setup (migrations, extensions) and receives
READY and every guild. Reported:

* **time to ready**: from `restart_bot` to `bot.is_ready()` with every guild in its cache;
* **RSS**: the process's resident memory before Lantern starts (SimCord's world) and once it is ready, and the
  difference (Lantern, discord.py's caches of guilds, channels, members and roles, SQLAlchemy);
* **after use**: RSS again once every guild has read its configuration and every channel used /prompt random's
  cooldown (the per-guild caches, bounded by `--cache-size`), and how many entries those caches hold.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import json
import logging
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import discord
import simcord
from simcord.env import Env

from bench.load import create_postgres, lighten_simcord, machine
from bot import EXTENSIONS, create_bot
from tools.world import make_settings


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def build(env: Env, guilds: int, members: int) -> list[Any]:
    handles = []
    for index in range(guilds):
        guild = env.create_guild(f"Community {index}")
        for name in ("general", "introductions", "prompts", "mod-log", "resources"):
            guild.create_text_channel(name)
        for member in range(members):
            guild.add_member(env.create_user(f"g{index}m{member}"))
        handles.append(guild)
        if index % 20 == 19:
            await env.settle(timeout=300)
    await env.settle(timeout=300)
    return handles


async def one_size(guilds: int, args: argparse.Namespace, url: str) -> dict[str, Any]:
    for extension in EXTENSIONS:  # imported before "before": code is not per-guild memory
        importlib.import_module(extension)
    settings = make_settings(url).model_copy(update={"scheduler_enabled": False, "cache_size": args.cache_size})
    builder = discord.Client(intents=discord.Intents.all())
    async with simcord.run(builder, check_errors=False, settle_timeout=300) as env:
        started = time.perf_counter()
        handles = await build(env, guilds, args.members)
        built = time.perf_counter() - started
        gc.collect()
        before = rss_mb()
        bot = create_bot(settings)
        start = time.perf_counter()
        await env.restart_bot(bot)
        while not (bot.is_ready() and len(bot.guilds) == guilds):  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        ready = time.perf_counter() - start
        gc.collect()
        after = rss_mb()
        members_cached = sum(len(g.members) for g in bot.guilds)
        # Use every guild's per-guild state once: its configuration copy and each channel's cooldown.
        cog = bot.get_cog("PromptsCog")
        now = datetime.now(UTC)
        for guild in bot.guilds:
            await bot.db.guild_config(guild.id)
            for channel in guild.text_channels:
                cog.random_cooldown.record(channel.id, now)  # type: ignore[union-attr]
            cog.seeded_banks.add(guild.id)  # type: ignore[union-attr]
        gc.collect()
        used = rss_mb()
        cached = {
            "guild configs": len(bot.db.config_cache._copies),
            "cooldowns": len(cog.random_cooldown._uses),  # type: ignore[union-attr]
            "seeded banks": len(cog.seeded_banks),  # type: ignore[union-attr]
        }
        await bot.close()
        del handles
    return {
        "guilds": guilds,
        "members": members_cached,
        "built": built,
        "ready": ready,
        "before": before,
        "after": after,
        "used": used,
        "cached": cached,
    }


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.guilds", description=__doc__.splitlines()[0])
    parser.add_argument("--guilds", type=int, nargs="+", default=[250, 500, 1000])
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--cache-size", type=int, default=5000)
    parser.add_argument("--postgres", metavar="URL", help="run on PostgreSQL instead of SQLite")
    parser.add_argument("--one", action="store_true", help="(internal) measure the first size, print JSON")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    if args.one:
        Env._settle_internal.__kwdefaults__["idle"] = 0.002
        # SimCord gives a bot it attaches 5 s to settle (a fixed argument); a thousand guilds of members take
        # longer than that to arrive and be handled. Harness-only, private API (SimCord 3.2.1).
        settle = Env._settle_internal

        async def patient_settle(self: Env, *rest: Any, timeout: float | None = None, **options: Any) -> Any:  # noqa: ASYNC109
            return await settle(self, *rest, timeout=max(timeout or 0.0, 300.0), **options)

        Env._settle_internal = patient_settle  # type: ignore[method-assign]
        lighten_simcord()
        guilds = args.guilds[0]
        if args.postgres:
            url, drop = await create_postgres(args.postgres)
            try:
                print(json.dumps(await one_size(guilds, args, url)))
            finally:
                await drop()
        else:
            with tempfile.TemporaryDirectory() as folder:
                url = f"sqlite+aiosqlite:///{Path(folder) / 'lantern.db'}"
                print(json.dumps(await one_size(guilds, args, url)))
        return 0
    rows = []
    for guilds in args.guilds:  # each size in a fresh process, so one's memory doesn't colour the next
        command = [sys.executable, "-m", "bench.guilds", "--one", "--guilds", str(guilds)]
        command += ["--members", str(args.members), "--cache-size", str(args.cache_size)]
        if args.postgres:
            command += ["--postgres", args.postgres]
        done = subprocess.run(command, capture_output=True, text=True)  # noqa: ASYNC221
        if done.returncode != 0:
            print(done.stderr[-3000:], file=sys.stderr)
            continue
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(f"{guilds} guilds done", file=sys.stderr)
    print(f"\n{machine()}; `python -m bench.guilds {' '.join(argv if argv is not None else sys.argv[1:])}`\n")
    print(
        "| guilds | members cached | time to ready s | RSS before MB | RSS ready MB | Lantern's share MB | "
        "MB per 1,000 members | RSS after use MB | per-guild caches |\n|---|---|---|---|---|---|---|---|---|"
    )
    for row in rows:
        share = row["after"] - row["before"]
        caches = ", ".join(f"{name} {count}" for name, count in row["cached"].items())
        print(
            f"| {row['guilds']} | {row['members']} | {row['ready']:.1f} | {row['before']:.0f} | {row['after']:.0f} | "
            f"{share:.0f} | {share / max(row['members'], 1) * 1000:.1f} | {row['used']:.0f} | {caches} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
