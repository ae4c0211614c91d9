"""Imports from the old MIS: SHGs and their members from one CSV export (format in
``docs/migration-import.md``), streamed to the profiles service as it arrives."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Annotated

import grpc
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from gateway.auth import allow
from gateway.inputs import Text
from gateway.problems import PROBLEM_JSON, problem
from gateway.routes.common import ServiceClients, metadata, problem_responses
from gateway.routes.csv_reports import ImportReportOut, rejected, report_out
from lokos import catalogue
from lokos.principal import Principal
from lokos.profiles.v1 import profiles_pb2

router = APIRouter(prefix="/imports", tags=["imports"], responses=problem_responses(409))

# Admins import within their own scope; the service rejects rows outside it.
Importer = Annotated[Principal, Depends(allow(catalogue.MIS_IMPORTERS))]

# Largest CSV the gateway passes on (the profiles service has its own limit too).
MAX_IMPORT_BYTES = 512 * 1024 * 1024
# Pieces of the file sent to the service.
CHUNK_BYTES = 256 * 1024
# A state's 10 lakh members load in about a minute; the upload itself may take longer.
IMPORT_DEADLINE = 1800.0
CSV_TYPES = frozenset({"text/csv"})


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
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in CSV_TYPES:
        return problem(415, "send the file as Content-Type: text/csv", code="unsupported_media")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_IMPORT_BYTES:
        return _too_large()
    body = _Body(request)
    reader = asyncio.create_task(body.read())
    try:
        report = await c.profiles.ImportMigration(
            body.chunks(filename or "migration.csv", import_key or ""),
            metadata=metadata(principal),
            timeout=IMPORT_DEADLINE,
        )
    except BaseException as exc:
        # Over the limit, the body's stream raised into the call and gRPC cancelled it.
        if body.too_large:
            reader.cancel()
            return _too_large()
        if isinstance(exc, grpc.aio.AioRpcError):
            await body.finish(reader)
        else:
            reader.cancel()
        raise
    await body.finish(reader)
    if report.status == "rejected":
        return rejected(
            report,
            f"no row could be imported ({report.rejected} rows rejected); nothing was imported",
        )
    return report_out(report, MigrationReportOut)


class _UploadStopped(Exception):
    """Raised into the call's request stream (too large, or the client went away): gRPC
    cancels the call, so the service never takes a cut file for a whole one."""


class _Body:
    """Reads the request body in its own task and hands it on in CHUNK_BYTES pieces.

    The reader never depends on the call: when the service answers early (a file refused at
    its first bytes), the rest of the body is read and dropped, so the client, still sending,
    gets to read the answer.
    """

    def __init__(self, request: Request) -> None:
        self.request = request
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=4)
        self.forwarding = True
        self.too_large = False
        self.broken = False
        self.size = 0

    async def read(self) -> None:
        pending = bytearray()
        try:
            async for piece in self.request.stream():
                self.size += len(piece)
                if self.size > MAX_IMPORT_BYTES:
                    self.too_large = True
                    return
                if not self.forwarding:
                    continue
                pending += piece
                while len(pending) >= CHUNK_BYTES and self.forwarding:
                    await self.queue.put(bytes(pending[:CHUNK_BYTES]))
                    del pending[:CHUNK_BYTES]
            if pending and self.forwarding:
                await self.queue.put(bytes(pending))
        except Exception:
            self.broken = True
            raise
        finally:
            if self.forwarding:
                await self.queue.put(None)

    async def chunks(self, filename: str, import_key: str) -> AsyncIterator[profiles_pb2.CsvChunk]:
        yield profiles_pb2.CsvChunk(filename=filename, import_key=import_key)
        while (data := await self.queue.get()) is not None:
            yield profiles_pb2.CsvChunk(data=data)
        if self.too_large or self.broken:
            raise _UploadStopped

    async def finish(self, reader: asyncio.Task[None]) -> None:
        """Stop forwarding and let the reader read the rest of the body."""
        self.forwarding = False
        while not reader.done():
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()  # unblock a reader waiting on a full queue
            await asyncio.wait({reader}, timeout=0.05)
        with contextlib.suppress(Exception):  # the client went away: nothing to answer to
            reader.result()


def _too_large() -> JSONResponse:
    return problem(
        413,
        f"the file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MiB; split it by "
        "district or block",
        code="payload_too_large",
    )
