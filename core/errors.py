"""Domain exceptions. Each carries its data and knows the sentence a member should read.

Wording (STYLE.md): first person, present tense, say what went wrong, echo the input, name the
next step. The error funnel (`core.tree.LanternTree`) sends `user_message()` ephemerally.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


class LanternError(Exception):
    """An expected failure with a message for the member who caused it."""

    def user_message(self) -> str:  # pragma: no cover - every subclass overrides it
        raise NotImplementedError

    def __str__(self) -> str:
        return self.user_message()


@dataclass(eq=False)
class InvalidInput(LanternError):
    """A value a member typed is out of bounds or malformed."""

    field: str
    problem: str
    hint: str = ""

    def user_message(self) -> str:
        text = f"{self.field} {self.problem}."
        return f"{text} {self.hint}" if self.hint else text


@dataclass(eq=False)
class UnknownTimezone(LanternError):
    name: str
    reason: str = ""  # why a timezone-looking input can't be used ("offsets run from UTC-12:00 to UTC+14:00")

    def user_message(self) -> str:
        shown = self.name.replace("`", "'")[:64]
        if self.reason:
            return f"I can't use the timezone `{shown}`: {self.reason}."
        return (
            f"I don't know the timezone `{shown}`. Type a city (`Manila`), an offset (`UTC+8`) or a name "
            "like `Europe/London`, or pick one from the list as you type."
        )


@dataclass(eq=False)
class AmbiguousTimezone(LanternError):
    """An abbreviation or city that names more than one timezone: the member picks one."""

    name: str
    choices: tuple[tuple[str, str], ...]  # (what it could mean, IANA name)

    def user_message(self) -> str:
        shown = self.name.replace("`", "'")[:64]
        options = [f"{meaning} (`{zone}`)" for meaning, zone in self.choices]
        listed = ", ".join(options[:-1]) + " or " + options[-1] if len(options) > 1 else options[0]
        return f"`{shown}` could be {listed}. Type the one you mean, or pick it from the list as you type."


@dataclass(eq=False)
class FeatureNotConfigured(LanternError):
    """A feature needs a channel that nobody has set yet."""

    feature: str
    option: str

    def user_message(self) -> str:
        return (
            f"{self.feature} isn't set up on this server yet. "
            f"Please ask a moderator to run `/setup channels {self.option}:`."
        )


@dataclass(eq=False)
class NotFound(LanternError):
    what: str
    ident: str
    hint: str = ""

    def user_message(self) -> str:
        text = f"I can't find {self.what} `{self.ident}`."
        return f"{text} {self.hint}" if self.hint else text


@dataclass(eq=False)
class NotAllowed(LanternError):
    reason: str

    def user_message(self) -> str:
        return self.reason


@dataclass(eq=False)
class CoolingDown(LanternError):
    reason: str
    retry_after: timedelta

    def user_message(self) -> str:
        seconds = max(int(self.retry_after.total_seconds()), 1)
        if seconds < 90:
            wait = f"{seconds} seconds"
        elif seconds < 90 * 60:
            wait = f"about {round(seconds / 60)} minutes"
        else:
            hours = round(seconds / 3600)
            wait = "about an hour" if hours == 1 else f"about {hours} hours"
        return f"{self.reason} Please try again in {wait}."
