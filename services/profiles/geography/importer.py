"""Import of LGD geography from a CSV file: all of it, or nothing.

The file has the header ``level,lgd_code,name_en,name_local,parent_code`` (UTF-8, a BOM is
allowed) and one unit a row: the state's own row (optional), districts (parent: the state's
LGD code, or empty), blocks (parent: a district), gram panchayats (parent: a block) and villages
(parent: a gram panchayat). Parents may come later in the file than their children, or be in
the database already.

Three stages:

1. :class:`CsvUpload` receives the chunks: it checks the size and the encoding on the fly,
   hashes the bytes (the default import key) and spools them (memory, then disk).
2. :func:`read_rows` and :func:`resolve` (pure) check every row, then every parent, and give
   the units to insert with their ancestors, or the errors. Row numbers count the header as 1.
3. :func:`import_geography` runs it in one transaction: the lookups, the COPY, the
   ``import_batch`` row (its key makes a re-run a no-op), an audit row and the
   ``profiles.geography.imported`` event. Anything wrong: nothing is written.
"""

from __future__ import annotations

import asyncio
import codecs
import csv
import hashlib
import io
import re
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from typing import IO

from google.protobuf import json_format
from sqlalchemy.ext.asyncio import AsyncSession

from lokos import catalogue
from lokos.audit import record_audit
from lokos.errors import PermissionDenied, ValidationFailed
from lokos.outbox import add_event
from lokos.principal import GeoPath, Principal
from lokos.profiles.v1 import profiles_pb2
from services.profiles.deps import Deps
from services.profiles.geography import repository
from services.profiles.geography.service import LEVELS, PARENT_LEVEL
from services.profiles.models import audit_log, outbox

HEADER = ("level", "lgd_code", "name_en", "name_local", "parent_code")
MAX_NAME = 128
MAX_CODE = 16
# Errors listed in a report; the rest are only counted (``more_errors``).
MAX_ERRORS = 1000
EVENT = "profiles.geography.imported"
# Keys of the import_batch table are shared with other imports; this prefix keeps them apart.
KEY_PREFIX = "geography:"
_KEY = re.compile(r"^[\x21-\x7e]{1,100}$")
_DIGITS = re.compile(r"^[0-9]+$")
# Spooled in memory up to this size, then on disk.
_SPOOL_MEMORY = 32 * 1024 * 1024
# A field longer than any valid value by far: a file of garbage, stop reading it.
_FIELD_LIMIT = 64 * 1024


@dataclass(frozen=True, order=True)
class RowIssue:
    row: int
    column: str
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class CsvRow:
    """A row whose own fields are valid (level, code and names checked; parent not yet)."""

    row: int
    level: str
    lgd_code: str
    name_en: str
    name_local: str
    parent_code: str


class Issues:
    """Errors in row order: the first ``cap`` are kept, the others counted."""

    def __init__(self, cap: int = MAX_ERRORS) -> None:
        self.cap = cap
        self.listed: list[RowIssue] = []
        self.total = 0
        self.rows: set[int] = set()

    def add(self, row: int, column: str, code: str, message: str) -> None:
        self.total += 1
        self.rows.add(row)
        if len(self.listed) < self.cap:
            self.listed.append(RowIssue(row, column, code, message))

    def in_row_order(self, cap: int = MAX_ERRORS) -> Issues:
        """The same errors sorted by row, the first ``cap`` listed."""
        out = Issues(cap)
        out.listed = sorted(self.listed)[:cap]
        out.total, out.rows = self.total, self.rows
        return out

    def __bool__(self) -> bool:
        return self.total > 0


@dataclass
class ParsedCsv:
    rows: list[CsvRow] = field(default_factory=list)
    issues: Issues = field(default_factory=Issues)
    # Data rows read (blank rows aside).
    count: int = 0
    # (level, code) of every row with a valid level and code, valid otherwise or not: a child
    # of an invalid row is not reported again as an orphan.
    declared: dict[tuple[str, str], int] = field(default_factory=dict)


# --- stage 1: receiving ----------------------------------------------------------------------


