"""Report downloads as CSV or XLSX, written while the rows stream in.

Whoever serves a table (the reports routes, the external report API) hands over a header and
an async iterator of row chunks; :func:`stream` turns them into the bytes of the file, one
chunk at a time, so memory holds one chunk whatever the number of rows. XLSX is written here
as the smallest valid SpreadsheetML workbook (one sheet, inline strings) through
:mod:`zipfile` on an unseekable sink: the archive's local headers carry data descriptors, so
nothing is held back until the end but the central directory.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import AsyncIterator, Sequence
from itertools import chain
from typing import Literal
from xml.sax.saxutils import escape

Format = Literal["csv", "xlsx"]
Rows = AsyncIterator[Sequence[Sequence[str]]]

MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

_NUMBER = re.compile(r"^-?(0|[1-9][0-9]{0,14})$")
# Characters XML 1.0 cannot carry at all (a cell with them would make the file unreadable).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
# A cell a spreadsheet would run as a formula (CSV injection): kept as text with a quote.
_FORMULA_CHARS = frozenset("=+-@\t\r")
# A cell beginning with one of them, in a chunk's cells each preceded by NUL (no alternation
# with ^: that makes the search five times slower).
_RISKY = re.compile("\x00[=+\\-@\t\r]")


def stream(fmt: Format, header: Sequence[str], rows: Rows) -> AsyncIterator[bytes]:
    return _csv(header, rows) if fmt == "csv" else _xlsx(header, rows)


def filename(report: str, fmt: Format) -> str:
    return f"{report}.{fmt}"


def _safe(cell: str) -> str:
    if cell and cell[0] in _FORMULA_CHARS and not _NUMBER.match(cell):
        return "'" + cell
    return cell


def _is_number(value: str) -> bool:
    """A whole number a spreadsheet keeps exactly (no leading zero: codes stay text)."""
    if value.isdigit():
        return len(value) <= 15 and (value[0] != "0" or len(value) == 1)
    return bool(_NUMBER.match(value))


async def _csv(header: Sequence[str], rows: Rows) -> AsyncIterator[bytes]:
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\r\n")
    # The byte-order mark makes spreadsheets read the Hindi headers as UTF-8.
    buf.write("\ufeff")
    out.writerow([_safe(h) for h in header])
    async for chunk in rows:
        # Looked for in the whole chunk at once: most chunks have no cell to neutralise, and
        # then no Python runs per row.
        if _RISKY.search("\x00".join(chain(("",), chain.from_iterable(chunk)))):
            chunk = [[_safe(c) for c in row] if _risky(row) else row for row in chunk]
        out.writerows(chunk)
        yield buf.getvalue().encode()
        buf.seek(0)
        buf.truncate()
    if buf.tell():
        yield buf.getvalue().encode()


class _Sink:
    """A write-only file for :class:`zipfile.ZipFile`: bytes are collected until drained."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def drain(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
_OOXML = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_PKG = "http://schemas.openxmlformats.org/package/2006"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CONTENT_TYPES = (
    f'{_XML}<Types xmlns="{_PKG}/content-types">'
    '<Default Extension="rels"'
    ' ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_OOXML}.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml"'
    f' ContentType="{_OOXML}.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    f'{_XML}<Relationships xmlns="{_PKG}/relationships">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    f'{_XML}<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    f' xmlns:r="{_REL}">'
    '<sheets><sheet name="Report" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    f'{_XML}<Relationships xmlns="{_PKG}/relationships">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)
_SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
_SHEET_END = "</sheetData></worksheet>"


def _risky(row: Sequence[str]) -> bool:
    return any(c and c[0] in _FORMULA_CHARS for c in row)


def _cell(value: str) -> str:
    if value and _is_number(value):
        return f"<c><v>{value}</v></c>"
    if not value.isprintable():
        value = _NOT_XML.sub("", value)
    if "&" in value or "<" in value or ">" in value:
        value = escape(value)
    return f'<c t="inlineStr"><is><t xml:space="preserve">{value}</t></is></c>'


def _row(cells: Sequence[str]) -> str:
    return "<row>" + "".join(_cell(c) for c in cells) + "</row>"


async def _xlsx(header: Sequence[str], rows: Rows) -> AsyncIterator[bytes]:
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _RELS)
        zf.writestr("xl/workbook.xml", _WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write((_SHEET_START + _row(header)).encode())
            async for chunk in rows:
                sheet.write("".join(_row(r) for r in chunk).encode())
                data = sink.drain()
                if data:
                    yield data
            sheet.write(_SHEET_END.encode())
    yield sink.drain()
