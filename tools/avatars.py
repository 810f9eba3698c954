"""Stand-in avatars for screenshots and the demo: SimCord's preview renders offline, so each seeded member
gets a round picture with their initials served as preview assets."""

from __future__ import annotations

import hashlib
import io
from functools import cache
from typing import Any

from tools.world import World

SIMCORD_CDN = "https://cdn.simcord.invalid"  # simcord.backend.cdn.CDN_BASE
COLOURS = ("#e8743d", "#5fb3a1", "#8ea7e9", "#d98bb5", "#a3c465", "#c97b63", "#6fa8dc", "#b58ee0")


def avatar_hash(username: str) -> str:
    """A stable, made-up avatar hash for a seeded user (`env.create_user(..., avatar=...)`)."""
    return hashlib.md5(username.encode(), usedforsecurity=False).hexdigest()


def initials(name: str) -> str:
    words = [word for word in name.replace("-", " ").split() if word[:1].isalpha()]
    return "".join(word[0] for word in words[:2]).upper() or "?"


@cache
def round_png(text: str, colour: str, size: int = 256) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((0, 0, size - 1, size - 1), fill=colour)
    font = ImageFont.load_default(size=int(size * 0.4))
    draw.text((size / 2, size / 2), text, fill="white", font=font, anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _colour(user_id: int) -> str:
    return COLOURS[user_id % len(COLOURS)]


def assets_for(world: World, extra_users: Any = ()) -> dict[str, tuple[str, bytes]]:
    """Preview assets: every guild member's avatar (as SimCord's preview and as discord.py spell the URL)."""
    assets: dict[str, tuple[str, bytes]] = {}
    guild = world.bot.get_guild(world.guild.id)
    people = list(guild.members) if guild is not None else []
    people += [user for user in extra_users if user is not None]
    for person in people:
        if person.bot or person.avatar is None:
            continue
        png = round_png(initials(person.display_name), _colour(person.id))
        entry = (f"avatar-{person.id}.png", png)
        url = str(person.avatar.url)
        assets[url] = entry
        assets[url.split("?", 1)[0]] = entry
        assets[f"{SIMCORD_CDN}/avatars/{person.id}/{person.avatar.key}.png"] = entry
    return assets
