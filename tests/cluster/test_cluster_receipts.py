"""Three real server processes on one PostgreSQL and one Redis: receipts across nodes.

alice's devices and bob's are on different nodes (each device connects to a node
directly, so which node is certain); every receipt reaches the right devices, each
device gets each seq once and in order, and every user's log is contiguous."""

from __future__ import annotations

import asyncio

import pytest
from cluster_tools import Cluster, assert_in_order, check_logs, device

from desktop_chat.wire_client import WireClient, text_body

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def cluster(tmp_path, postgres, redis_engine, database_url) -> Cluster:
    """Three nodes and HAProxy, not started (`await cluster.start()`); stopped after."""
    return Cluster(tmp_path, database_url, redis_engine.url)


async def send(client: WireClient, to: str, msg_id: str, chat_type: str = "chat", **flags):
    return await client.request(
        "send", msg_id=msg_id, chat_type=chat_type, to=to, body=text_body(msg_id), **flags
    )


def own_action(event: dict, client: WireClient) -> bool:
    """An event the device's own request caused (in this test, only these kinds)."""
    if event["type"] == "message":
        return event["message"]["from"] == client.username
    return event["type"] == "self_read"


async def test_receipts_reach_the_right_devices_across_nodes(cluster, postgres, database_url):
    await cluster.start()
    node1, node2, node3 = (node.url for node in cluster.nodes)
    alice = await device(node1, "alice")
    alice_laptop = await device(node3, "alice")
    bob = await device(node2, "bob")
    carol = await device(node3, "carol")

    # Delivery: bob (node 2) acks alice's (node 1) message.
    await send(alice, "bob", "cross-00001", need_delivery_ack=True)
    pushed = await bob.wait_push("message", timeout=5)
    assert pushed["message"]["msg_id"] == "cross-00001"
    await alice_laptop.wait_push("message", lambda p: p["message"]["msg_id"] == "cross-00001")
    await bob.request("delivery_ack", msg_ids=["cross-00001"])
    delivered = await alice.wait_push("delivered", timeout=5)
    assert delivered["msg_ids"] == ["cross-00001"]
    await alice_laptop.wait_push("delivered", timeout=5)

    # Read, one message: the sender's devices on nodes 1 and 3 both hear it.
    await bob.request("read_ack", msg_ids=["cross-00001"])
    read = await alice.wait_push("read", timeout=5)
    assert read["msg_ids"] == ["cross-00001"] and read["by"] == "bob"
    await alice_laptop.wait_push("read", timeout=5)

    # Read, a whole conversation.
    for n in range(2, 6):
        await send(alice, "bob", f"cross-{n:05d}")
    reply = await bob.request("conversation_read_ack", conversation_id="alice")
    assert reply["unread_count"] == 0
    conversation = await alice.wait_push("conversation_read", timeout=5)
    assert (conversation["from"], conversation["to"]) == ("bob", "alice")
    await alice_laptop.wait_push("conversation_read", timeout=5)

    # A group on node 3's member, the owner on node 1, a member on node 2.
    group = await alice.request("create_group", name="ops", members=["bob", "carol"])
    group_id = group["group"]["group_id"]
    await send(alice, group_id, "group-00001", chat_type="groupchat", need_group_ack=True)
    for member in (bob, carol):
        await member.wait_push("message", lambda p: p["message"]["msg_id"] == "group-00001")
    await bob.request("group_read_ack", msg_id="group-00001", group_id=group_id)
    await carol.request("group_read_ack", msg_id="group-00001", group_id=group_id)
    readers: set[str] = set()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    while readers != {"bob", "carol"} and loop.time() < deadline:
        push = await alice.wait_push("group_read", timeout=deadline - loop.time())
        readers |= {ack["from"] for ack in push["acks"]}
    assert readers == {"bob", "carol"}
    acks = await alice.request("fetch_group_acks", msg_id="group-00001", group_id=group_id)
    assert {ack["from"] for ack in acks["acks"]} == {"bob", "carol"}

    for client in (alice, alice_laptop, bob, carol):
        assert_in_order(client)
        # Nothing it should have had is missing: a fresh sync from 0 shows no event past
        # what the device was pushed or synced.
        # (Its own actions are not pushed to the device that did them: its replies told it.)
        head = (await client.request("sync", after_seq=client.last_seq, limit=500))["events"]
        missed = [e for e in head if not own_action(e, client)]
        assert missed == [], f"{client.username} missed {[e['type'] for e in missed]}"
    counts = check_logs(postgres, database_url)
    assert counts["users"] == 3
    for client in (alice, alice_laptop, bob, carol):
        await client.close()


async def test_a_device_through_the_proxy_gets_everything(cluster):
    await cluster.start()
    alice = await device(cluster.url, "alice")
    bob = await device(cluster.url, "bob")
    for n in range(30):
        await send(alice, "bob", f"proxy-{n:05d}")
    for n in range(30):
        await bob.wait_push("message", lambda p, n=n: p["message"]["msg_id"] == f"proxy-{n:05d}")
    assert_in_order(bob)
    await alice.close()
    await bob.close()


async def test_syncing_again_while_live_neither_repeats_nor_loses_pushes(cluster):
    await cluster.start()
    node1, node2, _ = (node.url for node in cluster.nodes)
    alice = await device(node1, "alice")
    bob = await device(node2, "bob")
    await send(alice, "bob", "live-000001")
    await bob.wait_push("message", lambda p: p["message"]["msg_id"] == "live-000001")
    # Bob's device syncs again from the start, then claims a seq past the head.
    await bob.request("sync", after_seq=0, limit=1000)
    await bob.request("sync", after_seq=2**53, limit=1000)
    await send(alice, "bob", "live-000002")
    await bob.wait_push("message", lambda p: p["message"]["msg_id"] == "live-000002")
    assert_in_order(bob)
    await alice.close()
    await bob.close()
