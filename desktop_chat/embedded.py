"""A local server inside the app's process, for people who have no server.

Owns: `EmbeddedServer`, which runs a `ChatServer` on loopback in a thread of its
own, with its own plain asyncio loop (never under qasync: the GUI loop must not
carry the server's load), and stops it in order.

Never: listen on anything but 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from desktop_chat.server import ChatServer, ServerConfig


class EmbeddedServer:
    def __init__(self, db_path: Path, *, allow_registration: bool = True, **config) -> None:
        self.config = ServerConfig(
            host="127.0.0.1",
            port=0,
            db_path=db_path,
            allow_registration=allow_registration,
            **config,
        )
        self.url = ""
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
            self._server = ChatServer(self.config)
            loop.run_until_complete(self._server.start())
            self.url = self._server.url
        except BaseException as exc:  # reported to start()
            self._error = exc
            self._started.set()
            loop.close()
            return
        self._started.set()
        loop.run_forever()
        loop.run_until_complete(self._server.stop())
        loop.close()

    def stop(self, timeout: float = 10.0) -> None:
        if self._loop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout)
