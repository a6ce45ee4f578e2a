"""Announcements across nodes (issue 17), three real server processes on one PostgreSQL
and one Redis: a pin on one node reaches members on the others, a confirm on one
node reaches the owner on another (the same ack again, with its note) and the
member's own device on a third, and the read progress counts it."""

from __future__ import annotations

import pytest
from cluster_tools import Cluster, device

from desktop_chat.wire_client import text_body

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def cluster(tmp_path, postgres, redis_engine, database_url) -> Cluster:
    return Cluster(tmp_path, database_url, redis_engine.url)


async def test_pins_and_confirms_cross_nodes(cluster):
    await cluster.start()
    node1, node2, node3 = (node.url for node in cluster.nodes)
    alice = await device(node1, "alice")
    bob = await device(node2, "bob")
    bob_laptop = await device(node3, "bob")
    group = (await alice.request("create_group", name="team", members=["bob"]))["group"]
    group_id = group["group_id"]
    await alice.request(
        "send",
        msg_id="cluster-ann-01",
        chat_type="groupchat",
        to=group_id,
        body=text_body("Fire drill at 3"),
        need_group_ack=True,
    )
    await bob.wait_push("message", timeout=5)
    await alice.request("pin_group_message", group_id=group_id, msg_id="cluster-ann-01")
    for member in (bob, bob_laptop):
        pinned = await member.wait_push("group_pinned", timeout=5)
        assert pinned["pinned"]["msg_id"] == "cluster-ann-01" and pinned["by"] == "alice"
    await bob.request("group_read_ack", group_id=group_id, msg_id="cluster-ann-01")
    first = (await alice.wait_push("group_read", timeout=5))["acks"][0]
    reply = await bob.request(
        "group_read_ack", group_id=group_id, msg_id="cluster-ann-01", content="收到", confirm=True
    )
    again = (await alice.wait_push("group_read", timeout=5))["acks"][0]
    assert again["ack_id"] == first["ack_id"] and again["confirmed_at"] == reply["confirmed_at"]
    assert again["content"] == "收到"
    mine = await bob_laptop.wait_push("self_confirmed", timeout=5)
    assert mine["confirm_note"] == "收到"
    stats = await alice.request(
        "fetch_group_ack_stats", group_id=group_id, msg_id="cluster-ann-01", edges=[86400]
    )
    assert (stats["reads"], stats["confirms"]) == ([1], [1])
    await alice.request("unpin_group_message", group_id=group_id)
    cleared = await bob_laptop.wait_push("group_pinned", lambda p: p["pinned"] is None, timeout=5)
    assert cleared["group"]["pinned"] is None
