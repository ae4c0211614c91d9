"""The name rule as the service applies it (blocking keys, both thresholds, one of the two
names agreeing fully), on labelled pairs of members written by hand before the rules they
test: same women written differently (Indian scripts, southern suffixes, compounds, surname
spellings and presence, typing slips) and different women who look alike (male and female
forms, sisters, near misses, the same name with another husband, mother- and
daughter-in-law)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from services.dedup import evaluation

PAIRS_CSV = Path(__file__).with_name("member_pairs.csv")
SAME_PERSON = ("script", "suffix", "compound", "surname", "typo")
DIFFERENT_PEOPLE = ("gender", "sisters", "near_miss", "other_husband", "in_law")


def rows() -> list[evaluation.LabelledRow]:
    with PAIRS_CSV.open(encoding="utf-8", newline="") as handle:
        return evaluation.read_rows(handle)


ROWS = rows()


def test_every_category_has_at_least_15_pairs_of_one_kind() -> None:
    for category in SAME_PERSON + DIFFERENT_PEOPLE:
        labels = {r.same for r in ROWS if r.category == category}
        assert labels == {category in SAME_PERSON}, category
        assert sum(r.category == category for r in ROWS) >= 15, category
    assert {r.category for r in ROWS} == set(SAME_PERSON + DIFFERENT_PEOPLE)
    assert len({(r.a_name, r.a_relative, r.b_name, r.b_relative) for r in ROWS}) == len(ROWS)


def test_the_services_decision_on_labelled_member_pairs(capsys: pytest.CaptureFixture[str]) -> None:
    report = evaluation.report(evaluation.decide(ROWS))
    # Shown in every run (CI logs too), not only when the test fails.
    with capsys.disabled():
        print("\nmember pairs, the service's decision:\n" + evaluation.format_report(report))
    assert report.precision >= 0.97
    assert report.recall >= 0.93
    assert report.blocking_recall >= 0.98
    by_category = {c.category: c for c in report.categories}
    for category in SAME_PERSON:
        assert by_category[category].rate >= 0.9, category
    for category in DIFFERENT_PEOPLE:
        assert by_category[category].rate <= 0.05, category


def test_decisions_do_not_depend_on_which_record_is_checked() -> None:
    swapped = [
        evaluation.LabelledRow(
            r.category, r.same, r.b_name, r.b_relative, r.a_name, r.a_relative, r.note
        )
        for r in ROWS
    ]
    forward = [o.flagged for o in evaluation.decide(ROWS)]
    assert [o.flagged for o in evaluation.decide(swapped)] == forward


def test_labelled_rows_round_trip_through_csv() -> None:
    out = io.StringIO()
    evaluation.write_rows(ROWS, out)
    assert evaluation.read_rows(io.StringIO(out.getvalue())) == ROWS


@pytest.mark.parametrize(
    "text",
    [
        "a,b,same,note\nSita,Gita,1,x\n",
        "category,same,a_name,a_relative,b_name,b_relative,note\nx,2,a,b,c,d,\n",
    ],
)
def test_malformed_labelled_rows_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        evaluation.read_rows(io.StringIO(text))


def test_a_man_and_a_woman_are_never_name_duplicates() -> None:
    import uuid

    from services.dedup import matching, rules

    def rec(name: str, relative: str, gender: str) -> matching.Rec:
        return matching.Rec(uuid.uuid4(), "xx", panchayat="p", name=name,
                            relative_name=relative, gender=gender)  # fmt: skip

    she = rec("Kiran", "Ram Sevak", "F")
    rule_set = rules.defaults("xx")
    for other, flagged in (
        (rec("Kiran", "Ram Sevak", "M"), False),
        (rec("Kiran", "Ram Sevak", "F"), True),
        (rec("Kiran", "Ram Sevak", ""), True),
    ):
        assert bool(matching.name_matches([she], [(0, other)], rule_set)) is flagged
