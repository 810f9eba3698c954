"""core/charts.py: the privacy fold and the PNGs (pure; no discord)."""

from __future__ import annotations

import io
from datetime import date

from core.charts import OTHER, engagement_chart, fold_small, funnel_chart

PNG = b"\x89PNG\r\n\x1a\n"


def size(png: bytes) -> tuple[int, int]:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        return image.size


def test_groups_of_five_or_more_stay_and_smaller_ones_fold_into_other() -> None:
    folded = fold_small({"food": [1] * 5, "identity": [2] * 7, "career": [3] * 2, "holidays": [4] * 3})
    assert list(folded.groups) == ["identity", "food", OTHER]
    assert sorted(folded.groups[OTHER]) == [3, 3, 4, 4, 4]
    assert (folded.hidden_groups, folded.hidden_items) == (0, 0)


def test_an_other_group_still_too_small_is_left_out_and_counted() -> None:
    folded = fold_small({"food": [1] * 6, "career": [5, 9]})
    assert list(folded.groups) == ["food"]
    assert (folded.hidden_groups, folded.hidden_items) == (1, 2)


def test_an_existing_other_group_is_merged_not_duplicated() -> None:
    folded = fold_small({OTHER: [1, 1], "career": [2, 2, 2]})
    assert list(folded.groups) == [OTHER]
    assert len(folded.groups[OTHER]) == 5


def test_engagement_chart_is_a_png() -> None:
    png = engagement_chart({"Identity": [3, 4, 5, 6, 7], "Food": [1, 2]}, subtitle="Last 90 days")
    assert png.startswith(PNG)
    width, height = size(png)
    assert width > 400 and height > 150


def test_engagement_chart_with_nothing_to_show_still_renders() -> None:
    assert engagement_chart({}).startswith(PNG)
    assert engagement_chart({"Food": [1, 2]}).startswith(PNG)


def test_funnel_chart_with_and_without_series() -> None:
    stages = [("Offered", 20), ("Proposed", 12), ("Paired", 3)]
    plain = funnel_chart(stages, title="Pairing")
    with_series = funnel_chart(stages, {"pairings": [(date(2026, 1, 5), 6), (date(2026, 1, 12), 2)]})
    assert plain.startswith(PNG) and with_series.startswith(PNG)
    assert size(with_series)[1] > size(plain)[1]
    assert funnel_chart([]).startswith(PNG)
