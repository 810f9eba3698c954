"""Rate limits for member commands that post publicly. Time comes from `bot.clock()`. No discord import.

Kept in memory: a restart forgets them, which errs on the side of letting members talk.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.errors import CoolingDown
from core.lru import LRU


@dataclass
class Cooldown:
    """At most `limit` uses per `per`, for each key (a channel, a member…), for the `max_keys` keys used last
    (one forgotten early errs on the side of letting members talk, like a restart)."""

    limit: int
    per: timedelta
    reason: str  # the first sentence of the refusal, e.g. "A prompt was posted in this channel a moment ago."
    max_keys: int = 5000
    _uses: LRU[Hashable, deque[datetime]] = field(init=False)

    def __post_init__(self) -> None:
        self._uses = LRU(self.max_keys, default=deque)

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
