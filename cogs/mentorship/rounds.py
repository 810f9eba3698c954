"""Matching rounds: build the pool, run the engine, create one proposal per pair, send them.

A manual round is `/pairing run`; a scheduled one is claimed in the database (`next_round_at` moved
on by a conditional update) so two processes never run the same round.
"""

from __future__ import annotations

import logging
import multiprocessing
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal, cast

import discord

from cogs.intros.tags import normalise_tags
from cogs.mentorship import matching, rules
from cogs.mentorship.flow import FEATURE
from cogs.mentorship.matching_runner import match_off_loop
from core.errors import FeatureNotConfigured
from storage import mentorship as store
from storage.guilds import enabled_themes
from storage.models.mentorship import MenteeProfile, MentorProfile, MentorshipProposal

if TYPE_CHECKING:
    from bot import LanternBot
    from cogs.mentorship.flow import Flow

log = logging.getLogger(__name__)


@dataclass
class RoundOutcome:
    mentors: int
    mentees: int
    pairs: list[matching.Pair] = field(default_factory=list)
    created: list[MentorshipProposal] = field(default_factory=list)
    unmatched: int = 0
    dry_run: bool = False


def engine_mentee(profile: MenteeProfile) -> matching.MenteeProfile:
    preference = "similar" if profile.heritage_preference == "similar" else "any"
    return matching.MenteeProfile(
        id=profile.user_id,
        themes=frozenset(rules.split_keys(profile.themes)),
        heritages=normalise_tags(profile.heritages),
        languages=normalise_tags(profile.languages),
        timezone=profile.timezone,
        heritage_preference=cast(Literal["similar", "any"], preference),
        max_timezone_gap_hours=profile.max_timezone_gap_hours,
    )


def engine_mentor(profile: MentorProfile, places: int) -> matching.MentorProfile:
    return matching.MentorProfile(
        id=profile.user_id,
        themes=frozenset(rules.split_keys(profile.themes)),
        not_covered=frozenset(rules.split_keys(profile.not_covered)),
        heritages=normalise_tags(profile.heritages),
        languages=normalise_tags(profile.languages),
        timezone=profile.timezone,
        capacity=places,
    )


class Rounds:
    def __init__(self, bot: LanternBot, flow: Flow) -> None:
        self.bot = bot
        self.flow = flow
        self._executor: Executor | None = None

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
        if len(mentees) * len(mentors) <= rules.INLINE_MATCH_LIMIT:
            return matching.match(mentees, mentors, at=at, exclusions=exclusions, theme_labels=labels)
        return await match_off_loop(
            self.executor(), mentees, mentors, at=at, exclusions=exclusions, theme_labels=labels
        )

    async def run(self, guild: discord.Guild, *, dry_run: bool = False) -> RoundOutcome:
        """One round for `guild`. A dry run computes the proposals and changes nothing."""
        now = self.bot.clock()
        if not dry_run and await self.flow.mentorship_channel(guild) is None:
            raise FeatureNotConfigured(FEATURE, "mentorship")
        async with self.bot.db.read() as session:
            pool = await store.round_pool(session, guild.id, now, self.bot.protection.pair)
            labels = dict(await enabled_themes(session, guild.id))
        mentees = [engine_mentee(profile) for profile in pool.mentees]
        mentors = [engine_mentor(profile, places) for profile, places in pool.mentors]
        outcome = RoundOutcome(mentors=len(mentors), mentees=len(mentees), dry_run=dry_run)
        if not mentees or not mentors:
            outcome.unmatched = len(mentees)
            return outcome
        result = await self.compute(mentees, mentors, at=now, exclusions=pool.exclusions, labels=labels)
        outcome.pairs = list(result.pairs)
        outcome.unmatched = len(result.unmatched_mentees)
        if dry_run:
            return outcome
        async with self.bot.db.write() as session:
            for pair in result.pairs:
                proposal = await store.create_proposal(
                    session,
                    guild.id,
                    pair.mentor_id,
                    pair.mentee_id,
                    score=pair.score,
                    reason=pair.reason[:300],
                    shared_themes=rules.join_keys(pair.shared_themes),
                    now=now,
                    expiry=self.flow.expiry,
                )
                if proposal is not None:
                    outcome.created.append(proposal)
        for proposal in outcome.created:
            await self.flow.send_proposal(proposal, "mentor")
        return outcome

    async def run_scheduled(self, now: datetime) -> int:
        """Run every scheduled round that is due and that this call claims."""
        async with self.bot.db.write() as session:
            guild_ids = await store.claim_due_rounds(session, now, rules.next_round_at, owns=self.bot.owns_guild)
        ran = 0
        for guild_id in guild_ids:
            guild = self.bot.get_guild(guild_id)
            if guild is None:
                continue
            try:
                outcome = await self.run(guild)
            except FeatureNotConfigured:
                await self.bot.modlog.post(
                    guild_id,
                    "Scheduled pairing round skipped",
                    "Mentor pairing needs a mentorship channel: `/setup channels mentorship:`.",
                )
                continue
            ran += 1
            await self.bot.modlog.post(
                guild_id,
                "Scheduled pairing round",
                f"{len(outcome.created)} proposals sent ({outcome.mentees} people waiting for a mentor, "
                f"{outcome.mentors} mentors with a place).",
            )
        return ran
