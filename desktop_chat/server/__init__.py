"""The desktop_chat server: asyncio websockets in front of a SQLite (WAL) store.

Layers, outermost first: `cli` (the command), `app` (listener and connections),
`service` (decode, check, dispatch), the feature handlers (`accounts`,
`messages`, `receipts`, `groups`), `hub` (online devices, group commit, pushes)
and `store` (every SQL query). The wire format lives in `desktop_chat.protocol`.
"""

from desktop_chat.server.app import ChatServer
from desktop_chat.server.config import ServerConfig

__all__ = ["ChatServer", "ServerConfig"]
