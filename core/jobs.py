"""The registry of things that fall due: prompt posts, expiries, check-ins, rounds, retention.

Each feature registers an async handler `handler(now)`. The handler finds what is due in the
database and claims it there (conditional updates, unique slots), so running it twice for the same
moment does nothing the second time. APScheduler only decides *when* to call `run_due()`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from core import logcontext

log = logging.getLogger(__name__)

DueHandler = Callable[[datetime], Awaitable[object]]


@dataclass
class DueJobs:
    handlers: dict[str, DueHandler] = field(default_factory=dict)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def register(self, name: str, handler: DueHandler) -> None:
        if name in self.handlers:
            raise ValueError(f"a due job called {name!r} is already registered")
        self.handlers[name] = handler

    def unregister(self, name: str) -> None:
        self.handlers.pop(name, None)

    async def run_due(self, now: datetime) -> dict[str, object]:
        """Run every handler for `now`, one run at a time.

        One failing handler does not stop the rest; the failures are raised together at the end
        (APScheduler logs them in production, tests see them).
        """
        results: dict[str, object] = {}
        failures: list[Exception] = []
        async with self._lock:
            for name, handler in list(self.handlers.items()):
                logcontext.bind_text(f"job={name}")
                try:
                    results[name] = await handler(now)
                except Exception as error:
                    log.exception("due job %s failed at %s", name, now.isoformat())
                    error.add_note(f"in due job {name!r}")
                    failures.append(error)
        if failures:
            raise ExceptionGroup("due jobs failed", failures)
        return results
