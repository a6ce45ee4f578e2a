"""A server inside the app's process, for people who have no server.

Owns: `EmbeddedServer`, which runs a `ChatServer` in a thread of its own, with its
own plain asyncio loop (never under qasync: the GUI loop must not carry the
server's load), and stops it in order. By default it listens on loopback only,
for this computer. Shared on the local network (`Sharing`), it listens on the
network's addresses with TLS, on a certificate of its own
(`server.self_signed`), keeps its port from one start to the next where it is
free, and tells the addresses others type (`share_addresses`) and the security
code they compare (`fingerprint`).

Never: listen beyond loopback unless the person chose to share it, nor then
without TLS.
"""

from __future__ import annotations

import asyncio
import errno
import socket
import threading
from dataclasses import dataclass, replace
from pathlib import Path

from desktop_chat.server import ChatServer, ServerConfig
from desktop_chat.server.self_signed import ensure_self_signed


@dataclass(frozen=True)
class Sharing:
    """Serve people on this network: where to listen, and where the certificate is."""

    cert_dir: Path
    port: int = 0  # 0: any free port (the last one, where the caller kept it)
    host: str = "0.0.0.0"  # every IPv4 address of this computer (tests: 127.0.0.1)


def network_addresses() -> list[str]:
    """This computer's IPv4 addresses that others on its networks could reach."""
    found: list[str] = []
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        # Connecting a UDP socket sends nothing: it only picks the outgoing address.
        probe.connect(("192.0.2.1", 9))
        found.append(probe.getsockname()[0])
    except OSError:
        pass
    finally:
        probe.close()
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            address = str(info[4][0])
            if address not in found:
                found.append(address)
    except OSError:
        pass
    return [a for a in found if not a.startswith("127.")]


class EmbeddedServer:
    def __init__(
        self,
        db_path: Path,
        *,
        sharing: Sharing | None = None,
        allow_registration: bool = True,
        **config,
    ) -> None:
        self.sharing = sharing
        self.fingerprint: str | None = None  # of the certificate, when shared
        if sharing is not None:
            tls = ensure_self_signed(sharing.cert_dir)
            self.fingerprint = tls.fingerprint
            config.update(tls_cert=tls.cert, tls_key=tls.key)
        self.config = ServerConfig(
            host=sharing.host if sharing else "127.0.0.1",
            port=sharing.port if sharing else 0,
            db_path=db_path,
            allow_registration=allow_registration,
            **config,
        )
        self.url = ""  # where this computer's app connects
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: ChatServer | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._error: BaseException | None = None

    def start(self, timeout: float = 30.0) -> str:
        """Start the server; returns its ws:// URL."""
        self._thread = threading.Thread(target=self._run, name="embedded-server", daemon=True)
        self._thread.start()
        if not self._started.wait(timeout):
            raise RuntimeError("the local server did not start in time")
        if self._error is not None:
            raise RuntimeError(f"the local server could not start: {self._error}")
        return self.url

    def _run(self) -> None:
        # A plain selector loop: the process's loop policy may be qasync's, whose
        # loops belong to the GUI thread.
        loop = asyncio.SelectorEventLoop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            self._server = loop.run_until_complete(self._listen())
            self.port = self._server.port
            scheme = "wss" if self.sharing else "ws"
            self.url = f"{scheme}://127.0.0.1:{self.port}"
        except BaseException as exc:  # reported to start()
            self._error = exc
            self._started.set()
            loop.close()
            return
        self._started.set()
        loop.run_forever()
        loop.run_until_complete(self._server.stop())
        loop.close()

    async def _listen(self) -> ChatServer:
        server = ChatServer(self.config)
        try:
            await server.start()
        except OSError as exc:
            await server.stop()
            if exc.errno != errno.EADDRINUSE or self.config.port == 0:
                raise
            # The port of last time is taken now: any other (the address changes).
            self.config = replace(self.config, port=0)
            server = ChatServer(self.config)
            await server.start()
        return server

    def share_addresses(self) -> list[str]:
        """What people on the network type to reach this server (none: not shared)."""
        if self.sharing is None or not self.port:
            return []
        if self.sharing.host not in ("0.0.0.0", ""):
            return [f"wss://{self.sharing.host}:{self.port}"]
        return [f"wss://{address}:{self.port}" for address in network_addresses()]

    def stop(self, timeout: float = 10.0) -> None:
        if self._loop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout)
