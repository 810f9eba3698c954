"""FREEZE_HEAP_ON_READY: once ready, what startup loaded is moved out of the collector's full passes."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from config import Settings
from tests.conftest import World
from tools.world import make_settings


@pytest.fixture
def settings(db_url: str) -> Settings:
    return make_settings(db_url).model_copy(update={"freeze_heap_on_ready": True})


@pytest.fixture(autouse=True)
def unfreeze_after() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the rest of the suite collects as usual


async def test_the_heap_is_frozen_once_when_the_bot_is_ready(world: World) -> None:
    frozen = gc.get_freeze_count()
    assert frozen > 0  # the bot, its caches and the guild it was given
    await world.bot.on_ready()  # a reconnect's READY
    assert gc.get_freeze_count() == frozen  # nothing new was frozen


async def test_tests_and_bots_that_opt_out_keep_a_plain_heap(db_url: str) -> None:
    assert make_settings(db_url).freeze_heap_on_ready is False
    assert Settings.model_fields["freeze_heap_on_ready"].default is True
