"""The load benchmark's harness meter (bench/harness_cpu.py): what it charges to the harness and what to the bot."""

from __future__ import annotations

from bench.harness_cpu import Meter


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def spend(self, seconds: float) -> None:
        self.now += seconds


def test_harness_time_is_counted_once_when_harness_calls_nest() -> None:
    clock = FakeClock()
    meter = Meter(clock)

    @meter.harness
    def inner() -> None:
        clock.spend(2.0)

    @meter.harness
    def outer() -> None:
        clock.spend(1.0)
        inner()

    clock.spend(5.0)  # the bot's own work before
    outer()
    clock.spend(5.0)  # and after
    assert meter.total() == 3.0


def test_the_bots_parser_called_from_the_harness_is_the_bots() -> None:
    clock = FakeClock()
    meter = Meter(clock)

    @meter.bot
    def parse() -> None:
        clock.spend(4.0)

    @meter.harness
    def emit() -> None:
        clock.spend(1.0)
        parse()
        clock.spend(0.5)

    emit()
    assert meter.total() == 1.5


def test_total_includes_the_harness_call_still_running() -> None:
    clock = FakeClock()
    meter = Meter(clock)
    seen: list[float] = []

    @meter.bot
    def parse() -> None:
        seen.append(meter.total())  # what an interaction's parse clock records

    @meter.harness
    def emit() -> None:
        clock.spend(1.0)
        parse()
        clock.spend(2.0)
        seen.append(meter.total())

    emit()
    assert seen == [1.0, 3.0]
    assert meter.total() == 3.0


def test_a_bot_function_outside_the_harness_changes_nothing() -> None:
    clock = FakeClock()
    meter = Meter(clock)

    @meter.bot
    def parse() -> None:
        clock.spend(4.0)

    parse()
    assert meter.total() == 0.0
