"""Owed work side by side (core/jobs.py `in_batches`): a few units at once, one recipient's in order, every
request of the drain at the shared pace, and a unit that raises stops the drain without cutting others off."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.jobs import Pace, _lanes, in_batches, paced_requests

NOW = datetime(2026, 12, 3, 9, tzinfo=UTC)

Row = tuple[int, frozenset[int]]  # (position, recipients)


def batches_of(rows: list[Row], size: int) -> Any:
    """A lease over `rows`: the next `size` each time."""
    left = list(rows)

    async def lease(_at: datetime) -> list[Row]:
        batch, left[:] = left[:size], left[size:]
        return batch

    return lease


def recipients(row: Row) -> frozenset[int]:
    return row[1]


@given(st.lists(st.frozensets(st.integers(0, 12), max_size=3), max_size=40))
def test_lanes_keep_each_recipients_rows_together_and_in_order(whom: list[frozenset[int]]) -> None:
    batch = list(enumerate(whom))
    lanes = _lanes(batch, recipients)
    assert sorted(row for lane in lanes for row in lane) == batch  # every row once
    for lane in lanes:
        assert lane == sorted(lane)  # the batch's order within a lane
    assert [lane[0][0] for lane in lanes] == sorted(lane[0][0] for lane in lanes)  # lanes by their first row
    seen: dict[int, int] = {}
    for number, lane in enumerate(lanes):
        for _, people in lane:
            for person in people:
                assert seen.setdefault(person, number) == number  # no recipient in two lanes


def test_without_recipients_each_row_is_its_own_lane() -> None:
    assert _lanes([(0, frozenset({1})), (1, frozenset({1}))], None) == [[(0, frozenset({1}))], [(1, frozenset({1}))]]


async def test_units_go_side_by_side_but_one_recipients_one_after_another() -> None:
    """30 DMs to 10 members, 3 each: at most `concurrency` at once, never two to one member at once, each
    member's in the order owed, every one done, and far sooner than one at a time."""
    rows = [(position, frozenset({position % 10})) for position in range(30)]
    running: set[int] = set()
    most = 0
    order: dict[int, list[int]] = {}

    async def handle(row: Row, _at: datetime) -> bool:
        nonlocal most
        (member,) = row[1]
        assert member not in running
        running.add(member)
        most = max(most, len(running))
        await asyncio.sleep(0.01)
        order.setdefault(member, []).append(row[0])
        running.discard(member)
        return True

    loop = asyncio.get_running_loop()
    started = loop.time()
    done = await in_batches(
        batches_of(rows, 12), handle, size=12, now=NOW, clock=lambda: NOW, concurrency=4, whom=recipients
    )
    assert done == 30
    assert most == 4
    assert all(positions == sorted(positions) and len(positions) == 3 for positions in order.values())
    assert loop.time() - started < 30 * 0.01 / 2  # the event loop's clock, not a wall-time budget


async def test_a_unit_that_raises_ends_the_drain_after_the_started_ones_finish() -> None:
    rows = [(position, frozenset({position})) for position in range(10)]
    finished: list[int] = []

    async def handle(row: Row, _at: datetime) -> bool:
        await asyncio.sleep(0.01 if row[0] != 1 else 0)
        if row[0] == 1:
            raise RuntimeError("a bug, not Discord")
        finished.append(row[0])
        return True

    with pytest.raises(RuntimeError, match="a bug"):
        await in_batches(batches_of(rows, 10), handle, size=10, now=NOW, clock=lambda: NOW, concurrency=3)
    assert sorted(finished) == [0, 2]  # started beside the failing one: finished, never cut off; none after


class FakeHTTP:
    """Only the attribute `paced_requests` wraps; records when each request started: the start the pace itself
    recorded for it (`pace` given: read with no await between, so it is this request's, and a request that did
    not wait on the pace would repeat the one before), else the event loop's clock. A second reading of the clock
    here would differ from the pace's by however long the process was descheduled in between, which under load
    is milliseconds and made the window check fail spuriously."""

    def __init__(self, pace: Pace | None = None) -> None:
        self.pace = pace
        self.starts: list[tuple[str, float]] = []

    async def request(self, route: str, **_kwargs: Any) -> str:
        started = self.pace._starts[-1] if self.pace is not None else asyncio.get_running_loop().time()
        self.starts.append((route, started))
        await asyncio.sleep(0.001)
        return route


