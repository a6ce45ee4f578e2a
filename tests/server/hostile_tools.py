"""Tools for the hostile-client tests: a `desktop-chat-server` subprocess whose memory,
descriptors and sockets can be read (psutil), and `RawClient`, a websocket client on a
bare socket that reads only when told to, so it can stop reading altogether.

Everything is real: server processes, sockets on 127.0.0.1 (and other loopback source
addresses, 127.0.0.2 and up, to stand for different people), SQLite files. Every wait
has a timeout.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import re
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import psutil

SERVER = str(Path(sys.executable).with_name("desktop-chat-server"))
MiB = 1024 * 1024
_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode


async def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> float:
    """Poll `predicate` every 20 ms; return the seconds it took, or raise TimeoutError."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise TimeoutError(f"{what}: not within {timeout} s")
        await asyncio.sleep(0.02)
    return time.monotonic() - start


class ServerProcess:
    """`desktop-chat-server` on port 0 as a subprocess, its log in a file."""

    def __init__(
        self,
        db: Path,
        log: Path,
        *extra: str,
        preexec_fn: Callable[[], None] | None = None,
    ) -> None:
        self.db = db
        self.log = log
        self.extra = extra
        self.preexec_fn = preexec_fn
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.ps: psutil.Process | None = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    async def start(self) -> str:
        with self.log.open("a") as err:
            self.proc = subprocess.Popen(
                [
                    SERVER,
                    *("--port", "0", "--db", str(self.db)),
                    *("--log-level", "WARNING", *self.extra),
                ],
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
                preexec_fn=self.preexec_fn,
            )
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(self.proc.stdout.readline), 30)
        match = re.fullmatch(r"listening on ws://127\.0\.0\.1:(\d+)\n", line)
        assert match, f"server did not start: {line!r}; log: {self.log_text()[-2000:]}"
        self.port = int(match.group(1))
        self.ps = psutil.Process(self.proc.pid)
        return self.url

    def log_text(self) -> str:
        with contextlib.suppress(OSError):
            return self.log.read_text()
        return ""

    def rss(self) -> int:
        assert self.ps is not None
        return self.ps.memory_info().rss

    def fds(self) -> int:
        assert self.ps is not None
        return self.ps.num_fds()

    def peer_ports(self) -> set[int]:
        """Client ports of the server's established TCP connections."""
        assert self.ps is not None
        return {
            conn.raddr.port
            for conn in self.ps.net_connections("tcp")
            if conn.raddr and conn.status == psutil.CONN_ESTABLISHED
        }

    async def wait_exit(self, timeout: float = 30) -> int:
        assert self.proc is not None
        return await asyncio.wait_for(asyncio.to_thread(self.proc.wait), timeout)

    async def aclose_for_test(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.kill()
            await self.wait_exit()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


class Closed(Exception):
    """The server ended the connection (a close frame, EOF or a reset)."""

    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(f"closed: {code} {reason}")
        self.code = code
        self.reason = reason


class RawClient:
    """A websocket client on a non-blocking socket, driven by hand.

    It reads only inside `recv`/`call`: between calls the server's frames stay in the
    kernel (a small `rcvbuf` keeps that little), so a test can make a client that
    stops reading. It answers pings only while it reads, as a stuck program would.
    """

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""
        self.ids = 0
        self.token: str | None = None
        self.last_seq = 0

    @property
    def port(self) -> int:
        return self.sock.getsockname()[1]

    @classmethod
    async def open_tcp(
        cls, port: int, *, source: str = "127.0.0.1", rcvbuf: int | None = None
    ) -> RawClient:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        if rcvbuf is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.bind((source, 0))
        try:
            await asyncio.wait_for(
                asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port)), 10
            )
        except BaseException:
            sock.close()
            raise
        return cls(sock)

    @classmethod
    async def connect(
        cls,
        port: int,
        *,
        source: str = "127.0.0.1",
        rcvbuf: int | None = None,
        headers: dict[str, str] | None = None,
        hello: bool = True,
    ) -> RawClient:
        client = await cls.open_tcp(port, source=source, rcvbuf=rcvbuf)
        try:
            status = await client.handshake(port, headers or {})
            if status != 101:
                raise Closed(status, "handshake refused")
            if hello:
                await client.request("hello", version=1, client="raw")
        except BaseException:
            client.close()
            raise
        return client

    async def handshake(self, port: int, headers: dict[str, str]) -> int:
        """Send the HTTP upgrade; the response's status code."""
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            "GET / HTTP/1.1",
            f"Host: 127.0.0.1:{port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
            *(f"{name}: {value}" for name, value in headers.items()),
        ]
        await self.send_bytes(("\r\n".join(lines) + "\r\n\r\n").encode())
        while b"\r\n\r\n" not in self.buffer:
            await self._fill(10)
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        return int(head.split(b" ", 2)[1])

    async def send_bytes(self, data: bytes) -> None:
        await asyncio.wait_for(asyncio.get_running_loop().sock_sendall(self.sock, data), 10)

    async def _fill(self, timeout: float) -> None:
        loop = asyncio.get_running_loop()
        try:
            data = await asyncio.wait_for(loop.sock_recv(self.sock, 65536), timeout)
        except (ConnectionResetError, BrokenPipeError) as exc:
            raise Closed(None, f"reset: {exc}") from exc
        if not data:
            raise Closed(None, "end of stream")
        self.buffer += data

    async def send_frame(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        length = len(payload)
        if length < 126:
            head = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
        elif length < 65536:
            head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        await self.send_bytes(head + mask + masked)

    async def send(self, type_: str, **fields: Any) -> str:
        self.ids += 1
        request_id = f"r{self.ids}"
        await self.send_frame(0x1, _encode({"type": type_, "id": request_id, **fields}))
        return request_id

    async def recv(self, timeout: float = 10) -> dict[str, Any]:
        """The next text frame; answers pings; raises Closed on a close frame or EOF."""
        deadline = time.monotonic() + timeout
        while True:
            frame = self._take_frame()
            if frame is None:
                await self._fill(max(0.01, deadline - time.monotonic()))
                continue
            opcode, payload = frame
            if opcode == 0x9:
                await self.send_frame(0xA, payload)
            elif opcode == 0x8:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                raise Closed(code, payload[2:].decode("utf-8", "replace"))
            elif opcode in (0x1, 0x2):
                message = _decode(payload)
                if "seq" in message and "id" not in message:
                    self.last_seq = max(self.last_seq, message["seq"])
                return message

    def _take_frame(self) -> tuple[int, bytes] | None:
        data = self.buffer
        if len(data) < 2:
            return None
        length, offset = data[1] & 0x7F, 2
        if length == 126:
            if len(data) < 4:
                return None
            length, offset = struct.unpack("!H", data[2:4])[0], 4
        elif length == 127:
            if len(data) < 10:
                return None
            length, offset = struct.unpack("!Q", data[2:10])[0], 10
        if len(data) < offset + length:
            return None
        self.buffer = data[offset + length :]
        return data[0] & 0x0F, data[offset : offset + length]

    async def call(self, type_: str, timeout: float = 10, **fields: Any) -> dict[str, Any]:
        """Send a request and read up to its reply (pushes before it are skipped)."""
        request_id = await self.send(type_, **fields)
        while True:
            frame = await self.recv(timeout)
            if frame.get("id") == request_id:
                return frame

    async def request(self, type_: str, **fields: Any) -> dict[str, Any]:
        reply = await self.call(type_, **fields)
        assert reply["type"] != "error", reply
        return reply

    async def sign_in(self, username: str, password: str) -> dict[str, Any]:
        reply = await self.request("login", username=username, password=password)
        self.token = reply["token"]
        return reply

    async def wait_closed(self, timeout: float) -> Closed:
        """Read (and drop) frames until the server ends the connection."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"the server kept the connection open for {timeout} s")
            try:
                await self.recv(remaining)
            except Closed as closed:
                return closed
            except TimeoutError:
                continue

    def close(self) -> None:
        self.sock.close()
