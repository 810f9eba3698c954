"""Answers skip discord.py's parse of the message they create until someone reads it (core/callbacks.py).

What a member sees is unchanged (every other SimCord suite runs with it installed); here: the callback's `.resource`,
when read, is the message discord.py's own class builds from the same reply, and the guard leaves a discord.py it
was not written for as it is.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass, field
from typing import Any, Literal

import discord
import discord.interactions as interactions_module
import pytest
from discord import app_commands
from discord.webhook.async_ import AsyncWebhookAdapter
from simcord import assert_responded

from core import callbacks
from tests.conftest import World


@dataclass
class Answers:
    """What the test command saw: the interaction, discord.py's callback response, Discord's reply to the callback,
    and how many `InteractionMessage`s discord.py had built by the time the answer returned."""

    interaction: list[discord.Interaction[Any]] = field(default_factory=list)
    response: list[Any] = field(default_factory=list)
    replies: list[Any] = field(default_factory=list)
    built: int = 0
    built_by_answer: list[int] = field(default_factory=list)


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> Answers:
    """Keep a copy of Discord's reply to every interaction callback, and count the `InteractionMessage`s built."""
    seen = Answers()
    create = AsyncWebhookAdapter.create_interaction_response

    async def create_interaction_response(self: AsyncWebhookAdapter, *args: Any, **kwargs: Any) -> Any:
        reply = await create(self, *args, **kwargs)
        seen.replies.append(copy.deepcopy(reply))
        return reply

    init = discord.InteractionMessage.__init__

    def counted_init(self: discord.InteractionMessage, *args: Any, **kwargs: Any) -> None:
        seen.built += 1
        init(self, *args, **kwargs)

    monkeypatch.setattr(AsyncWebhookAdapter, "create_interaction_response", create_interaction_response)
    monkeypatch.setattr(discord.InteractionMessage, "__init__", counted_init)
    return seen


async def add_answering_command(world: World, answers: Answers) -> None:
    """`/answer how`: answers in public (with an embed and a link button), in private, or by thinking."""

    @app_commands.command(name="answer", description="Answers")
    @app_commands.guild_only()
    async def answer(interaction: discord.Interaction, how: Literal["public", "private", "thinking"]) -> None:
        before = answers.built
        if how == "thinking":
            response = await interaction.response.defer(ephemeral=True, thinking=True)
            await interaction.followup.send("Thought about it.", ephemeral=True)
        else:
            view = discord.ui.View()
            view.add_item(discord.ui.Button(label="Read more", url="https://example.org/read"))
            embed = discord.Embed(title="Welcome", description="Glad you're here.")
            response = await interaction.response.send_message(
                f"Hello ({how}).", embed=embed, view=view, ephemeral=how == "private"
            )
        answers.built_by_answer.append(answers.built - before)
        answers.interaction.append(interaction)
        answers.response.append(response)

    world.bot.tree.add_command(answer)
    await world.bot.tree.sync()


def stock_response(answers: Answers) -> Any:
    """discord.py's own callback response, built from the same reply to the same interaction."""
    interaction, response = answers.interaction[-1], answers.response[-1]
    state = interaction._state
    return callbacks.STOCK(data=answers.replies[-1], parent=interaction, state=state, type=response.type)


def message_fields(message: discord.InteractionMessage) -> dict[str, Any]:
    return {
        "class": type(message),
        "id": message.id,
        "content": message.content,
        "channel": message.channel.id if message.channel is not None else None,
        "author": message.author.id,
        "flags": message.flags.value,
        "embeds": [embed.to_dict() for embed in message.embeds],
        "components": [component.to_dict() for component in message.components],
        "interaction": message.interaction_metadata.id if message.interaction_metadata is not None else None,
    }


@pytest.mark.parametrize("how", ["public", "private"])
async def test_an_answer_s_message_is_built_only_when_read_and_is_the_one_discord_py_builds(
    world: World, answers: Answers, how: str
) -> None:
    """The answer builds no message; reading `.resource` gives the message the member sees, field for field the one
    discord.py's own class builds from the same reply."""
    await add_answering_command(world, answers)
    result = await world.alice.slash(world.general, "answer", how=how)
    assert_responded(result, content=f"Hello ({how}).", embed_title="Welcome", ephemeral=how == "private")
    assert callbacks.installed()
    response = answers.response[-1]
    assert isinstance(response, callbacks.LazyCallbackResponse)
    assert answers.built_by_answer == [0]

    message = response.resource
    assert isinstance(message, discord.InteractionMessage)
    assert result.response is not None and message.id == result.response.id == response.message_id
    assert message.content == f"Hello ({how})."
    assert response.resource is message  # built once
    stock = stock_response(answers)
    assert message_fields(message) == message_fields(stock.resource)
    for name in ("id", "type", "message_id", "activity_id"):
        assert getattr(response, name) == getattr(stock, name), name
    assert (response.is_ephemeral(), response.is_thinking()) == (stock.is_ephemeral(), stock.is_thinking())
    assert response.is_ephemeral() is (how == "private")


