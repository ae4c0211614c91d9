"""The migration CSV: its format, and a streaming parser/validator (pure: no I/O).

Format
------
UTF-8 text (a byte-order mark is allowed), comma-separated, RFC 4180 quoting (a field with a
comma, a quote or a line break is quoted; a quote inside is doubled). The first row is the
header; columns may come in any order, but every column below must be there once and no other.
One row per member; the SHG's columns repeat on each of its members' rows.

===================  ========  =================================================================
column               required  rule
===================  ========  =================================================================
legacy_shg_id        yes       the old MIS's SHG id: 1–64 printable ASCII characters, no spaces
shg_name             yes       up to 200 characters (runs of spaces collapse to one)
block_lgd_code       yes       LGD code of a block of the caller's state, within the caller's scope
village_lgd_code     yes       LGD code of a village of that block
shg_formed_on        no        YYYY-MM-DD, not in the future, not before 1950
legacy_member_id     yes       the old MIS's member id (as legacy_shg_id); once in the file
member_name          yes       up to 100 characters
gender               yes       F, M or T (also: female, male, transgender)
date_of_birth        no        YYYY-MM-DD, not in the future, not before 1900
social_category      no        SC, ST, OBC, GEN, OTH (also GENERAL → GEN, OTHER → OTH)
relative_name        no        up to 100 characters
relation             no        HUSBAND, FATHER, MOTHER, SON, DAUGHTER, BROTHER, SISTER, OTHER
                               (also W/O → HUSBAND, D/O and S/O → FATHER, C/O → OTHER)
mobile               no        10 digits starting 6–9 (a +91/91/0 prefix is dropped)
bank_account         no        9–18 digits; needs ifsc
ifsc                 no        11 characters: 4 letters, 0, 6 letters/digits; needs bank_account
voter_id             no        3 letters and 7 digits (EPIC)
aadhaar              no        12 digits with a valid Verhoeff check digit
===================  ========  =================================================================

An SHG's own columns (shg_name, block_lgd_code, village_lgd_code, shg_formed_on) must agree
across its rows: the first valid row of an SHG defines it, and a later row that differs is
rejected (``shg_mismatch``).

What a row becomes
------------------
A valid row is one member, with its SHG; both are stored as already approved in the old MIS
(``status = "approved"``, ``migrated = true``), with no code (codes are issued when the record
is activated in LokOS). Each has a ``client_id`` derived from the legacy id
(:func:`shg_client_id`, :func:`member_client_id`), so importing a row twice can never create
two records. Aadhaar and bank account numbers are kept only masked and as keyed hashes; the
full numbers never leave this module.

A row is rejected (never silently dropped) when a field breaks its rule, when its SHG's block
or village is unknown, outside the caller's scope or not in each other, when its SHG's columns
disagree with the SHG's first row, when its ``legacy_member_id`` repeats within the same SHG
(the later rows), or when the same member appears under two SHGs (all of that member's rows).
Rows are numbered from 1 with the header as row 1; a record whose quoted field spans lines
counts as one row. The whole file is refused (nothing imported) when it is not UTF-8, when the
header is not exactly the columns above, when it has no rows, or when it is not a CSV at all.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import heapq
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from itertools import count
from operator import itemgetter
from typing import Any

from lokos.errors import FieldError, ValidationFailed
from services.profiles import identifiers, validation

COLUMNS: tuple[str, ...] = (
    "legacy_shg_id",
    "shg_name",
    "block_lgd_code",
    "village_lgd_code",
    "shg_formed_on",
    "legacy_member_id",
    "member_name",
    "gender",
    "date_of_birth",
    "social_category",
    "relative_name",
    "relation",
    "mobile",
    "bank_account",
    "ifsc",
    "voter_id",
    "aadhaar",
)
SHG_COLUMNS: tuple[str, ...] = COLUMNS[1:5]

# Namespace of the deterministic client ids of migrated records (UUID5).
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://lokos.in/migration")

MAX_LISTED_ERRORS = 1000
# A record longer than this is not a member row: the file is refused.
MAX_RECORD_CHARS = 64 * 1024

# Columns of the records handed to COPY (see ``importer``), in this order.
SHG_RECORD_COLUMNS: tuple[str, ...] = (
    # The row that defined the SHG.
    "row",
    "client_id",
    "name",
    "district_lgd_code",
    "block_lgd_code",
    "panchayat_lgd_code",
    "village_lgd_code",
    "formed_on",
)
MEMBER_RECORD_COLUMNS: tuple[str, ...] = (
    "row",
    "client_id",
    "shg_client_id",
    # The SHG's block and village as the file says: a member joins an SHG migrated before
    # only when they agree.
    "block_lgd_code",
    "village_lgd_code",
    "name",
    "gender",
    "date_of_birth",
    "social_category",
    "relative_name",
    "relation",
    "mobile",
    "bank_account_masked",
    "bank_account_hash",
    "ifsc",
    "voter_id",
    "aadhaar_masked",
    "aadhaar_hash",
    "voter_id_hash",
    "mobile_hash",
)
# Client ids are UUIDs as text (what COPY sends anyway).
ShgRecord = tuple[int, str, str, str, str, str, str, date | None]
MemberRecord = tuple[
    int,
    str,
    str,
    str,
    str,
    str,
    str,
    date | None,
    str,
    str,
    str,
    str,
    str,
    str,
    str,
    str,
    str,
    str,
    str,
    str,
]

# The codes LokOS stores (``validation``), and the spellings old exports use for them.
GENDERS = {**{g: g for g in validation.GENDERS}, "FEMALE": "F", "MALE": "M", "TRANSGENDER": "T"}
SOCIAL_CATEGORIES = {
    **{c: c for c in validation.SOCIAL_CATEGORIES},
    "GENERAL": "GEN",
    "OTHER": "OTH",
    "OTHERS": "OTH",
}
RELATIONS = {
    **{r: r for r in validation.RELATIONS},
    "W/O": "HUSBAND",
    "D/O": "FATHER",
    "S/O": "FATHER",
    "C/O": "OTHER",
}

_LEGACY_ID = re.compile(r"^[\x21-\x7e]{1,64}$")
_LGD = re.compile(r"^[0-9]{1,16}$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# Member id states in the duplicate index (low two bits of the packed value).
_REJECTED, _ACCEPTED, _TWO_SHGS = 0, 1, 2


class _Uuid5:
    """``str(uuid.uuid5(namespace, prefix + name))``, with the namespace and prefix hashed once."""

    def __init__(self, namespace: uuid.UUID, prefix: str) -> None:
        self._base = hashlib.sha1(namespace.bytes + prefix.encode(), usedforsecurity=False)

    def __call__(self, name: str) -> str:
        h = self._base.copy()
        h.update(name.encode())
        x = h.hexdigest()
        return f"{x[:8]}-{x[8:12]}-5{x[13:16]}-{_VARIANT[x[16]]}{x[17:20]}-{x[20:32]}"


_VARIANT = {f"{n:x}": "89ab"[n & 3] for n in range(16)}
_shg_uuid = _Uuid5(NAMESPACE, "legacy-shg:")
_member_uuid = _Uuid5(NAMESPACE, "legacy-member:")


def shg_client_id(legacy_shg_id: str) -> str:
    """The client id of a migrated SHG: UUID5(NAMESPACE, "legacy-shg:" + id), as text."""
    return _shg_uuid(legacy_shg_id)


def member_client_id(legacy_member_id: str) -> str:
    """The client id of a migrated member: UUID5(NAMESPACE, "legacy-member:" + id), as text."""
    return _member_uuid(legacy_member_id)


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    code: str
    message: str


@dataclass(frozen=True)
class Block:
    district: str
    # Whether the importing user's scope covers the block.
    reachable: bool


@dataclass(frozen=True)
class Village:
    block: str
    panchayat: str


@dataclass(frozen=True)
class Geography:
    """The caller's state's blocks and villages, by LGD code."""

    state: str
    blocks: Mapping[str, Block]
    villages: Mapping[str, Village]


@dataclass
class Summary:
    """Where a parsed file ended: counts, the first errors, and the records to take back."""

    rows: int
    accepted: int
    rejected: int
    errors: list[RowError]
    more_errors: int
    # Members accepted at first and rejected by a later row (same member under another SHG):
    # the loader must remove them if it already loaded them.
    withdrawn_members: list[str] = field(default_factory=list)
    # SHGs handed out whose every member was withdrawn later.
    withdrawn_shgs: list[str] = field(default_factory=list)


def file_error(code: str, message: str, field_name: str = "file") -> ValidationFailed:
    return ValidationFailed([FieldError(field_name, message, code)], message)


class _ErrorLog:
    """The first ``limit`` errors by row, and how many there were in all."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.total = 0
        self._heap: list[tuple[int, int, RowError]] = []  # max-heap on (row, order)
        self._order = count()

    def add(self, err: RowError) -> None:
        self.total += 1
        item = (-err.row, -next(self._order), err)
        if len(self._heap) < self.limit:
            heapq.heappush(self._heap, item)
        elif item > self._heap[0]:
            heapq.heapreplace(self._heap, item)

    def listed(self) -> list[RowError]:
        return [e for _, _, e in sorted(self._heap, key=lambda t: (-t[0], -t[1]))]