class CsvUpload:
    """The received file: size and UTF-8 checked on the fly, hashed, spooled."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=_SPOOL_MEMORY)  # noqa: SIM115
        self._sha = hashlib.sha256()
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._lines = 0
        # Set at the first byte that is not UTF-8 text; the rest is then only counted.
        self.encoding_error: RowIssue | None = None

    def feed(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.max_bytes:
            raise ValidationFailed.one(
                "data", f"the file is larger than {self.max_bytes} bytes", "too_large"
            )
        if self.encoding_error is not None or not data:
            return
        offset = self.size - len(data)
        try:
            self._decoder.decode(data)
        except UnicodeDecodeError as exc:
            pending = len(exc.object) - len(data)
            self._not_text(data, max(0, exc.start - pending), offset)
            return
        nul = data.find(b"\x00")
        if nul >= 0:
            self._not_text(data, nul, offset)
            return
        self._lines += data.count(b"\n")
        self._sha.update(data)
        self.spool.write(data)

    def _not_text(self, data: bytes, at: int, offset: int) -> None:
        line = self._lines + data.count(b"\n", 0, at) + 1
        self.encoding_error = RowIssue(
            line,
            "",
            "encoding",
            f"the file is not UTF-8 text (line {line}, byte {offset + at + 1}); "
            "save it as 'CSV UTF-8'",
        )

    def finish(self) -> None:
        if self.encoding_error is None:
            try:
                self._decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                self._not_text(b"", 0, self.size)

    @property
    def sha256(self) -> str:
        return self._sha.hexdigest()

    def parse(self) -> ParsedCsv:
        """Stage 2a on the spooled file (call after :meth:`finish`)."""
        if self.encoding_error is not None:
            parsed = ParsedCsv()
            e = self.encoding_error
            parsed.issues.add(e.row, e.column, e.code, e.message)
            return parsed
        self.spool.seek(0)
        return read_rows(self.spool)

    def close(self) -> None:
        self.spool.close()


# --- stage 2: checking ----------------------------------------------------------------------


def _clean(value: str) -> str:
    return " ".join(value.split())


def _code_issue(value: str) -> tuple[str, str] | None:
    if not value:
        return "required", "the LGD code is missing"
    if not _DIGITS.match(value):
        return "format", f"the LGD code must be digits only, not {value[:20]!r}"
    if len(value) > MAX_CODE:
        return "too_long", f"the LGD code has more than {MAX_CODE} digits"
    return None


def _header_issues(header: list[str], issues: Issues) -> dict[str, int] | None:
    names = [h.strip().lower() for h in header]
    expected = ",".join(HEADER)
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in seen:
            issues.add(1, name, "duplicate_column", f"the column {name!r} appears twice")
        elif name not in HEADER:
            shown = name[:40] or f"(empty, column {i + 1})"
            issues.add(
                1, shown, "unknown_column", f"unknown column {shown!r}; the header is {expected}"
            )
        seen.setdefault(name, i)
    for name in HEADER:
        if name not in seen:
            issues.add(1, name, "missing_column", f"the column {name!r} is missing: {expected}")
    return None if issues else seen


def read_rows(stream: IO[bytes]) -> ParsedCsv:
    """Read and check each row on its own (stage 2a). ``stream`` is UTF-8 (BOM allowed)."""
    parsed = ParsedCsv()
    issues = parsed.issues
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.reader(text, strict=False)
    old_limit = csv.field_size_limit()
    csv.field_size_limit(_FIELD_LIMIT)
    try:
        try:
            header = next(reader, None)
        except csv.Error as exc:
            issues.add(1, "", "malformed", f"the header cannot be read as CSV: {exc}")
            return parsed
        if header is None:
            issues.add(1, "", "empty", "the file is empty; the first row must be the header")
            return parsed
        columns = _header_issues(header, issues)
        if columns is None:
            return parsed
        row = 1
        while True:
            row += 1
            try:
                fields = next(reader, None)
            except csv.Error as exc:
                issues.add(row, "", "malformed", f"the file cannot be read as CSV here: {exc}")
                break
            if fields is None:
                break
            if not any(f.strip() for f in fields):
                continue  # blank rows (a spreadsheet's trailing ",,,,") carry nothing
            parsed.count += 1
            _check_row(parsed, row, fields, columns)
    finally:
        csv.field_size_limit(old_limit)
        text.detach()
    if parsed.count == 0 and not issues:
        issues.add(2, "", "no_rows", "the file has a header but no units")
    return parsed


def _check_row(parsed: ParsedCsv, row: int, fields: list[str], columns: dict[str, int]) -> None:
    issues = parsed.issues
    if len(fields) != len(HEADER):
        issues.add(row, "", "columns", f"expected {len(HEADER)} values, found {len(fields)}")
        return
    before = issues.total
    level = fields[columns["level"]].strip().lower()
    code = fields[columns["lgd_code"]].strip()
    name_en = _clean(fields[columns["name_en"]])
    name_local = _clean(fields[columns["name_local"]])
    parent = fields[columns["parent_code"]].strip()

    if level not in LEVELS:
        shown = level[:20]
        issues.add(
            row, "level", "bad_level", f"unknown level {shown!r}; use one of {', '.join(LEVELS)}"
        )
        level = ""
    problem = _code_issue(code)
    if problem is not None:
        issues.add(row, "lgd_code", *problem)
        code = ""
    if not name_en:
        issues.add(row, "name_en", "required", "the English name is missing")
    elif len(name_en) > MAX_NAME:
        issues.add(row, "name_en", "too_long", f"the name has more than {MAX_NAME} characters")
    if len(name_local) > MAX_NAME:
        issues.add(row, "name_local", "too_long", f"the name has more than {MAX_NAME} characters")
    if level == "state":
        if parent:
            issues.add(row, "parent_code", "parent_not_allowed", "a state row has no parent")
    elif level == "district" and not parent:
        pass  # the instance's state
    elif level:
        problem = _code_issue(parent)
        if problem is not None:
            issues.add(row, "parent_code", *problem)

    if level and code:
        first = parsed.declared.get((level, code))
        if first is not None:
            issues.add(
                row, "lgd_code", "duplicate", f"{level} {code} appears twice (first at row {first})"
            )
            return
        parsed.declared[(level, code)] = row
    if issues.total == before:
        parsed.rows.append(CsvRow(row, level, code, name_en, name_local, parent))


@dataclass(frozen=True, slots=True)
class Unit:
    """A unit with its ancestors, in ``repository.UNIT_COLUMNS`` order."""

    level: str
    lgd_code: str
    parent_code: str
    state: str
    district_lgd_code: str
    block_lgd_code: str
    panchayat_lgd_code: str
    name_en: str
    name_local: str

    def path(self) -> tuple[str, str, str]:
        """(district, block, panchayat) of the unit's children: its ancestors and itself."""
        d, b, p = self.district_lgd_code, self.block_lgd_code, self.panchayat_lgd_code
        if self.level == "district":
            return (self.lgd_code, "", "")
        if self.level == "block":
            return (d, self.lgd_code, "")
        if self.level == "panchayat":
            return (d, b, self.lgd_code)
        return (d, b, p)

    def record(self) -> tuple[str, ...]:
        return (
            self.level,
            self.lgd_code,
            self.parent_code,
            self.state,
            self.district_lgd_code,
            self.block_lgd_code,
            self.panchayat_lgd_code,
            self.name_en,
            self.name_local,
        )


