"""The migration CSV parser and validator, without I/O."""

from __future__ import annotations

import csv
import io
import os
import uuid
from datetime import date

import pytest

from lokos.errors import ValidationFailed
from services.profiles import identifiers
from services.profiles.mis_import import csvformat, importer
from services.profiles.mis_import.csvformat import COLUMNS, MigrationParser
from services.profiles.models import Cbo, Member

KEY = b"k" * 64
TODAY = date(2026, 1, 15)
GEO = csvformat.Geography(
    "up",
    blocks={
        "101": csvformat.Block("11", reachable=True),
        "102": csvformat.Block("11", reachable=True),
        "201": csvformat.Block("12", reachable=False),
    },
    villages={
        "1001": csvformat.Village("101", "501"),
        "1002": csvformat.Village("101", "502"),
        "1003": csvformat.Village("102", "503"),
    },
)


def aadhaar(body: str = "23456789012") -> str:
    return body + identifiers.verhoeff_check_digit(body)


def row(**fields: str) -> dict[str, str]:
    base = {
        "legacy_shg_id": "SHG-1",
        "shg_name": "Durga Mahila SHG",
        "block_lgd_code": "101",
        "village_lgd_code": "1001",
        "shg_formed_on": "2015-04-01",
        "legacy_member_id": "M-1",
        "member_name": "Sunita Devi",
        "gender": "F",
        "date_of_birth": "1985-06-30",
        "social_category": "OBC",
        "relative_name": "Ramesh Yadav",
        "relation": "HUSBAND",
        "mobile": "9876543210",
        "bank_account": "123456789012",
        "ifsc": "SBIN0001234",
        "voter_id": "ABC1234567",
        "aadhaar": aadhaar(),
    }
    base.update(fields)
    return base


def csv_text(rows: list[dict[str, str]], columns: tuple[str, ...] = COLUMNS) -> str:
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return out.getvalue()


Parsed = tuple[
    MigrationParser, csvformat.Summary, list[csvformat.ShgRecord], list[csvformat.MemberRecord]
]


def parse(data: bytes | str, *, chunk: int | None = None, limit: int = 1000) -> Parsed:
    raw = data.encode() if isinstance(data, str) else data
    p = MigrationParser(GEO, KEY, today=TODAY, error_limit=limit)
    shgs: list[csvformat.ShgRecord] = []
    members: list[csvformat.MemberRecord] = []
    step = chunk or max(1, len(raw))
    for i in range(0, len(raw), step):
        p.feed(raw[i : i + step])
        s, m = p.take()
        shgs += s
        members += m
    p.finish()
    s, m = p.take()
    return p, p.summary(), shgs + s, members + m


def member(rec: csvformat.MemberRecord) -> dict[str, object]:
    return dict(zip(csvformat.MEMBER_RECORD_COLUMNS, rec, strict=True))


def codes(summary: csvformat.Summary) -> list[tuple[int, str, str]]:
    return [(e.row, e.column, e.code) for e in summary.errors]


# --- ids and hashes -------------------------------------------------------------------------


def test_client_ids_are_uuid5_of_the_legacy_ids() -> None:
    assert csvformat.shg_client_id("S/12") == str(
        uuid.uuid5(csvformat.NAMESPACE, "legacy-shg:S/12")
    )
    for legacy in ("M-1", "०१२", "x" * 64):
        assert csvformat.member_client_id(legacy) == str(
            uuid.uuid5(csvformat.NAMESPACE, "legacy-member:" + legacy)
        )


@pytest.mark.parametrize("key", [b"", b"short", KEY, b"x" * 100])
def test_keyed_hash_is_the_identifiers_keyed_hash(key: bytes) -> None:
    h = identifiers.KeyedHash(key)
    number = aadhaar()
    assert h("aadhaar", number) == identifiers.aadhaar_hash(key, number)
    assert h("bank", "12345678@SBIN0001234") == identifiers.bank_hash(
        key, "0012345678", "sbin0001234"
    )
    # A spreadsheet that dropped the leading zeros still names the same account.
    assert identifiers.bank_hash(key, "12345678", "SBIN0001234") == identifiers.bank_hash(
        key, "00 1234 5678", "SBIN0001234"
    )
    assert h("voter", "ABC1234567") == identifiers.voter_id_hash(key, "abc 1234567")
    assert h("mobile", "9876543210") == identifiers.mobile_hash(key, "+91 98765 43210")


