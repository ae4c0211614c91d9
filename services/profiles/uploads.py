"""Client-streamed uploads (CSV imports): count the bytes, and drain what is left when the
answer comes early."""

from __future__ import annotations

from collections.abc import AsyncIterator

from lokos.profiles.v1 import profiles_pb2


class Upload:
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

    async def chunks(self) -> AsyncIterator[profiles_pb2.CsvChunk]:
        """The chunk messages themselves, counted."""
        async for chunk in self.requests:
            self.size += len(chunk.data)
            yield chunk
