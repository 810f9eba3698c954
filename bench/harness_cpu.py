"""The harness's own CPU on the event loop's thread, metered as it runs, so a latency can be given without it.

In the load benchmark the fake Discord runs on the bot's own thread: emitting an interaction, routing and
validating each request the bot makes, storing the messages it posts. Real Discord does that work on its own
machines, so every millisecond of it that falls inside an interaction's wait is a millisecond the bot would not
have lost. The meter adds up the thread CPU spent inside the harness's entry points:

* `simcord.http.router.dispatch`: every HTTP request the bot makes, answered by the fake API;
* the benchmark's `fire` (building and emitting one interaction);

and gives back what falls inside the bot's own parsers while the harness is on the stack:
`simcord.gateway.FakeGateway.feed` and `deliver` hand a gateway event to discord.py (the payload's JSON round
trip, which a real bot pays when it decodes the frame, and the parser itself) and count as the bot's.

`Meter.total()` is the harness CPU so far; an interaction's latency without the harness is its wall latency
minus the difference of `total()` between its parse and its answer. Private API of SimCord 3.2.1, like the rest
of `bench/load.py`'s harness adjustments.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class Meter:
    """Thread CPU seconds spent in the harness (nested entries count once; the bot's parsers are excluded)."""

    def __init__(self, clock: Callable[[], float] = time.thread_time) -> None:
        self._clock = clock
        self._spent = 0.0
        self._depth = 0
        self._since = 0.0

    def total(self) -> float:
        if self._depth:
            return self._spent + self._clock() - self._since
        return self._spent

    @contextlib.contextmanager
    def inside(self) -> Iterator[None]:
        """The block's CPU is the harness's (counted once when harness calls nest)."""
        if self._depth == 0:
            self._since = self._clock()
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if self._depth == 0:
                self._spent += self._clock() - self._since

    def harness(self, function: F) -> F:
        """`function`, with its CPU counted as the harness's."""

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.inside():
                return function(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    def bot(self, function: F) -> F:
        """`function`, with its CPU counted as the bot's even when the harness calls it."""

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            depth = self._depth
            if depth:
                self._spent += self._clock() - self._since
                self._depth = 0
            try:
                return function(*args, **kwargs)
            finally:
                if depth:
                    self._depth = depth
                    self._since = self._clock()

        return wrapper  # type: ignore[return-value]


def install(meter: Meter) -> Callable[[], None]:
    """Meter SimCord's HTTP router and hand its gateway feeds back to the bot; returns an undo."""
    from simcord import gateway
    from simcord.http import router

    originals: list[tuple[Any, str, Any]] = [
        (router, "dispatch", router.dispatch),
        (gateway.FakeGateway, "feed", gateway.FakeGateway.feed),
        (gateway.FakeGateway, "deliver", gateway.FakeGateway.deliver),
    ]
    router.dispatch = meter.harness(router.dispatch)
    gateway.FakeGateway.feed = meter.bot(gateway.FakeGateway.feed)  # type: ignore[method-assign]
    gateway.FakeGateway.deliver = meter.bot(gateway.FakeGateway.deliver)  # type: ignore[method-assign]

    def undo() -> None:
        for owner, name, original in originals:
            setattr(owner, name, original)

    return undo