async def test_a_thinking_answer_has_no_message_to_build(world: World, answers: Answers) -> None:
    """A deferral's reply carries no message: no resource, the same ids and flags as discord.py's own class, and the
    follow-up reaches the member."""
    await add_answering_command(world, answers)
    result = await world.alice.slash(world.general, "answer", how="thinking")
    assert_responded(result, content="Thought about it.", ephemeral=True)
    response, stock = answers.response[-1], stock_response(answers)
    assert isinstance(response, callbacks.LazyCallbackResponse)
    assert response.resource is None and stock.resource is None
    assert (response.id, response.type, response.message_id) == (stock.id, stock.type, stock.message_id)
    assert response.is_thinking() and stock.is_thinking()


async def test_the_message_built_late_can_still_be_edited(world: World) -> None:
    """The message read from `.resource` after the answer edits the member's answer, as discord.py's would."""

    @app_commands.command(name="edited", description="Answers, then edits the answer through the callback")
    @app_commands.guild_only()
    async def edited(interaction: discord.Interaction) -> None:
        response = await interaction.response.send_message("First words.", ephemeral=True)
        message = response.resource
        assert isinstance(message, discord.InteractionMessage)
        await message.edit(content="Second thoughts.")

    world.bot.tree.add_command(edited)
    await world.bot.tree.sync()
    result = await world.alice.slash(world.general, "edited")
    assert_responded(result, content="Second thoughts.", ephemeral=True)


async def test_the_bot_puts_it_in_place_when_it_starts(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bot starting in a process where discord.py's class is in place installs the lazy one."""
    monkeypatch.setattr(interactions_module, "InteractionCallbackResponse", callbacks.STOCK)
    assert not callbacks.installed()
    await world.restart()
    assert callbacks.installed()
    assert_responded(await world.alice.slash(world.general, "about"))


def test_another_discord_py_version_is_left_as_it_is(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """With a discord.py other than the one the module was written against, install() refuses, says why in the log,
    and discord.py keeps its own class."""
    monkeypatch.setattr(interactions_module, "InteractionCallbackResponse", callbacks.STOCK)
    monkeypatch.setattr(discord, "__version__", "2.8.0")
    with caplog.at_level(logging.WARNING, logger="core.callbacks"):
        assert callbacks.install() is False
    assert interactions_module.InteractionCallbackResponse is callbacks.STOCK
    assert "discord.py 2.8.0 is running, not 2.7.1" in caplog.text


def test_a_class_someone_else_put_there_is_left_as_it_is(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """When discord.interactions.InteractionCallbackResponse is not discord.py's own class, install() refuses."""

    class Theirs(callbacks.STOCK):
        __slots__ = ()

    monkeypatch.setattr(interactions_module, "InteractionCallbackResponse", Theirs)
    with caplog.at_level(logging.WARNING, logger="core.callbacks"):
        assert callbacks.install() is False
    assert interactions_module.InteractionCallbackResponse is Theirs
    assert "not discord.py's own class" in caplog.text


def test_a_changed_constructor_is_left_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    """When the stock class's constructor takes other arguments than it did in 2.7.1, install() refuses."""

    def init(self: Any, *, data: Any, parent: Any, state: Any, type: Any, extra: Any = None) -> None:
        raise AssertionError("never called")

    monkeypatch.setattr(interactions_module, "InteractionCallbackResponse", callbacks.STOCK)
    monkeypatch.setattr(callbacks.STOCK, "__init__", init)
    assert callbacks.refusal() == "InteractionCallbackResponse's constructor takes other arguments"
    assert callbacks.install() is False
    assert interactions_module.InteractionCallbackResponse is callbacks.STOCK


def test_installing_twice_is_harmless(monkeypatch: pytest.MonkeyPatch) -> None:
    """A second bot in the same process installs again without harm."""
    monkeypatch.setattr(interactions_module, "InteractionCallbackResponse", callbacks.STOCK)
    assert callbacks.install() and callbacks.install()
    assert interactions_module.InteractionCallbackResponse is callbacks.LazyCallbackResponse
    callbacks.uninstall()
    assert interactions_module.InteractionCallbackResponse is callbacks.STOCK
