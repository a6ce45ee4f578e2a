"""The client keeps the limits of the server it talks to (hello_ok's `limits`), not
numbers of its own: a real server started with other limits than the defaults."""

from __future__ import annotations

from test_client_switches_and_groups import make_group

from desktop_chat.client import ChatMessage, ChatType
from desktop_chat.protocol import default_limits


async def test_acks_go_out_in_batches_the_server_takes(clients):
    """A server that takes 2 ids per ack frame: five messages that arrive together
    are all acked, and their sender sees each one delivered."""
    await clients.harness.start(max_ack_batch=2, recall_seconds=7)
    await clients.harness.register("bob")
    alice = await clients.login("alice")
    sent = [
        await alice.chat_manager.send_message(ChatMessage.text("bob", f"hi {n}")) for n in range(5)
    ]
    bob = await clients.login("bob")  # the five come in one sync: five acks at once
    assert bob.limits == alice.limits == clients.harness.config.limits()
    assert alice.limits.recall_seconds == 7 and alice.limits != default_limits()
    wanted = {m.msg_id for m in sent}
    await clients.events(alice).wait(
        "on_messages_delivered",
        lambda r: {m.msg_id for m in r.flat("on_messages_delivered")} == wanted,
    )
    assert all(alice.chat_manager.get_message(i).has_deliver_ack for i in wanted)


async def test_an_ack_note_may_be_as_long_as_the_server_allows(clients):
    """A server that takes notes of 2,000 bytes: a note of 1,500 goes out and
    reaches the sender."""
    await clients.harness.start(max_note_bytes=2000)
    owner, group, names = await make_group(clients, "olivia", 1)
    member = await clients.login(names[0])
    notice = ChatMessage.text(group.group_id, "please read", ChatType.GROUP_CHAT)
    notice.need_group_ack = True
    sent = await owner.chat_manager.send_message(notice)
    await clients.events(member).wait("on_messages_received")
    note = "n" * 1500
    assert await member.chat_manager.send_group_message_read_ack(sent.msg_id, group.group_id, note)
    acks = await clients.events(owner).wait("on_group_message_read")
    assert [ack.content for (batch,) in acks for ack in batch] == [note]
