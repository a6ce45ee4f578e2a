"""Store contract, on every backend: the contents of file and image messages (blobs).

An upload is begun, stored in chunks of the caller's size, and resumed after a cut
(a failed request, a closed store) from what was received; it reads back byte for
byte across chunk boundaries; a retried chunk writes nothing; the same file sent
twice is stored once; references keep a blob, and collection takes the unreferenced
and the abandoned ones with their chunks (and the proofs of holding them); the quota
sums what a user uploaded; all of it survives a restart. On PostgreSQL, two nodes
storing the same chunk at once store it once."""

from __future__ import annotations

import hashlib
import threading
import time

import psycopg
import pytest
from contract_tools import NOW, committed, typed, users

from desktop_chat.server.storage.interface import BlobRow

CHUNK = 64
DATA = bytes(range(256)) * 3 + b"tail"  # 772 bytes: 12 whole chunks and a short one
SHA = hashlib.sha256(DATA).hexdigest()
LATER = NOW + 60_000


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stored_chunks(store) -> tuple[int, int]:
    """(chunk rows, their bytes) of every blob, how much is really stored; with a
    blob_dir, its files count as pieces too."""
    row = store._one("SELECT COUNT(*), COALESCE(SUM(LENGTH(data)), 0) FROM blob_chunks")
    count, size = int(row[0]), int(row[1])
    if (files := getattr(store, "_files", None)) is not None:
        found = [path for path in files.root.glob("??/*") if path.is_file()]
        count, size = count + len(found), size + sum(path.stat().st_size for path in found)
    return count, size


def pieces(store, chunks: int, blobs: int) -> int:
    """What `stored_chunks` counts: `chunks` rows, or with a blob_dir `blobs` files."""
    return blobs if getattr(store, "_files", None) is not None else chunks


def upload(store, data: bytes, owner: int, *, now: int = NOW, upto: int | None = None) -> str:
    """Begin and store `data` (up to byte `upto`), in CHUNK-sized requests, each
    committed; complete it if all of it was stored. Its sha256."""
    sha = digest(data)
    end = len(data) if upto is None else upto
    with committed(store):
        received = store.blob_begin(sha, len(data), owner, now).received
    while received < end:
        with committed(store):
            piece = data[received : min(received + CHUNK, end)]
            received = store.blob_put_chunk(sha, received, piece, now)
    if end == len(data):
        with committed(store):
            assert store.blob_complete(sha)
    return sha


def test_an_upload_in_chunks_reads_back_across_chunk_boundaries(store):
    (alice,) = users(store, "alice")
    with committed(store):
        begun = typed(BlobRow, store.blob_begin(SHA, len(DATA), alice, NOW))
    assert begun == BlobRow(SHA, len(DATA), 0, False, alice, NOW, NOW)
    for offset in range(0, len(DATA), CHUNK):
        with committed(store):
            received = store.blob_put_chunk(SHA, offset, DATA[offset : offset + CHUNK], NOW + 1)
        assert received == min(offset + CHUNK, len(DATA))
    assert stored_chunks(store) == (pieces(store, 13, 1), len(DATA))
    assert digest(store.blob_read(SHA, 0, len(DATA))) == SHA  # the caller's check
    for offset, length in [(0, 1), (60, 80), (64, 64), (63, 2), (5, 700), (700, 500)]:
        assert store.blob_read(SHA, offset, length) == DATA[offset : offset + length]
    assert store.blob_read(SHA, len(DATA), 10) == b""
    assert store.blob_read(SHA, 10_000, 10) == b""
    assert store.blob_read(SHA, 10, 0) == b""
    with pytest.raises(ValueError):
        store.blob_read(SHA, -1, 10)
    assert not typed(BlobRow, store.blob(SHA)).complete
    with committed(store):
        assert store.blob_complete(SHA) is True
        assert store.blob_complete(SHA) is True  # already: still True
    assert typed(BlobRow, store.blob(SHA)) == BlobRow(
        SHA, len(DATA), len(DATA), True, alice, NOW, NOW + 1
    )


