"""Imports from the old MIS: SHGs and their members from one CSV export (format in
``docs/migration-import.md``), streamed to the profiles service as it arrives."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from gateway.auth import allow
from gateway.inputs import Text
from gateway.problems import PROBLEM_JSON
from gateway.routes.common import ServiceClients, metadata, problem_responses
from gateway.routes.csv_reports import ImportReportOut, rejected, report_out, upload_csv
from lokos import catalogue
from lokos.principal import Principal
from lokos.profiles.v1 import profiles_pb2

router = APIRouter(prefix="/imports", tags=["imports"], responses=problem_responses(409))

# Admins import within their own scope; the service rejects rows outside it.
Importer = Annotated[Principal, Depends(allow(catalogue.MIS_IMPORTERS))]

# A state's 10 lakh members load in about a minute; the upload itself may take longer.
IMPORT_DEADLINE = 1800.0


class MigrationReportOut(ImportReportOut):
    import_id: str
    status: str = Field(description='"imported", or "already_imported" (the same import again)')
    rows: int = Field(description="Member rows in the file")
    imported: int = Field(description="Members added (rows already migrated are not added again)")
    rejected: int = Field(description="Rows rejected; the first 1,000 errors are listed")


_CSV_BODY = {
    "requestBody": {
        "required": True,
        "content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}},
        "description": "The old MIS's export, one row per member, UTF-8 "
        "(columns: see docs/migration-import.md).",
    }
}


@router.post(
    "/migration",
    response_model=MigrationReportOut,
    openapi_extra=_CSV_BODY,
    responses={
        413: {"description": "The file is too large", "content": {PROBLEM_JSON: {}}},
        415: {"description": "The body is not text/csv", "content": {PROBLEM_JSON: {}}},
        422: {
            "description": "The file is unusable (not UTF-8, wrong columns, no valid row); "
            "nothing was imported",
            "content": {PROBLEM_JSON: {}},
        },
    },
)
async def import_migration(
    request: Request,
    principal: Importer,
    c: ServiceClients,
    import_key: Annotated[
        str | None,
        Header(
            alias="Import-Key",
            pattern=r"^[\x21-\x7e]{1,100}$",
            description="Sending the same import again under this key returns its first report "
            "(default: the SHA-256 of the file)",
        ),
    ] = None,
    filename: Annotated[Text, Query(max_length=255, description="Kept with the report")] = "",
) -> MigrationReportOut | JSONResponse:
    """Import SHGs and members migrated from the old MIS: valid rows are imported, invalid
    ones are listed in the report. Records that were migrated before are not added again."""

    def call(chunks: AsyncIterator[profiles_pb2.CsvChunk]) -> Any:
        return c.profiles.ImportMigration(
            chunks, metadata=metadata(principal), timeout=IMPORT_DEADLINE
        )

    report = await upload_csv(request, call, filename or "migration.csv", import_key or "")
    if isinstance(report, JSONResponse):
        return report
    if report.status == "rejected":
        return rejected(
            report,
            f"no row could be imported ({report.rejected} rows rejected); nothing was imported",
        )
    return report_out(report, MigrationReportOut)