@dataclass
class _Shg:
    row: int
    raw: tuple[str, str, str, str]
    record: ShgRecord
    error: tuple[str, str, str] | None
    emitted: bool = False
    accepted: int = 0


class MigrationParser:
    """Feed the file's bytes in pieces; take the valid records as they accumulate.

    ``feed`` raises :class:`ValidationFailed` when the file as a whole is unusable (not UTF-8,
    wrong header, not a CSV); row problems never raise, they are collected for the report.
    """

    def __init__(
        self,
        geography: Geography,
        identifier_key: bytes,
        *,
        today: date,
        error_limit: int = MAX_LISTED_ERRORS,
    ) -> None:
        self._geo = geography
        self._hash = identifiers.KeyedHash(identifier_key)
        self._today = today
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self._started = False
        self._pending = ""
        self._carry: str | None = None
        self._carry_row = 0
        self._next_row = 1
        self._header_seen = False
        self._order: Callable[[list[str]], Any] | None = None
        self._finished = False
        self._errors = _ErrorLog(error_limit)
        self._shgs: dict[str, _Shg] = {}
        self._sid_index: dict[str, int] = {}
        self._sids: list[str] = []
        # legacy_member_id → (shg index << 34) | (row << 2) | state
        self._members: dict[str, int] = {}
        self._out_shgs: list[ShgRecord] = []
        self._out_members: list[MemberRecord] = []
        self._withdrawn: list[str] = []
        self.bytes = 0
        self.rows = 0
        self.accepted = 0
        self.rejected = 0

    # --- input ----------------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        if self._finished:
            raise RuntimeError("feed() after finish()")
        self.bytes += len(data)
        try:
            text = self._decoder.decode(data)
        except UnicodeDecodeError as exc:
            raise self._not_utf8(exc) from None
        self._text(text, final=False)

    def finish(self) -> None:
        """The end of the file: the last row, then the checks of the file as a whole."""
        if not self._finished:
            try:
                text = self._decoder.decode(b"", final=True)
            except UnicodeDecodeError as exc:
                raise self._not_utf8(exc) from None
            self._text(text, final=True)
            if self._carry is not None:
                self.rows += 1
                self._reject(
                    self._carry_row,
                    [("", "unclosed_quote", "a quoted field is not closed by the end of the file")],
                )
                self._carry = None
            self._finished = True
        if not self._header_seen:
            raise file_error("empty_file", "the file is empty: expected a header and member rows")
        if self.rows == 0:
            raise file_error("no_rows", "the file has a header but no member rows")

    def summary(self) -> Summary:
        withdrawn_shgs = [s.record[1] for s in self._shgs.values() if s.emitted and not s.accepted]
        return Summary(
            rows=self.rows,
            accepted=self.accepted,
            rejected=self.rejected,
            errors=self._errors.listed(),
            more_errors=self._errors.total - min(self._errors.total, self._errors.limit),
            withdrawn_members=list(self._withdrawn),
            withdrawn_shgs=withdrawn_shgs,
        )

    def take(self) -> tuple[list[ShgRecord], list[MemberRecord]]:
        """Valid records found since the last take; every SHG comes before its members."""
        shgs, members = self._out_shgs, self._out_members
        self._out_shgs, self._out_members = [], []
        return shgs, members

    def withdraw_rows(self, rows: list[int], column: str, code: str, message: str) -> None:
        """Rows taken as valid that the loader could not place after all (their SHG was
        migrated before with another block or village): count them as rejected."""
        for row in rows:
            self.accepted -= 1
            self.rejected += 1
            self._errors.add(RowError(row, column, code, message))

    @property
    def waiting(self) -> int:
        """Members found and not yet taken."""
        return len(self._out_members)

    # --- text → records -------------------------------------------------------------------

    def _not_utf8(self, exc: UnicodeDecodeError) -> ValidationFailed:
        data = exc.object
        if exc.start >= len(data):
            return file_error("not_utf8", "the file ends in the middle of a UTF-8 character")
        row = self._next_row + data[: exc.start].count(b"\n")
        return file_error(
            "not_utf8",
            f"the file is not UTF-8 text (byte 0x{data[exc.start]:02X} near row {row}); "
            "export it again as CSV UTF-8",
        )

    def _text(self, text: str, *, final: bool) -> None:
        if not self._started and text:
            self._started = True
            if text.startswith("\ufeff"):
                text = text[1:]
        buf = self._pending + text if self._pending else text
        end = buf.rfind("\n")
        if end < 0:
            if not final:
                self._pending = buf
                if len(buf) > MAX_RECORD_CHARS:
                    raise file_error(
                        "not_csv",
                        f"row {self._next_row} is longer than {MAX_RECORD_CHARS} characters "
                        "without a line break: this is not a member CSV",
                    )
                return
            lines = [buf] if buf else []
            self._pending = ""
        else:
            lines = buf[:end].split("\n")
            self._pending = buf[end + 1 :]
            if final and self._pending:
                lines.append(self._pending)
                self._pending = ""
        line_fn = self._line
        for line in lines:
            line_fn(line)

    def _line(self, line: str) -> None:
        if self._carry is not None:
            text = self._carry + "\n" + line
            self._carry = None
            self._quoted(self._carry_row, text)
            return
        row = self._next_row
        self._next_row = row + 1
        if '"' in line:
            self._quoted(row, line)
            return
        if line.endswith("\r"):
            line = line[:-1]
        if not line or line.isspace():
            return
        self._record(row, line.split(","))

    def _quoted(self, row: int, text: str) -> None:
        """A line with quotes: one record, or the start of one whose quoted field goes on."""
        fields: list[str] | None
        try:
            fields = next(csv.reader([text], strict=True), [])
        except csv.Error:
            if text.count('"') % 2:
                if len(text) > MAX_RECORD_CHARS:
                    raise file_error(
                        "not_csv",
                        f"row {row}: a quoted field runs past {MAX_RECORD_CHARS} characters; "
                        "a quote is not closed",
                    ) from None
                self._carry, self._carry_row = text, row
                return
            fields = self._lenient(row, text)
            if fields is None:
                return
        if any(f.strip() for f in fields):
            self._record(row, fields)

    def _lenient(self, row: int, text: str) -> list[str] | None:
        """Malformed quoting, read the lenient way spreadsheet exports are read."""
        try:
            return next(csv.reader([text]), [])
        except csv.Error:
            if not self._header_seen:
                raise file_error("not_csv", "the header is not valid CSV") from None
            self.rows += 1
            self._reject(row, [("", "csv_syntax", "the row is not valid CSV")])
            return None

    def _record(self, row: int, fields: list[str]) -> None:
        if not self._header_seen:
            self._header(fields)
            return
        self.rows += 1
        if len(fields) != len(COLUMNS):
            self._reject(
                row,
                [("", "field_count", f"expected {len(COLUMNS)} fields, found {len(fields)}")],
            )
            return
        self._row(row, fields if self._order is None else list(self._order(fields)))

    def _header(self, fields: list[str]) -> None:
        names = [f.strip().lower() for f in fields]
        if names:
            names[0] = names[0].lstrip("\ufeff")
        problems: list[FieldError] = []
        for c in COLUMNS:
            if c not in names:
                problems.append(FieldError(c, "missing from the header", "missing_column"))
        seen: set[str] = set()
        for n in names:
            shown = n[:40] or "(empty)"
            if n not in COLUMNS:
                problems.append(FieldError(shown, "not a column of the format", "unknown_column"))
            elif n in seen:
                problems.append(FieldError(shown, "appears twice in the header", "repeated_column"))
            seen.add(n)
        if problems:
            missing = sum(1 for p in problems if p.code == "missing_column")
            raise ValidationFailed(
                problems[:50],
                f"the header does not match the migration format ({missing} of "
                f"{len(COLUMNS)} columns missing); expected: {', '.join(COLUMNS)}",
            )
        index = tuple(names.index(c) for c in COLUMNS)
        self._order = None if index == tuple(range(len(COLUMNS))) else itemgetter(*index)
        self._header_seen = True

    # --- one row --------------------------------------------------------------------------

    def _row(self, row: int, fields: list[str]) -> None:
        (
            sid,
            sname,
            block,
            village,
            formed,
            mid,
            name,
            gender,
            dob,
            social,
            relative,
            relation,
            mobile,
            account,
            ifsc,
            voter,
            aadhaar,
        ) = [f.strip() for f in fields]
        errors: list[tuple[str, str, str]] = []
        shg = self._shg(row, sid, sname, block, village, formed, errors)
        if not _LEGACY_ID.match(mid):
            errors.append(("legacy_member_id", *_id_problem(mid)))
            mid = ""
        member = self._member(
            name, gender, dob, social, relative, relation, mobile, account, ifsc, voter, errors
        )
        identity = self._aadhaar(aadhaar, errors)
        if mid:
            self._index_member(row, mid, sid, errors)
        if errors or shg is None or member is None:
            self._reject(row, errors)
            return
        if not shg.emitted:
            shg.emitted = True
            self._out_shgs.append(shg.record)
        shg.accepted += 1
        self.accepted += 1
        rec = shg.record
        mobile, voter = member[6], member[10]
        self._out_members.append(
            (
                row,
                member_client_id(mid),
                rec[1],
                rec[4],
                rec[6],
                *member,
                *identity,
                self._hash("voter", voter) if voter else "",
                self._hash("mobile", mobile) if mobile else "",
            )
        )

    def _index_member(
        self, row: int, mid: str, sid: str, errors: list[tuple[str, str, str]]
    ) -> None:
        """Remember where the member was seen; a repeat rejects this row (and, under another
        SHG, withdraws the earlier one)."""
        sid_index = self._sid_index.get(sid)
        if sid_index is None:
            sid_index = self._sid_index[sid] = len(self._sids)
            self._sids.append(sid)
        prev = self._members.get(mid)
        if prev is None:
            state = _REJECTED if errors else _ACCEPTED
            self._members[mid] = (sid_index << 34) | (row << 2) | state
            return
        prev_row, prev_state, prev_sid = (prev >> 2) & 0xFFFFFFFF, prev & 3, prev >> 34
        if prev_state != _TWO_SHGS and prev_sid == sid_index:
            errors.append(
                (
                    "legacy_member_id",
                    "duplicate_member",
                    f"member {mid} is already in row {prev_row}",
                )
            )
            return
        errors.append(
            (
                "legacy_member_id",
                "member_in_two_shgs",
                f"member {mid} is also in another SHG (row {prev_row}); a member belongs to "
                "one SHG",
            )
        )
        if prev_state == _ACCEPTED:
            self._withdraw(mid, prev_row, self._sids[prev_sid])
        self._members[mid] = (prev & ~3) | _TWO_SHGS

    def _withdraw(self, mid: str, prev_row: int, prev_sid: str) -> None:
        """The earlier, accepted row of a member found under a second SHG is rejected too."""
        self.accepted -= 1
        self.rejected += 1
        self._errors.add(
            RowError(
                prev_row,
                "legacy_member_id",
                "member_in_two_shgs",
                f"member {mid} appears again under another SHG; a member belongs to one SHG",
            )
        )
        self._withdrawn.append(member_client_id(mid))
        shg = self._shgs.get(prev_sid)
        if shg is not None:
            shg.accepted -= 1

    def _reject(self, row: int, errors: list[tuple[str, str, str]]) -> None:
        self.rejected += 1
        for column, code, message in errors:
            self._errors.add(RowError(row, column, code, message))

    def _shg(
        self,
        row: int,
        sid: str,
        sname: str,
        block: str,
        village: str,
        formed: str,
        errors: list[tuple[str, str, str]],
    ) -> _Shg | None:
        if not _LEGACY_ID.match(sid):
            errors.append(("legacy_shg_id", *_id_problem(sid)))
            return None
        raw = (sname, block, village, formed)
        shg = self._shgs.get(sid)
        if shg is not None:
            if raw != shg.raw:
                column = _first_difference(raw, shg.raw)
                if column:
                    errors.append(
                        (
                            column,
                            "shg_mismatch",
                            f"differs from row {shg.row}, the first row of SHG {sid}",
                        )
                    )
                    return None
            if shg.error is not None:
                errors.append(shg.error)
                return None
            return shg
        before = len(errors)
        name = _text_field("shg_name", sname, 200, errors, required=True)
        if not _LGD.match(block):
            errors.append(("block_lgd_code", "format", "must be an LGD code: 1 to 16 digits"))
        if not _LGD.match(village):
            errors.append(("village_lgd_code", "format", "must be an LGD code: 1 to 16 digits"))
        formed_on = _date_field("shg_formed_on", formed, 1950, self._today, errors)
        if len(errors) > before:
            return None
        error, district, panchayat = self._where(block, village)
        record: ShgRecord = (
            row,
            shg_client_id(sid),
            name,
            district,
            block,
            panchayat,
            village,
            formed_on,
        )
        shg = _Shg(row=row, raw=raw, record=record, error=error)
        self._shgs[sid] = shg
        if error is not None:
            errors.append(error)
            return None
        return shg

    def _where(self, block: str, village: str) -> tuple[tuple[str, str, str] | None, str, str]:
        b = self._geo.blocks.get(block)
        if b is None:
            return (
                ("block_lgd_code", "unknown_block", f"no block {block} in this state"),
                "",
                "",
            )
        if not b.reachable:
            return (
                ("block_lgd_code", "out_of_scope", f"block {block} is outside your scope"),
                "",
                "",
            )
        v = self._geo.villages.get(village)
        if v is None:
            return (
                ("village_lgd_code", "unknown_village", f"no village {village} in this state"),
                "",
                "",
            )
        if v.block != block:
            return (
                (
                    "village_lgd_code",
                    "village_not_in_block",
                    f"village {village} is not in block {block}",
                ),
                "",
                "",
            )
        return None, b.district, v.panchayat

    def _member(
        self,
        name: str,
        gender: str,
        dob: str,
        social: str,
        relative: str,
        relation: str,
        mobile: str,
        account: str,
        ifsc: str,
        voter: str,
        errors: list[tuple[str, str, str]],
    ) -> tuple[str, str, date | None, str, str, str, str, str, str, str, str] | None:
        """The member's columns from name to voter id (bank account masked and hashed), or
        None with the problems added to ``errors``."""
        before = len(errors)
        name = _text_field("member_name", name, 100, errors, required=True)
        g = GENDERS.get(gender.upper(), "")
        if not g:
            errors.append(("gender", "enum" if gender else "required", "must be F, M or T"))
        born = _date_field("date_of_birth", dob, 1900, self._today, errors)
        category = ""
        if social:
            category = SOCIAL_CATEGORIES.get(social.upper(), "")
            if not category:
                errors.append(("social_category", "enum", "must be SC, ST, OBC, GEN or OTH"))
        relative = _text_field("relative_name", relative, 100, errors)
        rel = ""
        if relation:
            rel = RELATIONS.get(relation.upper(), "")
            if not rel:
                errors.append(
                    (
                        "relation",
                        "enum",
                        "must be HUSBAND, FATHER, MOTHER, SON, DAUGHTER, BROTHER, SISTER or OTHER",
                    )
                )
        if mobile:
            if not (len(mobile) == 10 and mobile.isdigit()):
                mobile = identifiers.normalise_mobile(mobile.lstrip("+"))
            if not identifiers.mobile_valid(mobile):
                errors.append(("mobile", "invalid", "must be a 10-digit mobile number"))
        masked = hashed = ""
        if account or ifsc:
            bank_errors = len(errors)
            if not account.isdigit():
                account = identifiers.normalise_account(account)
            ifsc = ifsc.upper()
            if not account:
                errors.append(("bank_account", "required", "needed when an IFSC is given"))
            elif not identifiers.account_valid(account):
                errors.append(("bank_account", "invalid", "must be 9 to 18 digits"))
            if not ifsc:
                errors.append(("ifsc", "required", "needed with a bank account"))
            elif not identifiers.ifsc_valid(ifsc):
                errors.append(("ifsc", "invalid", "must be an IFSC: 4 letters, 0, 6 characters"))
            if len(errors) == bank_errors:
                masked = identifiers.mask_account(account)
                hashed = self._hash("bank", identifiers.bank_value(account, ifsc))
        if voter:
            voter = identifiers.normalise_voter_id(voter)
            if not identifiers.voter_id_valid(voter):
                errors.append(("voter_id", "invalid", "must be 3 letters and 7 digits"))
        if len(errors) > before:
            return None
        return (name, g, born, category, relative, rel, mobile, masked, hashed, ifsc, voter)

    def _aadhaar(self, aadhaar: str, errors: list[tuple[str, str, str]]) -> tuple[str, str]:
        if not aadhaar:
            return "", ""
        digits = aadhaar if aadhaar.isdigit() else identifiers.normalise_digits(aadhaar)
        if not (len(digits) == 12 and digits.isdigit() and digits[0] not in "01"):
            errors.append(("aadhaar", "invalid", "must be 12 digits, not starting with 0 or 1"))
            return "", ""
        if not identifiers.verhoeff_valid(digits):
            errors.append(("aadhaar", "checksum", "not a valid Aadhaar number (check digit)"))
            return "", ""
        return identifiers.mask_aadhaar(digits), self._hash("aadhaar", digits)


