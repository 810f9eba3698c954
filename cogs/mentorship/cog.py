"""The mentorship cog (placeholder until the feature lands)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot import LanternBot


async def setup(bot: LanternBot) -> None:
    return None
