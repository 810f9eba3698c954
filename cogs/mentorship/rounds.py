"""Matching rounds: build the pool, run the engine, create one proposal per pair, send them.

A manual round is `/pairing run`; a scheduled one is claimed in the database (`next_round_at` moved
on by a conditional update) so two processes never run the same round.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

import discord

from cogs.intros.tags import normalise_tags
from cogs.mentorship import rules
from cogs.mentorship.delivery import FEATURE
from cogs.mentorship.matching_runner import match_off_loop
from core.errors import FeatureNotConfigured
from core.heap import full_collections_paused
from core.jobs import backoff
from engine import matching
from storage import mentorship as store
from storage.guilds import enabled_themes
from storage.models.mentorship import NOTICE_INVITE, MenteeProfile, MentorProfile

if TYPE_CHECKING:
    from bot import LanternBot
    from cogs.mentorship.flow import Flow
    from cogs.mentorship.followup import Followups
    from config import Settings

log = logging.getLogger(__name__)


@dataclass
class RoundOutcome:
    mentors: int
    mentees: int
    pairs: list[matching.Pair] = field(default_factory=list)  # the first SHOWN_PAIRS of them, for the summary
    proposed: int = 0  # pairs the round found (proposals created may be fewer: a pair proposed meanwhile)
    created: list[int] = field(default_factory=list)  # the ids of the proposals created
    unmatched: int = 0
    dry_run: bool = False


def theme_keys(text: str) -> frozenset[str]:
    return frozenset(rules.split_keys(text))


Parse = Callable[[str], frozenset[str]]


def weights(settings: Settings) -> matching.Weights:
    """The score's weights the deployer chose (`MATCH_WEIGHTS`), for rounds and forced proposals alike."""
    return matching.Weights(*settings.weight_points())


def engine_mentee(
    profile: MenteeProfile, tags: Parse = normalise_tags, keys: Parse = theme_keys
) -> matching.MenteeProfile:
    preference = "similar" if profile.heritage_preference == "similar" else "any"
    return matching.MenteeProfile(
        id=profile.user_id,
        themes=keys(profile.themes),
        heritages=tags(profile.heritages),
        languages=tags(profile.languages),
        timezone=profile.timezone,
        heritage_preference=cast(Literal["similar", "any"], preference),
        max_timezone_gap_hours=profile.max_timezone_gap_hours,
    )


def engine_mentor(
    profile: MentorProfile, places: int, tags: Parse = normalise_tags, keys: Parse = theme_keys
) -> matching.MentorProfile:
    return matching.MentorProfile(
        id=profile.user_id,
        themes=keys(profile.themes),
        not_covered=keys(profile.not_covered),
        heritages=tags(profile.heritages),
        languages=tags(profile.languages),
        timezone=profile.timezone,
        capacity=places,
    )


A = TypeVar("A")
B = TypeVar("B")
SHOWN_PAIRS = 100  # pairs a round's outcome keeps for the moderator's summary (a message shows fewer still)
PROFILE_SLICE = 250  # engine profiles (or other items) built or freed between two turns of the event loop (~25 ms)


class Parser:
    """Database profiles as the engine's, for one round. Equal free-text fields are normalised once and share one
    frozenset (members of a community repeat their heritages and languages): far less work, and far fewer
    objects for the collector, at 50,000 members."""

    def __init__(self) -> None:
        self.tags, self.keys = _memo(normalise_tags), _memo(theme_keys)

    def mentee(self, profile: MenteeProfile) -> matching.MenteeProfile:
        return engine_mentee(profile, self.tags, self.keys)

    def mentor(self, profile: MentorProfile, places: int) -> matching.MentorProfile:
        return engine_mentor(profile, places, self.tags, self.keys)


def _memo(parse: Parse) -> Parse:
    """`parse`, remembering each text's answer for as long as the returned function lives (one round)."""
    seen: dict[str, frozenset[str]] = {}

    def parsed(text: str) -> frozenset[str]:
        found = seen.get(text)
        if found is None:
            found = seen[text] = parse(text)
        return found

    return parsed


