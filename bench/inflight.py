"""Emit interactions into SimCord without settling, so many are in flight inside the bot at once.

PRIVATE-API helpers. `fire_without_settle` is copied from the SimCord trial's
`shared/simcord-examples/tests/test_10_concurrency_perf.py` (`_fire_without_settle`, which mirrors
`simcord.actors._slash` of SimCord 3.2.1); `fire_modal_without_settle` is the same idea for
`simcord._modal._submit_modal`. Both rely on SimCord internals and may break in a later release.
SimCord refuses overlapping actor calls (TESTING.md P7), so this is the only way to have N
interactions in flight; call `await env.settle()` afterwards.
"""

from __future__ import annotations

from typing import Any

from simcord import InteractionResult


def fire_without_settle(actor: Any, channel: Any, name: str, **options: Any) -> InteractionResult:
    """Build and emit one slash-command INTERACTION_CREATE without settling; its result fills in later."""
    from simcord import interactions as I
    from simcord.actors import _resolve_visible_command
    from simcord.enums import AppCommandType, InteractionType

    parts = name.split()
    root = _resolve_visible_command(actor, channel.id, parts[0], AppCommandType.CHAT_INPUT)
    leaf, nesting = I.walk_to_subcommand(root, parts[1:])
    leaf_opts, resolved = I.build_options(actor, name, leaf, options, channel_id=channel.id)
    data = {"id": root["id"], "name": root["name"], "type": 1, "options": I.nest_options(root, nesting, leaf_opts)}
    if resolved:
        data["resolved"] = resolved
    record, payload = I.base_payload(
        actor._env.backend,
        type=InteractionType.APPLICATION_COMMAND,
        channel_id=channel.id,
        guild_id=actor.guild.id,
        user_id=actor.id,
        data=data,
    )
    actor._env.backend.emit("INTERACTION_CREATE", payload)
    return InteractionResult(actor._env, record)


def fire_modal_without_settle(actor: Any, shown: InteractionResult, values: dict[str, Any]) -> InteractionResult:
    """Submit a modal `shown` to `actor` (text inputs only) without settling. Mirrors `_submit_modal` (3.2.1)."""
    from simcord import interactions as I
    from simcord._modal import _modal_submit_nodes, validate_modal
    from simcord.enums import InteractionType

    interaction = shown._interaction
    spec = validate_modal(interaction.modal)
    channel_id = interaction.channel_id
    components = _modal_submit_nodes(spec["components"], actor, values, {}, channel_id, [])
    interaction.modal_consumed = True
    record, payload = I.base_payload(
        actor._env.backend,
        type=InteractionType.MODAL_SUBMIT,
        channel_id=channel_id,
        guild_id=actor.guild.id,
        user_id=actor.id,
        data={"custom_id": spec["custom_id"], "components": components},
    )
    actor._env.backend.emit("INTERACTION_CREATE", payload)
    return InteractionResult(actor._env, record)
