"""The geography CSV: reading, row checks and parent resolution, without I/O."""

from __future__ import annotations

import os
import random
import string
import time
from collections.abc import Iterable

import pytest

from lokos.errors import ValidationFailed
from services.profiles.geography.importer import (
    MAX_ERRORS,
    CsvUpload,
    ParsedCsv,
    Resolution,
    RowIssue,
    Unit,
    lookups,
    missing_parents,
    resolve,
)

HEADER = "level,lgd_code,name_en,name_local,parent_code\n"


def upload(data: bytes, chunk: int = 7) -> ParsedCsv:
    """Feed ``data`` in small pieces (multi-byte characters get split across them)."""
    u = CsvUpload(max_bytes=64 * 1024 * 1024)
    for i in range(0, len(data), chunk):
        u.feed(data[i : i + chunk])
    u.finish()
    try:
        return u.parse()
    finally:
        u.close()


def check(
    text: str | bytes,
    known: Iterable[Unit] = (),
    elsewhere: dict[str, list[str]] | None = None,
) -> tuple[ParsedCsv, Resolution]:
    data = text.encode() if isinstance(text, str) else text
    parsed = upload(data)
    result = resolve(parsed, {(u.level, u.lgd_code): u for u in known}, "up", elsewhere=elsewhere)
    return parsed, result


def errors(text: str | bytes, **kw: object) -> list[tuple[int, str, str]]:
    parsed, result = check(text, **kw)  # type: ignore[arg-type]
    issues = parsed.issues.listed if parsed.issues else result.issues.listed
    return [(i.row, i.column, i.code) for i in issues]


def db(level: str, code: str, parent: str, d: str = "", b: str = "", p: str = "") -> Unit:
    return Unit(level, code, parent, "up", d, b, p, f"{level.title()} {code}", "")


# --- good files -----------------------------------------------------------------------------


def test_every_level_with_parents_after_children_gets_its_ancestors() -> None:
    text = (
        "\ufeff" + HEADER + "village,5001,Rampur,रामपुर,4001\r\n"
        "panchayat,4001,Rampur GP,,301\r\n"
        "\r\n"
        'block,301,"Bichpuri, West",बिचपुरी,162\r\n'
        "district,162,Agra,आगरा,\r\n"
        "state,9,Uttar Pradesh,उत्तर प्रदेश,\r\n"
    )
    parsed, result = check(text)
    assert not parsed.issues and not result.issues
    assert parsed.count == 5
    by_code = {u.lgd_code: u for u in result.units}
    assert by_code["9"] == Unit("state", "9", "", "up", "", "", "", "Uttar Pradesh", "उत्तर प्रदेश")
    assert by_code["162"] == Unit("district", "162", "9", "up", "", "", "", "Agra", "आगरा")
    assert by_code["301"].name_en == "Bichpuri, West"
    assert (by_code["301"].parent_code, by_code["301"].district_lgd_code) == ("162", "162")
    assert by_code["4001"].record()[4:7] == ("162", "301", "")
    assert by_code["5001"].record() == (
        "village",
        "5001",
        "4001",
        "up",
        "162",
        "301",
        "4001",
        "Rampur",
        "रामपुर",
    )
    # Inserted parents first.
    assert [u.level for u in result.units] == ["state", "district", "block", "panchayat", "village"]


def test_parents_in_the_database_and_the_state_code_as_a_district_parent() -> None:
    known = [
        Unit("state", "9", "", "up", "", "", "", "Uttar Pradesh", ""),
        db("district", "162", "9"),
        db("block", "301", "162", d="162"),
    ]
    text = HEADER + "district,163,Aligarh,,9\npanchayat,4001,GP,,301\nvillage,5001,V,,4001\n"
    _, result = check(text, known)
    assert not result.issues
    by_code = {u.lgd_code: u for u in result.units}
    assert by_code["163"].parent_code == "9"
    assert by_code["5001"].record()[4:7] == ("162", "301", "4001")


def test_names_are_trimmed_and_case_of_the_level_is_forgiven() -> None:
    _, result = check(HEADER + "  District , 162 ,  Agra   City ,, \n")
    assert [(u.level, u.lgd_code, u.name_en) for u in result.units] == [
        ("district", "162", "Agra City")
    ]


def test_the_same_unit_again_is_a_no_op_and_a_changed_one_is_an_error() -> None:
    known = [db("district", "162", ""), db("block", "301", "162", d="162")]
    text = HEADER + "district,162,DISTRICT 162,,\nblock,301,Block 301,,162\nblock,302,New,,162\n"
    _, result = check(text, known)
    assert not result.issues
    assert result.unchanged == 2 and [u.lgd_code for u in result.units] == ["302"]

    assert errors(HEADER + "district,162,Agra,,\n", known=known) == [(2, "lgd_code", "exists")]
    known.append(db("district", "170", ""))
    assert errors(HEADER + "block,301,Block 301,,170\n", known=known) == [(2, "lgd_code", "exists")]


