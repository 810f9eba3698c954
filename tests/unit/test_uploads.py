"""Discord's upload limits, packing files into messages within them, and the library export split into parts."""

from __future__ import annotations

import csv
import io

import pytest

from cogs.resources import library
from core import uploads

MIB = 1024 * 1024


def test_the_limits_are_discords_documented_ones() -> None:
    """10 MiB a file (developers/reference.mdx, "Uploading Files": "The default limit is `10 MiB`"),
    25 MiB a message (developers/resources/message.mdx, Create Message: "The maximum request size when
    sending a message is **25 MiB**"), 10 attachments (specs/openapi.json: `attachments` maxItems 10)."""
    assert uploads.FILE_LIMIT == 10 * MIB
    assert uploads.REQUEST_LIMIT == 25 * MIB
    assert uploads.FILES_PER_MESSAGE == 10


def test_two_full_size_files_share_a_message() -> None:
    """Three 10 MiB files need two messages: a third would take the request past 25 MiB."""
    assert uploads.pack([10 * MIB] * 3) == [[0, 1], [2]]


def test_a_message_carries_at_most_ten_files() -> None:
    """Small files go ten to a message, in order."""
    assert uploads.pack([1024] * 23) == [list(range(10)), list(range(10, 20)), [20, 21, 22]]


def test_a_file_over_the_limit_is_a_bug_not_a_message() -> None:
    with pytest.raises(ValueError, match="over the"):
        uploads.pack([uploads.FILE_LIMIT + 1])


@pytest.mark.parametrize(
    ("size", "text"), [(512, "512 bytes"), (512 * 1024, "512 KB"), (10 * MIB, "10 MB"), (25 * MIB // 2, "12.5 MB")]
)
def test_sizes_read_naturally(size: int, text: str) -> None:
    assert uploads.size_text(size) == text


ROWS = [
    (f"https://example.org/{n}", f"Título {n}", "Line one\nline two, with a comma" if n % 3 else "", "identity", "x")
    for n in range(60)
]


def read(part: library.ExportPart) -> list[list[str]]:
    return list(csv.reader(io.StringIO(part.data.decode("utf-8"))))


def test_each_part_is_a_whole_csv_file_within_the_limit() -> None:
    """Parts are at most `limit` bytes (UTF-8, quoted new lines included), each opens with the header row,
    and together they hold every row once, in order."""
    parts = library.export_csv_parts(ROWS, limit=1024)
    assert len(parts) > 3
    assert all(len(part.data) <= 1024 for part in parts)
    assert all(read(part)[0] == list(library.EXPORT_COLUMNS) for part in parts)
    assert [tuple(row) for part in parts for row in read(part)[1:]] == ROWS
    assert [part.rows for part in parts] == [len(read(part)) - 1 for part in parts]


def test_a_library_within_the_limit_is_one_file() -> None:
    [part] = library.export_csv_parts(ROWS, limit=uploads.FILE_LIMIT)
    assert read(part) == [list(library.EXPORT_COLUMNS), *map(list, ROWS)]
    assert library.export_filenames(1) == ["resources.csv"]


def test_part_names_sort_in_order() -> None:
    names = library.export_filenames(12)
    assert names[0] == "resources-01-of-12.csv" and names[-1] == "resources-12-of-12.csv"
    assert sorted(names) == names
