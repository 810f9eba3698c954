"""/resources export of a library larger than Discord's upload limit: it arrives in parts Discord accepts.

Discord takes at most 10 MiB a file (developers/reference.mdx, "Uploading Files"), 25 MiB a message
(developers/resources/message.mdx, Create Message) and 10 files a message (openapi.json). A library
past 10 MiB would need tens of thousands of resources; instead these tests divide every limit in
core.uploads by the same factor (1024). That is faithful: splitting and packing only compare byte
counts with the limits, so a ~55 KB library against 10 KiB files and 25 KiB messages takes exactly the
path a ~55 MiB one takes against the real limits. tests/unit/test_uploads.py checks the real values.
"""

from __future__ import annotations

import csv
import io
from collections import Counter

import pytest
from simcord import InteractionResult, assert_error, assert_responded

from cogs.resources import library, moderation
from core import uploads
from core.errors import NotAllowed
from tests.conftest import World

SCALE = 1024
COUNT = 300
URLS = [f"https://example.org/library/{n:04d}" for n in range(COUNT)]
LIBRARY = "url,title,description,themes,tags\n" + "".join(
    f'{url},Resource {n}: notes on mixed identity,"Essays, interviews and reading lists, part {n}; '
    f'for anyone growing up between cultures",identity,"books, teens"\n'
    for n, url in enumerate(URLS)
)


@pytest.fixture
def small_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Discord's limits, each divided by SCALE (see the module docstring)."""
    for name in ("FILE_LIMIT", "REQUEST_LIMIT", "REQUEST_HEADROOM"):
        monkeypatch.setattr(uploads, name, getattr(uploads, name) // SCALE)


async def big_library(world: World) -> None:
    imported = await world.mod.slash(world.general, "resources import", file=("library.csv", LIBRARY.encode()))
    assert f"{COUNT} resources added" in imported.response.content


async def files_of(result: InteractionResult) -> list[tuple[str, bytes]]:
    messages = [result.response, *result.followups]
    return [(a.filename, await a.read()) for message in messages for a in message.attachments]


async def test_a_library_over_the_upload_limit_arrives_in_parts(world: World, small_limits: None) -> None:
    """Each file is within the limit and is a CSV with its header; every resource is in exactly one file;
    each message has at most 10 files within the request limit; the first message explains the parts."""
    assert len(LIBRARY) > 5 * uploads.FILE_LIMIT  # over the (scaled) limit several times
    await big_library(world)
    result = await world.mod.slash(world.general, "resources export")

    messages = [result.response, *result.followups]
    assert len(messages) >= 3 and all(message.ephemeral for message in messages)
    for message in messages:
        assert 1 <= len(message.attachments) <= uploads.FILES_PER_MESSAGE
        assert sum(a.size for a in message.attachments) <= uploads.REQUEST_LIMIT
    files = await files_of(result)
    assert [name for name, _ in files] == library.export_filenames(len(files))
    assert len(files) >= 6
    rows: list[list[str]] = []
    for name, data in files:
        assert len(data) <= uploads.FILE_LIMIT, f"{name} is {len(data)} bytes"
        header, *body = csv.reader(io.StringIO(data.decode("utf-8")))
        assert header == list(library.EXPORT_COLUMNS), name
        rows += body
    assert Counter(row[0] for row in rows) == Counter(URLS)
    assert rows[0] == [URLS[0], "Resource 0: notes on mixed identity", rows[0][2], "identity", "books, teens"]

    first = messages[0].content
    assert f"The library: {COUNT} resources, in {len(files)} CSV files of at most 10 KB" in first
    assert f"the rest follow in {len(messages) - 1} more messages" in first
    assert "`/resources import` reads each file back." in first
    assert messages[-1].content.endswith(f"of {len(files)} of the library export.")


async def test_a_library_too_big_for_one_export_is_refused_with_its_size(
    world: World, small_limits: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the number of messages one export may take, the moderator reads the library's size and what to do."""
    await big_library(world)
    monkeypatch.setattr(moderation, "MAX_EXPORT_MESSAGES", 2)
    result = await world.mod.slash(world.general, "resources export")
    assert_responded(result, contains=f"KB as CSV ({COUNT} resources): more than I can send in 2 messages")
    assert "ask whoever hosts Lantern" in result.response.content
    assert result.response.attachments == [] and result.followups == []
    assert_error(world.env, NotAllowed)


async def test_a_small_library_is_still_one_file(world: World) -> None:
    """Under the real limits the same library is one `resources.csv` in one message."""
    await big_library(world)
    result = await world.mod.slash(world.general, "resources export")
    assert_responded(result, contains=f"The library: {COUNT} resources. `/resources import` reads this file back.")
    assert [name for name, _ in await files_of(result)] == ["resources.csv"]
    assert result.followups == []


async def test_the_export_says_when_a_file_is_too_big_to_import_back(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file past what `/resources import` reads (here: over a lowered row limit) comes with how to import it."""
    await big_library(world)
    monkeypatch.setattr(library, "MAX_IMPORT_ROWS", COUNT - 1)
    result = await world.mod.slash(world.general, "resources export")
    assert_responded(
        result,
        contains=f"`/resources import` reads files of up to 512 KB and {COUNT - 1} rows, so split a bigger one",
    )