# --- a good file ----------------------------------------------------------------------------


def test_a_valid_row_becomes_an_shg_and_a_member_with_masked_identifiers() -> None:
    number = aadhaar()
    _, summary, shgs, members = parse(csv_text([row(aadhaar=number, mobile="+91 98765 43210")]))
    assert (summary.rows, summary.accepted, summary.rejected, summary.errors) == (1, 1, 0, [])
    assert shgs == [
        (
            2,
            csvformat.shg_client_id("SHG-1"),
            "Durga Mahila SHG",
            "11",
            "101",
            "501",
            "1001",
            date(2015, 4, 1),
        )
    ]
    m = member(members[0])
    assert m["row"] == 2
    assert m["client_id"] == csvformat.member_client_id("M-1")
    assert m["shg_client_id"] == shgs[0][1]
    assert m["gender"] == "F" and m["date_of_birth"] == date(1985, 6, 30)
    assert m["mobile"] == "9876543210"
    assert m["aadhaar_masked"] == f"XXXX XXXX {number[-4:]}"
    assert m["aadhaar_hash"] == identifiers.aadhaar_hash(KEY, number)
    assert m["bank_account_masked"] == "XXXXXXXX9012"
    assert m["bank_account_hash"] == identifiers.bank_hash(KEY, "123456789012", "SBIN0001234")
    # The full numbers are nowhere in what leaves the parser.
    assert number not in repr(members) and "123456789012" not in repr(members)


def test_optional_fields_may_be_empty_and_values_are_normalised() -> None:
    r = row(
        shg_formed_on="",
        date_of_birth="",
        social_category="general",
        relative_name="",
        relation="w/o",
        mobile="",
        bank_account="",
        ifsc="",
        voter_id="abc 1234567",
        aadhaar="",
        gender="female",
        member_name="  Sunita   Devi ",
    )
    _, summary, shgs, members = parse(csv_text([r]))
    assert summary.accepted == 1, summary.errors
    assert shgs[0][-1] is None
    m = member(members[0])
    assert m["name"] == "Sunita Devi"
    assert (m["social_category"], m["relation"], m["gender"]) == ("GEN", "HUSBAND", "F")
    assert m["voter_id"] == "ABC1234567"
    assert m["aadhaar_masked"] == m["aadhaar_hash"] == m["bank_account_masked"] == ""


def test_columns_in_any_order_with_bom_and_crlf() -> None:
    columns = tuple(reversed(COLUMNS))
    text = csv_text([row(), row(legacy_member_id="M-2")], columns).replace("\n", "\r\n")
    _, summary, shgs, members = parse(b"\xef\xbb\xbf" + text.encode())
    assert (summary.accepted, len(shgs), len(members)) == (2, 1, 2)


def test_feeding_byte_by_byte_reads_the_same_as_one_piece() -> None:
    rows = [
        row(member_name="सुनीता देवी", relative_name='Ram "Babu", Yadav'),
        row(legacy_member_id="M-2", shg_name="Jai Maa\nSHG"),  # a line break inside quotes
        row(legacy_member_id="M-3", aadhaar="12"),
    ]
    whole = parse(csv_text(rows))
    bytewise = parse(csv_text(rows), chunk=1)
    assert whole[1] == bytewise[1]
    assert whole[2] == bytewise[2] and whole[3] == bytewise[3]
    assert member(whole[3][0])["name"] == "सुनीता देवी"
    assert member(whole[3][0])["relative_name"] == 'Ram "Babu", Yadav'
    # The quoted record spanning two lines is one row: the next one is row 4.
    assert codes(whole[1]) == [(3, "shg_name", "shg_mismatch"), (4, "aadhaar", "invalid")]


def test_blank_lines_are_skipped_but_counted_as_rows() -> None:
    first = csv_text([row()]).split("\n")[1]
    second = csv_text([row(legacy_member_id="M-2", gender="Q")]).split("\n")[1]
    text = "\n".join([",".join(COLUMNS), first, "", "  ", second]) + "\n"
    _, summary, _, _ = parse(text)
    assert codes(summary) == [(5, "gender", "enum")]


# --- the file as a whole --------------------------------------------------------------------


def file_error(data: bytes | str) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as info:
        parse(data)
    return info.value


