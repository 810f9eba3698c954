"""Why a round found no mentor for someone, in plain words. Pure: no discord, no database.

The reason is computed from the matcher's own hard rules (engine/matching/scoring.py), applied in order to
every mentor who has opted in, and the first rule that leaves nobody is the one told:
1. theme: no mentor covers any theme the member wants;
2. window: some do, but none within the member's timezone window;
3. met: some fit, but every one was suggested to the member before (blocks and protections kept after an
   erasure fall here too, so a block is never revealed: the member hears "you've met everyone currently
   available", never who, never why);
4. full: some fit and are new to them, but each has every place taken (this round's included) or is
   taking a break.
One suggestion follows, never naming anyone: a theme that has fitting mentors with a place, or a wider
timezone window when that is what stands in the way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from engine import matching
from engine.matching import DAY_MINUTES

THEME, WINDOW, MET, FULL = "theme", "window", "met", "full"


@dataclass(frozen=True)
class Mentor:
    profile: matching.MentorProfile
    available: bool  # not paused and a place left after this round's proposals


@dataclass(frozen=True)
class Explanation:
    reason: str  # THEME, WINDOW, MET or FULL
    why: str  # "no mentor covering *career* has offered yet"
    suggestion: str


WIDEN = (
    "Allowing a wider time difference (`/mentor request` with a larger `max_timezone_gap`, or none) "
    "would bring in mentors who cover your themes."
)


def _words(keys: Iterable[str], labels: dict[str, str]) -> str:
    names = [f"*{labels.get(key, key).lower()}*" for key in sorted(keys)]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " or " + names[-1]


class Explainer:
    """One round's mentors, as arrays, so that explaining thousands of unmatched mentees stays cheap (numpy,
    no per-pair Python): the same rules as `engine.matching`'s `scored_pair` (themes covered, the circular timezone gap
    against the mentee's window, DST-aware offsets at the round's time) and `match` (exclusions, self)."""

    def __init__(
        self, mentors: Sequence[Mentor], *, at: datetime, excluded: set[tuple[int, int]], labels: dict[str, str]
    ) -> None:
        self.at, self.labels = at, labels
        self.ids = np.array([m.profile.id for m in mentors], dtype=np.int64)
        self.available = np.array([m.available for m in mentors], dtype=bool)
        self.offsets = np.array([matching.offset_minutes(m.profile.timezone, at) for m in mentors], dtype=np.int64)
        covered = [m.profile.themes - m.profile.not_covered for m in mentors]
        self.keys = sorted(set(labels).union(*covered))
        self.column = {key: index for index, key in enumerate(self.keys)}
        self.covers = np.zeros((len(mentors), len(self.keys)), dtype=bool)
        for row, themes in enumerate(covered):
            for key in themes:
                self.covers[row, self.column[key]] = True
        self.counting = self.covers.astype(np.float32)  # a matrix product counts fitting mentors per theme
        self.suggestable = np.array([key in labels for key in self.keys], dtype=bool)
        self.position = {int(user_id): row for row, user_id in enumerate(self.ids.tolist())}
        self.excluded: dict[int, set[int]] = {}
        for first, second in excluded:  # about the two members, in either role
            self.excluded.setdefault(first, set()).add(second)
            self.excluded.setdefault(second, set()).add(first)

    def explain(self, mentee: matching.MenteeProfile) -> Explanation:
        not_self = self.ids != mentee.id
        wanted = [self.column[key] for key in mentee.themes if key in self.column]
        covering = (self.covers[:, wanted].any(axis=1) if wanted else np.zeros(len(self.ids), bool)) & not_self
        gap = np.abs(self.offsets - matching.offset_minutes(mentee.timezone, self.at)) % DAY_MINUTES
        in_window = np.minimum(gap, DAY_MINUTES - gap) <= matching.window_minutes(mentee)
        new = np.ones(len(self.ids), dtype=bool)
        for other in self.excluded.get(mentee.id, ()):
            row = self.position.get(other)
            if row is not None:
                new[row] = False
        themes = _words(mentee.themes, self.labels)
        hours = mentee.max_timezone_gap_hours
        if not covering.any():
            reason, why = THEME, f"no mentor covering {themes} has offered yet"
        elif not (covering & in_window).any():
            window = f"{hours} hour{'' if hours == 1 else 's'}" if hours is not None else "any time difference"
            reason, why = WINDOW, f"no mentor covering {themes} is within your timezone window ({window}) yet"
        elif not (covering & in_window & new).any():
            reason, why = MET, f"you've met everyone currently available for {themes} within your timezone window"
        else:
            reason, why = (
                FULL,
                (f"every mentor covering {themes} within your timezone window has all their places taken right now"),
            )
        return Explanation(reason, why, self.suggest(mentee, reason, covering, in_window, new & not_self))

    def suggest(
        self, mentee: matching.MenteeProfile, reason: str, covering: np.ndarray, in_window: np.ndarray, new: np.ndarray
    ) -> str:
        """One way to widen their chances, never naming anyone: a wider window when that is what stands in
        the way; else the theme (not already wanted) with the most fitting, new mentors with a place; else a
        wider window if it would bring one in."""
        if reason == WINDOW and mentee.max_timezone_gap_hours is not None:
            return WIDEN
        open_ = self.available & new
        counts = ((open_ & in_window).astype(np.float32) @ self.counting) * self.suggestable
        for key in mentee.themes:
            if key in self.column:
                counts[self.column[key]] = 0
        if len(counts) and counts.max() > 0:
            best = self.keys[int(np.argmax(counts))]  # the first of the largest: keys are sorted
            return f"Adding *{self.labels[best].lower()}* to your themes (`/mentor request`) would widen your chances."
        if mentee.max_timezone_gap_hours is not None and (open_ & covering).any():
            return WIDEN
        if reason == FULL:
            return "Places free up as pairings end, so you may well be matched next time."
        return "New mentors join over time; I'll look again for you at every round."


def explain(
    mentee: matching.MenteeProfile,
    mentors: Sequence[Mentor],
    *,
    at: datetime,
    excluded: set[tuple[int, int]],
    labels: dict[str, str],
) -> Explanation:
    """One mentee's explanation (builds an `Explainer`; for many mentees, build one and reuse it)."""
    return Explainer(mentors, at=at, excluded=excluded, labels=labels).explain(mentee)


def message(guild_name: str, explanation: Explanation, next_round: datetime | None, when: str | None) -> str:
    """The private note. `when` is `next_round` formatted for Discord (a timestamp), done by the caller."""
    following = (
        f"The next round runs {when}."
        if next_round is not None and when
        else "The next round runs whenever the moderators start one."
    )
    return (
        f"This round of mentor pairing in **{guild_name}** didn't find you a mentor, and I'd like you to know "
        f"why: {explanation.why}. {explanation.suggestion} {following} You stay in the pool; nothing is needed "
        "from you, and `/mentor pause` takes a break whenever you like."
    )


def explain_all(
    guild_name: str,
    mentors: Sequence[Mentor],
    mentees: Sequence[matching.MenteeProfile],
    *,
    at: datetime,
    excluded: set[tuple[int, int]],
    labels: dict[str, str],
    next_round: datetime | None,
    when: str | None,
) -> list[tuple[int, str]]:
    """(member, words) for each of `mentees`. A module-level function, so a large pool's explanations can be
    worked out in the round's worker process (cogs/mentorship/matching_runner.list_off_loop)."""
    explainer = Explainer(mentors, at=at, excluded=excluded, labels=labels)
    return [(mentee.id, message(guild_name, explainer.explain(mentee), next_round, when)) for mentee in mentees]
