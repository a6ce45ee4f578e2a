"""PostgresStore's queries for the contents of file and image messages ("blobs").

Owns: the SQL `store_blobs.BlobStore` holds on SQLite, with the same results (its
docstring says what a blob, a chunk and a reference are), so every node can serve
every file: the bytes live in `blob_chunks`, out of line and uncompressed.

Concurrency, where SQLite's single writer made it moot:
- `blob_begin` is `INSERT … ON CONFLICT DO UPDATE`: two nodes beginning the same
  blob at once make one record (the second waits for the first's commit).
- `blob_put_chunk` moves `received` and stores the chunk in one statement, guarded
  by `received = offset`: the row lock orders two nodes storing the same chunk, and
  the second, re-checking the guard after the first's commit, writes nothing and
  answers the new `received`.
- a begin, a chunk or a reference updates the blob's row (`touched_at`), so a
  concurrent `blob_collect` either deletes the blob first (the reference then finds
  none and says so) or, waiting for that row, re-checks it and leaves it;
  `blob_collect` skips rows locked by an upload instead of waiting for them.
- `blob_read` cuts each chunk to the range in the query (`substring` of an EXTERNAL
  column reads only the pages it needs), so a download moves only the bytes asked for.

Never: hash, decide who may upload or download (the handlers do), or cache anything.
"""

from __future__ import annotations

from desktop_chat.server.rows import BLOB_COLUMNS, blob_key, blob_row
from desktop_chat.server.storage.interface import BlobRow
from desktop_chat.server.storage.postgres_session import PgSession

_PUT_CHUNK = """
WITH moved AS (
    UPDATE blobs SET received = received + %s, touched_at = GREATEST(touched_at, %s)
    WHERE sha256 = %s AND received = %s AND NOT complete AND received + %s <= size
    RETURNING sha256, received
), stored AS (
    INSERT INTO blob_chunks(sha256, byte_offset, data) SELECT sha256, %s, %s FROM moved
)
SELECT received FROM moved
"""

_REF_ADD = """
WITH touched AS (
    UPDATE blobs SET touched_at = GREATEST(touched_at, %s) WHERE sha256 = %s AND complete
    RETURNING sha256
), added AS (
    INSERT INTO blob_refs(msg_id, sha256) SELECT %s, sha256 FROM touched ON CONFLICT DO NOTHING
)
SELECT 1 FROM touched
"""

_COLLECT = """
WITH gone AS (
    DELETE FROM blobs WHERE sha256 IN (
        SELECT b.sha256 FROM blobs b WHERE b.touched_at < %s
        AND NOT EXISTS (SELECT 1 FROM blob_refs r WHERE r.sha256 = b.sha256)
        LIMIT %s FOR UPDATE SKIP LOCKED
    ) RETURNING 1
)
SELECT 1 FROM gone
"""


def _check_range(offset: int, length: int) -> None:
    if offset < 0 or length < 0:
        raise ValueError(f"a range of a blob starts and lasts at 0 or more: {offset}, {length}")


class PgBlobs(PgSession):
    # ------------------------------------------------------------------ uploads

    def blob_begin(self, sha256: str, size: int, owner_id: int, now: int) -> BlobRow:
        if size < 0:
            raise ValueError(f"a blob's size is 0 or more, not {size}")
        row = self._write(
            "INSERT INTO blobs(sha256, size, owner_id, created_at, touched_at)"
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (sha256) DO UPDATE"
            " SET touched_at = GREATEST(blobs.touched_at, excluded.touched_at)"
            f" RETURNING {BLOB_COLUMNS}",
            (blob_key(sha256), size, owner_id, now, now),
        ).fetchone()
        assert row is not None
        return blob_row(row)

    def blob_put_chunk(self, sha256: str, offset: int, data: bytes, now: int) -> int:
        _check_range(offset, len(data))
        if data:
            n = len(data)
            moved = self._write(_PUT_CHUNK, (n, now, sha256, offset, n, offset, data)).fetchone()
            if moved is not None:
                return int(moved[0])
        state = self._one("SELECT size, received FROM blobs WHERE sha256 = %s", (sha256,))
        if state is None:
            raise KeyError(sha256)
        size, received = state
        if offset + len(data) > size:
            raise ValueError(f"bytes {offset}+{len(data)} are beyond the blob's {size}")
        return int(received)

    def blob_complete(self, sha256: str) -> bool:
        if self._write(
            "UPDATE blobs SET complete = true"
            " WHERE sha256 = %s AND received = size AND NOT complete RETURNING 1",
            (sha256,),
        ).fetchone():
            return True
        row = self._one("SELECT complete FROM blobs WHERE sha256 = %s", (sha256,))
        return row is not None and bool(row[0])

    def blob_discard(self, sha256: str) -> bool:
        cur = self._write("DELETE FROM blobs WHERE sha256 = %s AND NOT complete", (sha256,))
        return cur.rowcount > 0

    # ------------------------------------------------------------------ downloads

    def blob(self, sha256: str) -> BlobRow | None:
        row = self._one(f"SELECT {BLOB_COLUMNS} FROM blobs WHERE sha256 = %s", (sha256,))
        return None if row is None else blob_row(row)

    def blob_read(self, sha256: str, offset: int, length: int) -> bytes:
        _check_range(offset, length)
        if length == 0:
            return b""
        # Each chunk from the one holding `offset` up to `end`, cut to the range.
        end = offset + length
        parts = self._all(
            "SELECT substring(data FROM (GREATEST(%s - byte_offset, 0) + 1)::int"
            " FOR LEAST(%s - GREATEST(byte_offset, %s), 2147483647)::int)"
            " FROM blob_chunks WHERE sha256 = %s AND byte_offset < %s AND byte_offset >="
            " (SELECT max(byte_offset) FROM blob_chunks WHERE sha256 = %s AND byte_offset <= %s)"
            " ORDER BY byte_offset",
            (offset, end, offset, sha256, end, sha256, offset),
        )
        return b"".join(bytes(part) for (part,) in parts)

    # ------------------------------------------------------------------ references and retention

    def blob_ref_add(self, sha256: str, msg_id: str, now: int) -> bool:
        return self._write(_REF_ADD, (now, sha256, msg_id)).fetchone() is not None

    def blob_refs_of(self, msg_id: str) -> list[str]:
        return [
            row[0]
            for row in self._all(
                "SELECT sha256 FROM blob_refs WHERE msg_id = %s ORDER BY sha256", (msg_id,)
            )
        ]

    def blob_refs_drop(self, msg_id: str) -> int:
        return self._write("DELETE FROM blob_refs WHERE msg_id = %s", (msg_id,)).rowcount

    def blob_holder_add(self, sha256: str, user_id: int) -> None:
        self._write(
            "INSERT INTO blob_holders(sha256, user_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
            (sha256, user_id),
        )

    def blob_held_by(self, sha256: str, user_id: int) -> bool:
        return (
            self._one(
                "SELECT 1 FROM blobs WHERE sha256 = %s AND owner_id = %s UNION ALL"
                " SELECT 1 FROM blob_holders WHERE sha256 = %s AND user_id = %s LIMIT 1",
                (sha256, user_id, sha256, user_id),
            )
            is not None
        )

    def blob_collect(self, older_than: int, limit: int) -> int:
        # One row per blob deleted (so `changes` counts them too).
        return len(self._write(_COLLECT, (older_than, limit)).fetchall())

    def blob_bytes_of(self, owner_id: int) -> int:
        row = self._one("SELECT COALESCE(SUM(size), 0) FROM blobs WHERE owner_id = %s", (owner_id,))
        return 0 if row is None else int(row[0])