# --- the header and the file as a whole ----------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("level,lgd_code,name_en,name_local\n", [(1, "parent_code", "missing_column")]),
        (
            "level,lgd_code,name,name_local,parent_code\n",
            [(1, "name", "unknown_column"), (1, "name_en", "missing_column")],
        ),
        (
            "level,lgd_code,name_en,name_local,parent_code,remarks\n",
            [(1, "remarks", "unknown_column")],
        ),
        (
            "level,lgd_code,name_en,name_local,parent_code,level\n",
            [(1, "level", "duplicate_column")],
        ),
    ],
)
def test_header_problems_are_reported_on_row_1_and_stop_there(
    header: str, expected: list[tuple[int, str, str]]
) -> None:
    assert sorted(errors(header + "district,162,Agra,,\nbogus,row\n")) == sorted(expected)


def test_columns_may_come_in_any_order() -> None:
    _, result = check("lgd_code,level,parent_code,name_local,name_en\n162,district,,आगरा,Agra\n")
    assert [(u.lgd_code, u.name_en, u.name_local) for u in result.units] == [
        ("162", "Agra", "आगरा")
    ]


def test_an_empty_file_and_a_header_alone_are_rejected() -> None:
    assert errors(b"") == [(1, "", "empty")]
    assert errors(HEADER) == [(2, "", "no_rows")]
    assert errors(HEADER + "\n,,,,\n") == [(2, "", "no_rows")]


@pytest.mark.parametrize(
    "data",
    [
        (HEADER + "district,162,Mathurä,,\n").encode("latin-1"),
        HEADER.encode() + b"district,164,\xe0\xa4,,\n",
        (HEADER + "district,162,Agra,,\n").encode("utf-16"),
        HEADER.encode() + b"district,162,Ag\x00ra,,\n",
    ],
    ids=["latin-1", "cut-sequence", "utf-16", "nul"],
)
def test_a_file_that_is_not_utf8_text_gets_one_clear_error(data: bytes) -> None:
    parsed = upload(data)
    assert [i.code for i in parsed.issues.listed] == ["encoding"]
    assert "UTF-8" in parsed.issues.listed[0].message


def test_the_encoding_error_names_its_line() -> None:
    data = (HEADER + "district,162,Agra,,\n").encode() + "district,163,Mathurä,,\n".encode(
        "latin-1"
    )
    assert upload(data).issues.listed[0].row == 3
    truncated = (HEADER + "district,162,आगरा,,").encode()[:-3]
    assert [i.code for i in upload(truncated).issues.listed] == ["encoding"]


def test_ten_megabytes_of_random_bytes_answer_at_once_with_one_error() -> None:
    started = time.monotonic()
    parsed = upload(os.urandom(10 * 1024 * 1024), chunk=256 * 1024)
    assert time.monotonic() - started < 2
    assert [i.code for i in parsed.issues.listed] == ["encoding"]
    assert parsed.issues.total == 1


def test_ten_megabytes_of_text_garbage_give_a_bounded_list() -> None:
    rnd = random.Random(7)
    body = "".join(rnd.choices(string.ascii_letters + string.digits + ',,,"\n', k=10 * 2**20))
    started = time.monotonic()
    parsed = upload((HEADER + body).encode(), chunk=256 * 1024)
    assert time.monotonic() - started < 10
    assert len(parsed.issues.listed) <= MAX_ERRORS
    assert parsed.issues.total >= len(parsed.issues.listed)
    assert parsed.issues.listed == sorted(parsed.issues.listed)


def test_more_than_a_thousand_errors_are_counted_not_listed() -> None:
    text = HEADER + "".join(f"district,{n},,,\n" for n in range(1, 1501))
    parsed = upload(text.encode(), chunk=4096)
    assert len(parsed.issues.listed) == MAX_ERRORS
    assert parsed.issues.total == 1500
    assert len(parsed.issues.rows) == 1500
    assert parsed.issues.listed[-1] == RowIssue(
        MAX_ERRORS + 1, "name_en", "required", "the English name is missing"
    )


def test_a_file_above_the_limit_is_refused_while_it_arrives() -> None:
    u = CsvUpload(max_bytes=100)
    u.feed(b"x" * 100)
    with pytest.raises(ValidationFailed) as err:
        u.feed(b"x")
    assert err.value.field_errors[0].code == "too_large"
    u.close()


def test_the_file_hash_is_the_default_import_key() -> None:
    u = CsvUpload(max_bytes=1000)
    u.feed(b"abc")
    u.finish()
    assert u.sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    u.close()


# --- rows -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("county,162,Agra,,", [(2, "level", "bad_level")]),
        (",162,Agra,,", [(2, "level", "bad_level")]),
        ("district,16A,Agra,,", [(2, "lgd_code", "format")]),
        ("district,-162,Agra,,", [(2, "lgd_code", "format")]),
        ("district,,Agra,,", [(2, "lgd_code", "required")]),
        ("district," + "1" * 17 + ",Agra,,", [(2, "lgd_code", "too_long")]),
        ("district,162,,आगरा,", [(2, "name_en", "required")]),
        ("district,162,   ,,", [(2, "name_en", "required")]),
        ("district,162," + "a" * 129 + ",,", [(2, "name_en", "too_long")]),
        ("district,162,Agra," + "अ" * 129 + ",", [(2, "name_local", "too_long")]),
        ("block,301,Block,,", [(2, "parent_code", "required")]),
        ("block,301,Block,,16x", [(2, "parent_code", "format")]),
        ("state,9,UP,,1", [(2, "parent_code", "parent_not_allowed")]),
        ("district,162,Agra", [(2, "", "columns")]),
        ("district,162,Agra,,,", [(2, "", "columns")]),
    ],
)
def test_row_checks(row: str, expected: list[tuple[int, str, str]]) -> None:
    assert errors(HEADER + row + "\n") == expected


