"""Help desk rules without I/O: masking numbers, reading span lines, the SLA breach rule."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.helpdesk import spans
from services.helpdesk.models import Ticket
from services.helpdesk.redaction import mask_numbers
from services.helpdesk.sla import breached


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("Aadhaar 2345 6789 0123 twice", "Aadhaar XXXXXXXX0123 twice"),
        ("mobile 9876543210.", "mobile XXXXXX3210."),
        ("a/c 12345678901234", "a/c XXXXXXXXXX1234"),
        ("a/c 1234-5678-9012-34", "a/c XXXXXXXXXX1234"),
        ("block 747341292 of district 60290968", "block XXXXX1292 of district 60290968"),
        ("SHG code 0102030405", "SHG code XXXXXX0405"),
        ("LGD 162, village 1001, PIN 226001", "LGD 162, village 1001, PIN 226001"),
    ],
)
def test_long_numbers_are_masked_and_short_codes_kept(text: str, masked: str) -> None:
    assert mask_numbers(text) == masked


def _line(**extra: object) -> str:
    record = {
        "trace_id": "a" * 32,
        "span_id": "b" * 16,
        "parent_id": "",
        "service": "gateway",
        "name": "POST /v1/members",
        "kind": "SERVER",
        "start": 1_000,
        "end": 5_000,
        "status": "ERROR",
        "error": "IntegrityError: mobile 9876543210 exists",
        **extra,
    }
    return json.dumps(record)


def test_span_lines_become_rows_with_errors_masked_and_cut_lines_skipped(tmp_path: Path) -> None:
    path = tmp_path / "gateway.jsonl"
    path.write_text(_line(user_id="UP_BA1", http_status=500) + "\n" + '{"trace_id": "cut mid-wr')
    rows, inode, offset = spans.read_new(path, None) or ([], 0, 0)
    assert len(rows) == 1
    row = rows[0]
    assert (row["user_id"], row["http_status"], row["cbo_code"]) == ("UP_BA1", 500, "")
    assert "9876543210" not in row["error"] and row["error"].endswith("XXXXXX3210 exists")
    # The cut line is read once it is complete, from where the last pass stopped.
    with path.open("a") as f:
        f.write('ite"}\n' + _line(span_id="c" * 16) + "\n")
    again = spans.read_new(path, (inode, offset))
    assert again is not None
    assert [r["span_id"] for r in again[0]] == ["c" * 16]


def test_a_rotated_file_is_finished_before_the_new_one_is_read(tmp_path: Path) -> None:
    path = tmp_path / "profiles.jsonl"
    path.write_text(_line(span_id="1" * 16) + "\n")
    _, inode, offset = spans.read_new(path, None) or ([], 0, 0)
    with path.open("a") as f:
        f.write(_line(span_id="2" * 16) + "\n")
    path.rename(path.with_suffix(".jsonl.1"))
    path.write_text(_line(span_id="3" * 16) + "\n")
    found = spans.read_new(path, (inode, offset))
    assert found is not None
    assert [r["span_id"] for r in found[0]] == ["2" * 16, "3" * 16]


def test_the_sla_is_breached_past_due_unless_resolved_in_time() -> None:
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    t = Ticket(due_at=now - timedelta(minutes=1), resolved_at=None)
    assert breached(t, now)
    t = Ticket(due_at=now + timedelta(minutes=1), resolved_at=None)
    assert not breached(t, now)
    t = Ticket(due_at=now - timedelta(hours=1), resolved_at=now - timedelta(hours=2))
    assert not breached(t, now)
    t = Ticket(due_at=now - timedelta(hours=2), resolved_at=now - timedelta(hours=1))
    assert breached(t, now)
