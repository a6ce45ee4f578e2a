"""One running app per data directory: a second launch raises the first and exits.

Owns: `SingleInstance`, the two guarantees behind it, and the little "raise"
conversation between two launches:
- a `QLockFile` (`instance.lock` in the data directory) is the hard guarantee
  that two copies never open one database. A lock left by a copy that crashed
  (its process is gone) is taken over by Qt; age alone never makes a lock stale,
  since a running app does not touch its lock file.
- a `QLocalServer`, named from a hash of the resolved data directory (and the
  user id), so two data directories each have their own instance. The running
  copy listens there; a later launch that cannot take the lock connects, sends
  `raise`, reads `ok` and exits 0. The running copy emits `raise_requested`,
  and the session shows, raises and activates its window (from the tray or
  minimized too).

Used by `desktop_chat.app.main()` before any window is built; the blocking
`waitFor…` calls of the second launch run there, before the event loop exists.

Never: touch the database, or block the running copy's GUI thread (its side of
the conversation is signal-driven).
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from pathlib import Path

import shiboken6
from PySide6.QtCore import QLockFile, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

LOCK_NAME = "instance.lock"
RAISE = b"raise\n"
ANSWER = b"ok\n"


def server_name(data_dir: Path) -> str:
    """The local socket name of the app running on `data_dir` (one per user and dir)."""
    resolved = str(Path(data_dir).resolve())
    uid = os.getuid() if hasattr(os, "getuid") else 0
    digest = hashlib.sha256(f"{uid}:{resolved}".encode()).hexdigest()[:20]
    return f"desktop_chat-{digest}"


class SingleInstance(QObject):
    """The claim of this process on one data directory.

    `claim()` takes the lock and starts listening (True), or says another copy
    runs there (False); then `ask_running_to_raise()` tells that copy to show
    itself. `release()` (also done when the QObject is destroyed with its parent)
    stops listening and unlocks.
    """

    raise_requested = Signal()

    def __init__(self, data_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.data_dir = Path(data_dir)
        self.name = server_name(self.data_dir)
        self._lock = QLockFile(str(self.data_dir / LOCK_NAME))
        self._lock.setStaleLockTime(0)  # stale only when its process is gone
        self._server: QLocalServer | None = None
        self._peers: list[QLocalSocket] = []

    @property
    def is_primary(self) -> bool:
        return self._lock.isLocked()

    def claim(self) -> bool:
        """Take the data directory for this process; False if another copy has it."""
        if not self._lock.tryLock(0):
            log.info("%s is in use by another copy (%s)", self.data_dir, self._lock.error())
            return False
        # We hold the lock, so a socket left under this name is a crashed copy's.
        QLocalServer.removeServer(self.name)
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        server.newConnection.connect(self._on_new_connection)
        if not server.listen(self.name):
            # The lock still keeps a second copy off the database; it just cannot
            # ask this one to raise its window.
            log.warning("cannot listen on %s: %s", self.name, server.errorString())
        self._server = server
        return True

    def ask_running_to_raise(self, timeout: float = 10.0) -> bool:
        """Tell the copy that holds the lock to show its window; True once it answered.

        It retries until `timeout`: the other copy may have taken the lock a moment
        ago and not be listening yet.
        """
        deadline = time.monotonic() + timeout
        while True:
            socket = QLocalSocket()
            socket.connectToServer(self.name)
            if socket.waitForConnected(500):
                socket.write(RAISE)
                socket.waitForBytesWritten(1000)
                answered = socket.waitForReadyRead(2000) and socket.readAll().data() == ANSWER
                socket.disconnectFromServer()
                if answered:
                    return True
            socket.abort()
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)

    def _on_new_connection(self) -> None:
        assert self._server is not None  # connected in claim()
        while self._server.hasPendingConnections():
            peer = self._server.nextPendingConnection()
            self._peers.append(peer)
            peer.readyRead.connect(lambda peer=peer: self._on_ready_read(peer))
            peer.disconnected.connect(lambda peer=peer: self._forget(peer))
            # The request may be in the buffer already: readyRead will not come again.
            self._on_ready_read(peer)

    def _on_ready_read(self, peer: QLocalSocket) -> None:
        if peer not in self._peers or not peer.canReadLine():
            return
        if peer.readLine().data() == RAISE:
            log.info("another launch asked to raise the window")
            peer.write(ANSWER)
            peer.flush()
            self.raise_requested.emit()
        self._peers.remove(peer)
        peer.disconnectFromServer()

    def _forget(self, peer: QLocalSocket) -> None:
        if peer in self._peers:
            self._peers.remove(peer)
        if shiboken6.isValid(peer):  # Qt may have ended it with its connection already
            peer.deleteLater()

    def release(self) -> None:
        """Stop listening and unlock (the app is ending)."""
        if self._server is not None:
            self._server.close()
            self._server = None
        if self._lock.isLocked():
            self._lock.unlock()
