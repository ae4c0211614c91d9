"""What both CSV upload routes (geography, migration) answer: the import report, or a 422
problem+json carrying its row errors."""

from __future__ import annotations

from typing import TypeVar

from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from gateway.problems import PROBLEM_JSON, TITLES
from lokos.profiles.v1 import profiles_pb2
from lokos.telemetry import current_trace_id


class RowErrorOut(BaseModel):
    row: int = Field(description="1-based; the header is row 1")
    column: str
    code: str
    message: str


class ImportReportOut(BaseModel):
    import_id: str
    status: str = Field(description='"imported" or "already_imported" (same Import-Key)')
    rows: int
    imported: int
    rejected: int
    errors: list[RowErrorOut] = []
    more_errors: int = 0
    seconds: float


R = TypeVar("R", bound=ImportReportOut)


def report_out(report: profiles_pb2.ImportReport, model: type[R]) -> R:
    return model(
        import_id=report.import_id,
        status=report.status,
        rows=report.rows,
        imported=report.imported,
        rejected=report.rejected,
        errors=[
            RowErrorOut(row=e.row, column=e.column, code=e.code, message=e.message)
            for e in report.errors
        ],
        more_errors=report.more_errors,
        seconds=report.seconds,
    )


def rejected(report: profiles_pb2.ImportReport, detail: str) -> JSONResponse:
    """422 problem+json: the report's counts, its row errors as ``errors``."""
    out = report_out(report, ImportReportOut)
    body: dict[str, object] = {
        "type": "https://lokos.in/problems/import_rejected",
        "title": TITLES[422],
        "status": 422,
        "detail": detail,
        "code": "import_rejected",
    }
    trace_id = current_trace_id()
    if trace_id:
        body["request_id"] = trace_id
    body.update(out.model_dump(exclude={"status", "errors"}))
    body["errors"] = [{"field": e.column, **e.model_dump()} for e in out.errors]
    return JSONResponse(body, status_code=422, media_type=PROBLEM_JSON)
