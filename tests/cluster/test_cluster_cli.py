"""`desktop-chat-server` as a cluster node from the command line: the startup lines,
a PostgreSQL node without Redis, and `adduser --database`."""

from __future__ import annotations

import subprocess

from cluster_tools import PASSWORD, ROOT, SERVER, Node, device

from desktop_chat.wire_client import WireClient


async def test_a_node_says_what_it_runs_on(tmp_path, database_url, redis_engine):
    clustered = Node("east", database_url, redis_engine.url, tmp_path)
    alone = Node("solo", database_url, None, tmp_path)
    for node in (clustered, alone):
        await node.start()
    try:
        assert clustered.proc is not None and alone.proc is not None
        assert clustered.proc.stdout is not None and alone.proc.stdout is not None
        assert clustered.proc.stdout.readline() == (
            "node east: PostgreSQL, pushes between nodes through Redis\n"
        )
        assert alone.proc.stdout.readline() == "node solo: PostgreSQL, a single node (no --redis)\n"
        # The node without Redis serves on the same database as any other.
        alice = await device(alone.url, "alice")
        bob = await device(clustered.url, "bob")
        await bob.close()
        reply = await alice.request("fetch_users", usernames=["bob"])
        assert [user["username"] for user in reply["users"]] == ["bob"]
        await alice.close()
    finally:
        for node in (clustered, alone):
            await node.stop()


async def test_adduser_writes_an_account_into_the_clusters_database(tmp_path, database_url):
    done = subprocess.run(
        [*SERVER, "adduser", "dora", "--database", database_url],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "created user dora\n"
    node = Node("node1", database_url, None, tmp_path)
    await node.start()
    try:
        # Signed in, not signed up: the node allows sign-ups, so register nothing first.
        dora = await WireClient.connect(node.url)
        reply = await dora.call("login", username="dora", password=PASSWORD)
        assert reply["type"] == "login_ok", reply
        await dora.close()
    finally:
        await node.stop()