def test_an_empty_file_is_refused() -> None:
    assert file_error(b"").field_errors[0].code == "empty_file"
    assert file_error(b"\n\n").field_errors[0].code == "empty_file"


def test_a_header_without_rows_is_refused() -> None:
    assert file_error(",".join(COLUMNS) + "\n").field_errors[0].code == "no_rows"


def test_wrong_columns_are_named() -> None:
    columns = [c for c in COLUMNS if c != "aadhaar"] + ["pan", "mobile"]
    err = file_error(",".join(columns) + "\nx\n")
    found = {(e.field, e.code) for e in err.field_errors}
    assert found == {
        ("aadhaar", "missing_column"),
        ("pan", "unknown_column"),
        ("mobile", "repeated_column"),
    }
    assert "expected: legacy_shg_id" in err.detail


def test_latin1_bytes_are_refused_with_the_row() -> None:
    text = csv_text([row(), row(legacy_member_id="M-2", member_name="Sunita Devi")])
    data = text.encode().replace(b"Sunita Devi", b"Sun\xefta Devi")
    data = data.replace(b"Sun\xefta", b"Sunita", 1)  # row 2 stays good; row 3 is Latin-1
    err = file_error(data)
    assert err.field_errors[0].code == "not_utf8"
    assert "0xEF near row 3" in err.detail


def test_random_bytes_are_refused_at_the_first_piece() -> None:
    p = MigrationParser(GEO, KEY, today=TODAY)
    with pytest.raises(ValidationFailed) as info:
        p.feed(os.urandom(256 * 1024))
    assert info.value.field_errors[0].code == "not_utf8"


def test_text_that_is_not_a_csv_is_refused() -> None:
    assert file_error("hello world\nthis is not it\n").field_errors[0].code == "missing_column"
    assert file_error("x" * (csvformat.MAX_RECORD_CHARS + 10)).field_errors[0].code == "not_csv"
    quoted = ",".join(COLUMNS) + '\n"' + "y" * (csvformat.MAX_RECORD_CHARS + 10) + "\n"
    assert file_error(quoted + "more\n").field_errors[0].code == "not_csv"


def test_a_quote_left_open_at_the_end_rejects_that_row() -> None:
    text = csv_text([row()]) + 'SHG-1,"Durga\n'
    _, summary, _, members = parse(text)
    assert len(members) == 1
    assert codes(summary) == [(3, "", "unclosed_quote")]


def test_a_row_with_the_wrong_number_of_fields_is_rejected() -> None:
    _, summary, _, _ = parse(csv_text([row()]) + "a,b,c\n")
    assert codes(summary) == [(3, "", "field_count")]


# --- rows -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "column", "code"),
    [
        ({"aadhaar": aadhaar()[:-1] + str((int(aadhaar()[-1]) + 1) % 10)}, "aadhaar", "checksum"),
        ({"aadhaar": "1234 5678 9012"}, "aadhaar", "invalid"),
        ({"aadhaar": "23456789"}, "aadhaar", "invalid"),
        ({"ifsc": ""}, "ifsc", "required"),
        ({"bank_account": ""}, "bank_account", "required"),
        ({"bank_account": "12AB"}, "bank_account", "invalid"),
        ({"ifsc": "SBI0001"}, "ifsc", "invalid"),
        ({"voter_id": "12345"}, "voter_id", "invalid"),
        ({"mobile": "12345"}, "mobile", "invalid"),
        ({"date_of_birth": "2030-01-01"}, "date_of_birth", "future_date"),
        ({"date_of_birth": "1850-01-01"}, "date_of_birth", "too_early"),
        ({"date_of_birth": "01/02/1980"}, "date_of_birth", "format"),
        ({"date_of_birth": "1980-02-30"}, "date_of_birth", "invalid_date"),
        ({"shg_formed_on": "2027-01-01"}, "shg_formed_on", "future_date"),
        ({"gender": ""}, "gender", "required"),
        ({"gender": "X"}, "gender", "enum"),
        ({"social_category": "BC"}, "social_category", "enum"),
        ({"relation": "NEIGHBOUR"}, "relation", "enum"),
        ({"member_name": ""}, "member_name", "required"),
        ({"member_name": "A" * 101}, "member_name", "too_long"),
        ({"shg_name": ""}, "shg_name", "required"),
        ({"legacy_member_id": ""}, "legacy_member_id", "required"),
        ({"legacy_member_id": "M 1"}, "legacy_member_id", "format"),
        ({"legacy_shg_id": "S" * 65}, "legacy_shg_id", "too_long"),
        ({"block_lgd_code": "B1"}, "block_lgd_code", "format"),
        ({"village_lgd_code": ""}, "village_lgd_code", "format"),
    ],
)
def test_a_field_breaking_its_rule_rejects_the_row(
    fields: dict[str, str], column: str, code: str
) -> None:
    _, summary, _, members = parse(csv_text([row(**fields)]))
    assert (summary.accepted, summary.rejected, members) == (0, 1, [])
    assert (2, column, code) in codes(summary)


