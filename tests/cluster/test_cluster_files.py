"""Files across nodes on one PostgreSQL: a file uploaded through one node (cut there and
resumed through another) downloads whole through a third, and is stored once; the
client core's pipelined upload, cut in the middle of its window on one node, is
finished through another (which reads the file back to check it) and downloads
whole; a chunk one node stored first at an offset never counts in another node's
running sha256, so a file with someone else's bytes in it is thrown away; a user's
upload rate is one bucket in Redis, whichever node the chunks go through; a proof of
holding a stored file, made on one node, counts on another."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest
from cluster_tools import PASSWORD, Cluster, device

from desktop_chat.client import attachments
from desktop_chat.client.connection import Connection
from desktop_chat.client.errors import ChatError
from desktop_chat.client.models import FileMessageBody
from desktop_chat.protocol import frames as f

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))
from file_tools import CHUNK, download, file_body, send_file, sha, upload

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def cluster(tmp_path, postgres, redis_engine, database_url) -> Cluster:
    return Cluster(tmp_path, database_url, redis_engine.url)


async def test_a_file_uploaded_through_one_node_downloads_through_another(cluster, database_url):
    await cluster.start()
    node1, node2, node3 = (node.url for node in cluster.nodes)
    data = os.urandom(20 * CHUNK + 7)
    alice = await device(node1, "alice")
    bob = await device(node3, "bob")
    await upload(alice, data, stop_at=8 * CHUNK)  # cut on node 1 ...
    await alice.close()
    alice = await device(node2, "alice")  # ... resumed on node 2
    begun = await alice.request("upload_begin", sha256=sha(data), size=len(data))
    assert begun["received"] >= 8 * CHUNK
    assert (await upload(alice, data))["complete"]
    assert (await send_file(alice, "bob", "xnode-000000001", file_body(data)))["type"] == "send_ok"

    push = await bob.wait_push("message")
    assert push["message"]["body"]["sha256"] == sha(data)
    assert sha(await download(bob, "xnode-000000001", sha(data))) == sha(data)
    with psycopg.connect(database_url) as db:
        blobs, size = db.execute(
            "SELECT count(*), (SELECT sum(length(data)) FROM blob_chunks) FROM blobs"
        ).fetchone()
    assert (blobs, size) == (1, len(data))


async def core_connection(url: str, name: str) -> Connection:
    """The client core's own connection, signed in as `name` (a `device` made it)."""
    conn = await Connection.open(
        url, lambda events: None, timeout=10.0, ping_interval=20.0, ping_timeout=20.0
    )
    await conn.request(f.Login(id="", username=name, password=PASSWORD))
    return conn


async def test_a_pipelined_upload_cut_on_one_node_is_finished_on_another(cluster, tmp_path):
    await cluster.start()
    node1, node2, node3 = (node.url for node in cluster.nodes)
    await (await device(node1, "alice")).close()
    bob = await device(node3, "bob")
    data = os.urandom(10 * CHUNK + 3)
    path = tmp_path / "film.bin"
    path.write_bytes(data)
    body = FileMessageBody(path.name, 0, local_path=str(path))
    await attachments.prepare(body)
    first = await core_connection(node1, "alice")
    chunks: list[int] = []

    async def cut_at_the_sixth_chunk(frame: f.Request[Any]) -> Any:
        if isinstance(frame, f.UploadChunk):
            chunks.append(frame.offset)
            if len(chunks) == 6:
                first.abort()
        return await first.request(frame)

    with pytest.raises(ChatError):
        await attachments.upload(cut_at_the_sixth_chunk, body, CHUNK)
    second = await core_connection(node2, "alice")
    try:
        told: list[int] = []
        assert await attachments.upload(second.request, body, CHUNK, lambda d, t: told.append(d))
        assert told[0] % CHUNK == 0 and told[-1] == len(data)
        sent = f.SendMessage(
            id="",
            msg_id="xnode-000000002",
            chat_type="chat",
            to="bob",
            body=attachments.to_wire(body),
        )
        await second.request(sent)
    finally:
        await second.close()
    await bob.wait_push("message")
    assert sha(await download(bob, "xnode-000000002", sha(data))) == sha(data)


async def test_a_chunk_another_node_stored_first_never_counts_in_the_running_hash(cluster):
    await cluster.start()
    node1, node2, _ = (node.url for node in cluster.nodes)
    mallory = await device(node1, "mallory")
    alice = await device(node2, "alice")
    data, junk = os.urandom(3 * CHUNK), os.urandom(CHUNK)
    digest = sha(data)

    async def put(client, source: bytes, offset: int) -> dict[str, Any]:
        piece = source[offset : offset + CHUNK]
        return await client.call_data(
            "upload_chunk", piece, sha256=digest, offset=offset, chunk_sha256=sha(piece)
        )

    await mallory.request("upload_begin", sha256=digest, size=len(data))
    assert (await put(mallory, junk, 0))["received"] == CHUNK  # stored on node 1
    await alice.request("upload_begin", sha256=digest, size=len(data))
    assert (await put(alice, data, 0))["received"] == CHUNK  # node 2 wrote nothing
    assert (await put(alice, data, CHUNK))["received"] == 2 * CHUNK
    last = await put(alice, data, 2 * CHUNK)
    assert last["type"] == "error" and last["code"] == "CHECKSUM_MISMATCH", last
    assert (await upload(alice, data))["complete"], "sound and whole, it is complete"


async def test_a_users_upload_rate_counts_once_across_nodes(cluster):
    for node in cluster.nodes:  # a burst of 1 MiB (4 chunks here), then 20 KiB a second
        node.extra = ["--upload-mib-per-second", "0.02", "--upload-burst-mib", "1"]
    await cluster.start()
    node1, node2, _ = (node.url for node in cluster.nodes)
    data = os.urandom(6 * CHUNK)
    alice = await device(node1, "alice")
    assert (await upload(alice, data, stop_at=4 * CHUNK))["received"] == 4 * CHUNK
    other = await device(node2, "alice")  # her other device, on the other node
    piece = data[4 * CHUNK : 5 * CHUNK]
    refused = await other.call_data(
        "upload_chunk", piece, sha256=sha(data), offset=4 * CHUNK, chunk_sha256=sha(piece)
    )
    assert (refused["type"], refused["code"]) == ("error", "UPLOAD_RATE_LIMITED"), refused
    assert refused["details"]["retry_after_ms"] > 1000
    begun = await other.request("upload_begin", sha256=sha(data), size=len(data))
    assert begun["received"] == 4 * CHUNK, "what was accepted is kept"


async def test_a_proof_made_on_one_node_counts_on_another(cluster):
    await cluster.start()
    node1, node2, node3 = (node.url for node in cluster.nodes)
    data = os.urandom(3 * CHUNK)
    alice = await device(node1, "alice")
    await device(node3, "bob")
    await upload(alice, data)
    carol = await device(node1, "carol")
    assert (await upload(carol, data))["complete"]  # proven on node 1
    other = await device(node2, "carol")
    state = await other.request("upload_begin", sha256=sha(data), size=len(data))
    assert state["complete"], "node 2 did not know carol's proof"
    sent = await send_file(other, "bob", "proof-x-node-01", file_body(data))
    assert sent["type"] == "send_ok", sent
