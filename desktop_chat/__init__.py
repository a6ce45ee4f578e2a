"""desktop_chat: a desktop messenger whose receipts people can trust.

Packages: `protocol` (the pure wire protocol), `server` (the asyncio server and
its SQLite store). The client core and the Qt app follow.
"""

__version__ = "0.1.0"
