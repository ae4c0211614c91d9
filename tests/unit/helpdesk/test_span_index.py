"""The span index's bulk insert follows the model: the same columns, each sent as an array of
its column's type, and a parsed trace line has exactly those columns."""

from __future__ import annotations

from sqlalchemy import BigInteger, SmallInteger

from services.helpdesk.models import Span
from services.helpdesk.spans import _COLUMNS, span_row


def test_the_insert_names_every_column_of_the_model_with_its_type() -> None:
    table = Span.__table__.columns
    assert [c for c, _ in _COLUMNS] == [c.name for c in table]
    for name, sent_as in _COLUMNS:
        column_type = table[name].type
        expected = (
            "bigint"
            if isinstance(column_type, BigInteger)
            else "smallint"
            if isinstance(column_type, SmallInteger)
            else "text"
        )
        assert sent_as == expected, name


def test_a_trace_line_is_a_row_of_exactly_those_columns() -> None:
    row = span_row(
        {
            "trace_id": "0af7651916cd43dd8448eb211c80319c",
            "span_id": "b7ad6b7169203331",
            "service": "gateway",
            "name": "GET /v1/cbos/{cbo_id}",
            "start": 1,
            "end": 2,
            "error": "account 123456789012 refused",
            "http_status": 500,
            "cbo_code": "C-1",
        }
    )
    assert row is not None
    assert list(row) == [c for c, _ in _COLUMNS]
    assert "123456789012" not in row["error"]  # masked before it is stored
