"""Files across nodes on one PostgreSQL: a file uploaded through one node (cut there and
resumed through another) downloads whole through a third, and is stored once."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import psycopg
import pytest
from cluster_tools import Cluster, device

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