async def test_every_request_of_a_paced_drain_waits_its_turn_and_others_do_not() -> None:
    """Each unit makes two requests (open the DM, post): within any period at most `rate` start, counted per
    request, not per unit; a request made outside the drain (a member's command) never waits."""
    pace = Pace(4, per=0.05)
    http = FakeHTTP(pace)
    paced_requests(http)  # type: ignore[arg-type]
    rows = [(position, frozenset({position})) for position in range(10)]

    async def handle(row: Row, _at: datetime) -> bool:
        await http.request(f"open {row[0]}")
        await http.request(f"post {row[0]}")
        return True

    assert await in_batches(batches_of(rows, 5), handle, size=5, now=NOW, clock=lambda: NOW, concurrency=8, pace=pace)
    drain = [at for route, at in http.starts]
    assert len(drain) == 20
    for at in drain:
        assert sum(at <= other < at + 0.05 - 1e-9 for other in drain) <= 4
    assert len(pace._starts) == 4  # the pace saw them
    given = pace._next
    await http.request("a member's command")
    assert pace._next == given  # outside the drain: not paced, not counted
    assert Counter(route.split()[0] for route, _ in http.starts) == {"open": 10, "post": 10, "a": 1}


async def test_the_next_batch_is_leased_while_the_last_rows_of_this_one_go() -> None:
    """Batches of 4, two at once: the second batch is leased once every row of the first has started, before the
    first batch's last row is done, so the pace is never left idle between batches; every row is done once."""
    rows = [(position, frozenset({position})) for position in range(10)]
    running: set[int] = set()
    leased_while: list[set[int]] = []
    done_rows: list[int] = []
    left = list(rows)

    async def lease(_at: datetime) -> list[Row]:
        leased_while.append(set(running))
        batch, left[:] = left[:4], left[4:]
        return batch

    async def handle(row: Row, _at: datetime) -> bool:
        running.add(row[0])
        await asyncio.sleep(0.01)
        running.discard(row[0])
        done_rows.append(row[0])
        return True

    assert await in_batches(lease, handle, size=4, now=NOW, clock=lambda: NOW, concurrency=2) == 10
    assert sorted(done_rows) == list(range(10))
    assert leased_while[0] == set()
    assert leased_while[1] and leased_while[1] <= {0, 1, 2, 3}  # rows of the first batch still going
    assert leased_while[2] and leased_while[2] <= {4, 5, 6, 7}


async def test_one_recipients_rows_stay_in_order_across_batches() -> None:
    """Member 0 is owed a slow DM in the first batch and another in the second, leased while the first is still
    going: the second waits for the first (never two to one member at once), others go meanwhile."""
    rows = [(0, frozenset({0})), (1, frozenset({1})), (2, frozenset({0})), (3, frozenset({3}))]
    running: set[int] = set()
    order: list[tuple[str, int]] = []

    async def handle(row: Row, _at: datetime) -> bool:
        (member,) = row[1]
        assert member not in running
        running.add(member)
        order.append(("start", row[0]))
        await asyncio.sleep(0.05 if row[0] == 0 else 0.001)
        order.append(("end", row[0]))
        running.discard(member)
        return True

    done = await in_batches(
        batches_of(rows, 2), handle, size=2, now=NOW, clock=lambda: NOW, concurrency=3, whom=recipients
    )
    assert done == 4
    assert order.index(("start", 2)) > order.index(("end", 0))  # member 0's second DM after the first
    assert order.index(("end", 3)) < order.index(("end", 0))  # member 3's went meanwhile


def test_a_backlog_is_given_times_one_interval_apart_not_a_periods_worth_at_once() -> None:
    """30 requests asking at once of a pace of 10 per 0.1 s, burst 2: the first two go at once, then one an
    interval (10 ms): never more than 2 within an interval, nor 10 in a period; after a quiet spell a small run
    goes at once again."""
    pace = Pace(10, per=0.1, burst=2)
    times = [pace.turn(0.0) for _ in range(30)]
    assert times[:3] == [0.0, 0.0, pace.interval]
    assert all(sum(at <= other < at + pace.interval - 1e-9 for other in times) <= 2 for at in times)
    assert all(sum(at <= other < at + 0.1 - 1e-9 for other in times) <= 10 for at in times)
    assert times == sorted(times)  # in the order asked
    quiet = times[-1] + 1.0
    assert [pace.turn(quiet), pace.turn(quiet)] == [quiet, quiet]
    assert pace.turn(quiet) > quiet


async def test_timers_that_fire_late_never_let_more_than_the_rate_through_in_a_period() -> None:
    """Whatever the loop's timers do, the requests' real starts stay within `rate` in any period."""
    pace = Pace(10, per=0.1, burst=2)
    loop = asyncio.get_running_loop()
    starts: list[float] = []

    async def one() -> None:
        await pace.wait()
        starts.append(loop.time())

    await asyncio.gather(*(one() for _ in range(30)))
    assert len(starts) == 30
    assert all(sum(at <= other < at + 0.1 - 1e-9 for other in starts) <= 10 for at in starts)


def test_a_pace_needs_sensible_numbers() -> None:
    for rate, per, burst in ((0, 1.0, 1), (10, 0.0, 1), (10, 1.0, 0), (10, 1.0, 11)):
        with pytest.raises(ValueError):
            Pace(rate, per=per, burst=burst)
