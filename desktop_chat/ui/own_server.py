"""This computer's own server, as the app runs it: for this computer only, or
shared with people on this network.

Owns: `OwnServer`, which starts the built-in `EmbeddedServer` on the app's data
(`local-server.db`, the certificate under `tls/`) in the mode the person chose,
switches between the two modes (one database: accounts and messages stay), and
says what the app needs to know of it: the URL this computer connects to and the
pin it trusts for it (`url`, `pin`), and, when shared, what others type and the
security code they compare (`addresses`, `code`).

Never: block the GUI thread (the server starts and stops in a worker thread), or
share without the person asking.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from desktop_chat.client.pinning import security_code
from desktop_chat.embedded import EmbeddedServer, Sharing


class OwnServer:
    def __init__(self, data_dir: Path, share_host: str = "0.0.0.0") -> None:
        self.data_dir = data_dir
        self.share_host = share_host  # where a shared server listens (tests: loopback)
        self._embedded: EmbeddedServer | None = None
        self._lock = asyncio.Lock()

    @property
    def running(self) -> bool:
        return self._embedded is not None

    @property
    def shared(self) -> bool:
        return self._embedded is not None and self._embedded.sharing is not None

    @property
    def url(self) -> str:
        return self._embedded.url if self._embedded else ""

    @property
    def port(self) -> int:
        return self._embedded.port if self._embedded else 0

    @property
    def pin(self) -> str | None:
        return self._embedded.fingerprint if self._embedded else None

    @property
    def addresses(self) -> list[str]:
        return self._embedded.share_addresses() if self._embedded else []

    @property
    def code(self) -> str:
        return security_code(self.pin) if self.pin else ""

    async def start(self, shared: bool, port: int = 0) -> str:
        """Run it in this mode (restarting it if it runs in the other); its URL."""
        async with self._lock:
            if self._embedded is not None and self.shared == shared:
                return self._embedded.url
            await self._stop()
            sharing = None
            if shared:
                sharing = Sharing(cert_dir=self.data_dir / "tls", port=port, host=self.share_host)
            embedded = await asyncio.to_thread(self._started, sharing)
            self._embedded = embedded
            return embedded.url

    def _started(self, sharing: Sharing | None) -> EmbeddedServer:
        # In a worker thread: making the certificate, opening the database, listening.
        embedded = EmbeddedServer(self.data_dir / "local-server.db", sharing=sharing)
        embedded.start()
        return embedded

    async def stop(self) -> None:
        async with self._lock:
            await self._stop()

    async def _stop(self) -> None:
        embedded, self._embedded = self._embedded, None
        if embedded is not None:
            await asyncio.to_thread(embedded.stop)
