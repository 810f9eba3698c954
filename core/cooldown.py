"""Rate limits for member commands that post publicly. Time comes from `bot.clock()`. No discord import.

Kept in memory: a restart forgets them, which errs on the side of letting members talk.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.errors import CoolingDown


@dataclass
class Cooldown:
    """At most `limit` uses per `per`, for each key (a channel, a member…)."""

    limit: int
    per: timedelta
    reason: str  # the first sentence of the refusal, e.g. "A prompt was posted in this channel a moment ago."
    _uses: defaultdict[Hashable, deque[datetime]] = field(default_factory=lambda: defaultdict(deque))

    def _prune(self, key: Hashable, now: datetime) -> deque[datetime]:
        uses = self._uses[key]
        while uses and now - uses[0] >= self.per:
            uses.popleft()
        return uses

    def check(self, key: Hashable, now: datetime) -> None:
        """Raise CoolingDown if `key` has used its allowance."""
        uses = self._prune(key, now)
        if len(uses) >= self.limit:
            raise CoolingDown(self.reason, self.per - (now - uses[0]))

    def record(self, key: Hashable, now: datetime) -> None:
        """Count one use (call after the command succeeded)."""
        self._prune(key, now).append(now)
