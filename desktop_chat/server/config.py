"""The server's settings, in one frozen dataclass.

Owns: every knob of the server with its default (address, database path, limits,
retention, the recall window, typing and lookup throttles, password hashing cost,
the clock). The command line in `cli.py` and
the tests build one of these; nothing else reads the environment.

Never: open files or sockets.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from desktop_chat.protocol import frames as f
from desktop_chat.protocol.validation import DEFAULT_RECALL_SECONDS, default_limits

DAY_SECONDS = 24 * 3600


def default_db_path() -> Path:
    return Path(platformdirs.user_data_dir("desktop_chat", appauthor=False)) / "server.db"


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8765
    db_path: Path = field(default_factory=default_db_path)
    allow_registration: bool = False
    max_frame_bytes: int = 1024 * 1024
    max_ack_batch: int = 500
    max_group_members: int = 10_000
    max_note_bytes: int = 1024
    ack_retention_seconds: int = 30 * DAY_SECONDS
    # How long after sending the sender may recall a message (RECALL_TIME_LIMIT after).
    recall_seconds: int = DEFAULT_RECALL_SECONDS
    # Typing is relayed at most once this often per (typer, peer); more is dropped.
    typing_interval_seconds: float = 3.0
    # User lookups: names a second per user, and the burst allowed (RATE_LIMITED past
    # them). 0 turns the limit off.
    user_lookup_per_second: float = 1.0
    user_lookup_burst: float = 60.0
    token_ttl_seconds: int = 30 * DAY_SECONDS
    # argon2id cost; the defaults are argon2-cffi's (RFC 9106 low-memory profile).
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    argon2_parallelism: int = 4
    # SQLite's synchronous pragma: FULL makes every confirmed frame survive power loss.
    sqlite_synchronous: str = "FULL"
    # Outgoing frames queued for one connection before it is dropped as too slow.
    max_queued_frames: int = 50_000
    # Keepalive: a ping this often; a connection whose pong is this late is closed (1011).
    ping_interval_seconds: float = 20.0
    ping_timeout_seconds: float = 20.0
    # Per device: message frames and ack frames a second, and the burst allowed
    # (RATE_LIMITED past them). 0 turns a limit off (benchmarks only).
    rate_messages_per_second: float = 30.0
    rate_message_burst: float = 100.0
    rate_acks_per_second: float = 100.0
    rate_ack_burst: float = 500.0
    # Failed sign-ins per username and per address before each try must wait.
    login_free_failures: int = 5
    # wss:// when both are set (PEM files).
    tls_cert: Path | None = None
    tls_key: Path | None = None
    # A cap on the database size in pages (SQLite's max_page_count); None: no cap.
    sqlite_max_pages: int | None = None
    clock: Callable[[], int] = wall_clock_ms

    def limits(self) -> f.Limits:
        base = default_limits()
        return f.Limits(
            max_frame_bytes=self.max_frame_bytes,
            max_ack_batch=self.max_ack_batch,
            max_group_members=self.max_group_members,
            max_note_bytes=self.max_note_bytes,
            max_page_size=base.max_page_size,
            ack_retention_seconds=self.ack_retention_seconds,
            recall_seconds=self.recall_seconds,
        )
