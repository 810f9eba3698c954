"""Finding the channel a feature posts in."""

from __future__ import annotations

import discord
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import FeatureNotConfigured
from storage.guilds import get_settings


async def configured_channel(
    session: AsyncSession, guild: discord.Guild, column: str, *, feature: str, option: str
) -> discord.TextChannel:
    """The text channel stored in `GuildSettings.<column>`, or FeatureNotConfigured."""
    settings = await get_settings(session, guild.id)
    channel_id = getattr(settings, column) if settings is not None else None
    channel = guild.get_channel(channel_id) if channel_id else None
    if not isinstance(channel, discord.TextChannel):
        raise FeatureNotConfigured(feature, option)
    return channel
