"""Offline recipients, killed clients and restarted servers: nothing lost, nothing
duplicated, every event fired once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from test_client_basics import settle

from desktop_chat.client import ChatClient, ChatMessage, ChatOptions, MessageStatus

CHILD = Path(__file__).with_name("outbox_child.py")


def texts(recorder, name: str = "on_messages_received") -> list[str]:
    return [m.body.content for m in recorder.flat(name)]


async def test_recipient_offline_at_send_time_receives_once_and_acks_delivery(clients):
    await clients.harness.start()
    alice = await clients.login("alice")
    bob = await clients.login("bob", device="bob-laptop")
    await bob.close()
    sent = [
        await alice.chat_manager.send_message(ChatMessage.text("bob", f"while away {n}"))
        for n in range(3)
    ]
    await asyncio.sleep(0.2)
    assert clients.events(alice).calls["on_messages_delivered"] == []

    back = clients.new("bob-laptop")
    await back.resume("bob")
    assert texts(clients.events(back)) == ["while away 0", "while away 1", "while away 2"]
    assert back.chat_manager.get_conversation("alice").unread_count == 3
    await clients.events(alice).wait(
        "on_messages_delivered", lambda r: len(r.flat("on_messages_delivered")) == 3
    )
    assert all(alice.chat_manager.get_message(m.msg_id).has_deliver_ack for m in sent)
    # Resuming again replays nothing.
    await back.close()
    again = clients.new("bob-laptop")
    await again.resume("bob")
    await asyncio.sleep(0.1)
    assert texts(clients.events(again)) == []


async def test_killed_client_sends_its_outbox_on_next_start(clients, tmp_path):
    harness = clients.harness
    await harness.start()
    await harness.register("alice")
    bob = await clients.login("bob")
    hello = await bob.chat_manager.send_message(ChatMessage.text("alice", "are you there?"))
    data_dir = clients.data_dir("alice-laptop")
    child = subprocess.Popen(
        [sys.executable, str(CHILD), harness.url, str(data_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = await asyncio.wait_for(asyncio.to_thread(child.stdout.readline), 30)
        assert line == "ready\n"
        await harness.stop()  # alice's client is now offline
        child.stdin.write("go\n")
        child.stdin.flush()
        line = await asyncio.wait_for(asyncio.to_thread(child.stdout.readline), 30)
        assert line == "queued 4\n"  # three messages and one read ack
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)

    await harness.start()  # same port, same database
    # bob's client reconnects on its own (its first on_connected was the sign-in).
    await clients.events(bob).wait("on_connected", lambda r: len(r.calls["on_connected"]) >= 2)
    alice = clients.new("alice-laptop")
    await alice.resume("alice")
    await clients.events(bob).wait(
        "on_messages_received", lambda r: len(r.flat("on_messages_received")) == 3
    )
    await clients.events(bob).wait("on_messages_read")
    assert texts(clients.events(bob)) == ["offline 0", "offline 1", "offline 2"]
    assert [m.msg_id for m in clients.events(bob).flat("on_messages_read")] == [hello.msg_id]
    await settle(alice)
    statuses = [m.status for m in alice.chat_manager.get_conversation("bob").messages]
    assert statuses == [MessageStatus.SUCCESS] * 4
    await asyncio.sleep(0.2)
    assert len(clients.events(bob).flat("on_messages_received")) == 3  # no duplicates


async def test_server_restart_during_a_conversation(clients):
    harness = clients.harness
    await harness.start()
    alice = await clients.login("alice")
    bob = await clients.login("bob")
    await alice.chat_manager.send_message(ChatMessage.text("bob", "before"))
    await clients.events(bob).wait("on_messages_received")

    await harness.stop()
    await clients.events(alice).wait("on_disconnected")
    queued = await alice.chat_manager.send_message(ChatMessage.text("bob", "during"))
    assert queued.status is MessageStatus.PENDING
    await harness.start()

    await clients.events(alice).wait("on_connected", lambda r: len(r.calls["on_connected"]) >= 2)
    await clients.events(bob).wait(
        "on_messages_received", lambda r: len(r.flat("on_messages_received")) == 2
    )
    after = await alice.chat_manager.send_message(ChatMessage.text("bob", "after"))
    assert after.status is MessageStatus.SUCCESS
    await clients.events(bob).wait(
        "on_messages_received", lambda r: len(r.flat("on_messages_received")) == 3
    )
    assert texts(clients.events(bob)) == ["before", "during", "after"]
    await bob.chat_manager.send_conversation_read_ack("alice")
    await clients.events(alice).wait("on_conversation_read")
    assert alice.chat_manager.get_message(queued.msg_id).has_read_ack
    await clients.events(alice).wait(
        "on_messages_delivered", lambda r: len(r.flat("on_messages_delivered")) == 3
    )
    assert len(clients.events(alice).calls["on_conversation_read"]) == 1


async def test_closing_the_app_flushes_the_outbox_first(clients):
    await clients.harness.start()
    alice = await clients.login("alice")
    bob = await clients.login("bob", ack_batch_seconds=5.0)  # acks would wait 5 s
    sent = await alice.chat_manager.send_message(ChatMessage.text("bob", "read me"))
    await clients.events(bob).wait("on_messages_received")
    await bob.chat_manager.send_message_read_ack(bob.chat_manager.get_message(sent.msg_id))
    assert bob.store.outbox_size() >= 1
    await bob.close()  # sends what is queued before closing
    await clients.events(alice).wait("on_messages_read", timeout=3)
    assert [m.msg_id for m in clients.events(alice).flat("on_messages_read")] == [sent.msg_id]


async def test_reconnect_catches_up_on_receipts_and_reads_from_other_devices(clients):
    await clients.harness.start()
    alice = await clients.login("alice")
    bob_laptop = await clients.login("bob", device="bob-laptop")
    bob_phone = await clients.login("bob", device="bob-phone")
    mine = await bob_laptop.chat_manager.send_message(ChatMessage.text("alice", "lunch?"))
    for n in range(3):
        await alice.chat_manager.send_message(ChatMessage.text("bob", f"news {n}"))
    await clients.events(bob_laptop).wait(
        "on_messages_received", lambda r: len(r.flat("on_messages_received")) == 3
    )
    await clients.settle(bob_laptop)
    await bob_laptop.close()  # the laptop sleeps

    await clients.events(bob_phone).wait(
        "on_messages_received", lambda r: len(r.flat("on_messages_received")) >= 3
    )
    await bob_phone.chat_manager.send_conversation_read_ack("alice")  # read on the phone
    await alice.chat_manager.send_conversation_read_ack("bob")  # alice reads "lunch?"
    await clients.events(bob_phone).wait("on_conversation_read")  # alice's receipt

    laptop = clients.new("bob-laptop")
    await laptop.resume("bob")  # wakes up: everything it missed, once
    events = clients.events(laptop)
    assert events.calls["on_conversation_read"].count(("bob", "alice")) == 1
    assert events.calls["on_conversation_read"].count(("alice", "bob")) == 1
    assert laptop.chat_manager.get_conversation("alice").unread_count == 0
    assert laptop.chat_manager.get_message(mine.msg_id).has_read_ack
    assert events.flat("on_messages_received") == []  # nothing new, nothing twice


def test_the_reconnect_delay_stays_at_its_cap_however_long_the_server_is_away(tmp_path):
    # A server away for a night is a thousand failed attempts and more: each waits
    # the capped delay, and the loop never dies of the doubling (2**1024 is no float).
    client = ChatClient(ChatOptions(server_url="ws://127.0.0.1:9"), tmp_path)
    cap = client.options.reconnect_max_seconds
    for attempt in (0, 8, 1023, 1024, 100_000):
        assert 0 < client._backoff(attempt) <= cap
    assert cap / 2 <= client._backoff(5000) <= cap
