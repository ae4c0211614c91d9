"""``ImportMigration`` over gRPC: a client stream of CSV chunks in, the import report out.

``MigrationRpc`` is a mixin for the profiles servicer (which provides ``self.deps``). The
server interceptor sets the caller's context and maps domain errors, as for every call.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc

from lokos import context as request_context
from lokos.errors import LokosError
from lokos.profiles.v1 import profiles_pb2
from services.profiles.deps import Deps
from services.profiles.migration import importer


class MigrationRpc:
    deps: Deps

    async def ImportMigration(
        self,
        request_iterator: AsyncIterator[profiles_pb2.CsvChunk],
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> profiles_pb2.ImportReport:
        limit = self.deps.settings.max_import_bytes
        upload = _Upload(request_iterator)
        try:
            first = await anext(request_iterator, profiles_pb2.CsvChunk())
            report = await importer.import_migration(
                self.deps,
                request_context.principal(),
                importer.Upload(filename=first.filename, import_key=first.import_key),
                upload.data(first),
            )
        except LokosError:
            await upload.drain(limit)
            raise
        await upload.drain(limit)
        return report


class _Upload:
    """The chunks' bytes, and the rest of them read and dropped when the answer comes early.

    An answer sent while the client still streams races with the client's next write, and
    grpc's asyncio client then reports INTERNAL instead of the answer (grpc/grpc#36066), so
    the call ends only after the client has sent everything, or as soon as the upload is over
    the size limit (which is why the gateway's own limit must not be above the service's).
    """

    def __init__(self, requests: AsyncIterator[profiles_pb2.CsvChunk]) -> None:
        self.requests = requests
        self.size = 0

    async def data(self, first: profiles_pb2.CsvChunk) -> AsyncIterator[bytes]:
        self.size += len(first.data)
        if first.data:
            yield first.data
        async for chunk in self.requests:
            self.size += len(chunk.data)
            if chunk.data:
                yield chunk.data

    async def drain(self, limit: int) -> None:
        async for chunk in self.requests:
            self.size += len(chunk.data)
            if self.size > limit:
                return