async def in_slices(items: Sequence[A], build: Callable[[A], B]) -> list[B]:
    """`build` of each item, PROFILE_SLICE at a time, letting the event loop run between slices."""
    built: list[B] = []
    for start in range(0, len(items), PROFILE_SLICE):
        built.extend(build(item) for item in items[start : start + PROFILE_SLICE])
        await asyncio.sleep(0)
    return built


def new_proposal(pair: matching.Pair) -> store.NewProposal:
    return store.NewProposal(
        mentor_id=pair.mentor_id,
        mentee_id=pair.mentee_id,
        score=pair.score,
        reason=pair.reason[:300],
        shared_themes=rules.join_keys(pair.shared_themes),
    )


async def release(*lists: list[Any]) -> None:
    """Empty a round's long lists a slice at a time: freeing 50,000 ORM profiles at once, when the round's frame
    goes, is a quarter of a second of the event loop (bench/round.py)."""
    for items in lists:
        while items:
            del items[-PROFILE_SLICE:]
            await asyncio.sleep(0)


async def release_set(items: set[Any]) -> None:
    """`release` for a set (a round's exclusions: tens of thousands of pairs)."""
    while items:
        for _ in range(min(len(items), PROFILE_SLICE)):
            items.pop()
        await asyncio.sleep(0)


class RoundTakenOver(Exception):
    """This process's lease on a scheduled round ran out and another process took the round over."""


