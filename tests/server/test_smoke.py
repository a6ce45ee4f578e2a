"""A first end-to-end check: one message, delivered and read, over a real socket."""

from __future__ import annotations


async def test_message_delivered_and_read(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    sent = await alice.request(
        "send",
        msg_id="msg-00000001",
        chat_type="chat",
        to="bob",
        body={"kind": "text", "text": "hi"},
        need_delivery_ack=True,
    )
    assert sent["conv_seq"] == 1
    incoming = await bob.wait_push("message")
    assert incoming["message"]["msg_id"] == "msg-00000001"
    await bob.request("delivery_ack", msg_ids=["msg-00000001"])
    delivered = await alice.wait_push("delivered")
    assert delivered["msg_ids"] == ["msg-00000001"] and delivered["by"] == "bob"
    await bob.request("read_ack", msg_ids=["msg-00000001"])
    read = await alice.wait_push("read")
    assert read["msg_ids"] == ["msg-00000001"]
