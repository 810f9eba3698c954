"""Why a round found no mentor for someone, in plain words. Pure: no discord, no database.

The reason is computed from the matcher's own hard rules (cogs/mentorship/matching.py), applied in order to
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

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from cogs.mentorship import matching

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


def _covers(mentee: matching.MenteeProfile, mentor: matching.MentorProfile) -> bool:
    return bool(mentee.themes & (mentor.themes - mentor.not_covered))


def _fits(mentee: matching.MenteeProfile, mentor: matching.MentorProfile, at: datetime) -> bool:
    """Every hard rule but exclusions and places: the matcher's own `score_pair`."""
    return matching.score_pair(mentee, mentor, at=at) is not None


def _words(keys: Sequence[str], labels: dict[str, str]) -> str:
    names = [f"*{labels.get(key, key).lower()}*" for key in sorted(keys)]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " or " + names[-1]


def explain(
    mentee: matching.MenteeProfile,
    mentors: Sequence[Mentor],
    *,
    at: datetime,
    excluded: set[tuple[int, int]],
    labels: dict[str, str],
) -> Explanation:
    others = [m for m in mentors if m.profile.id != mentee.id]
    themes = _words(tuple(mentee.themes), labels)
    covering = [m for m in others if _covers(mentee, m.profile)]
    in_window = [m for m in covering if _fits(mentee, m.profile, at)]
    fresh = [
        m for m in in_window if (m.profile.id, mentee.id) not in excluded and (mentee.id, m.profile.id) not in excluded
    ]
    gap = mentee.max_timezone_gap_hours
    if not covering:
        reason, why = THEME, f"no mentor covering {themes} has offered yet"
    elif not in_window:
        window = f"{gap} hour{'' if gap == 1 else 's'}" if gap is not None else "any time difference"
        reason, why = WINDOW, f"no mentor covering {themes} is within your timezone window ({window}) yet"
    elif not fresh:
        reason, why = MET, f"you've met everyone currently available for {themes} within your timezone window"
    else:
        reason, why = (
            FULL,
            (f"every mentor covering {themes} within your timezone window has all their places taken right now"),
        )
    return Explanation(reason, why, suggest(mentee, others, reason, at=at, excluded=excluded, labels=labels))


def suggest(
    mentee: matching.MenteeProfile,
    others: Sequence[Mentor],
    reason: str,
    *,
    at: datetime,
    excluded: set[tuple[int, int]],
    labels: dict[str, str],
) -> str:
    widen = (
        "Allowing a wider time difference (`/mentor request` with a larger `max_timezone_gap`, or none) "
        "would bring in mentors who cover your themes."
    )
    if reason == WINDOW and mentee.max_timezone_gap_hours is not None:
        return widen

    def open_to(mentor: Mentor, wider: matching.MenteeProfile) -> bool:
        new = (mentor.profile.id, mentee.id) not in excluded and (mentee.id, mentor.profile.id) not in excluded
        return mentor.available and new and _fits(wider, mentor.profile, at)

    counts: dict[str, int] = {}
    for key in labels:
        if key in mentee.themes:
            continue
        wider = replace(mentee, themes=frozenset({key}))
        found = sum(1 for mentor in others if open_to(mentor, wider))
        if found:
            counts[key] = found
    if counts:
        best = min(counts, key=lambda key: (-counts[key], key))
        return f"Adding *{labels[best].lower()}* to your themes (`/mentor request`) would widen your chances."
    if mentee.max_timezone_gap_hours is not None:
        anywhere = replace(mentee, max_timezone_gap_hours=None)
        if any(open_to(mentor, anywhere) for mentor in others):
            return widen
    if reason == FULL:
        return "Places free up as pairings end, so you may well be matched next time."
    return "New mentors join over time; I'll look again for you at every round."


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
