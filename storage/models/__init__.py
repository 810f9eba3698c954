"""Every model, imported so that `Base.metadata` knows every table.

Each feature keeps its tables in a module of its own here and re-exports them below.
"""

from storage.base import Base
from storage.models import (  # noqa: F401  (register tables)
    care,
    circles,
    intros,
    limits,
    mentorship,
    occasions,
    prompt_answers,
    prompts,
    resources,
)
from storage.models.guild import GuildSettings, GuildTheme
from storage.models.privacy import Departure

__all__ = ["Base", "Departure", "GuildSettings", "GuildTheme"]