@dataclass
class Resolution:
    units: list[Unit]
    # Rows already in the database as they are (a re-import of the same units).
    unchanged: int
    issues: Issues


def lookups(parsed: ParsedCsv) -> dict[str, set[str]]:
    """Per level, the codes to look for in the database: every row's own code (it may exist
    already) and every parent that the file does not hold."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for r in parsed.rows:
        wanted[r.level].add(r.lgd_code)
        if r.level in PARENT_LEVEL and r.parent_code:
            parent_level = PARENT_LEVEL[r.level]
            if (parent_level, r.parent_code) not in parsed.declared:
                wanted[parent_level].add(r.parent_code)
    return dict(wanted)


def missing_parents(parsed: ParsedCsv, known: Mapping[tuple[str, str], Unit]) -> set[str]:
    """Parent codes found neither in the file nor in the database at the expected level; the
    importer asks at which other levels they exist (to say "wrong level", not "unknown")."""
    out: set[str] = set()
    for r in parsed.rows:
        if r.level in ("state", "district") or not r.parent_code:
            continue
        ref = (PARENT_LEVEL[r.level], r.parent_code)
        if ref not in parsed.declared and ref not in known:
            out.add(r.parent_code)
    return out


def resolve(
    parsed: ParsedCsv,
    known: Mapping[tuple[str, str], Unit],
    state: str,
    *,
    elsewhere: Mapping[str, Iterable[str]] | None = None,
) -> Resolution:
    """Check every row against its parent and against the database (stage 2b, pure).

    ``known``: units already in the database, by (level, code), for the codes of
    :func:`lookups` plus the state's own row; ``elsewhere``: code → the levels at which the
    database holds the codes of :func:`missing_parents`; ``state``: the instance's state.
    """
    issues = Issues(cap=len(parsed.rows) + 1)  # at most one a row; sorted and capped below
    by_level: dict[str, list[CsvRow]] = defaultdict(list)
    for r in parsed.rows:
        by_level[r.level].append(r)
    levels_in_file: dict[str, set[str]] = defaultdict(set)
    for level, code in parsed.declared:
        levels_in_file[code].add(level)
    other_levels = elsewhere or {}

    # The state's own row: at most one, and the one the database has, if any.
    own = next((u for (lv, _), u in known.items() if lv == "state" and u.state == state), None)
    state_rows = by_level.pop("state", [])
    for r in state_rows[1:]:
        issues.add(r.row, "lgd_code", "state_mismatch", "a file holds one state row")
    if state_rows and own is not None and state_rows[0].lgd_code != own.lgd_code:
        issues.add(
            state_rows[0].row,
            "lgd_code",
            "state_mismatch",
            f"this instance's state has the LGD code {own.lgd_code}",
        )
        state_rows = []
    state_code = own.lgd_code if own else (state_rows[0].lgd_code if state_rows else "")

    units: list[Unit] = []
    unchanged = 0
    # Parents first: a unit's ancestors are its parent's path.
    resolved: dict[tuple[str, str], Unit] = {}
    for level in LEVELS:
        rows = state_rows[:1] if level == "state" else by_level.get(level, [])
        for r in rows:
            if level == "state":
                unit = Unit("state", r.lgd_code, "", state, "", "", "", r.name_en, r.name_local)
            elif level == "district":
                if r.parent_code and r.parent_code != state_code:
                    if ("state", r.parent_code) not in parsed.declared:
                        _orphan(issues, r, "state", levels_in_file, other_levels)
                    continue
                unit = Unit(
                    "district", r.lgd_code, state_code, state, "", "", "", r.name_en, r.name_local
                )
            else:
                parent_ref = (PARENT_LEVEL[level], r.parent_code)
                parent = resolved.get(parent_ref) or known.get(parent_ref)
                if parent is None:
                    if parent_ref not in parsed.declared:
                        _orphan(issues, r, parent_ref[0], levels_in_file, other_levels)
                    continue  # else its parent's row has errors of its own, reported there
                if parent.state != state:
                    issues.add(
                        r.row,
                        "parent_code",
                        "unknown_parent",
                        f"{r.parent_code} is in another state",
                    )
                    continue
                d, b, p = parent.path()
                unit = Unit(
                    level, r.lgd_code, r.parent_code, state, d, b, p, r.name_en, r.name_local
                )
            existing = known.get((level, r.lgd_code))
            if existing is None:
                units.append(unit)
            elif _same_place(existing, unit):
                unchanged += 1
            else:
                issues.add(r.row, "lgd_code", "exists", _difference(existing, unit))
                continue
            resolved[(level, r.lgd_code)] = existing or unit
    return Resolution(units, unchanged, issues.in_row_order())


def _orphan(
    issues: Issues,
    r: CsvRow,
    parent_level: str,
    in_file: Mapping[str, set[str]],
    elsewhere: Mapping[str, Iterable[str]],
) -> None:
    found = sorted({*in_file.get(r.parent_code, ()), *elsewhere.get(r.parent_code, ())})
    if found:
        issues.add(
            r.row,
            "parent_code",
            "parent_level",
            f"{r.parent_code} is a {' and a '.join(found)}; "
            f"the parent of a {r.level} must be a {parent_level}",
        )
    elif parent_level == "state":
        issues.add(
            r.row,
            "parent_code",
            "unknown_parent",
            f"{r.parent_code} is not this state's LGD code; leave it empty for this state",
        )
    else:
        issues.add(
            r.row,
            "parent_code",
            "unknown_parent",
            f"no {parent_level} {r.parent_code} in the file or in the database",
        )


def _same_place(existing: Unit, new: Unit) -> bool:
    same_parent = (
        existing.state == new.state
        if new.level in ("state", "district")
        else existing.parent_code == new.parent_code
    )
    return same_parent and existing.name_en.casefold() == new.name_en.casefold()


def _difference(existing: Unit, new: Unit) -> str:
    if new.level not in ("state", "district") and existing.parent_code != new.parent_code:
        return (
            f"{new.level} {new.lgd_code} exists already under "
            f"{PARENT_LEVEL[new.level]} {existing.parent_code}"
        )
    if existing.state != new.state:
        return f"{new.level} {new.lgd_code} exists already in another state"
    return f"{new.level} {new.lgd_code} exists already as {existing.name_en!r}"


# --- stage 3: importing ---------------------------------------------------------------------


def may_import(principal: Principal, state: str) -> None:
    if not principal.can_reach(GeoPath(state), catalogue.GEOGRAPHY_ADMINS):
        raise PermissionDenied("only a state admin may import geography", code="not_importer")


async def import_geography(
    deps: Deps, principal: Principal, chunks: AsyncIterator[profiles_pb2.CsvChunk]
) -> profiles_pb2.ImportReport:
    """Receive a CSV file and import it, all or nothing (see the module docstring)."""
    started = time.monotonic()
    state = deps.settings.state
    may_import(principal, state)
    upload = CsvUpload(deps.settings.max_import_bytes)
    filename = import_key = ""
    try:
        async for chunk in chunks:
            filename = filename or chunk.filename[:255]
            if chunk.import_key and not import_key:
                if not _KEY.match(chunk.import_key):
                    raise ValidationFailed.one(
                        "import_key", "1 to 100 visible ASCII characters", "format"
                    )
                import_key = chunk.import_key
            upload.feed(chunk.data)
        upload.finish()
        parsed = await asyncio.to_thread(upload.parse)
    finally:
        upload.close()
    key = KEY_PREFIX + (import_key or upload.sha256)
    async with deps.db.session() as session:
        await repository.lock_imports(session)
        batch = await repository.find_batch(session, key)
        if batch is not None:
            first = json_format.ParseDict(batch.report, profiles_pb2.ImportReport())
            first.status = "already_imported"
            return first
        if parsed.issues:
            return _rejected(parsed, parsed.issues, started)
        known = await _known_units(session, parsed, state)
        missing = missing_parents(parsed, known)
        elsewhere: dict[str, list[str]] = defaultdict(list)
        for code, level in await repository.levels_of(session, missing):
            elsewhere[code].append(level)
        result = await asyncio.to_thread(resolve, parsed, known, state, elsewhere=elsewhere)
        if result.issues:
            return _rejected(parsed, result.issues, started)
        inserted = await repository.copy_units(session, [u.record() for u in result.units])
        batch_id = uuid.uuid4()
        report = profiles_pb2.ImportReport(
            import_id=str(batch_id),
            status="imported",
            rows=parsed.count,
            imported=inserted,
            rejected=0,
            seconds=round(time.monotonic() - started, 3),
        )
        await repository.add_batch(
            session,
            batch_id=batch_id,
            import_key=key,
            filename=filename,
            rows=parsed.count,
            imported=inserted,
            report=json_format.MessageToDict(report, preserving_proto_field_name=True),
            created_by=principal.user_id,
        )
        await record_audit(
            session,
            audit_log,
            action="geography.imported",
            entity="import_batch",
            entity_id=str(batch_id),
            after={
                "filename": filename,
                "import_key": key,
                "rows": parsed.count,
                "imported": inserted,
                "unchanged": result.unchanged,
            },
        )
        await add_event(session, outbox, EVENT, state, report)
        await session.commit()
    return report


async def _known_units(
    session: AsyncSession, parsed: ParsedCsv, state: str
) -> dict[tuple[str, str], Unit]:
    known: dict[tuple[str, str], Unit] = {}
    for level, codes in lookups(parsed).items():
        for row in await repository.units_at(session, level, codes):
            unit = Unit(*row)
            known[(unit.level, unit.lgd_code)] = unit
    own_state = await repository.state_unit(session, state)
    if own_state is not None:
        known[("state", own_state.lgd_code)] = Unit(
            "state", own_state.lgd_code, "", own_state.state, "", "", "", own_state.name_en, ""
        )
    return known


def _rejected(parsed: ParsedCsv, issues: Issues, started: float) -> profiles_pb2.ImportReport:
    return profiles_pb2.ImportReport(
        status="rejected",
        rows=parsed.count,
        imported=0,
        rejected=len(issues.rows),
        errors=[
            profiles_pb2.RowError(row=i.row, column=i.column, code=i.code, message=i.message)
            for i in issues.listed
        ],
        more_errors=max(0, issues.total - len(issues.listed)),
        seconds=round(time.monotonic() - started, 3),
    )