def test_every_problem_of_a_row_is_listed_and_no_value_is_echoed() -> None:
    bad = aadhaar()[:-1] + str((int(aadhaar()[-1]) + 1) % 10)
    _, summary, _, _ = parse(csv_text([row(aadhaar=bad, bank_account="99", gender="X")]))
    assert codes(summary) == [
        (2, "gender", "enum"),
        (2, "bank_account", "invalid"),
        (2, "aadhaar", "checksum"),
    ]
    assert bad not in repr(summary)


@pytest.mark.parametrize(
    ("fields", "column", "code"),
    [
        ({"block_lgd_code": "999"}, "block_lgd_code", "unknown_block"),
        ({"block_lgd_code": "201"}, "block_lgd_code", "out_of_scope"),
        ({"village_lgd_code": "9999"}, "village_lgd_code", "unknown_village"),
        ({"village_lgd_code": "1003"}, "village_lgd_code", "village_not_in_block"),
    ],
)
def test_an_shg_outside_the_known_geography_rejects_all_its_rows(
    fields: dict[str, str], column: str, code: str
) -> None:
    rows = [
        row(legacy_shg_id="BAD", legacy_member_id="M-1", **fields),
        row(legacy_shg_id="BAD", legacy_member_id="M-2", **fields),
        row(legacy_shg_id="GOOD", legacy_member_id="M-3"),
    ]
    _, summary, shgs, members = parse(csv_text(rows))
    assert codes(summary) == [(2, column, code), (3, column, code)]
    assert [s[1] for s in shgs] == [csvformat.shg_client_id("GOOD")]
    assert [member(m)["row"] for m in members] == [4]


def test_shg_columns_must_agree_across_its_rows() -> None:
    rows = [
        row(legacy_member_id="M-1"),
        row(legacy_member_id="M-2", shg_name="Durga  Mahila SHG"),  # spacing only: the same
        row(legacy_member_id="M-3", village_lgd_code="1002"),
        row(legacy_member_id="M-4", shg_formed_on="2016-01-01"),
    ]
    _, summary, shgs, members = parse(csv_text(rows))
    assert len(shgs) == 1 and len(members) == 2
    assert codes(summary) == [
        (4, "village_lgd_code", "shg_mismatch"),
        (5, "shg_formed_on", "shg_mismatch"),
    ]
    assert "row 2" in summary.errors[0].message


def test_the_first_valid_row_defines_the_shg() -> None:
    rows = [
        row(legacy_member_id="M-1", block_lgd_code="X"),  # SHG columns invalid: no definition
        row(legacy_member_id="M-2", block_lgd_code="101"),
    ]
    _, summary, shgs, members = parse(csv_text(rows))
    assert codes(summary) == [(2, "block_lgd_code", "format")]
    assert len(shgs) == 1 and [member(m)["row"] for m in members] == [3]


def test_a_member_repeated_in_the_same_shg_keeps_the_first_row() -> None:
    rows = [row(), row(member_name="Sunita D."), row()]
    _, summary, _, members = parse(csv_text(rows))
    assert [member(m)["row"] for m in members] == [2]
    assert codes(summary) == [
        (3, "legacy_member_id", "duplicate_member"),
        (4, "legacy_member_id", "duplicate_member"),
    ]
    assert summary.withdrawn_members == []


