"""The store's queries for the contents of file and image messages ("blobs").

Owns: `BlobStore`, a part of `store.SqliteStore` (it uses its connection and
helpers; it is never used alone). Like the rest of the store, every method is
synchronous and runs inside the request's savepoint.

A blob is named by its content's sha256, so the same file sent twice is stored
once. Its bytes are rows of `blob_chunks`, as the uploader cut them: the store
takes whatever chunk size the caller chooses, and a resumed upload may cut its
chunks differently. Only the contiguous prefix counts: a chunk is taken only at the
end of what was received (`received`), so an upload cut anywhere resumes from
`received`, and a retried chunk is no error (nothing is written twice). The store
never hashes: the caller checks the sha256 (reading the bytes back with
`blob_read`) before `blob_complete`, or throws the upload away with
`blob_discard`. Every begin, chunk and reference moves `touched_at`, and
`blob_collect` takes only blobs no message refers to that were not touched since
its cutoff, so an upload in progress, or a blob about to be referred to, stays.

With a `blob_dir` (the server's option), the bytes of blobs begun since are one file
each in that folder instead (`blob_files.BlobFiles`, written in place, synced before
each COMMIT, deleted after the COMMIT that drops the row); the rows and `received`
stay here, so nothing else changes. A blob begun in the file before stays there.

`storage/postgres_blobs.py` is the same on PostgreSQL.

Never: hash, decide who may upload or download (the handlers do), or talk to sockets.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from desktop_chat.server.blob_files import BlobFiles
from desktop_chat.server.rows import BLOB_COLUMNS, BlobRow, blob_key, blob_row
from desktop_chat.server.store_errors import StoreError


def _check_range(offset: int, length: int) -> None:
    if offset < 0 or length < 0:
        raise ValueError(f"a range of a blob starts and lasts at 0 or more: {offset}, {length}")


class BlobStore:
    _db: sqlite3.Connection
    _files: BlobFiles | None = None  # the server's blob_dir, if it has one

    if TYPE_CHECKING:  # provided by SqliteStore

        def _one(self, sql: str, params: Sequence[object] = ()) -> tuple[Any, ...] | None: ...

        def _all(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]: ...

    # ------------------------------------------------------------------ uploads

    def blob_begin(self, sha256: str, size: int, owner_id: int, now: int) -> BlobRow:
        """The upload's record, made if missing; one found (complete: the file was sent
        before) keeps its size and owner, so the caller compares the size it was told."""
        if size < 0:
            raise ValueError(f"a blob's size is 0 or more, not {size}")
        row = self._one(
            "INSERT INTO blobs(sha256, size, owner_id, created_at, touched_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (sha256) DO UPDATE"
            " SET touched_at = MAX(touched_at, excluded.touched_at)"
            f" RETURNING {BLOB_COLUMNS}",
            (blob_key(sha256), size, owner_id, now, now),
        )
        assert row is not None
        return blob_row(row)

    def blob_put_chunk(self, sha256: str, offset: int, data: bytes, now: int) -> int:
        """Store `data` at `offset` if that is where the received prefix ends; `received`
        after it. A chunk before it (a retry, a resume that overlaps) or after it (a gap)
        writes nothing: the caller goes on from the `received` it gets back. KeyError if
        there is no record; ValueError for bytes beyond its size."""
        _check_range(offset, len(data))
        moved = None
        if data:
            moved = self._one(
                "UPDATE blobs SET received = received + ?, touched_at = MAX(touched_at, ?)"
                " WHERE sha256 = ? AND received = ? AND NOT complete AND received + ? <= size"
                " RETURNING received",
                (len(data), now, sha256, offset, len(data)),
            )
        if moved is not None:
            files = self._files
            # A blob begun in the database (before the server had a blob_dir) ends there.
            if files is not None and (offset == 0 or files.exists(sha256)):
                try:
                    files.write(sha256, offset, data)
                except OSError as exc:  # a full disk, say: the request is refused
                    raise StoreError(f"could not store the file's bytes: {exc}") from exc
            else:
                self._db.execute(
                    "INSERT INTO blob_chunks(sha256, byte_offset, data) VALUES (?, ?, ?)",
                    (sha256, offset, data),
                )
            return int(moved[0])
        state = self._one("SELECT size, received FROM blobs WHERE sha256 = ?", (sha256,))
        if state is None:
            raise KeyError(sha256)
        size, received = state
        if offset + len(data) > size:
            raise ValueError(f"bytes {offset}+{len(data)} are beyond the blob's {size}")
        return int(received)

    def blob_complete(self, sha256: str) -> bool:
        """Mark the blob complete, once the caller checked its hash: True if it is
        (now, or already); False if there is no record or bytes are missing."""
        if self._one(
            "UPDATE blobs SET complete = 1 WHERE sha256 = ? AND received = size AND NOT complete"
            " RETURNING 1",
            (sha256,),
        ):
            return True
        row = self._one("SELECT complete FROM blobs WHERE sha256 = ?", (sha256,))
        return row is not None and bool(row[0])

    def blob_discard(self, sha256: str) -> bool:
        """Drop an incomplete upload and its chunks (its hash did not match): the next
        begin starts from 0. False if there was none (a complete blob stays)."""
        cur = self._db.execute("DELETE FROM blobs WHERE sha256 = ? AND NOT complete", (sha256,))
        if cur.rowcount > 0 and self._files is not None:
            self._files.maybe_orphan([sha256])
        return cur.rowcount > 0

    # ------------------------------------------------------------------ downloads

    def blob(self, sha256: str) -> BlobRow | None:
        row = self._one(f"SELECT {BLOB_COLUMNS} FROM blobs WHERE sha256 = ?", (sha256,))
        return None if row is None else blob_row(row)

    def blob_read(self, sha256: str, offset: int, length: int) -> bytes:
        """The bytes [offset, offset + length), across chunk boundaries; fewer at the end
        of what was received, none past it or for an unknown blob."""
        _check_range(offset, length)
        if length == 0:
            return b""
        if self._files is not None:
            row = self._one("SELECT received FROM blobs WHERE sha256 = ?", (sha256,))
            if row is None or offset >= row[0]:
                return b""
            try:
                data = self._files.read(sha256, offset, min(length, row[0] - offset))
            except OSError as exc:
                raise StoreError(f"could not read the file's bytes: {exc}") from exc
            if data is not None:
                return data
        # Each chunk from the one holding `offset` up to `end`, cut to the range.
        end = offset + length
        parts = self._all(
            "SELECT substr(data, MAX(? - byte_offset, 0) + 1, ? - MAX(byte_offset, ?))"
            " FROM blob_chunks WHERE sha256 = ? AND byte_offset < ? AND byte_offset >="
            " (SELECT MAX(byte_offset) FROM blob_chunks WHERE sha256 = ? AND byte_offset <= ?)"
            " ORDER BY byte_offset",
            (offset, end, offset, sha256, end, sha256, offset),
        )
        return b"".join(bytes(part) for (part,) in parts)

    # ------------------------------------------------------------------ references and retention

    def blob_ref_add(self, sha256: str, msg_id: str, now: int) -> bool:
        """Message `msg_id` refers to the blob, which stays while it does (a second time
        is no error); False, with nothing written, if there is no complete blob."""
        if not self._one(
            "UPDATE blobs SET touched_at = MAX(touched_at, ?) WHERE sha256 = ? AND complete"
            " RETURNING 1",
            (now, sha256),
        ):
            return False
        self._db.execute(
            "INSERT OR IGNORE INTO blob_refs(msg_id, sha256) VALUES (?, ?)", (msg_id, sha256)
        )
        return True

    def blob_refs_of(self, msg_id: str) -> list[str]:
        """The sha256s message `msg_id` refers to, in order."""
        return [
            row[0]
            for row in self._all(
                "SELECT sha256 FROM blob_refs WHERE msg_id = ? ORDER BY sha256", (msg_id,)
            )
        ]

    def blob_refs_drop(self, msg_id: str) -> int:
        """The message refers to no blob any more (it was recalled); how many it did."""
        return self._db.execute("DELETE FROM blob_refs WHERE msg_id = ?", (msg_id,)).rowcount

    def blob_collect(self, older_than: int, limit: int) -> int:
        """Delete up to `limit` blobs no message refers to whose last begin, chunk or
        reference is before `older_than`, complete or not, with their chunks; how many
        (call again while it answers `limit`)."""
        gone = self._all(
            "DELETE FROM blobs WHERE sha256 IN (SELECT b.sha256 FROM blobs b"
            " WHERE b.touched_at < ? AND NOT EXISTS"
            " (SELECT 1 FROM blob_refs r WHERE r.sha256 = b.sha256) LIMIT ?) RETURNING sha256",
            (older_than, limit),
        )
        if self._files is not None:
            self._files.maybe_orphan(sha256 for (sha256,) in gone)
        return len(gone)

    def _blob_has_row(self, sha256: str) -> bool:
        return self._one("SELECT 1 FROM blobs WHERE sha256 = ?", (sha256,)) is not None

    def blob_holder_add(self, sha256: str, user_id: int) -> None:
        """`user_id` proved they hold the stored blob (by sending its bytes)."""
        self._db.execute(
            "INSERT OR IGNORE INTO blob_holders(sha256, user_id) VALUES (?, ?)", (sha256, user_id)
        )

    def blob_held_by(self, sha256: str, user_id: int) -> bool:
        """`user_id` uploaded the blob first or proved they hold it."""
        return (
            self._one(
                "SELECT 1 FROM blobs WHERE sha256 = ? AND owner_id = ? UNION ALL"
                " SELECT 1 FROM blob_holders WHERE sha256 = ? AND user_id = ? LIMIT 1",
                (sha256, user_id, sha256, user_id),
            )
            is not None
        )

    def blob_bytes_of(self, owner_id: int) -> int:
        """The sizes of the blobs `owner_id` began first, complete or not: its quota's use."""
        row = self._one("SELECT COALESCE(SUM(size), 0) FROM blobs WHERE owner_id = ?", (owner_id,))
        return 0 if row is None else int(row[0])
