"""Small-cell suppression of aggregates served outside the mission (X3).

A count of people below the state's threshold (default 5) could point at an individual (three
ST members in a block), so such a cell is withheld. Withholding one cell is not enough when
totals are published: the row total (members of the area) minus the other categories gives it
back, and so does the parent's total (the district) minus the sibling areas (the other
blocks). So complementary cells are withheld too, until every row and every column of the
table has either none or at least two withheld cells (or its own total withheld): the classic
primary + secondary suppression, with the secondary cell chosen as the smallest non-zero one
(least information lost) and ties broken by position, so every page sees the same result.

Nothing is perturbed: every published value is the true value, and published totals stay the
true totals, so what a client adds up from unsuppressed cells never exceeds the total.

The functions are pure: a table is a list of rows (sibling areas of one parent, one period),
each a mapping measure → value; the answer is the set of ``(row index, measure)`` withheld.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

Cell = tuple[int, str]


def _small(value: int, threshold: int) -> bool:
    return 0 < value < threshold


def suppress_counts(
    rows: Sequence[Mapping[str, int]],
    categories: Sequence[str],
    total: str,
    threshold: int,
) -> set[Cell]:
    """Withheld cells of a table of people counts by category with a row ``total``.

    ``rows[i][total]`` must equal the sum of ``rows[i][c]`` over ``categories``; the column
    totals are assumed published (the parent area's row). Zero is never withheld (it names no
    one).
    """
    columns = [*categories, total]
    withheld: set[Cell] = set()
    for i, row in enumerate(rows):
        if _small(row[total], threshold):
            # The area itself has too few people: withhold its total and every category.
            withheld |= {(i, c) for c in columns if row[c] > 0}
        else:
            withheld |= {(i, c) for c in categories if _small(row[c], threshold)}
    changed = True
    while changed:
        changed = False
        # Rows: categories add up to the total, so one withheld cell (a category or the
        # total) is recovered from the others: withhold one more, a category if any has
        # people, else the total.
        for i, row in enumerate(rows):
            hidden = [c for c in columns if (i, c) in withheld]
            if len(hidden) != 1:
                continue
            spare = [c for c in categories if (i, c) not in withheld and row[c] > 0]
            if spare:
                pick = min(spare, key=lambda c: (row[c], categories.index(c)))
            elif (i, total) not in withheld:
                pick = total
            else:
                continue  # the total alone is withheld and no category has anyone: it is 0
            withheld.add((i, pick))
            changed = True
        # Columns (siblings under a published parent total): exactly one withheld → one more.
        for c in columns:
            hidden_rows = [i for i in range(len(rows)) if (i, c) in withheld]
            if len(hidden_rows) != 1:
                continue
            spare_rows = [i for i in range(len(rows)) if (i, c) not in withheld and rows[i][c] > 0]
            if not spare_rows:
                # Every sibling is zero: the parent's value in this column is this very cell,
                # so it is the parent's own table (one level up) that must withhold it. Known
                # limit: that table is built from the parent's siblings, not from this one.
                continue
            pick_row = min(spare_rows, key=lambda i: (rows[i][c], i))
            withheld.add((pick_row, c))
            changed = True
    return withheld


def suppress_groups(
    rows: Sequence[Mapping[str, int]],
    contributors: str,
    measures: Sequence[str],
    threshold: int,
) -> set[Cell]:
    """Withheld cells of amounts that few contributors make up (money of two SHGs' meetings
    tells their books): a row whose ``contributors`` count is small has all of ``measures``
    and the count withheld; if that leaves exactly one such row among siblings (whose sum the
    parent publishes), the sibling with the fewest contributors is withheld with it."""
    group = [contributors, *measures]
    hidden = {i for i, row in enumerate(rows) if _small(row[contributors], threshold)}
    if len(hidden) == 1:
        spare = [i for i, row in enumerate(rows) if i not in hidden and row[contributors] > 0]
        if spare:
            hidden.add(min(spare, key=lambda i: (rows[i][contributors], i)))
    return {(i, m) for i in hidden for m in group}
