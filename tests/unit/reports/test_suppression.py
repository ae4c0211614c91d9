"""Small-cell suppression: a small cell is withheld, and so is enough else that subtraction
from any published total cannot give it back; published values and totals stay true."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from services.reports.suppression import suppress_counts, suppress_groups

CATEGORIES = ("sc", "st", "obc", "general", "other")


def _row(**counts: int) -> dict[str, int]:
    row = {c: counts.get(c, 0) for c in CATEGORIES}
    row["total"] = sum(row.values())
    return row


def _recoverable(
    rows: list[dict[str, int]], withheld: set[tuple[int, str]]
) -> set[tuple[int, str]]:
    """Withheld cells a reader can compute from one published equation (a row's categories
    adding up to its total, or a column's siblings adding up to the parent's total)."""
    columns = [*CATEGORIES, "total"]
    found = set()
    for i in range(len(rows)):
        hidden = [c for c in columns if (i, c) in withheld]
        if len(hidden) == 1:
            found.add((i, hidden[0]))
    for c in columns:
        hidden_rows = [i for i in range(len(rows)) if (i, c) in withheld]
        # A parent whose value in the column is the one child's (siblings all zero) is left
        # to the parent's own table (services.reports.suppression says so).
        siblings = sum(r[c] for j, r in enumerate(rows) if j not in hidden_rows)
        if len(hidden_rows) == 1 and siblings > 0:
            found.add((hidden_rows[0], c))
    return found


def test_a_cell_of_three_members_is_withheld_and_totals_stay_true() -> None:
    rows = [
        _row(sc=3, general=40, obc=22),  # three SC members in the first block
        _row(sc=12, general=30, obc=18, st=9),
        _row(sc=8, general=25, obc=11, st=6),
    ]
    withheld = suppress_counts(rows, CATEGORIES, "total", threshold=5)
    assert (0, "sc") in withheld
    # Not recoverable from the block's total, nor from the district total minus other blocks.
    assert not _recoverable(rows, withheld)
    # Totals are published and true: the published cells never add up past them.
    for i, row in enumerate(rows):
        assert (i, "total") not in withheld
        shown = sum(row[c] for c in CATEGORIES if (i, c) not in withheld)
        hidden = [c for c in CATEGORIES if (i, c) in withheld]
        assert shown + sum(row[c] for c in hidden) == row["total"]
        assert len(hidden) != 1
    # The complement in the row is the smallest other non-zero cell (least information lost).
    assert (0, "obc") in withheld


def test_a_block_with_few_members_withholds_its_total_and_categories() -> None:
    rows = [_row(sc=2, general=1), _row(sc=20, general=30), _row(sc=15, general=25)]
    withheld = suppress_counts(rows, CATEGORIES, "total", threshold=5)
    assert {(0, "sc"), (0, "general"), (0, "total")} <= withheld
    assert not _recoverable(rows, withheld)


def test_zero_and_large_cells_are_published() -> None:
    rows = [_row(sc=10, general=20), _row(sc=7, general=9)]
    assert suppress_counts(rows, CATEGORIES, "total", threshold=5) == set()


def test_threshold_is_the_states_setting() -> None:
    rows = [_row(sc=7, general=30), _row(sc=8, general=30)]
    assert suppress_counts(rows, CATEGORIES, "total", threshold=5) == set()
    assert (0, "sc") in suppress_counts(rows, CATEGORIES, "total", threshold=8)


@given(
    st.lists(
        st.tuples(*(st.integers(min_value=0, max_value=12) for _ in CATEGORIES)),
        min_size=1,
        max_size=6,
    )
)
def test_no_withheld_cell_is_recoverable_by_one_subtraction(
    raw: list[tuple[int, ...]],
) -> None:
    rows = [_row(**dict(zip(CATEGORIES, values, strict=True))) for values in raw]
    withheld = suppress_counts(rows, CATEGORIES, "total", threshold=5)
    for i, c in itertools.product(range(len(rows)), (*CATEGORIES, "total")):
        if 0 < rows[i][c] < 5 and c != "total":
            assert (i, c) in withheld, f"small cell {c} of row {i} published"
        if (i, c) in withheld:
            assert rows[i][c] > 0 or c == "total"
    assert not _recoverable(rows, withheld)


def test_money_of_few_meetings_is_withheld_with_a_complement() -> None:
    rows = [
        {"meetings": 2, "savings": 150_000},
        {"meetings": 40, "savings": 9_000_000},
        {"meetings": 25, "savings": 4_000_000},
    ]
    withheld = suppress_groups(rows, "meetings", ["savings"], threshold=5)
    assert withheld == {(0, "meetings"), (0, "savings"), (2, "meetings"), (2, "savings")}
