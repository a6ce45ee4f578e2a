"""A loopback TCP relay whose uplink (client to server) the test can hold and release.

It stands for a slow or stalled uplink: while held, every byte a client sends is
kept in the relay; the downlink (server to client) keeps flowing, so the client
goes on receiving messages. `release()` lets the held bytes through, in order.
Listens on 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import contextlib


class HeldUplink:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = 0
        self._server: asyncio.Server | None = None
        self._released = asyncio.Event()
        self._released.set()
        self._tasks: set[asyncio.Task] = set()
        self._writers: list[asyncio.StreamWriter] = []
        self.held_bytes = 0

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def hold(self) -> None:
        self._released.clear()

    def release(self) -> None:
        self._released.set()

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter):
        server_r, server_w = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        self._writers += [client_w, server_w]
        for reader, writer, up in ((client_r, server_w, True), (server_r, client_w, False)):
            queue: asyncio.Queue[bytes | None] = asyncio.Queue()
            for job in (self._read(reader, queue), self._write(writer, queue, up)):
                task = asyncio.ensure_future(job)
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _read(self, reader: asyncio.StreamReader, queue: asyncio.Queue) -> None:
        try:
            while data := await reader.read(65536):
                queue.put_nowait(data)
        except (ConnectionError, OSError):
            pass
        queue.put_nowait(None)

    async def _write(self, writer: asyncio.StreamWriter, queue: asyncio.Queue, up: bool) -> None:
        try:
            while (data := await queue.get()) is not None:
                if up and not self._released.is_set():
                    self.held_bytes += len(data)
                    await self._released.wait()
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def aclose_for_test(self) -> None:
        self.release()
        if self._server is not None:
            self._server.close()
        for writer in self._writers:
            with contextlib.suppress(Exception):
                writer.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
