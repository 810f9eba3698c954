"""Try Lantern without a token: `./lantern demo` (`python -m tools.demo`; `lantern demo` hands over to it).

Starts the real bot against a simulated server (SimCord), seeds a few members, their intros, a prompt
with replies and a mentor offer and request, then serves SimCord's local preview on 127.0.0.1 and prints
its address. Open it in a browser: pick who you are in the viewer list (a member or the moderator),
type slash commands in the composer (`/intro write`, `/mentor request`, `/pairing run`, `/prompt random`,
`/resource search`, `/setup show`, `/prompts stats`) and click the buttons Lantern answers with. Ctrl-C stops it.

What SimCord's preview (3.2.1) can't do, and what this demo does instead:
- A preview shows one channel, chosen when it starts; the page has no channel switcher (and only one
  preview may run per simulated server). So the demo gives the organiser one room: every feature posts
  in `#lantern` (intros, welcomes, prompts, resources; pair threads open there too), and `--channel`
  shows one of the other channels instead (`introductions`, `general`, `mod-log`).
- Threads and DMs are channels of their own, so a prompt's thread, a pair thread and the mentor
  proposal DMs (with their Accept/Decline buttons) don't open from the page. The demo therefore seeds a
  pairing already accepted by both (Arjun mentors Sofia; see `/mentor status` as either, `/pairing list`
  as Stella), and the channel shows the prompt with its thread's name and reply count. `/pairing run`
  works from the page, but the proposals it sends land in DMs the page can't show.
- The viewer list is limited to members named when the preview starts (the seeded ones).

The database is a temporary SQLite file, deleted on exit. The demo never connects to Discord.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import simcord

from bot import create_bot
from core.cli import configure_logging
from tools import avatars, seed
from tools.world import World, build_world, make_settings

CHANNELS = ("lantern", "introductions", "general", "mod-log")


async def build_demo(env: simcord.Env, settings: Any) -> tuple[World, seed.Community, dict[str, Any]]:
    """The demo server: the usual world plus a #lantern channel every feature posts in, seeded."""
    world = await build_world(
        env,
        settings,
        configure=False,
        guild_name=seed.GUILD_NAME,
        names=seed.WORLD_NAMES,
        user_options=seed.user_options(),
    )
    await seed.name_the_bot(world)
    lantern = world.guild.create_text_channel("lantern")
    await env.settle()
    await world.mod.slash(
        world.general,
        "setup channels",
        intro=lantern,
        welcome=lantern,
        prompts=lantern,
        resources=lantern,
        mentorship=lantern,
        modlog=world.modlog,
    )
    channels = {"lantern": lantern, "introductions": world.intro, "general": world.general, "mod-log": world.modlog}
    world.intro = world.welcome = world.prompts = world.resources = world.mentorship = lantern
    community = await seed.add_members(world)
    await seed.write_intros(community)
    steps = (seed.post_prompt_with_replies, seed.share_resources, seed.mentor_proposal, seed.accept_pairing)
    for step in steps:
        try:
            await step(community)
        except Exception as error:  # a feature still being finished: the demo runs without it
            print(f"demo: skipped {step.__name__}: {error.__class__.__name__}: {error}".splitlines()[0])
    await seed.newcomer_joins(world)
    return world, community, channels


async def serve(
    *,
    host: str = "127.0.0.1",
    port: int | None = None,
    seconds: float | None = None,
    channel: str = "lantern",
    ready: asyncio.Event | None = None,
    announce: Any = print,
) -> int:
    """Run the demo until Ctrl-C, `seconds` elapse, or the page's Close button. Returns an exit status."""
    if host not in ("127.0.0.1", "localhost"):
        announce("demo: SimCord's preview serves on 127.0.0.1 only; ignoring --host " + host)
    with tempfile.TemporaryDirectory(prefix="lantern-demo-") as scratch:
        settings = make_settings(f"sqlite+aiosqlite:///{Path(scratch) / 'lantern.db'}")
        bot = create_bot(settings)
        async with simcord.run(bot, check_errors=False, settle_timeout=30) as env:
            world, community, channels = await build_demo(env, settings)
            shown = channels[channel]
            viewers = [world.mod, *(m for name, m in community.members.items() if name != seed.WORLD_NAMES[2])]
            preview = env.preview(
                shown,
                viewers=viewers,
                layout="channel",
                width=1200,
                height=820,
                port=port,
                assets=avatars.assets_for(world),
            )
            async with preview:
                announce(f"Lantern demo: open {preview.url}")
                announce("You are Stella, a moderator; pick another member under Viewer. Ctrl-C stops the demo.")
                if ready is not None:
                    ready.set()
                waiters: list[asyncio.Future[Any]] = [asyncio.ensure_future(preview.wait_closed())]
                if seconds is not None:
                    waiters.append(asyncio.ensure_future(asyncio.sleep(seconds)))
                stop = asyncio.Event()
                loop = asyncio.get_running_loop()
                for signum in (signal.SIGINT, signal.SIGTERM):
                    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                        loop.add_signal_handler(signum, stop.set)
                waiters.append(asyncio.ensure_future(stop.wait()))
                try:
                    await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for waiter in waiters:
                        waiter.cancel()
                    for signum in (signal.SIGINT, signal.SIGTERM):
                        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                            loop.remove_signal_handler(signum)
            await bot.close()
    announce("Lantern demo stopped.")
    return 0


def run(host: str, port: int | None, seconds: float | None, channel: str) -> int:
    try:
        return asyncio.run(serve(host=host, port=port, seconds=seconds, channel=channel))
    except KeyboardInterrupt:
        return 0


def add_arguments(parser: Any) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to serve on (SimCord serves loopback only)")
    parser.add_argument("--port", type=int, default=None, help="port to serve on (default: a free one)")
    parser.add_argument("--seconds", type=float, default=None, help="stop by itself after this many seconds")
    parser.add_argument("--channel", choices=CHANNELS, default="lantern", help="the channel the page shows")


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m tools.demo", description="Try Lantern without a token.")
    add_arguments(parser)
    args = parser.parse_args(argv)
    configure_logging("WARNING")
    return run(args.host, args.port, args.seconds, args.channel)


if __name__ == "__main__":
    raise SystemExit(main())
