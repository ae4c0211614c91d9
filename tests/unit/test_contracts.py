"""The generated contract code is what ``make proto`` makes from proto/ today."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_generated_code_is_not_stale() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "lokos.protogen", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_every_service_has_a_v1_contract() -> None:
    for service in ("identity", "profiles", "dedup", "transactions", "reports"):
        assert (ROOT / "proto" / "lokos" / service / "v1" / f"{service}.proto").exists()


def test_envelope_carries_what_tracing_and_idempotency_need() -> None:
    from lokos.common.v1 import events_pb2

    fields = set(events_pb2.EventEnvelope.DESCRIPTOR.fields_by_name)
    assert {"event_id", "type", "state", "occurred_at", "actor", "request_id", "payload"} <= fields