def test_a_cut_upload_resumes_from_what_was_received(store, open_store):
    (alice,) = users(store, "alice")
    upload(store, DATA, alice, upto=3 * CHUNK)
    # The connection is cut while the fourth chunk's request runs: it is undone.
    with pytest.raises(ConnectionResetError), store.request():
        store.blob_put_chunk(SHA, 3 * CHUNK, DATA[3 * CHUNK : 4 * CHUNK], NOW)
        raise ConnectionResetError
    store.close()
    again = open_store()
    assert again.blob(SHA).received == 3 * CHUNK
    with committed(again):
        resumed = again.blob_begin(SHA, len(DATA), alice, LATER)  # the client asks where
    assert (resumed.received, resumed.complete, resumed.touched_at) == (3 * CHUNK, False, LATER)
    received = resumed.received
    while received < len(DATA):  # resumed with another chunk size
        with committed(again):
            received = again.blob_put_chunk(SHA, received, DATA[received : received + 100], LATER)
    assert again.blob_read(SHA, 0, len(DATA)) == DATA
    with committed(again):
        assert again.blob_complete(SHA)
    assert stored_chunks(again)[1] == len(DATA)


def test_a_retried_or_misplaced_chunk_writes_nothing(store):
    (alice,) = users(store, "alice")
    with committed(store):
        store.blob_begin(SHA, len(DATA), alice, NOW)
        assert store.blob_put_chunk(SHA, 0, DATA[:CHUNK], NOW) == CHUNK
    changes = store.changes
    with committed(store):
        assert store.blob_put_chunk(SHA, 0, DATA[:CHUNK], NOW) == CHUNK  # a retry
        assert store.blob_put_chunk(SHA, 10, DATA[10:80], NOW) == CHUNK  # overlapping
        assert store.blob_put_chunk(SHA, 2 * CHUNK, DATA[128:192], NOW) == CHUNK  # a gap
        assert store.blob_put_chunk(SHA, CHUNK, b"", NOW) == CHUNK  # empty
    assert store.changes == changes
    assert stored_chunks(store) == (1, CHUNK)  # one chunk, one file
    assert store.blob_read(SHA, 0, len(DATA)) == DATA[:CHUNK]
    with committed(store):
        assert store.blob_complete(SHA) is False  # bytes are missing
    with pytest.raises(ValueError), store.request():
        store.blob_put_chunk(SHA, len(DATA) - 2, b"abc", NOW)  # beyond the size
    with pytest.raises(KeyError), store.request():
        store.blob_put_chunk("0" * 64, 0, b"abc", NOW)
    assert store.blob_complete("0" * 64) is False
    assert store.blob(SHA).received == CHUNK


def test_a_stored_chunk_moves_changes_and_only_a_stored_one(store):
    # `files.Files` counts a chunk in an upload's running sha256 only when this request
    # stored it, told by `changes`: an answer of `received` alone cannot tell.
    (alice,) = users(store, "alice")
    with committed(store):
        store.blob_begin(SHA, len(DATA), alice, NOW)
    for offset, stores in ((0, True), (0, False), (CHUNK, True), (3 * CHUNK, False)):
        with committed(store):
            before = store.changes
            store.blob_put_chunk(SHA, offset, DATA[offset : offset + CHUNK], NOW)
            assert (store.changes != before) is stores, offset


def test_the_same_file_sent_twice_is_stored_once(store):
    alice, bob = users(store, "alice", "bob")
    upload(store, DATA, alice)
    before = stored_chunks(store)
    with committed(store):
        found = typed(BlobRow, store.blob_begin(SHA, len(DATA), bob, LATER))
    assert (found.complete, found.received, found.owner_id, found.touched_at) == (
        True,
        len(DATA),
        alice,
        LATER,
    )
    with committed(store):
        assert store.blob_put_chunk(SHA, 0, DATA[:CHUNK], LATER) == len(DATA)
    assert stored_chunks(store) == before == (pieces(store, 13, 1), len(DATA))
    assert store.blob_bytes_of(alice) == len(DATA)
    assert store.blob_bytes_of(bob) == 0


def test_an_empty_file_is_a_blob_too(store):
    (alice,) = users(store, "alice")
    sha = upload(store, b"", alice)
    assert store.blob(sha) == BlobRow(sha, 0, 0, True, alice, NOW, NOW)
    assert store.blob_read(sha, 0, 10) == b""


