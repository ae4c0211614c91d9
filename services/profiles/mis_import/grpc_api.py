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
from services.profiles.mis_import import importer
from services.profiles.uploads import Upload


class MigrationRpc:
    deps: Deps

    async def ImportMigration(
        self,
        request_iterator: AsyncIterator[profiles_pb2.CsvChunk],
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> profiles_pb2.ImportReport:
        limit = self.deps.settings.max_import_bytes
        upload = Upload(request_iterator)
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
