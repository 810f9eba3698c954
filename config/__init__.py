"""Settings and default content."""

from config.content import Theme, default_theme_pairs, default_themes, theme_label
from config.settings import DEFAULT_DATABASE_URL, PROJECT_ROOT, Settings

__all__ = [
    "DEFAULT_DATABASE_URL",
    "PROJECT_ROOT",
    "Settings",
    "Theme",
    "default_theme_pairs",
    "default_themes",
    "theme_label",
]