def _id_problem(value: str) -> tuple[str, str]:
    if not value:
        return "required", "must not be empty"
    if len(value) > 64:
        return "too_long", "must be at most 64 characters"
    return "format", "must be printable ASCII characters without spaces"


def _text_field(
    column: str,
    value: str,
    limit: int,
    errors: list[tuple[str, str, str]],
    *,
    required: bool = False,
) -> str:
    cleaned = " ".join(value.split())
    if not cleaned:
        if required:
            errors.append((column, "required", "must not be empty"))
        return ""
    if len(cleaned) > limit:
        errors.append((column, "too_long", f"must be at most {limit} characters"))
    elif _CONTROL.search(cleaned):
        errors.append((column, "format", "must not contain control characters"))
    return cleaned


def _date_field(
    column: str, value: str, earliest: int, today: date, errors: list[tuple[str, str, str]]
) -> date | None:
    if not value:
        return None
    if not _DATE.match(value):
        errors.append((column, "format", "must be a date as YYYY-MM-DD"))
        return None
    try:
        d = date.fromisoformat(value)
    except ValueError:
        errors.append((column, "invalid_date", "is not a calendar date"))
        return None
    if d > today:
        errors.append((column, "future_date", "must not be in the future"))
    elif d.year < earliest:
        errors.append((column, "too_early", f"must not be before {earliest}"))
    return d


def _first_difference(a: tuple[str, str, str, str], b: tuple[str, str, str, str]) -> str:
    """The first SHG column that really differs ("" when only spacing differs)."""
    for column, x, y in zip(SHG_COLUMNS, a, b, strict=True):
        if x != y and " ".join(x.split()) != " ".join(y.split()):
            return column
    return ""
