"""The desktop_chat server: asyncio websockets in front of a SQLite (WAL) store.

Layers, outermost first: `cli` (the command), `app` (listener and connections),
with `admission` (who may connect, and for how long before signing in),
`addresses` (the client behind a trusted proxy) and `link` (frames written and
connections closed without waiting on the peer); `service` (decode, check,
dispatch), the feature handlers (`accounts`, `messages`, `receipts`, `groups`) and
`sessions` (a session that ends ends on every connection); `hub` (online devices,
group commit, pushes, each connection's bounded queue) and `store` (every SQL
query). `limits` and `auth` hold the throttles and the password-hash pool. The
wire format lives in `desktop_chat.protocol`.
"""

from desktop_chat.server.app import ChatServer
from desktop_chat.server.config import ServerConfig

__all__ = ["ChatServer", "ServerConfig"]
