"""Work after an interaction's answer lets the other interactions in flight be answered first (core/answers.py)."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import discord
import pytest

from core import answers


class Response:
    def __init__(self) -> None:
        self.done = False

    def is_done(self) -> bool:
        return self.done


class Interaction:
    """The one thing core.answers reads of an interaction: whether it has been answered."""

    def __init__(self) -> None:
        self.response = Response()


def opened() -> Interaction:
    interaction = Interaction()
    answers.opened(cast(discord.Interaction, interaction))
    return interaction


async def test_work_after_an_answer_waits_until_the_others_are_answered() -> None:
    """An answered interaction's follow-up work starts only once the interaction still waiting is answered."""
    order: list[str] = []
    other_started = asyncio.Event()
    release = asyncio.Event()

    async def other() -> None:
        interaction = opened()
        other_started.set()
        await release.wait()
        interaction.response.done = True
        order.append("other answered")
        await asyncio.sleep(0.05)  # still running: an answered interaction no longer holds anyone back

    async def first() -> None:
        interaction = opened()
        await other_started.wait()
        interaction.response.done = True
        await answers.after_answers()
        order.append("first's mod-log post")

    tasks = [asyncio.create_task(other()), asyncio.create_task(first())]
    await asyncio.sleep(0.05)
    assert order == []
    release.set()
    await asyncio.gather(*tasks)
    assert order == ["other answered", "first's mod-log post"]


async def test_work_before_the_answer_never_waits() -> None:
    """Called before its own answer (or outside any interaction), nothing waits, whatever is in flight."""
    hold = asyncio.Event()

    async def other() -> None:
        opened()
        await hold.wait()

    waiting = asyncio.create_task(other())
    await asyncio.sleep(0)

    async def unanswered_yet() -> None:
        opened()
        await asyncio.wait_for(answers.after_answers(), 0.5)

    await asyncio.create_task(unanswered_yet())
    await asyncio.wait_for(answers.after_answers(), 0.5)  # the test's own task is no interaction
    hold.set()
    await waiting


async def test_an_interaction_never_answered_holds_the_work_back_for_max_wait_at_most(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An interaction that is never answered lets the work go after MAX_WAIT."""
    monkeypatch.setattr(answers, "MAX_WAIT", 0.05)
    hold = asyncio.Event()

    async def stuck() -> None:
        opened()
        await hold.wait()

    async def answered() -> bool:
        interaction = opened()
        interaction.response.done = True
        await answers.after_answers()
        return True

    waiting = asyncio.create_task(stuck())
    await asyncio.sleep(0)
    assert await asyncio.wait_for(asyncio.create_task(answered()), 1.0)
    hold.set()
    await waiting


async def test_an_interaction_leaves_the_registry_when_its_task_ends() -> None:
    """A handler that ends without an answer (its task done) holds nothing back."""

    async def handler() -> Any:
        opened()

    await asyncio.create_task(handler())
    await asyncio.sleep(0)  # done callbacks run on the next turn
    assert answers.unanswered() == 0
