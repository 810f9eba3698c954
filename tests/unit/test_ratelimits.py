"""discord.py's bucket sweep, at most every SWEEP_EVERY seconds (core/ratelimits.py)."""

from __future__ import annotations

import asyncio

from discord.http import HTTPClient, Ratelimit

from core.ratelimits import SWEEP_EVERY, sweep_now_and_then


async def test_the_sweep_runs_at_most_every_so_often_and_still_drops_idle_buckets() -> None:
    """A drain to thousands of new channels no longer walks every bucket per channel; the idle ones still go."""
    http = HTTPClient(asyncio.get_running_loop())
    now = [1000.0]
    sweep_now_and_then(http, lambda: now[0])
    walks = 0
    inactive = Ratelimit.is_inactive

    def counted(bucket: Ratelimit) -> bool:
        nonlocal walks
        walks += 1
        return inactive(bucket)

    Ratelimit.is_inactive = counted  # type: ignore[method-assign]
    try:
        for index in range(300):
            http.get_ratelimit(f"channel {index}")
        first = walks
        assert first > 0  # the first new bucket past 256 swept once
        for index in range(300, 600):
            http.get_ratelimit(f"channel {index}")
        assert walks == first  # not again within SWEEP_EVERY seconds
        for bucket in http._buckets.values():
            bucket._last_request -= 1000  # idle for longer than discord.py's 300 s
        now[0] += SWEEP_EVERY
        http.get_ratelimit("channel 600")
        assert walks > first
        assert list(http._buckets) == ["channel 600"]
    finally:
        Ratelimit.is_inactive = inactive  # type: ignore[method-assign]
        await http.close()
