"""The one upload path of the gateway (the geography and legacy MIS CSV imports): the body is
streamed to the profiles service as it arrives, never held whole, under the size cap of the
settings (``LOKOS_UPLOAD_MAX_BYTES``); and what both answer: the import report, or a 422
problem+json carrying its row errors."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import grpc
from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from gateway.problems import PROBLEM_JSON, TITLES, problem
from lokos.profiles.v1 import profiles_pb2
from lokos.telemetry import current_trace_id

CSV_TYPES = frozenset({"text/csv"})
# Pieces of the file sent to the service: small enough to stream, large enough to be cheap.
CHUNK_BYTES = 256 * 1024


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


# The service's streaming RPC of an upload, called with the request stream.
UploadCall = Callable[[AsyncIterator[profiles_pb2.CsvChunk]], Any]


async def upload_csv(
    request: Request, call: UploadCall, filename: str, import_key: str
) -> profiles_pb2.ImportReport | JSONResponse:
    """Stream the CSV body of ``request`` into ``call``; the service's report, or the problem
    of a body that is not CSV (415) or larger than the cap (413, before or during the upload)."""
    limit: int = request.app.state.settings.upload_max_bytes
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in CSV_TYPES:
        return problem(415, "send the file as Content-Type: text/csv", code="unsupported_media")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return _too_large(limit)
    body = _Body(request, limit)
    reader = asyncio.create_task(body.read())
    try:
        report: profiles_pb2.ImportReport = await call(body.chunks(filename, import_key))
    except BaseException as exc:
        # Over the limit, the body's stream raised into the call and gRPC cancelled it.
        if body.too_large:
            reader.cancel()
            return _too_large(limit)
        if isinstance(exc, grpc.aio.AioRpcError):
            await body.finish(reader)
        else:
            reader.cancel()
        raise
    await body.finish(reader)
    return report


class _UploadStopped(Exception):
    """Raised into the call's request stream (too large, or the client went away): gRPC
    cancels the call, so the service never takes a cut file for a whole one."""


class _Body:
    """Reads the request body in its own task and hands it on in CHUNK_BYTES pieces.

    The reader never depends on the call: when the service answers early (a file refused at
    its first bytes), the rest of the body is read and dropped, so the client, still sending,
    gets to read the answer.
    """

    def __init__(self, request: Request, limit: int) -> None:
        self.request = request
        self.limit = limit
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
                if self.size > self.limit:
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


def _too_large(limit: int) -> JSONResponse:
    return problem(
        413,
        f"the file is larger than {limit // (1024 * 1024)} MiB; split it by district or block",
        code="payload_too_large",
    )