class Rounds:
    def __init__(self, bot: LanternBot, flow: Flow, followups: Followups) -> None:
        self.bot = bot
        self.flow = flow
        self.followups = followups
        self._executor: Executor | None = None
        self._failures: dict[int, int] = {}  # guild id → scheduled rounds failed in a row (for the backoff)

    def executor(self) -> Executor:
        """One worker process for large pools, so the engine never stalls the event loop."""
        if self._executor is None:
            # forkserver: never fork a process that has database and event-loop threads running
            self._executor = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("forkserver"))
        return self._executor

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    async def compute(
        self,
        mentees: list[matching.MenteeProfile],
        mentors: list[matching.MentorProfile],
        *,
        at: datetime,
        exclusions: set[tuple[int, int]],
        labels: dict[str, str],
    ) -> matching.MatchResult:
        points = weights(self.bot.settings)
        if len(mentees) * len(mentors) <= rules.INLINE_MATCH_LIMIT:
            return matching.match(mentees, mentors, at=at, exclusions=exclusions, theme_labels=labels, weights=points)
        return await match_off_loop(
            self.executor(), mentees, mentors, at=at, exclusions=exclusions, theme_labels=labels, weights=points
        )

    async def run(
        self, guild: discord.Guild, *, dry_run: bool = False, claim: store.RoundClaim | None = None
    ) -> RoundOutcome:
        """One round for `guild`. A dry run computes the proposals and changes nothing.

        The proposals are created with their invitation owed (sent by `Flow.send_owed` at once, and by the
        due work if this process dies first). A scheduled round's `claim` is completed in the same
        transaction, so a round is never both run and left due, nor marked run without its proposals.

        No full garbage collection runs during the round (core/heap.py): the pool's objects are freed (`release`)
        before it ends, so no full collection stops the event loop to walk them."""
        with full_collections_paused():
            return await self._run(guild, dry_run=dry_run, claim=claim)

    async def _run(self, guild: discord.Guild, *, dry_run: bool, claim: store.RoundClaim | None) -> RoundOutcome:
        now = self.bot.clock()
        if not dry_run and await self.flow.mentorship_channel(guild) is None:
            raise FeatureNotConfigured(FEATURE, "mentorship")
        async with self.bot.db.read() as session:
            pool = await store.round_pool(session, guild.id, now, self.bot.protection.pair)
            labels = dict(await enabled_themes(session, guild.id))
        parser = Parser()
        mentees = await in_slices(pool.mentees, parser.mentee)
        mentors = await in_slices(pool.mentors, lambda mentor: parser.mentor(*mentor))
        outcome = RoundOutcome(mentors=len(mentors), mentees=len(mentees), dry_run=dry_run)
        pairs: list[matching.Pair] = []
        if mentees and mentors:
            result = await self.compute(mentees, mentors, at=now, exclusions=pool.exclusions, labels=labels)
            pairs = list(result.pairs)
        outcome.pairs, outcome.proposed = pairs[:SHOWN_PAIRS], len(pairs)
        matched = {pair.mentee_id for pair in pairs}
        left_out = [mentee for mentee in mentees if mentee.id not in matched]
        outcome.unmatched = len(left_out)
        if dry_run:
            await release(pairs, left_out, mentees, mentors, pool.mentees, pool.mentors)
            await release_set(pool.exclusions)
            return outcome
        taken: dict[int, int] = {}
        for pair in pairs:
            taken[pair.mentor_id] = taken.get(pair.mentor_id, 0) + 1
        explained = await self.followups.explain_unmatched(
            guild,
            pool,
            left_out,
            taken,
            now=now,
            labels=labels,
            following=claim.following if claim is not None else None,
            parser=parser,
            executor=self.executor() if len(left_out) * len(mentors) > rules.INLINE_MATCH_LIMIT else None,
        )
        proposed = await in_slices(pairs, new_proposal)
        async with self.bot.db.write() as session:
            if claim is not None and not await store.complete_round(session, claim, now):
                raise RoundTakenOver(guild.id)  # rolls back: the process that took it over creates them
            outcome.created = await store.create_round_proposals(
                session, guild.id, proposed, now=now, expiry=self.flow.expiry, notice=NOTICE_INVITE
            )
            # Owed in the round's transaction: each member it left unmatched hears why, once.
            await self.followups.owe_unmatched(session, guild.id, explained, now)
        if outcome.created:
            await self.flow.send_owed(now, ids=outcome.created)
        if left_out:
            await self.followups.send_due(now)
        await release(pairs, proposed, explained, left_out, mentees, mentors, pool.mentees, pool.mentors)
        await release_set(pool.exclusions)
        return outcome

    async def run_scheduled(self, now: datetime) -> int:
        """Run every scheduled round that is due and that this call leases.

        One guild's round failing never stops another's: it is released and tried again after its backoff
        (1, 2, 4 … minutes); a process that dies mid-round leaves a lease that runs out, and the next run
        takes the round over. A guild in an outage waits (`Flow.reachable`)."""
        async with self.bot.db.write() as session:
            claims = await store.claim_due_rounds(session, now, rules.next_round_at, owns=self.flow.reachable)
        ran = 0
        for claim in claims:
            try:
                ran += await self.run_claimed(claim, now)
            except Exception as error:
                failures = self._failures.get(claim.guild_id, 0) + 1
                self._failures[claim.guild_id] = failures
                retry_at = now + backoff(failures)
                async with self.bot.db.write() as session:
                    await store.release_round(session, claim, retry_at)
                if failures == 1:
                    log.error(
                        "the scheduled round of guild %s failed; tried again at %s",
                        claim.guild_id,
                        retry_at.isoformat(),
                        exc_info=error,
                    )
                else:
                    log.debug("the scheduled round of guild %s failed again (%d): %s", claim.guild_id, failures, error)
            else:
                if self._failures.pop(claim.guild_id, 0):
                    log.info("the scheduled round of guild %s ran after failing", claim.guild_id)
        return ran

    async def run_claimed(self, claim: store.RoundClaim, now: datetime) -> int:
        guild = self.bot.get_guild(claim.guild_id)
        if guild is None:  # Lantern is no longer in that server: nothing to run, the schedule moves on
            async with self.bot.db.write() as session:
                await store.complete_round(session, claim, now)
            return 0
        try:
            outcome = await self.run(guild, claim=claim)
        except FeatureNotConfigured:
            async with self.bot.db.write() as session:
                await store.complete_round(session, claim, now)
            await self.bot.modlog.post(
                claim.guild_id,
                "Scheduled pairing round skipped",
                "Mentor pairing needs a mentorship channel: `/setup channels mentorship:`.",
            )
            return 0
        except RoundTakenOver:
            log.info("the scheduled round of guild %s was taken over by another process", claim.guild_id)
            return 0
        await self.bot.modlog.post(
            claim.guild_id,
            "Scheduled pairing round",
            f"{len(outcome.created)} proposals sent ({outcome.mentees} people waiting for a mentor, "
            f"{outcome.mentors} mentors with a place).",
        )
        return 1
