"""Screenshots of the real bot, for the README: `python -m tools.screenshots [--out docs/img]`.

Runs Lantern in SimCord (no Discord, no token) on a temporary SQLite file, seeds a small community
(tools/seed.py) and captures each journey with SimCord's preview in a headless Chromium. It uses the
system Chromium (Debian: /usr/lib/chromium/chromium; or set LANTERN_CHROMIUM) by redirecting Playwright's
launch, so `playwright install` isn't needed. A journey whose feature doesn't work yet is skipped with the
reason printed; the others still run. Exit status: 0 if every shot was written, 1 if some were skipped,
2 if no browser was found.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import traceback
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import simcord
from sqlalchemy import func, select

from bot import create_bot
from storage.models.occasions import GuildOccasion
from tools import avatars, seed
from tools.world import World, build_world, make_settings

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "docs" / "img"
CHROMIUM_CANDIDATES = ("/usr/lib/chromium/chromium", "/usr/lib/chromium-browser/chromium-browser")
WIDTH = 900

ANONYMOUS_ANSWER = (
    "I never learned to cook anything from my mum's side, and I've felt too embarrassed to ask her now. "
    "Reading this thread, I think I'll ask her for her adobo this weekend."
)
# username → /circle join options: four members who'd like a small group about identity and culture.
CIRCLE_JOINS: dict[str, dict[str, str]] = {
    "leilani": {"themes": "identity, culture", "timezone": "Pacific/Honolulu", "heritages": "Chinese, Native Hawaiian"},
    "mika.tr": {"themes": "identity, culture", "timezone": "America/Vancouver", "heritages": "Japanese, Filipino"},
    "sofia.nga": {"themes": "identity, culture", "timezone": "America/Chicago", "heritages": "Vietnamese, Mexican"},
    "hana.pj": {"themes": "culture, identity", "timezone": "America/Los_Angeles", "heritages": "Korean, Danish"},
}
CIRCLE_HELLO = (
    "leilani",
    "Aloha, everyone! For number 3: my popo's saying, “eat first, argue later”. Works in every family.",
)
OCCASIONS = "lunar-new-year, tet, seollal"  # one post: all three fall on 17 February 2026


def find_chromium() -> str | None:
    """The system Chromium binary (not a wrapper script), or None."""
    configured = os.environ.get("LANTERN_CHROMIUM")
    for candidate in (configured,) if configured else CHROMIUM_CANDIDATES:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


@contextlib.contextmanager
def system_chromium(executable: str) -> Iterator[None]:
    """Make Playwright's `chromium.launch()` (which SimCord calls with no arguments) use `executable`."""
    from playwright.async_api import BrowserType

    original = BrowserType.launch

    async def launch(self: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("executable_path", executable)
        return await original(self, **kwargs)

    BrowserType.launch = launch  # type: ignore[method-assign]  # a deliberate monkeypatch, undone below
    try:
        yield
    finally:
        BrowserType.launch = original  # type: ignore[method-assign]  # restoring the original


@contextlib.contextmanager
def quick_settle() -> Iterator[None]:
    """SimCord polls for quiet every 50 ms; 2 ms makes a run several times faster (private API, SimCord 3.2.1)."""
    defaults = simcord.Env._settle_internal.__kwdefaults__
    assert defaults is not None  # it has keyword-only defaults, `idle` among them
    original = defaults.get("idle")
    defaults["idle"] = 0.002
    try:
        yield
    finally:
        defaults["idle"] = original


@dataclass(frozen=True)
class Shot:
    file: str
    caption: str


@dataclass
class Report:
    written: list[tuple[Shot, Path]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


async def _capture(
    world: World,
    channel: Any,
    viewer: Any,
    path: Path,
    *,
    target: Any = None,
    mode: str = "surface",
    height: int = 600,
    width: int = WIDTH,
    assets: dict[str, tuple[str, bytes]] | None = None,
) -> None:
    if assets is None:
        assets = avatars.assets_for(world)
    async with world.env.preview(
        channel, viewers=[viewer], layout="channel", width=width, height=height, assets=assets
    ) as preview:
        await preview.screenshot(path, target=target, mode=mode)


Journey = Callable[[World, seed.Community, Path], Awaitable[list[Shot]]]


async def intros(world: World, community: seed.Community, out: Path) -> list[Shot]:
    await seed.write_intros(community)
    cards = [m for m in world.intro.history() if m.embeds]
    mika = next(m for m in cards if (m.embeds[0].title or "").startswith("Mika"))
    kai = community["kai.nob"]
    await _capture(world, world.intro, kai, out / "intro-card.png", target=mika)
    found = await community["mika.tr"].slash(world.general, "intro find")  # what her own intro shares
    await _capture(world, world.general, community["mika.tr"], out / "intro-find.png", target=found)
    return [
        Shot("intro-card.png", "A member's introduction card, in their own words, with their heritages and languages."),
        Shot("intro-find.png", "`/intro find`: members who share heritages, languages or themes, shown privately."),
    ]


async def welcome(world: World, community: seed.Community, out: Path) -> list[Shot]:
    newcomer = await seed.newcomer_joins(world)
    message = world.welcome.last_message
    await _capture(world, world.welcome, newcomer, out / "welcome.png", target=message)
    return [Shot("welcome.png", "A newcomer is welcomed with a button that opens the introduction form.")]


async def prompts(world: World, community: seed.Community, out: Path) -> list[Shot]:
    thread = await seed.post_prompt_with_replies(community)
    await _capture(world, world.prompts, community["mika.tr"], out / "prompt.png", mode="viewport", height=420)
    await _capture(world, thread, community["mika.tr"], out / "prompt-thread.png", mode="viewport", height=640)
    return [
        Shot("prompt.png", "A scheduled discussion prompt, posted with its own thread."),
        Shot("prompt-thread.png", "Members answering the prompt in its thread."),
    ]


async def setup_show(world: World, community: seed.Community, out: Path) -> list[Shot]:
    await world.mod.slash(world.general, "setup options", timezone="Asia/Manila", pairing_checkins="14,45")
    shown = await world.mod.slash(world.general, "setup show")
    await _capture(world, world.general, world.mod, out / "setup-show.png", target=shown, height=720)
    return [Shot("setup-show.png", "`/setup show`: where each feature posts, the options, and what is missing.")]


async def mentorship(world: World, community: seed.Community, out: Path) -> list[Shot]:
    dm = await seed.mentor_proposal(community)
    if dm is None or not dm.history():
        raise RuntimeError("the pairing round sent Arjun no proposal DM")
    await _capture(world, dm, community["arjun.w"].user, out / "mentor-proposal.png", target=dm.history()[-1])
    thread = await seed.accept_pairing(community)
    await _capture(world, thread, community["sofia.nga"], out / "pair-thread.png", mode="viewport", height=640)
    return [
        Shot(
            "mentor-proposal.png",
            "A mentor proposal arrives by DM, with the reason for the match; nothing happens without a yes.",
        ),
        Shot("pair-thread.png", "Once both accept, a private thread for the pair with conversation starters."),
    ]


async def resources(world: World, community: seed.Community, out: Path) -> list[Shot]:
    card = await seed.share_resources(community)
    if card is None or not card.embeds:
        raise RuntimeError("sharing a resource posted no card in #resources")
    await _capture(world, world.resources, community["hana.pj"], out / "resource-card.png", target=card)
    found = await community["hana.pj"].slash(world.general, "resource search", query="heritage")
    await _capture(world, world.general, community["hana.pj"], out / "resource-search.png", target=found)
    return [
        Shot("resource-card.png", "A shared resource in the library, with Helped me and Save buttons."),
        Shot("resource-search.png", "`/resource search`: results from the library, shown privately."),
    ]


async def prompt_stats(world: World, community: seed.Community, out: Path) -> list[Shot]:
    """Six more weeks of prompts with replies, then `/prompts stats`; the chart itself is saved."""
    await world.mod.slash(
        world.general,
        "prompts schedule",
        channel=world.prompts,
        cadence="weekly monday",
        time="18:00",
        themes="identity",
    )
    schedules = {1: "culture", 2: "identity"}
    repliers = [community[name] for name in seed.PROMPT_REPLIES_ORDER]
    for week in range(6):
        for schedule, replies in ((1, 3 + (week * 5) % 7), (2, 2 + (week * 3) % 5)):
            await world.env.advance_time(3600)
            await world.mod.slash(world.general, "prompts post", schedule=schedule)
            thread = world.prompts.threads[-1]
            for n in range(replies):
                await repliers[(n + week) % len(repliers)].send(thread, seed.short_reply(schedules[schedule], n))
    result = await world.mod.slash(world.general, "prompts stats")
    assert result.response is not None
    [attachment] = result.response.attachments
    (out / "prompt-stats.png").write_bytes(await attachment.read())
    return [
        Shot(
            "prompt-stats.png",
            "`/prompts stats`: replies per prompt thread by theme (small themes folded into “other”).",
        )
    ]


def _labels(message: Any) -> list[str]:
    """The button labels on a message (an interaction response's components are plain dicts)."""
    rows = [row if isinstance(row, dict) else row.to_dict() for row in message.components]
    return [str(child.get("label", "")) for row in rows for child in row.get("components", [])]


def _dish_prompt(world: World) -> Any:
    """The prompt the `prompts` journey posted (seed.PROMPT_TEXT), or None."""
    shown = (m for m in world.prompts.history() if m.embeds and seed.PROMPT_TEXT in str(m.embeds[0].description))
    return next(shown, None)


async def anonymous_answer(world: World, community: seed.Community, out: Path) -> list[Shot]:
    """Hana answers the dish prompt anonymously; a moderator approves it from the review queue."""
    prompt = _dish_prompt(world)
    if prompt is None:  # run on its own (--only): post the prompt first
        await seed.post_prompt_with_replies(community)
        prompt = _dish_prompt(world)
    assert prompt is not None
    thread = next(t for t in world.prompts.threads if t.id == prompt.id)
    hana = community["hana.pj"]
    form = await hana.click(prompt, label="Answer anonymously")
    await hana.submit_modal(form, {"answer": ANONYMOUS_ANSWER})
    queue = await world.mod.slash(world.general, "prompts review", queue="answers")
    assert queue.response is not None
    approve = next((label for label in _labels(queue.response) if label.startswith("Approve #")), None)
    if approve is None:
        raise RuntimeError("the anonymous answer is not in the review queue")
    await world.mod.click(queue.response, label=approve)
    await _capture(world, thread, community["mika.tr"], out / "prompt-anonymous.png", mode="viewport", height=640)
    return [
        Shot("prompt-anonymous.png", "An anonymous answer in a prompt's thread, posted once a moderator approved it.")
    ]


async def circle(world: World, community: seed.Community, out: Path) -> list[Shot]:
    """Four members join peer circles, a moderator forms them, each says yes by DM: the circle's thread opens."""
    for name, options in CIRCLE_JOINS.items():
        await community[name].slash(world.general, "circle join", **options)
    await world.mod.slash(world.general, "circles form")
    members = [community[name] for name in CIRCLE_JOINS]
    invitations = [member.user.dm_channel.history()[-1] if member.user.dm_channel else None for member in members]
    if any(dm is None or "Join" not in _labels(dm) for dm in invitations):
        raise RuntimeError("forming circles sent no invitation with a Join button")
    await _capture(world, members[0].user.dm_channel, members[0].user, out / "circle-invite.png", target=invitations[0])
    for member, invitation in zip(members, invitations, strict=True):
        await member.user.click(invitation, label="Join")
    thread = world.mentorship.threads[-1] if world.mentorship.threads else None
    if thread is None or not (thread.name or "").startswith("Circle"):
        raise RuntimeError("the circle formed no thread in #mentorship")
    name, hello = CIRCLE_HELLO
    await community[name].send(thread, hello)
    await _capture(world, thread, community[name], out / "circle-thread.png", mode="viewport", height=520)
    return [
        Shot("circle-invite.png", "A peer-circle invitation by DM: Join or No thanks, and nobody is told who said no."),
        Shot(
            "circle-thread.png", "Once three say yes: the circle's private thread, with starters from what they share."
        ),
    ]


async def calendar_occasion(world: World, community: seed.Community, out: Path) -> list[Shot]:
    """A moderator turns on the lunar new years; on the day, Lantern posts one occasion prompt with a thread."""
    await world.mod.slash(world.general, "prompts calendar", occasions=OCCASIONS, channel=world.prompts)
    async with world.bot.db.read() as session:
        due = await session.scalar(
            select(func.min(GuildOccasion.next_at)).where(GuildOccasion.guild_id == world.guild.id)
        )
    if due is None:
        raise RuntimeError("turning on the calendar scheduled no occasion")
    await world.env.advance_time(max(0.0, (due - world.bot.clock()).total_seconds()))
    await world.bot.run_due_jobs()
    post = next((m for m in reversed(world.prompts.history()) if m.embeds and "Tết" in str(m.embeds[0].title)), None)
    if post is None:
        raise RuntimeError("the occasion's day came and nothing was posted")
    await _capture(world, world.prompts, community["sofia.nga"], out / "calendar-occasion.png", target=post)
    return [
        Shot(
            "calendar-occasion.png", "The cultural calendar: on Lunar New Year, Tết and Seollal, a prompt for the day."
        )
    ]


JOURNEYS: tuple[tuple[str, Journey], ...] = (
    ("intros", intros),
    ("welcome", welcome),
    ("prompts", prompts),
    ("setup show", setup_show),
    ("mentorship", mentorship),
    ("resources", resources),
    ("prompt stats", prompt_stats),
    ("anonymous answer", anonymous_answer),
    ("peer circle", circle),
    ("calendar", calendar_occasion),  # last: it moves the clock weeks ahead
)


async def run(out: Path, *, only: Sequence[str] = ()) -> Report:
    """Drive the bot through each journey and write its PNGs to `out` (an existing folder)."""
    report = Report()
    with tempfile.TemporaryDirectory(prefix="lantern-shots-") as scratch:
        settings = make_settings(f"sqlite+aiosqlite:///{Path(scratch) / 'lantern.db'}")
        bot = create_bot(settings)
        async with simcord.run(bot, check_errors=False, settle_timeout=30) as env:
            world = await build_world(
                env, settings, guild_name=seed.GUILD_NAME, names=seed.WORLD_NAMES, user_options=seed.user_options()
            )
            await seed.name_the_bot(world)
            community = await seed.add_members(world)
            for name, journey in JOURNEYS:
                if only and name not in only:
                    continue
                errors_before = len(env.errors)
                try:
                    shots = await journey(world, community, out)
                except Exception as error:  # a feature still being finished: say why, carry on
                    why = f"{error.__class__.__name__}: {error}".strip()
                    bot_errors = env.errors[errors_before:]
                    if bot_errors:
                        why += f" (the bot raised {bot_errors[0].__class__.__name__}: {bot_errors[0]})"
                    report.skipped.append((name, why.splitlines()[0][:300]))
                    if os.environ.get("LANTERN_SHOTS_DEBUG"):
                        traceback.print_exc()
                    continue
                for shot in shots:
                    report.written.append((shot, out / shot.file))
            await bot.close()
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.screenshots", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the PNGs (default: docs/img)")
    parser.add_argument("--only", action="append", default=[], help="run only this journey (repeatable)")
    args = parser.parse_args(argv)
    chromium = find_chromium()
    if chromium is None:
        print("screenshots: no Chromium found; install it (apt-get install chromium) or set LANTERN_CHROMIUM.")
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    with system_chromium(chromium), quick_settle():
        report = asyncio.run(run(args.out, only=args.only))
    for shot, path in report.written:
        print(f"wrote {path}  ({shot.caption})")
    for name, why in report.skipped:
        print(f"skipped {name}: {why}")
    return 1 if report.skipped else 0


if __name__ == "__main__":
    sys.exit(main())
