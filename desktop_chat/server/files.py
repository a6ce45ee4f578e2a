"""Files and images: uploads before a send, downloads by the members of a conversation.

Owns: `upload_begin`, `upload_chunk` and `download`, the checks a file message's send
makes (`attachment`: the file was uploaded, by this user, and its name made safe),
who may download (`may_download`), the limits of uploads (size, quota, rate) and the
collection of blobs no message refers to (`collect`).

- **Uploads are content-addressed and resumable.** A file is named by its sha256.
  `upload_begin` makes its record (or finds it) and answers how much is stored; the
  client sends the rest in `upload_chunk`s from there, each checked before it is
  stored, so a cut connection resumes where it stopped: against its own sha256
  (`chunk_sha256`), or against the sha256 of the file up to its end
  (`prefix_sha256`, `_prefix`: the running hash extended by the chunk, so each byte
  is hashed once, and the last chunk's is the file's). When the last byte is stored
  the whole file's sha256 is checked: a file that does not match is thrown away
  (CHECKSUM_MISMATCH), one that does is complete.
- **The whole file's sha256 runs as its chunks are stored** (`_Digest`), in the
  node's memory: each chunk this node stores at the end of a prefix it hashed itself
  extends the hash, so the last chunk only finishes it, without reading 100 MB back.
  The hash counts only while it provably covers the stored bytes: it begins with a
  chunk stored at offset 0, belongs to one upload record (its `created_at`: a record
  discarded or collected and begun again is another upload), and is extended only by
  a chunk this request really wrote (`store.changes` moved: a chunk another node
  stored first, at the same offset, writes nothing here). Anything else drops it: a
  chunk stored by another node (the prefix then is not ours), a rolled-back batch
  (`hub.on_rollback`), a failed request, a restart of the server. Without it the last
  chunk reads the whole file back from the store and hashes that, as before. Kept
  in memory, not in the store: hashlib's state cannot be saved, and a fallback that
  costs one read-back per interrupted upload is cheaper than hashing twice.
- **Stored once.** A file already complete is not sent again by its uploader (the
  answer is `complete` at once). Another user who names the same sha256 must still
  send its bytes, which are compared with the stored ones and not stored again
  (`_prove`): knowing a file's hash never gives access to it. A finished proof is
  stored (`blob_holder_add`), so it counts on every node and after a restart; one
  under way is this node's (a cut proof begins again from 0 elsewhere).
- **Limits**, each with its code: a file over `max_file_bytes` (FILE_TOO_LARGE); a
  user whose uploads would hold more than `quota_bytes_per_user` (QUOTA_EXCEEDED:
  what a user began first counts, complete or not, until it is collected); bytes per
  second per user past the bucket's burst (UPLOAD_RATE_LIMITED, with
  `retry_after_ms`; on a cluster with Redis the bucket is shared by every node, and
  taken by the service before the request runs: `rate_shared`).
- **Access** is the message's: a download names the message, and only its sender and
  recipient (one-to-one) or the group's members at send time who are still members
  may read it; removal takes effect at the next chunk. A recalled message's file is
  no longer served (MESSAGE_RECALLED) and the message stops referring to it.

Never: write a file to disk, or decide what a client shows.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import threading
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import msgspec

from desktop_chat.protocol import ErrorCode
from desktop_chat.protocol import frames as f
from desktop_chat.protocol.filenames import safe_filename
from desktop_chat.server.config import ServerConfig
from desktop_chat.server.connection import DeviceConnection
from desktop_chat.server.core import Core, ServiceError
from desktop_chat.server.hub import Hub
from desktop_chat.server.limits import TokenBucket
from desktop_chat.server.storage.interface import BlobRow, MessageRow, Store

log = logging.getLogger(__name__)

_HASH_READ = 1024 * 1024  # bytes read back at a time to check a finished upload
_PROVING_KEPT = 10_000  # (user, sha256) proofs under way a node keeps, newest kept
_DIGESTS_KEPT = 4096  # uploads whose running sha256 a node keeps, newest kept


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


@dataclasses.dataclass
class _Digest:
    """The sha256 of the first `received` bytes of an upload, as this node stored them.
    The bytes are hashed on the node's hashing thread (hashlib lets go of the GIL), so
    the event loop goes on meanwhile; at most one chunk of an upload waits there."""

    created_at: int  # the upload record's: another record is another upload
    received: int
    hasher: Any  # hashlib's sha256 (its class is private)
    pending: Future[None] | None = None

    def extend(self, data: bytes, hashing: ThreadPoolExecutor) -> None:
        self._settle()
        self.pending = hashing.submit(self.hasher.update, data)
        self.received += len(data)

    def hexdigest(self) -> str:
        return str(self.settled().hexdigest())

    def settled(self) -> Any:
        """The hasher, once the chunk it was given last is in."""
        self._settle()
        return self.hasher

    def _settle(self) -> None:
        if self.pending is not None:
            self.pending.result()
            self.pending = None


def _damaged(offset: int) -> ServiceError:
    return ServiceError(
        ErrorCode.CHECKSUM_MISMATCH,
        f"the chunk at byte {offset} was damaged on the way; send it again",
        {"offset": offset},
    )


def upload_rate_refusal(wait: float) -> ServiceError | None:
    """UPLOAD_RATE_LIMITED for a chunk that must wait `wait` seconds (None: it may go)."""
    if wait <= 0:
        return None
    retry_ms = max(1, round(wait * 1000))
    return ServiceError(
        ErrorCode.UPLOAD_RATE_LIMITED,
        f"you are uploading faster than this server allows; send this chunk again in {retry_ms} ms",
        {"retry_after_ms": retry_ms},
    )


class Files(Core):
    def __init__(self, store: Store, hub: Hub, config: ServerConfig) -> None:
        super().__init__(store, hub, config)
        # The node's memory of uploads: rate buckets and proofs, by user.
        self._lock = threading.Lock()  # cluster requests run on worker threads
        self._buckets: dict[int, TokenBucket] = {}
        self._proving: dict[tuple[int, str], int] = {}
        self._digests: OrderedDict[str, _Digest] = OrderedDict()  # by sha256
        self._hashing = ThreadPoolExecutor(1, thread_name_prefix="upload-sha256")
        # A cluster node with Redis: the service takes the upload rate from the bucket
        # every node shares (`shared_limits.SharedUploadRates`) before the request runs.
        self.rate_shared = False

    # ------------------------------------------------------------------ uploads

    def upload_begin(self, conn: DeviceConnection, req: f.UploadBegin) -> f.Reply:
        user_id = self.user_of(conn)
        limit = self.config.max_file_bytes
        if req.size > limit:
            raise ServiceError(
                ErrorCode.FILE_TOO_LARGE,
                f"this file is {_mib(req.size)}; files of at most {_mib(limit)} can be sent",
                {"limit": limit, "size": req.size},
            )
        blob = self.store.blob(req.sha256)
        if blob is None:
            self._check_quota(user_id, req.size)
        elif blob.size != req.size:
            raise ServiceError(
                ErrorCode.CHECKSUM_MISMATCH,
                f"a file with this sha256 has {blob.size} bytes, not {req.size}",
                {"size": blob.size},
            )
        blob = self.store.blob_begin(req.sha256, req.size, user_id, self.now())
        if blob.size == 0 and not blob.complete:
            self._finish(blob)  # an empty file has no chunk to finish it
            blob = self.store.blob(req.sha256) or blob
        return self._state(req.id, user_id, blob)

    def _check_quota(self, user_id: int, size: int) -> None:
        quota = self.config.quota_bytes_per_user
        used = self.store.blob_bytes_of(user_id)
        if used + size > quota:
            raise ServiceError(
                ErrorCode.QUOTA_EXCEEDED,
                f"your files take {_mib(used)} of your {_mib(quota)}; this one"
                f" ({_mib(size)}) does not fit. Delete or recall files, or ask the"
                " server's administrator for more room",
                {"quota": quota, "used": used, "size": size},
            )

    def _state(self, request_id: str, user_id: int, blob: BlobRow) -> f.UploadState:
        """Where the upload stands for this user: another user's complete file is
        theirs only once they proved they hold it (`_prove`)."""
        received, complete = blob.received, blob.complete
        if complete and not self._holds(user_id, blob):
            with self._lock:
                received, complete = self._proving.get((user_id, blob.sha256), 0), False
        return f.UploadState(
            id=request_id, sha256=blob.sha256, size=blob.size, received=received, complete=complete
        )

    def _holds(self, user_id: int, blob: BlobRow) -> bool:
        return blob.owner_id == user_id or self.store.blob_held_by(blob.sha256, user_id)

    def upload_chunk(self, conn: DeviceConnection, req: f.UploadChunk) -> f.Reply:
        user_id = self.user_of(conn)
        data = req.data
        if len(data) > self.config.max_chunk_bytes or not data:
            raise ServiceError(
                ErrorCode.INVALID_PARAM,
                f"a chunk holds 1 to {self.config.max_chunk_bytes} bytes, not {len(data)}",
                {"field": "data", "limit": self.config.max_chunk_bytes},
            )
        if not (req.chunk_sha256 or req.prefix_sha256):
            raise ServiceError(
                ErrorCode.INVALID_PARAM,
                "a chunk needs its chunk_sha256 or its prefix_sha256",
                {"field": "chunk_sha256"},
            )
        if req.chunk_sha256 and hashlib.sha256(data).hexdigest() != req.chunk_sha256:
            raise _damaged(req.offset)
        self._take_rate(user_id, len(data))
        blob = self.store.blob(req.sha256)
        if blob is None:
            raise ServiceError(
                ErrorCode.FILE_NOT_FOUND,
                "there is no upload of this file (it was never begun, or was collected);"
                " begin it again with upload_begin",
            )
        if req.offset + len(data) > blob.size:
            raise ServiceError(
                ErrorCode.INVALID_PARAM,
                f"bytes {req.offset}+{len(data)} go past the file's {blob.size}",
                {"field": "offset"},
            )
        if blob.complete:
            if not self._holds(user_id, blob):
                self._prove(user_id, blob, req.offset, data)
            return self._state(req.id, user_id, blob)
        if req.prefix_sha256 and req.offset != blob.received:
            return self._state(req.id, user_id, blob)  # writes nothing: go on from there
        prefix = self._prefix(blob, data, req.prefix_sha256) if req.prefix_sha256 else None
        changes = self.store.changes
        try:
            received = self.store.blob_put_chunk(req.sha256, req.offset, data, self.now())
            if self.store.changes != changes:  # this request stored it
                if prefix is not None:
                    self._keep_digest(blob, _Digest(blob.created_at, received, prefix))
                else:
                    self._hash_stored(blob, req.offset, data)
            complete = received == blob.size and self._finish(blob)
        except BaseException:
            self._forget_digest(req.sha256)  # the request rolls back: the hash is ahead
            raise
        if received == blob.size and not complete:
            # Answered, not raised: the discard must be committed, not rolled back.
            return f.Error(
                id=req.id,
                code=ErrorCode.CHECKSUM_MISMATCH,
                message="the file's bytes do not match its sha256; it was thrown away:"
                " upload it again",
                details={"offset": 0},
            )
        updated = dataclasses.replace(blob, received=received, complete=complete)
        return self._state(req.id, user_id, updated)

    def _take_rate(self, user_id: int, size: int) -> None:
        rate, burst = self.config.upload_bytes_per_second, self.config.upload_burst_bytes
        if rate <= 0 or self.rate_shared:
            return
        with self._lock:
            bucket = self._buckets.get(user_id)
            if bucket is None:
                # Room for a whole chunk at least, or one could never go: a bucket
                # made by a small file's chunk must still take a full one.
                room = max(burst, size, self.config.max_chunk_bytes)
                bucket = self._buckets[user_id] = TokenBucket(rate, room)
            wait = bucket.take(size)
        if (refusal := upload_rate_refusal(wait)) is not None:
            raise refusal

    def _prefix(self, blob: BlobRow, data: bytes, expected: str) -> Any:
        """The sha256 of the upload's bytes with `data` after the stored ones, checked
        against `expected` (CHECKSUM_MISMATCH: nothing stored): the running one when
        this node has it, else the stored bytes read back (once per resumed upload)."""
        with self._lock:
            digest = self._digests.pop(blob.sha256, None)
        if digest is not None and (digest.created_at, digest.received) == (
            blob.created_at,
            blob.received,
        ):
            base = digest.settled()
        else:
            digest, base = None, self._read_back_hasher(blob)
        candidate = base.copy()
        candidate.update(data)
        if candidate.hexdigest() != expected:
            if digest is not None:
                self._keep_digest(blob, digest)  # what is stored is still what it covers
            raise _damaged(blob.received)
        return candidate

    def _keep_digest(self, blob: BlobRow, digest: _Digest) -> None:
        with self._lock:
            self._digests[blob.sha256] = digest
            while len(self._digests) > _DIGESTS_KEPT:
                self._digests.popitem(last=False)
        self.hub.on_rollback(lambda: self._forget_digest(blob.sha256))

    def _hash_stored(self, blob: BlobRow, offset: int, data: bytes) -> None:
        """This request stored `data` at `offset` of `blob` (as it stood before): extend
        the upload's running sha256, if it covers every byte before `offset`."""
        with self._lock:  # taken out while it is updated: two threads never share one
            digest = self._digests.pop(blob.sha256, None)
        if offset == 0:
            digest = _Digest(blob.created_at, 0, hashlib.sha256())
        elif digest is None or (digest.created_at, digest.received) != (blob.created_at, offset):
            return  # bytes before these were stored elsewhere: `_finish` reads them back
        digest.extend(data, self._hashing)
        self._keep_digest(blob, digest)

    def _forget_digest(self, sha256: str) -> None:
        with self._lock:
            self._digests.pop(sha256, None)

    def _finish(self, blob: BlobRow) -> bool:
        """Every byte is there: check the whole file's sha256 (the running one when it
        covers the whole file, else read back from the store), then keep it (True) or
        throw it away (False)."""
        with self._lock:
            digest = self._digests.pop(blob.sha256, None)
        if digest is not None and (digest.created_at, digest.received) == (
            blob.created_at,
            blob.size,
        ):
            hexdigest = digest.hexdigest()
        else:
            hexdigest = self._read_back(blob)
        if hexdigest == blob.sha256:
            return self.store.blob_complete(blob.sha256)
        self.store.blob_discard(blob.sha256)
        return False

    def _read_back(self, blob: BlobRow) -> str:
        """The sha256 of the blob's bytes as the store holds them."""
        return str(self._read_back_hasher(blob, blob.size).hexdigest())

    def _read_back_hasher(self, blob: BlobRow, end: int | None = None) -> Any:
        """A sha256 of the blob's stored bytes up to `end` (its `received`)."""
        end = blob.received if end is None else end
        digest = hashlib.sha256()
        for offset in range(0, end, _HASH_READ):
            digest.update(self.store.blob_read(blob.sha256, offset, min(_HASH_READ, end - offset)))
        return digest

    def _prove(self, user_id: int, blob: BlobRow, offset: int, data: bytes) -> None:
        """A chunk of a file stored already, from a user who did not upload it: it is
        compared with the stored bytes (not stored); the last one proves the file."""
        key = (user_id, blob.sha256)
        with self._lock:
            proved = self._proving.get(key, 0)
        if offset != proved:
            return  # a retry or a gap: the answer says where to go on from
        if self.store.blob_read(blob.sha256, offset, len(data)) != data:
            with self._lock:
                self._proving.pop(key, None)
            raise ServiceError(
                ErrorCode.CHECKSUM_MISMATCH,
                "these bytes are not the file's; upload it again from the start",
                {"offset": 0},
            )
        with self._lock:
            if offset + len(data) < blob.size:
                self._proving.pop(key, None)  # moved to the newest end
                self._proving[key] = offset + len(data)
                while len(self._proving) > _PROVING_KEPT:
                    del self._proving[next(iter(self._proving))]
                return
            self._proving.pop(key, None)
        self.store.blob_holder_add(blob.sha256, user_id)  # kept, for every node

    # ------------------------------------------------------------------ sending

    def attachment(self, sender_id: int, body: f.AttachmentBody) -> f.AttachmentBody:
        """The body a file message is stored with (its name made safe), once the file is
        uploaded, complete, of the size said, and the sender's to send."""
        blob = self.store.blob(body.sha256)
        if blob is None or not blob.complete or not self._holds(sender_id, blob):
            raise ServiceError(
                ErrorCode.FILE_NOT_FOUND,
                "this file is not uploaded yet (or not by you); upload it, then send again",
                {"sha256": body.sha256},
            )
        if blob.size != body.size:
            raise ServiceError(
                ErrorCode.INVALID_PARAM,
                f"the file has {blob.size} bytes, not {body.size}",
                {"field": "body.size"},
            )
        return msgspec.structs.replace(body, name=safe_filename(body.name))

    # ------------------------------------------------------------------ downloads

    def download(self, conn: DeviceConnection, req: f.Download) -> f.Reply:
        user_id = self.user_of(conn)
        message = self.store.message(req.msg_id)
        if message is None or not self.may_download(message, user_id):
            raise ServiceError(
                ErrorCode.MESSAGE_NOT_FOUND, f"there is no message {req.msg_id} you can see"
            )
        if message.recalled:
            raise ServiceError(
                ErrorCode.MESSAGE_RECALLED, "this message was recalled; its file is gone"
            )
        blob = self.store.blob(req.sha256)
        if blob is None or req.sha256 not in self.store.blob_refs_of(req.msg_id):
            raise ServiceError(ErrorCode.FILE_NOT_FOUND, f"message {req.msg_id} has no such file")
        length = min(req.length, self.config.max_chunk_bytes)
        data = self.store.blob_read(req.sha256, req.offset, length)
        return f.Chunk(id=req.id, sha256=req.sha256, offset=req.offset, size=blob.size, data=data)

    def may_download(self, message: MessageRow, user_id: int) -> bool:
        """Who may read a message's file: as who may see the message now."""
        if message.chat_type == "chat":
            return user_id in (message.sender_id, message.recipient_id)
        assert message.group_id is not None
        if self.store.role(message.group_id, user_id) is None:
            return False
        return self.store.joined_seq(message.group_id, user_id) < message.conv_seq

    # ------------------------------------------------------------------ retention

    def collect(self, limit: int = 100, rounds: int = 50) -> int:
        """Delete blobs no message refers to, untouched for the grace period; bounded."""
        older_than = self.now() - self.config.blob_grace_seconds * 1000
        total = 0
        for _ in range(rounds):
            with self.store.request():
                done = self.store.blob_collect(older_than, limit)
            total += done
            if done < limit:
                break
        if total:
            self.hub.commit_soon()
        return total

    async def run_collection(self) -> None:
        """`collect` every `blob_collect_seconds`, until cancelled."""
        while True:
            await asyncio.sleep(self.config.blob_collect_seconds)
            await self.hub.ready()
            try:
                if count := self.collect():
                    log.info("collected %d files no message refers to", count)
            except Exception as exc:  # read-only storage, say: try next time
                log.warning("could not collect unreferenced files: %s", exc)
