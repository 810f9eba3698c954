"""The prompt bank's rules: the default prompts, duplicate keys, themes, and import files. No discord import."""

from __future__ import annotations

import csv
import io
import re
import tomllib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

from config.content import CONTENT_DIR
from core.errors import InvalidInput
from core.search_text import folded_name, typed_in
from core.themes import theme_table

PROMPT_MAX = 300
PROMPT_MIN = 10
IMPORT_MAX_BYTES = 64 * 1024
IMPORT_MAX_LINES = 500


@dataclass(frozen=True, slots=True)
class DefaultPrompt:
    theme: str
    text: str


@cache
def default_prompts() -> tuple[DefaultPrompt, ...]:
    """The bank every guild starts with (config/prompts.toml)."""
    data = tomllib.loads((CONTENT_DIR / "prompts.toml").read_text(encoding="utf-8"))
    return tuple(DefaultPrompt(theme=p["theme"], text=clean_text(p["text"])) for p in data["prompt"])


def seed_rows() -> list[tuple[str, str, str]]:
    """(theme, text, key) of every default prompt, for seeding a guild's bank."""
    return [(p.theme, p.text, text_key(p.text)) for p in default_prompts()]


def clean_text(text: str) -> str:
    """Collapse whitespace; what is stored and shown."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def text_key(text: str) -> str:
    """The duplicate-detection key: case, punctuation and spacing folded away."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.sub(r"[^\w\s]", " ", folded).split())[:PROMPT_MAX]


def validate_text(text: str) -> str:
    """The cleaned prompt, or InvalidInput saying why not."""
    cleaned = clean_text(text)
    if len(cleaned) < PROMPT_MIN:
        raise InvalidInput(
            "The prompt", f"is too short ({len(cleaned)} characters)", "Write at least a short question."
        )
    if len(cleaned) > PROMPT_MAX:
        raise InvalidInput("The prompt", f"is {len(cleaned)} characters long; the limit is {PROMPT_MAX}")
    return cleaned


def resolve_theme(value: str, themes: Sequence[tuple[str, str]]) -> str | None:
    """A theme key from a key or label typed in any case, accents or none, or None if the guild has no such
    theme."""
    return theme_table(themes).get(folded_name(value))


def require_theme(value: str, themes: Sequence[tuple[str, str]]) -> str:
    key = resolve_theme(value, themes)
    if key is None:
        raise InvalidInput(
            "The theme",
            f"`{value.strip()[:40]}` isn't one of this server's themes",
            "Pick one from the list as you type.",
        )
    return key


def parse_themes(value: str | None, themes: Sequence[tuple[str, str]]) -> tuple[str, ...]:
    """'identity, Career guidance' → ('identity', 'career'); empty means every theme."""
    if not value or not value.strip():
        return ()
    keys: list[str] = []
    for part in value.split(","):
        if part.strip():
            key = require_theme(part, themes)
            if key not in keys:
                keys.append(key)
    return tuple(keys)


def theme_search(current: str, themes: Sequence[tuple[str, str]], limit: int = 25) -> list[tuple[str, str]]:
    """(label, key) pairs whose key or label contains what was typed, for autocomplete."""
    return [(label, key) for key, label in themes if typed_in(current, key, label)][:limit]


@dataclass
class ImportRow:
    line: int
    text: str
    theme: str


@dataclass
class ImportPlan:
    rows: list[ImportRow] = field(default_factory=list)
    rejected: list[tuple[int, str]] = field(default_factory=list)
    duplicates_in_file: int = 0


def parse_import(
    filename: str, data: bytes, themes: Sequence[tuple[str, str]], default_theme: str | None
) -> ImportPlan:
    """Read an import file: .txt (one prompt a line, `default_theme`) or .csv (columns text,theme).

    Bad rows are collected with a reason; the whole file is refused only if it can't be read.
    """
    kind = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if kind not in {"txt", "csv"}:
        raise InvalidInput("The file", f"`{filename[:60]}` isn't a .txt or .csv file", "Attach one of those.")
    if len(data) > IMPORT_MAX_BYTES:
        raise InvalidInput("The file", f"is {len(data) // 1024} KB; the limit is {IMPORT_MAX_BYTES // 1024} KB")
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("The file", "isn't UTF-8 text", "Save it as UTF-8 and attach it again.") from None
    lines = content.splitlines()
    if len([line for line in lines if line.strip()]) > IMPORT_MAX_LINES + 1:
        raise InvalidInput("The file", f"has more than {IMPORT_MAX_LINES} lines", "Split it into smaller files.")
    if kind == "txt":
        if default_theme is None:
            raise InvalidInput(
                "A .txt import", "needs a theme", "Choose the `theme` option, or use a .csv with text,theme."
            )
        raw = [(number, line, default_theme) for number, line in enumerate(lines, start=1)]
    else:
        raw = list(_csv_rows(content, default_theme))
    plan = ImportPlan()
    seen: set[str] = set()
    for number, text, theme_text in raw:
        if not text.strip():
            continue
        try:
            cleaned = validate_text(text)
        except InvalidInput as error:
            plan.rejected.append((number, error.problem))
            continue
        theme = resolve_theme(theme_text or "", themes)
        if theme is None:
            plan.rejected.append((number, f"unknown theme `{(theme_text or '').strip()[:40]}`"))
            continue
        key = text_key(cleaned)
        if key in seen:
            plan.duplicates_in_file += 1
            continue
        seen.add(key)
        plan.rows.append(ImportRow(number, cleaned, theme))
    return plan


def _csv_rows(content: str, default_theme: str | None) -> list[tuple[int, str, str]]:
    reader = csv.reader(io.StringIO(content))
    rows: list[tuple[int, str, str]] = []
    try:
        for index, row in enumerate(reader, start=1):
            cells = [cell.strip() for cell in row]
            if index == 1 and [c.casefold() for c in cells[:2]] == ["text", "theme"]:
                continue
            if not any(cells):
                continue
            text = cells[0] if cells else ""
            theme = cells[1] if len(cells) > 1 and cells[1] else (default_theme or "")
            rows.append((reader.line_num, text, theme))
    except csv.Error as error:
        raise InvalidInput("The .csv file", f"can't be read ({error})", "Use two columns: text,theme.") from None
    return rows
