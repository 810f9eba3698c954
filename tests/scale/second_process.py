"""The second bot process of tests/scale/test_two_processes.py.

    python -m tests.scale.second_process DATABASE_URL

Starts Lantern in its own SimCord Env on DATABASE_URL, builds the twin world, prints one JSON line,
then obeys one JSON command per stdin line, answering each with one JSON line on stdout:
{"advance": seconds} moves the virtual clock; {"run_at": unix_time} waits until that wall-clock
instant and runs the due jobs; {"quit": true} shuts down.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

import simcord
from simcord.env import Env

from bot import create_bot
from tests.scale.twin import build_twin, prompt_posts_in, twin_settings


def say(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message, default=str) + "\n")
    sys.stdout.flush()


async def main(database_url: str) -> None:
    Env._settle_internal.__kwdefaults__["idle"] = 0.002  # the same fast settle as tests/conftest.py
    bot = create_bot(twin_settings(database_url))
    loop = asyncio.get_running_loop()
    try:
        async with simcord.run(bot) as env:
            twin = await build_twin(env)
            say({"guild": twin.guild.id, "prompts": twin.prompts.id, "now": env.now().isoformat()})
            while True:
                line = await loop.run_in_executor(None, sys.stdin.readline)
                if not line:
                    break
                command = json.loads(line)
                if "advance" in command:
                    await env.advance_time(command["advance"])
                    say({"now": env.now().isoformat()})
                elif "run_at" in command:
                    await asyncio.sleep(max(command["run_at"] - time.time(), 0))
                    started = time.time()
                    result = await bot.run_due_jobs()
                    finished = time.time()
                    await env.settle()
                    posted = len(prompt_posts_in(twin.prompts))
                    say({"result": result, "posted": posted, "started": started, "finished": finished})
                else:
                    break
    finally:
        await bot.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
