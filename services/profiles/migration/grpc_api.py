"""``ImportMigration`` over gRPC: a client stream of CSV chunks in, the import report out.

``MigrationRpc`` is a mixin for the profiles servicer (which provides ``self.deps``).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import grpc
from grpc_status import rpc_status

from lokos import context
from lokos.errors import LokosError
from lokos.principal import METADATA_KEY, Principal
from lokos.profiles.v1 import profiles_pb2
from lokos.rpc import REQUEST_ID_KEY, error_to_status
from services.profiles.deps import Deps
from services.profiles.migration import importer

log = logging.getLogger(__name__)


class MigrationRpc:
    deps: Deps

    async def ImportMigration(
        self,
        request_iterator: AsyncIterator[profiles_pb2.CsvChunk],
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> profiles_pb2.ImportReport:
        with _call_context(context):
            try:
                first = await anext(request_iterator, profiles_pb2.CsvChunk())
                upload = importer.Upload(filename=first.filename, import_key=first.import_key)
                return await importer.import_migration(
                    self.deps, _principal(), upload, _data(first, request_iterator)
                )
            except LokosError as err:
                # The server interceptor maps errors of unary calls only; same mapping here.
                status = rpc_status.to_status(error_to_status(err))
                await context.abort(status.code, status.details, status.trailing_metadata)
                raise  # not reached: abort raises
            except (grpc.aio.AbortError, grpc.aio.UsageError):
                raise
            except Exception:
                log.exception("unhandled error in ImportMigration")
                await context.abort(grpc.StatusCode.INTERNAL, "internal error")
                raise


async def _data(
    first: profiles_pb2.CsvChunk, rest: AsyncIterator[profiles_pb2.CsvChunk]
) -> AsyncIterator[bytes]:
    if first.data:
        yield first.data
    async for chunk in rest:
        if chunk.data:
            yield chunk.data


def _principal() -> Principal:
    return context.principal()


@contextmanager
def _call_context(ctx: grpc.aio.ServicerContext[Any, Any]) -> Iterator[None]:
    """Principal and request id from the call's metadata, unless the interceptor set them
    already (it does so for unary calls only)."""
    if context.current_principal.get() is not None:
        yield
        return
    metadata = dict(ctx.invocation_metadata() or ())
    raw = metadata.get(METADATA_KEY)
    tokens = (
        context.current_principal.set(
            Principal.from_metadata(raw) if isinstance(raw, bytes) else None
        ),
        context.current_request_id.set(str(metadata.get(REQUEST_ID_KEY, ""))),
    )
    try:
        yield
    finally:
        context.current_principal.reset(tokens[0])
        context.current_request_id.reset(tokens[1])
