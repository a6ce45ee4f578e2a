"""The server's store on PostgreSQL: `PostgresStore`, behind `interface.Store`.

Owns: assembling the PostgreSQL backend from its parts, each of which owns its SQL:
- `postgres_session.py`: the connection, the transaction API, the driver-error
  mapping to the StoreError family, the caches of immutable rows;
- `postgres_accounts.py`: users, devices, and the per-user event logs, whose seqs
  the database hands out under head-row locks taken in user_id order;
- `postgres_messages.py`: conversations, messages, one-to-one receipt marks;
- `postgres_groups.py`: groups, membership intervals, group receipts, invariants;
- `postgres_edits.py`: recall, edit, replies, private reads, mutes, and scrubbing
  logged events of a recalled text;
- `postgres_blobs.py`: the contents of file and image messages, chunked, by sha256;
- `postgres_schema.py`: the DDL and the versioned migrations, run on open.

One `PostgresStore` is one session: one connection, one transaction at a time,
READ COMMITTED. The server is meant to give each worker thread its own, and run
each request's transaction there (`with store.request(): ...; store.commit()`,
again on StoreConflict, a bounded number of times).

Why synchronous psycopg 3 on worker threads, not asyncpg on the event loop: the
handlers stay the plain sequential code they are on SQLite (one Store interface,
no `await` between a read and the write that depends on it, no second copy of
every handler), and a transaction waiting for a row lock blocks its worker thread,
never the event loop that serves every other connection. psycopg releases the GIL
while it waits on the network, so workers overlap.

Never: be shared between threads, or be imported by code that should run without
the `postgres` extra (import it only when a PostgreSQL URL is configured).
"""

from __future__ import annotations

from desktop_chat.server.storage.postgres_accounts import PgAccounts
from desktop_chat.server.storage.postgres_blobs import PgBlobs
from desktop_chat.server.storage.postgres_edits import PgEdits
from desktop_chat.server.storage.postgres_groups import PgGroups
from desktop_chat.server.storage.postgres_messages import PgMessages
from desktop_chat.server.storage.postgres_session import store_error

__all__ = ["PostgresStore", "store_error"]


class PostgresStore(PgAccounts, PgMessages, PgGroups, PgEdits, PgBlobs):
    """All persistent state of a cluster of servers, in one PostgreSQL database;
    one connection (a session) per object. `PostgresStore(url)` connects and
    migrates the schema; StoreUnavailable if PostgreSQL cannot be reached,
    StoreSchemaTooNew if a newer server upgraded the database."""
