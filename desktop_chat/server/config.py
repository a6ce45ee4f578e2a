"""The server's settings, in one frozen dataclass.

Owns: every knob of the server with its default (address, database path, limits,
retention, the recall window, typing and lookup throttles, password hashing cost
and pool, what hostile clients may hold and for how long, the trusted proxies, the
clock). The command line in `cli.py` and the tests build one of these; nothing else
reads the environment.

Never: open files or sockets.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from desktop_chat.protocol import frames as f
from desktop_chat.protocol.structs import DEFAULT_MAX_CHUNK_BYTES
from desktop_chat.protocol.validation import DEFAULT_RECALL_SECONDS, default_limits

DAY_SECONDS = 24 * 3600
MiB = 1024 * 1024


def default_db_path() -> Path:
    return Path(platformdirs.user_data_dir("desktop_chat", appauthor=False)) / "server.db"


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


def default_hash_workers() -> int:
    """Half the cores: argon2 never takes the core the event loop runs on."""
    return max(1, (os.cpu_count() or 2) // 2)


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
    # Files and images (`files.py`): the largest file, what one user's uploads may
    # hold in all, the bytes per second one user may upload (with a burst), the
    # largest chunk, and how long an unreferenced upload is kept before collection.
    max_file_bytes: int = 100 * 1024 * 1024
    quota_bytes_per_user: int = 2 * 1024 * 1024 * 1024
    upload_bytes_per_second: int = 20 * 1024 * 1024
    upload_burst_bytes: int = 40 * 1024 * 1024
    max_chunk_bytes: int = DEFAULT_MAX_CHUNK_BYTES  # with its header, within max_frame_bytes
    blob_grace_seconds: int = 24 * 3600
    # A folder for the bytes of files (one file per blob, `blob_files.py`); None keeps
    # them in the SQLite file. A cluster keeps them in PostgreSQL either way.
    blob_dir: Path | None = None
    blob_collect_seconds: float = 600.0
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
    # Bytes waiting to go to one connection, besides the largest frame among them, past
    # which it is dropped (aborted) as not reading; it catches up with `sync`.
    max_queued_bytes: int = 8 * MiB
    # A connection with bytes waiting whose socket takes none for this long is dropped.
    write_stall_seconds: float = 20.0
    # From the TCP connection to a signed-in session: the HTTP upgrade, hello, sign-in.
    sign_in_timeout_seconds: float = 10.0
    # Connections from one address that have not signed in (HTTP 429 past it).
    max_unauthenticated_per_address: int = 32
    # Descriptors kept free (the database, logs, connections accepted but not yet
    # counted): new connections past the process's limit minus this take the place of
    # the oldest unauthenticated one.
    fd_reserve: int = 64
    # How long a connection being closed (shutdown, sign-out, deadline) has to answer
    # the close before its TCP connection is aborted.
    close_grace_seconds: float = 1.0
    # How often open sessions are checked for a revoked or expired token.
    session_check_seconds: float = 60.0
    # Keepalive: a ping this often; a connection whose pong is this late is closed (1011).
    ping_interval_seconds: float = 20.0
    ping_timeout_seconds: float = 20.0
    # Per device: message frames and ack frames a second, and the burst allowed
    # (RATE_LIMITED past them). 0 turns a limit off (benchmarks only).
    rate_messages_per_second: float = 30.0
    rate_message_burst: float = 100.0
    rate_acks_per_second: float = 100.0
    rate_ack_burst: float = 500.0
    # Failed sign-ins per (username, address) before each try must wait; a name alone
    # and an address alone get more (see `limits.LoginThrottle`).
    login_free_failures: int = 5
    # Sign-ups per address: a burst, then this many an hour (RATE_LIMITED past them).
    registration_burst: int = 5
    registrations_per_hour: float = 20.0
    # argon2 runs on this many threads, taking waiting jobs from each address in turn;
    # at most `hash_queue` jobs wait, at most `hash_waiting_per_address` from one
    # address (SERVER_BUSY past them).
    hash_workers: int = field(default_factory=default_hash_workers)
    hash_queue: int = 128
    hash_waiting_per_address: int = 16
    # Peers whose X-Forwarded-For / Forwarded header names the client (addresses or
    # CIDR networks); from anyone else those headers are ignored.
    trusted_proxies: tuple[str, ...] = ()
    # wss:// when both are set (PEM files).
    tls_cert: Path | None = None
    tls_key: Path | None = None
    # A cap on the database size in pages (SQLite's max_page_count); None: no cap.
    sqlite_max_pages: int | None = None
    # A cluster node: PostgreSQL (a libpq URL) instead of the SQLite file, and Redis
    # for pushes between nodes and the shared limits (without it: a single node).
    database_url: str | None = None
    redis_url: str | None = None
    node_name: str = "node"
    # Worker threads (each with its own database connection) per node.
    workers: int = 8
    # How often a node checks that its devices got every event (Redis may drop some).
    head_check_seconds: float = 2.0
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
            max_file_bytes=self.max_file_bytes,
            max_chunk_bytes=self.max_chunk_bytes,
            upload_prefix_sha256=True,
        )
