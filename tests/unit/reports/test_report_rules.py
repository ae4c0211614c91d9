"""Rules of the reports without I/O: dates of the bank-status boundaries, percentages as the
seeds show them, periods and months of the loan and bookkeeper reports, lag, and the streaming
CSV/XLSX writer (formula cells neutralised, Hindi kept, one sheet that unzips)."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime

import pytest

from gateway import exports
from lokos import i18n
from lokos.errors import ValidationFailed
from services.reports import labels
from services.reports.freshness import lag_seconds
from services.reports.service import month_bounds, months_before, percent, period


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 11, 30), 3, date(2026, 8, 30)),
        (date(2026, 5, 31), 3, date(2026, 2, 28)),
        (date(2024, 5, 31), 3, date(2024, 2, 29)),
        (date(2026, 2, 15), 6, date(2025, 8, 15)),
        (date(2026, 1, 31), 1, date(2025, 12, 31)),
    ],
)
def test_months_before(day: date, months: int, expected: date) -> None:
    assert months_before(day, months) == expected


def test_percent_is_rounded_down_as_the_seeds_show_it() -> None:
    # seeds/003 CBO summary: 25 of 2,116 mapped "1 %", 1 of 8 "12 %", 1 of 25 "4 %".
    assert (percent(25, 2116), percent(1, 8), percent(1, 25), percent(0, 0)) == (1, 12, 4, 0)


def test_period_defaults_and_refusals() -> None:
    today = date(2026, 11, 30)
    assert period("", "", today) == (date(1900, 1, 1), today)
    assert period("2026-01-01", "2026-03-31", today) == (date(2026, 1, 1), date(2026, 3, 31))
    for bad, field in ((("2026-02-30", ""), "from_date"), (("", "31-03-2026"), "to_date")):
        with pytest.raises(ValidationFailed) as err:
            period(*bad, today)
        assert [e.field for e in err.value.field_errors] == [field]
    with pytest.raises(ValidationFailed):
        period("2026-04-01", "2026-03-31", today)


def test_month_bounds() -> None:
    label, start, end = month_bounds("2026-12")
    assert (label, start, end) == (
        "2026-12",
        datetime(2026, 12, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
    )
    assert month_bounds("", date(2026, 11, 30))[0] == "2026-11"
    for bad in ("2026-13", "2026", "abcd-01", "0000-01"):
        with pytest.raises(ValidationFailed):
            month_bounds(bad)


def test_lag_is_the_age_of_the_last_event_only_while_events_wait() -> None:
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    last = datetime(2026, 11, 30, 11, 58, tzinfo=UTC)
    assert lag_seconds(last, 10, now) == 120
    assert lag_seconds(last, 0, now) == 0
    assert lag_seconds(None, 10, now) == 0


def test_headers_follow_the_language() -> None:
    token = i18n.current_language.set("hi")
    try:
        assert labels.header(labels.CBO_SUMMARY_COLUMNS)[0] == "सीबीओ का प्रकार"
    finally:
        i18n.current_language.reset(token)
    assert labels.header(labels.CBO_SUMMARY_COLUMNS)[0] == "Type of CBO"
    for columns in (labels.PANEL_COLUMNS, labels.SHG_COLUMNS, labels.DCB_COLUMNS):
        assert all(en and hi for en, hi in columns)


async def _rows(rows: list[list[str]]) -> AsyncIterator[Sequence[Sequence[str]]]:
    yield rows[:1]
    yield rows[1:]


async def _bytes(fmt: exports.Format, header: list[str], rows: list[list[str]]) -> bytes:
    return b"".join([part async for part in exports.stream(fmt, header, _rows(rows))])


async def test_csv_stream_neutralises_formulas_and_keeps_hindi() -> None:
    data = await _bytes("csv", ["नाम", "n"], [["=HYPERLINK(1)", "-5"], ["दुर्गा", "12"]])
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [["नाम", "n"], ["'=HYPERLINK(1)", "-5"], ["दुर्गा", "12"]]


async def test_xlsx_stream_is_one_readable_sheet() -> None:
    data = await _bytes("xlsx", ["a", "b"], [["1", "x<y&z"], ["दुर्गा", "\x01bad"]])
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert sheet.count("<row>") == 3
    assert "<c><v>1</v></c>" in sheet and "x&lt;y&amp;z" in sheet and "दुर्गा" in sheet
    assert "\x01" not in sheet