def test_malformed_names_and_sizes_are_refused(store):
    (alice,) = users(store, "alice")
    for sha in [SHA.upper(), SHA[:-1], SHA + "0", "g" * 64, ""]:
        with pytest.raises(ValueError), store.request():
            store.blob_begin(sha, 1, alice, NOW)
    with pytest.raises(ValueError), store.request():
        store.blob_begin(SHA, -1, alice, NOW)
    assert store.blob(SHA) is None
    assert store.blob("not a sha") is None
    assert store.blob_read(SHA, 0, 10) == b""
    assert store.blob_bytes_of(alice) == 0


def test_a_rolled_back_begin_leaves_nothing(store):
    (alice,) = users(store, "alice")
    with pytest.raises(RuntimeError), store.request():
        store.blob_begin(SHA, len(DATA), alice, NOW)
        store.blob_put_chunk(SHA, 0, DATA[:CHUNK], NOW)
        raise RuntimeError("refused")
    assert store.blob(SHA) is None
    assert stored_chunks(store) == (0, 0)


def test_a_discarded_upload_starts_again_from_zero(store):
    alice, bob = users(store, "alice", "bob")
    bad = upload(store, DATA, alice, upto=2 * CHUNK)  # the hash will not match: thrown away
    kept = upload(store, b"kept", bob)
    with committed(store):
        assert store.blob_discard(bad) is True
        assert store.blob_discard(bad) is False
        assert store.blob_discard(kept) is False  # a complete blob stays
    assert store.blob(bad) is None
    assert stored_chunks(store) == (1, 4)
    with committed(store):
        assert store.blob_begin(bad, len(DATA), bob, LATER).received == 0


def test_references_keep_a_blob_and_collection_takes_the_rest(store):
    (alice,) = users(store, "alice")
    kept = upload(store, b"kept by m-1", alice)
    loose = upload(store, b"nobody sent it", alice)
    stale = upload(store, DATA, alice, upto=CHUNK)  # an upload abandoned long ago
    fresh = upload(store, b"just uploaded, not sent yet", alice, now=LATER)
    moving = upload(store, DATA[:300], alice, now=LATER, upto=CHUNK)  # still uploading
    with committed(store):
        assert store.blob_ref_add(kept, "m-1", NOW) is True
        assert store.blob_ref_add(kept, "m-1", NOW) is True  # again: no error, one ref
        assert store.blob_ref_add(stale, "m-2", NOW) is False  # not complete
        assert store.blob_ref_add("0" * 64, "m-2", NOW) is False
    assert store.blob_refs_of("m-1") == [kept]
    assert store.blob_refs_of("m-2") == []
    with committed(store):
        assert store.blob_collect(LATER, 100) == 2  # loose and stale
    assert (store.blob(loose), store.blob(stale)) == (None, None)
    assert all(store.blob(sha) is not None for sha in (kept, fresh, moving))
    assert stored_chunks(store)[0] == 3
    with committed(store):
        assert store.blob_refs_drop("m-1") == 1  # recalled
        assert store.blob_refs_drop("m-1") == 0
        assert store.blob_collect(LATER, 100) == 1  # kept, untouched since NOW
    assert store.blob(kept) is None
    with committed(store):
        assert store.blob_collect(LATER + 1, 100) == 2  # fresh and moving, at last
    assert stored_chunks(store) == (0, 0)


def test_a_reference_or_a_begin_spares_an_old_blob_and_collection_is_bounded(store):
    alice, bob = users(store, "alice", "bob")
    shas = [upload(store, f"file {n}".encode(), alice) for n in range(5)]
    with committed(store):
        assert store.blob_ref_add(shas[0], "m-1", LATER) is True  # a forward, say
        assert store.blob_refs_drop("m-1") == 1
        assert store.blob_begin(shas[1], 6, bob, LATER).complete  # bob sends it again
    with committed(store):
        assert store.blob_collect(LATER, 2) == 2
    with committed(store):
        assert store.blob_collect(LATER, 2) == 1
        assert store.blob_collect(LATER, 2) == 0
    assert [sha for sha in shas if store.blob(sha) is not None] == shas[:2]


