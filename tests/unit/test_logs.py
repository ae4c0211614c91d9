from __future__ import annotations

import json
import logging

from lokos.logs import JsonFormatter, redact


def test_long_digit_runs_are_masked_to_last_four() -> None:
    assert redact("aadhaar 2345 6789 0123 given") == "aadhaar XXXXXXXX0123 given"
    assert redact("acct 001234567890123") == "acct XXXXXXXXXXX0123"
    assert redact("mobile 9876543210") == "mobile XXXXXX3210"


def test_short_numbers_and_codes_are_kept() -> None:
    assert (
        redact("block 1001 district 162 pin 226001 year 2024")
        == "block 1001 district 162 pin 226001 year 2024"
    )


def test_log_line_is_json_and_redacted() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "bank %s", ("123456789012",), None)
    line = json.loads(JsonFormatter("profiles", "up").format(record))
    assert line["msg"] == "bank XXXXXXXX9012"
    assert line["service"] == "profiles" and line["state"] == "up" and line["level"] == "INFO"