def test_a_name_of_exactly_128_characters_is_fine() -> None:
    assert errors(HEADER + "district,162," + "a" * 128 + ",,\n") == []


def test_every_problem_of_a_row_is_reported_at_once() -> None:
    assert errors(HEADER + "county,16A,,,\n") == [
        (2, "level", "bad_level"),
        (2, "lgd_code", "format"),
        (2, "name_en", "required"),
    ]


def test_a_code_twice_at_one_level_is_a_duplicate_but_not_across_levels() -> None:
    text = HEADER + "district,162,Agra,,\nblock,162,Agra block,,162\ndistrict,162,Agra,,\n"
    assert errors(text) == [(4, "lgd_code", "duplicate")]


def test_row_numbers_count_the_header_and_blank_lines() -> None:
    text = HEADER + "district,162,Agra,,\n\n" + 'block,301,"Two\nlines",,162\n' + "block,x,B,,162\n"
    assert errors(text) == [(5, "lgd_code", "format")]


def test_a_field_too_long_for_any_value_stops_the_reading() -> None:
    text = HEADER + 'district,162,"' + "a" * 200_000 + '",,\n'
    assert [e[2] for e in errors(text)] == ["malformed"]


# --- parents --------------------------------------------------------------------------------


def test_an_unknown_parent_is_an_error() -> None:
    text = HEADER + "district,162,Agra,,\nblock,301,B,,999\nvillage,5001,V,,4001\n"
    assert errors(text) == [
        (3, "parent_code", "unknown_parent"),
        (4, "parent_code", "unknown_parent"),
    ]


def test_a_parent_at_the_wrong_level_is_named_as_such() -> None:
    text = HEADER + "district,162,Agra,,\nblock,301,B,,162\nvillage,5001,V,,301\n"
    _, result = check(text)
    assert [(i.row, i.code) for i in result.issues.listed] == [(4, "parent_level")]
    assert "301 is a block" in result.issues.listed[0].message
    # The same, learnt from the database.
    text = HEADER + "village,5001,V,,301\n"
    assert errors(text, elsewhere={"301": ["block"]}) == [(2, "parent_code", "parent_level")]


def test_a_district_under_another_state_code_is_an_unknown_parent() -> None:
    known = [Unit("state", "9", "", "up", "", "", "", "Uttar Pradesh", "")]
    assert errors(HEADER + "district,162,Agra,,10\n", known=known) == [
        (2, "parent_code", "unknown_parent")
    ]
    assert errors(HEADER + "district,162,Agra,,10\n") == [(2, "parent_code", "unknown_parent")]


def test_the_state_row_must_be_the_instances_state() -> None:
    known = [Unit("state", "9", "", "up", "", "", "", "Uttar Pradesh", "")]
    assert errors(HEADER + "state,10,Bihar,,\n", known=known) == [(2, "lgd_code", "state_mismatch")]
    assert errors(HEADER + "state,9,Uttar Pradesh,,\nstate,10,Bihar,,\n") == [
        (3, "lgd_code", "state_mismatch")
    ]
    _, result = check(HEADER + "state,9,UTTAR PRADESH,,\n", known)
    assert result.unchanged == 1 and not result.units and not result.issues


def test_children_of_a_bad_row_are_not_reported_again() -> None:
    text = HEADER + "block,301,,,162\ndistrict,162,Agra,,\nvillage,5001,V,,4001\n"
    text += "panchayat,4001,GP,,301\n"
    assert errors(text) == [(2, "name_en", "required")]


def test_every_row_error_is_listed_in_row_order() -> None:
    known = [db("district", "162", "")]
    text = HEADER + "block,301,B,,999\ndistrict,162,Other,,\nblock,302,B,,998\n"
    assert errors(text, known=known) == [
        (2, "parent_code", "unknown_parent"),
        (3, "lgd_code", "exists"),
        (4, "parent_code", "unknown_parent"),
    ]


def test_lookups_ask_the_database_only_for_what_the_file_does_not_hold() -> None:
    parsed = upload(
        (
            HEADER + "district,162,Agra,,\nblock,301,B,,162\nblock,302,B,,170\nvillage,5,V,,4\n"
        ).encode()
    )
    assert lookups(parsed) == {
        "district": {"162", "170"},
        "block": {"301", "302"},
        "panchayat": {"4"},
        "village": {"5"},
    }
    assert missing_parents(parsed, {("district", "170"): db("district", "170", "")}) == {"4"}
