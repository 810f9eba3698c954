"""Two bot processes, one PostgreSQL database: racing on the same due slots, each slot is posted once.

SimCord allows one live Env per event loop, so the second bot runs in its own OS process
(tests/scale/second_process.py) with its own simulated Discord; both build the same guild and channels
(tests/scale/twin.py), advance their virtual clocks to the same moment and call run_due_jobs() at the
same wall-clock instant.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from simcord import Env
from sqlalchemy import select

from config import Settings
from storage.models.prompts import PromptPost
from tests.scale.twin import build_twin, prompt_posts_in, twin_settings

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
SCHEDULES = 12
HOUR = 3600
REPLY_TIMEOUT = 60


@pytest.fixture
def settings(pg_url: str) -> Settings:
    return twin_settings(pg_url)


class SecondProcess:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), REPLY_TIMEOUT)
        if not line:
            assert self.process.stderr is not None
            error = (await self.process.stderr.read()).decode(errors="replace")
            raise AssertionError(f"the second process exited early:\n{error[-4000:]}")
        return json.loads(line)

    async def ask(self, command: dict[str, Any]) -> dict[str, Any]:
        self.send(command)
        return await self.read()

    def send(self, command: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps(command) + "\n").encode())


@pytest.fixture
async def second(pg_url: str, simcord_env: Env) -> AsyncIterator[SecondProcess]:
    """The other process, started after this one has migrated the database."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.scale.second_process",
        pg_url,
        cwd=ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        limit=1 << 20,
    )
    try:
        yield SecondProcess(process)
        process.stdin.write(b'{"quit": true}\n')  # type: ignore[union-attr]
        await process.stdin.drain()  # type: ignore[union-attr]
        await asyncio.wait_for(process.wait(), REPLY_TIMEOUT)
        error = (await process.stderr.read()).decode(errors="replace")  # type: ignore[union-attr]
        assert process.returncode == 0, f"the second process failed:\n{error[-4000:]}"
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_two_processes_racing_on_the_same_slots_post_each_once(simcord_env: Env, second: SecondProcess) -> None:
    """12 daily schedules, 3 days, both processes running due jobs at (nearly) once: 36 posts, one row per slot.

    Day 1 both start at the same instant; day 2 the other process starts 20 ms earlier, day 3 10 ms later,
    so each side gets to be first and the loser meets the claim in progress.
    """
    env = simcord_env
    bot = env.bot
    twin = await build_twin(env)
    for index in range(SCHEDULES):
        result = await twin.mod.slash(
            twin.general, "prompts schedule", channel=twin.prompts, cadence="daily", time="09:00", thread=index % 2 == 0
        )
        assert "Scheduled #" in result.response.content
    other = await second.read()
    assert (other["guild"], other["prompts"]) == (twin.guild.id, twin.prompts.id), "the two worlds differ"

    splits = []
    for day, (advance, their_offset) in enumerate(((9 * HOUR, 0.0), (24 * HOUR, -0.02), (24 * HOUR, 0.01)), start=1):
        theirs = await second.ask({"advance": advance})
        await env.advance_time(advance)
        assert theirs["now"] == env.now().isoformat()
        start = time.time() + 0.5
        second.send({"run_at": start + their_offset})
        await asyncio.sleep(max(start - time.time(), 0))
        started = time.time()
        ours = await bot.run_due_jobs()
        finished = time.time()
        await env.settle()
        theirs = await second.read()
        mine, their_total = len(prompt_posts_in(twin.prompts)), theirs["posted"]
        overlap = min(finished, theirs["finished"]) - max(started, theirs["started"])
        splits.append((ours["prompts"], theirs["result"]["prompts"], f"overlap {overlap * 1000:.0f} ms"))
        assert mine + their_total == SCHEDULES * day, splits

    async with bot.db.read() as session:
        rows = (await session.execute(select(PromptPost))).scalars().all()
    assert len(rows) == 3 * SCHEDULES
    assert all(row.status == "posted" and row.message_id is not None for row in rows)
    assert len({(row.schedule_id, row.slot) for row in rows}) == len(rows)
    assert sorted(Counter(row.slot.day for row in rows).values()) == [SCHEDULES] * 3
    print("\nper day (this process, the other process):", *splits, sep="\n  ")
