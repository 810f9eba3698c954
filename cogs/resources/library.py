"""The rules of the library: what a valid resource is, and the import/export file formats.
Pure: no discord import.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cogs.intros.tags import normalise_tags
from cogs.resources.urls import MAX_URL_LENGTH, UrlRejected, canonical_url, uri_form
from core.errors import InvalidInput
from core.search_text import folded_name
from core.themes import theme_table

MAX_TITLE = 150
MAX_DESCRIPTION = 1000
MAX_TAGS_TEXT = 200
MAX_THEMES = 5
MAX_TAGS = 10
MAX_IMPORT_BYTES = 512 * 1024
MAX_IMPORT_ROWS = 1000
EXPORT_COLUMNS = ("url", "title", "description", "themes", "tags")


@dataclass(frozen=True)
class Draft:
    """A validated resource, ready to store."""

    url: str
    canonical_url: str
    title: str
    description: str
    themes: tuple[str, ...]
    tags: tuple[str, ...]


def _clean(text: str | None) -> str:
    return " ".join((text or "").split()) if text else ""


def parse_themes(text: str | None, known: Sequence[tuple[str, str]]) -> tuple[str, ...]:
    """Theme keys from a comma-separated list of keys or labels (any case, accents or none), in the guild's
    order."""
    if not text or not text.strip():
        return ()
    lookup = theme_table(known)
    chosen: list[str] = []
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        theme = lookup.get(folded_name(entry))
        if theme is None:
            raise InvalidInput(
                "The theme",
                f"`{entry[:80]}` isn't one of this server's themes",
                "Pick themes from the list as you type.",
            )
        if theme not in chosen:
            chosen.append(theme)
    if len(chosen) > MAX_THEMES:
        raise InvalidInput("Themes", f"has {len(chosen)} themes; the limit is {MAX_THEMES}")
    order = {key: index for index, (key, _label) in enumerate(known)}
    return tuple(sorted(chosen, key=order.__getitem__))


def validate(
    url: str,
    title: str,
    description: str | None,
    themes: str | None,
    tags: str | None,
    known_themes: Sequence[tuple[str, str]],
) -> Draft:
    """Check every field (nothing is written before this passes) and normalise it."""
    url = (url or "").strip()
    shown = url if len(url) <= 80 else url[:79] + "…"
    try:
        canonical = canonical_url(url)
    except UrlRejected as rejected:
        raise InvalidInput(
            f"The link `{shown}`", rejected.reason, "Share a web page starting with `https://`."
        ) from None
    url = uri_form(url)  # what Discord takes as a card's link (letters of other scripts escaped)
    if len(url) > MAX_URL_LENGTH:
        raise InvalidInput(
            f"The link `{shown}`",
            f"is {len(url):,} characters long written as a web address (a letter outside English takes up to 12); "
            f"the limit is {MAX_URL_LENGTH:,}",
            "Share a shorter link to the same page.",
        )
    title = _clean(title)
    if not title:
        raise InvalidInput("The title", "is empty", "Give the resource a short name.")
    if len(title) > MAX_TITLE:
        raise InvalidInput("The title", f"is {len(title)} characters long; the limit is {MAX_TITLE}")
    description = (description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput("The description", f"is {len(description)} characters long; the limit is {MAX_DESCRIPTION}")
    tags = (tags or "").strip()
    if len(tags) > MAX_TAGS_TEXT:
        raise InvalidInput("The tags", f"are {len(tags)} characters long; the limit is {MAX_TAGS_TEXT}")
    tag_set = sorted(normalise_tags(tags))
    if len(tag_set) > MAX_TAGS:
        raise InvalidInput("The tags", f"have {len(tag_set)} entries; the limit is {MAX_TAGS}")
    return Draft(
        url=url,
        canonical_url=canonical,
        title=title,
        description=description,
        themes=parse_themes(themes, known_themes),
        tags=tuple(tag_set),
    )


# Import and export -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportRow:
    line: int
    fields: dict[str, str]


# A spreadsheet reads a cell starting with one of these as a formula (OWASP "CSV injection"). Exported
# cells that start with one get a leading single quote, which spreadsheets show as text; import takes
# it off again, so an export reads back unchanged.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_SCALAR = str | int | float | bool | None


def neutralise_cell(value: str) -> str:
    """A CSV cell a spreadsheet shows as text, never runs as a formula. (Text that already starts with
    quotes before a formula sign gets one more, so `restore_cell` gives it back exactly.)"""
    return "'" + value if value.lstrip("'").startswith(FORMULA_STARTS) else value


def restore_cell(value: str) -> str:
    """The cell as it was before `neutralise_cell`."""
    return value[1:] if value.startswith("'") and value.lstrip("'").startswith(FORMULA_STARTS) else value


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return str(value)


def read_import(filename: str, data: bytes) -> list[ImportRow]:
    """Rows of an uploaded CSV (header with at least `url` and `title`) or JSON (a list of objects)."""
    if len(data) > MAX_IMPORT_BYTES:
        raise InvalidInput("The file", f"is {len(data) // 1024} KB; the limit is {MAX_IMPORT_BYTES // 1024} KB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("The file", "isn't UTF-8 text", "Save it as UTF-8 CSV or JSON.") from None
    lowered = filename.lower()
    if lowered.endswith(".json"):
        rows = _read_json(text)
    elif lowered.endswith(".csv"):
        rows = _read_csv(text)
    else:
        raise InvalidInput(f"The file `{filename[:80]}`", "isn't a .csv or .json file", "Export one from a sheet.")
    if len(rows) > MAX_IMPORT_ROWS:
        raise InvalidInput("The file", f"has {len(rows)} rows; the limit is {MAX_IMPORT_ROWS}", "Split it in parts.")
    return rows


JSON_SHAPE = 'Use a list of resources, like `[{"url": "https://…", "title": "…", "tags": ["…"]}]`.'


def _read_json(text: str) -> list[ImportRow]:
    try:
        loaded = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInput("The JSON file", f"isn't valid JSON (line {error.lineno})", JSON_SHAPE) from None
    except RecursionError:  # brackets nested thousands deep
        raise InvalidInput("The JSON file", "is nested far too deeply to be a list of resources", JSON_SHAPE) from None
    except ValueError:  # a number with thousands of digits
        raise InvalidInput("The JSON file", "has a number too long to read", JSON_SHAPE) from None
    if isinstance(loaded, dict) and isinstance(loaded.get("resources"), list):
        loaded = loaded["resources"]
    if not isinstance(loaded, list):
        raise InvalidInput("The JSON file", "isn't a list of resources", JSON_SHAPE)
    rows = []
    for index, item in enumerate(loaded, start=1):
        if not isinstance(item, dict):
            raise InvalidInput("The JSON file", f"has a {_kind(item)} as resource {index}, not an object", JSON_SHAPE)
        for key, value in item.items():
            flat = isinstance(value, _SCALAR) or (
                isinstance(value, list) and all(isinstance(part, _SCALAR) for part in value)
            )
            if not flat:
                raise InvalidInput(
                    "The JSON file",
                    f"has a nested {_kind(value)} in `{str(key)[:40]}` of resource {index}",
                    "Each field is text, or a list of words for `themes` and `tags`. " + JSON_SHAPE,
                )
        rows.append(ImportRow(index, {str(k).lower(): _text(v) for k, v in item.items()}))
    return rows


def _kind(value: object) -> str:
    return "list" if isinstance(value, list) else "object" if isinstance(value, dict) else "value"


def _read_csv(text: str) -> list[ImportRow]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:  # the header row is read here, and can be as unreadable as any other
        header = [name.strip().lower() for name in reader.fieldnames or []]
        if "url" not in header or "title" not in header:
            raise InvalidInput("The CSV file", "needs a header row with `url` and `title` columns")
        reader.fieldnames = header
        return [
            ImportRow(reader.line_num, {k: restore_cell(_text(v)) for k, v in row.items() if isinstance(k, str)})
            for row in reader
        ]
    except csv.Error as error:
        raise InvalidInput("The CSV file", f"can't be read ({error})") from None


def _csv_line(row: Sequence[str]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([neutralise_cell(cell) for cell in row])
    return buffer.getvalue().encode("utf-8")


@dataclass(frozen=True)
class ExportPart:
    data: bytes
    rows: int

    @property
    def importable(self) -> bool:
        """Within what `/resources import` reads back."""
        return len(self.data) <= MAX_IMPORT_BYTES and self.rows <= MAX_IMPORT_ROWS


def export_csv_parts(rows: Iterable[Sequence[str]], limit: int) -> list[ExportPart]:
    """The library as CSV files of at most `limit` bytes each, split between rows, each with the header
    row: every part is a complete CSV file, and together they hold each row once, in order."""
    header = _csv_line(EXPORT_COLUMNS)
    parts: list[ExportPart] = []
    lines: list[bytes] = []
    size = len(header)
    for row in rows:
        line = _csv_line(row)
        if len(header) + len(line) > limit:
            raise ValueError(f"a {len(line)}-byte row can't fit in a {limit}-byte file")
        if size + len(line) > limit:
            parts.append(ExportPart(b"".join([header, *lines]), len(lines)))
            lines, size = [], len(header)
        lines.append(line)
        size += len(line)
    parts.append(ExportPart(b"".join([header, *lines]), len(lines)))
    return parts


def export_filenames(count: int) -> list[str]:
    """`resources.csv`, or `resources-01-of-12.csv` … when the export comes in parts (they sort in order)."""
    if count == 1:
        return ["resources.csv"]
    width = len(str(count))
    return [f"resources-{number:0{width}d}-of-{count}.csv" for number in range(1, count + 1)]
