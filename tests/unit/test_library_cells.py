"""CSV cells of the library export: never a formula, and read back exactly as they were."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cogs.resources.library import FORMULA_STARTS, neutralise_cell, restore_cell

cells = st.text(alphabet=st.sampled_from(["=", "+", "-", "@", "\t", "\r", "'", "a", " ", "1"]), max_size=8) | st.text(
    max_size=20
)


@given(cells)
def test_a_neutralised_cell_never_starts_a_formula(value: str) -> None:
    """Whatever the text, the exported cell doesn't start with a character a spreadsheet runs."""
    assert not neutralise_cell(value).startswith(FORMULA_STARTS)


@given(cells)
def test_restoring_gives_back_the_text(value: str) -> None:
    """Import undoes export exactly, even for text that starts with quotes before a formula sign."""
    assert restore_cell(neutralise_cell(value)) == value


def test_plain_text_is_left_alone() -> None:
    assert neutralise_cell("Being hapa") == "Being hapa"
    assert neutralise_cell("=SUM(A1)") == "'=SUM(A1)"
    assert neutralise_cell("'=x") == "''=x"