def test_a_member_under_two_shgs_is_rejected_in_both() -> None:
    rows = [
        row(legacy_shg_id="A", legacy_member_id="M-1"),
        row(legacy_shg_id="A", legacy_member_id="M-2"),
        row(legacy_shg_id="B", legacy_member_id="M-1"),
        row(legacy_shg_id="C", legacy_member_id="M-3"),
        row(legacy_shg_id="C", legacy_member_id="M-1"),
        row(legacy_shg_id="A", legacy_member_id="M-1"),
    ]
    _, summary, _, members = parse(csv_text(rows))
    assert (summary.accepted, summary.rejected) == (2, 4)
    assert codes(summary) == [
        (2, "legacy_member_id", "member_in_two_shgs"),
        (4, "legacy_member_id", "member_in_two_shgs"),
        (6, "legacy_member_id", "member_in_two_shgs"),
        (7, "legacy_member_id", "member_in_two_shgs"),
    ]
    # Row 2 was handed out before row 4 showed the conflict: the loader must take it back.
    assert summary.withdrawn_members == [csvformat.member_client_id("M-1")]
    assert csvformat.member_client_id("M-1") in [member(m)["client_id"] for m in members]
    assert summary.withdrawn_shgs == []


def test_an_shg_left_without_members_is_withdrawn() -> None:
    rows = [
        row(legacy_shg_id="A", legacy_member_id="M-1"),
        row(legacy_shg_id="B", legacy_member_id="M-1"),
    ]
    _, summary, shgs, _ = parse(csv_text(rows))
    assert summary.accepted == 0 and summary.rejected == 2
    assert summary.withdrawn_shgs == [csvformat.shg_client_id("A")]
    assert [s[1] for s in shgs] == [csvformat.shg_client_id("A")]


def test_an_shg_is_handed_out_once_before_its_first_member() -> None:
    rows = [row(legacy_member_id=f"M-{i}") for i in range(5)]
    p = MigrationParser(GEO, KEY, today=TODAY)
    text = csv_text(rows).encode()
    cut = text.index(b"\n", len(text) // 2) + 1
    p.feed(text[:cut])
    first = p.take()
    p.feed(text[cut:])
    p.finish()
    second = p.take()
    assert len(first[0]) == 1 and len(first[1]) >= 1
    assert second[0] == [] and len(first[1]) + len(second[1]) == 5


def test_only_the_first_errors_are_listed_in_row_order() -> None:
    rows = [row(legacy_member_id=f"M-{i}", gender="X") for i in range(12)]
    rows.insert(0, row(legacy_member_id="M-x"))
    # A late withdrawal adds an error for an early row: it still comes out in order.
    rows.append(row(legacy_shg_id="Z", legacy_member_id="M-x"))
    _, summary, _, _ = parse(csv_text(rows), limit=5)
    assert [e.row for e in summary.errors] == [2, 3, 4, 5, 6]
    assert summary.more_errors == 14 - 5
    assert summary.rejected == 14


def test_rows_the_loader_could_not_place_count_as_rejected() -> None:
    p, summary, _, _ = parse(csv_text([row(), row(legacy_member_id="M-2")]))
    assert summary.accepted == 2
    p.withdraw_rows([3], "legacy_shg_id", "shg_migrated_elsewhere", "elsewhere")
    after = p.summary()
    assert (after.accepted, after.rejected) == (1, 1)
    assert codes(after) == [(3, "legacy_shg_id", "shg_migrated_elsewhere")]


# --- the load's SQL against the tables ------------------------------------------------------


def _inserted_columns(sql: str, table: str) -> set[str]:
    head = sql.split(f"INSERT INTO {table} (", 1)[1].split(")", 1)[0]
    return {c.strip() for c in head.split(",")}


@pytest.mark.parametrize(
    ("sql", "model"),
    [(importer._INSERT_SHGS, Cbo), (importer._INSERT_MEMBERS, Member)],
)
def test_the_load_fills_every_column_that_has_no_default(sql: str, model: type) -> None:
    required = {
        c.name for c in model.__table__.columns if not c.nullable and c.server_default is None
    }
    listed = _inserted_columns(sql, model.__tablename__)
    assert required <= listed, required - listed
    assert listed <= {c.name for c in model.__table__.columns}


def test_time_ordered_ids_are_uuid7_and_follow_the_rows() -> None:
    prefix = importer.uuid7_prefix()
    ids = [importer.uuid7(prefix, row) for row in (2, 3, 10**6)]
    assert all(i.version == 7 and i.variant == uuid.RFC_4122 for i in ids)
    assert ids == sorted(ids)
