"""Rules of the reports without I/O: dates of the bank-status boundaries, percentages as the
seeds show them, periods and months of the loan and bookkeeper reports, lag, and the streaming
CSV/XLSX writer (formula cells neutralised, Hindi kept, one sheet that unzips)."""

from __future__ import annotations

import csv
import dataclasses
import io
import zipfile
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime

import pytest

from gateway import exports
from lokos import i18n
from lokos.errors import ValidationFailed
from lokos.reports.v1 import reports_pb2 as pb
from services.reports import grpc_api, labels, service
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
    rows = [["=HYPERLINK(1)", "-5"], ["दुर्गा", "12"], ["x", "@SUM(1)"], ["y", "a=b"]]
    data = await _bytes("csv", ["नाम", "n"], rows)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [
        ["नाम", "n"],
        ["'=HYPERLINK(1)", "-5"],
        ["दुर्गा", "12"],
        ["x", "'@SUM(1)"],
        ["y", "a=b"],
    ]


async def test_xlsx_stream_is_one_readable_sheet() -> None:
    data = await _bytes("xlsx", ["a", "b"], [["1", "x<y&z"], ["दुर्गा", "\x01bad"]])
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert sheet.count("<row>") == 3
    assert "<c><v>1</v></c>" in sheet and "x&lt;y&amp;z" in sheet and "दुर्गा" in sheet
    assert "\x01" not in sheet


@pytest.mark.parametrize(
    ("line", "columns"),
    [
        (service.DcbLine, labels.DCB_COLUMNS),
        (service.ParLine, labels.PAR_COLUMNS),
        (service.AgeingLine, labels.AGEING_COLUMNS),
        (service.BookkeeperLine, labels.BOOKKEEPER_COLUMNS),
        (service.CboSummaryLine, labels.CBO_SUMMARY_COLUMNS),
        (service.MeetingSummaryLine, labels.MEETING_SUMMARY_COLUMNS),
        (service.UserLine, labels.USER_COLUMNS),
        (service.Panels, labels.PANEL_COLUMNS),
    ],
)
def test_every_report_line_has_a_cell_under_each_column(line: type, columns: tuple) -> None:
    # Downloads send a chunk's cells flat, len(header) a row: one cell too many or too few
    # would shift every row after it.
    assert len(dataclasses.fields(line)) == len(columns)


async def test_a_report_row_of_another_width_than_its_header_fails() -> None:
    header, chunks = service._table(labels.DASHBOARD_COLUMNS, [["a", "1"], ["b", "2"]])
    assert header == ["Indicator", "Value"]
    assert [c async for c in chunks] == [["a", "1", "b", "2"]]
    with pytest.raises(ValueError, match="3 cells under 2 columns"):
        service._table(labels.DASHBOARD_COLUMNS, [["a", "1", "x"]])


def test_a_chunk_above_the_grpc_message_limit_goes_in_parts_of_whole_rows() -> None:
    width, name = 3, "न" * 1000  # 3,000 bytes of UTF-8
    cells = [c for i in range(3000) for c in (f"shg-{i}", name, str(i))]
    parts = list(grpc_api._within_limit(pb.ExportChunk(cells=cells), width))
    assert len(parts) > 1
    assert all(p.ByteSize() <= grpc_api.MAX_MESSAGE_BYTES for p in parts)
    assert all(len(p.cells) % width == 0 for p in parts)
    assert [c for p in parts for c in p.cells] == cells
    small = pb.ExportChunk(cells=cells[:30])
    assert list(grpc_api._within_limit(small, width)) == [small]