def test_the_quota_counts_what_a_user_began_complete_or_not(store):
    alice, bob = users(store, "alice", "bob")
    upload(store, DATA, alice)
    upload(store, b"a second file", alice, upto=5)
    upload(store, b"bob's", bob)
    assert store.blob_bytes_of(alice) == len(DATA) + len(b"a second file")
    assert store.blob_bytes_of(bob) == 5
    assert store.blob_bytes_of(999_999) == 0
    with committed(store):
        store.blob_collect(LATER, 100)
    assert store.blob_bytes_of(alice) == 0


def test_blobs_and_their_references_survive_a_restart(store, open_store):
    (alice,) = users(store, "alice")
    done = upload(store, DATA, alice)
    half = upload(store, DATA[:500], alice, upto=2 * CHUNK)
    with committed(store):
        store.blob_ref_add(done, "m-1", NOW)
    rows = (store.blob(done), store.blob(half))
    store.close()
    again = open_store()
    assert (again.blob(done), again.blob(half)) == rows
    assert again.blob_read(done, 0, len(DATA)) == DATA
    assert again.blob_refs_of("m-1") == [done]
    with committed(again):
        assert again.blob_put_chunk(half, 2 * CHUNK, DATA[128:500], LATER) == 500
        assert again.blob_complete(half)
        assert again.blob_collect(LATER, 100) == 0  # both touched or referenced
    assert again.blob_read(half, 0, 500) == DATA[:500]


def _waiting_for_a_lock(url: str, application_name: str) -> bool:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT wait_event_type FROM pg_stat_activity WHERE application_name = %s",
            (application_name,),
        ).fetchone()
    return row is not None and row[0] == "Lock"


def test_two_nodes_storing_the_same_chunk_at_once_store_it_once(pg_url):
    from desktop_chat.server.storage.postgres import PostgresStore

    first = PostgresStore(pg_url, application_name="blob-first")
    second = PostgresStore(pg_url, application_name="blob-second")
    try:
        (alice,) = users(first, "alice")
        with committed(first):
            first.blob_begin(SHA, len(DATA), alice, NOW)
        answers: list[object] = []

        def retry_on_the_other_node() -> None:
            try:
                with committed(second):
                    before = second.changes
                    answers.append(second.blob_put_chunk(SHA, 0, DATA[:CHUNK], NOW))
                    answers.append(second.changes - before)
            except BaseException as exc:
                answers.append(exc)

        with first.request():
            before = first.changes
            assert first.blob_put_chunk(SHA, 0, DATA[:CHUNK], NOW) == CHUNK
            assert first.changes > before, "the node that stored it sees `changes` move"
            thread = threading.Thread(target=retry_on_the_other_node)
            thread.start()
            deadline = time.monotonic() + 10
            while not _waiting_for_a_lock(pg_url, "blob-second"):
                assert thread.is_alive() and time.monotonic() < deadline, answers
                time.sleep(0.02)
        first.commit()
        thread.join(10)
        # It waited, re-checked, and wrote nothing: the same answer as the node that
        # stored it, but `changes` did not move (the running sha256 relies on it).
        assert answers == [CHUNK, 0]
        assert stored_chunks(first) == (1, CHUNK)
    finally:
        first.close()
        second.close()


def test_a_proof_of_holding_a_blob_is_kept_and_goes_with_the_blob(store, open_store):
    alice, bob, carol = users(store, "alice", "bob", "carol")
    sha = upload(store, DATA, alice)
    assert store.blob_held_by(sha, alice) is True  # the first uploader
    assert store.blob_held_by(sha, bob) is False
    with committed(store):
        store.blob_holder_add(sha, bob)
        store.blob_holder_add(sha, bob)  # again: no error
    assert (store.blob_held_by(sha, bob), store.blob_held_by(sha, carol)) == (True, False)
    assert store.blob_held_by("0" * 64, bob) is False
    store.close()
    again = open_store()
    assert again.blob_held_by(sha, bob) is True
    with committed(again):
        assert again.blob_collect(LATER, 100) == 1
    assert again.blob_held_by(sha, bob) is False
    upload(again, DATA, carol, now=LATER)  # stored again, by carol first now
    assert (again.blob_held_by(sha, carol), again.blob_held_by(sha, bob)) == (True, False)
