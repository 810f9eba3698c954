"""Every model, imported so that `Base.metadata` knows every table.

Each feature keeps its tables in a module of its own here.
"""

from storage.base import Base
from storage.models.guild import GuildSettings, GuildTheme

__all__ = ["Base", "GuildSettings", "GuildTheme"]
