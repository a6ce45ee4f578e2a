"""Starting the app while the server cannot serve: the account opens from this computer
and reconnects by itself, instead of asking for a password it does not need."""

from __future__ import annotations

import asyncio

import pytest

from desktop_chat.client import ChatClient, ChatError, ChatErrorCode, ChatMessage, ChatOptions
from desktop_chat.ui.wording import explain


async def test_resume_offline_opens_local_history_and_reconnects(clients):
    harness = clients.harness
    await harness.start()
    alice = await clients.login("alice")
    bob = await clients.login("bob", device="bob-laptop")
    await alice.chat_manager.send_message(ChatMessage.text("bob", "before the outage"))
    await clients.events(bob).wait("on_messages_received")
    await bob.close()
    url = harness.url
    await harness.stop()

    back = clients.new("bob-laptop", server_url=url)
    await back.resume("bob", offline_ok=True)
    assert not back.is_connected
    texts = [m.body.content for m in back.chat_manager.local_messages("alice", None, 50)]
    assert texts == ["before the outage"]

    await harness.start()  # the same port: the client finds it by itself
    await clients.events(back).wait("on_connected", timeout=15)
    await alice.chat_manager.send_message(ChatMessage.text("bob", "after the outage"))
    await clients.events(back).wait(
        "on_messages_received",
        lambda r: any(m.body.content == "after the outage" for m in r.flat("on_messages_received")),
    )


async def test_resume_without_offline_ok_still_raises(clients):
    harness = clients.harness
    await harness.start()
    bob = await clients.login("bob", device="bob-laptop")
    await bob.close()
    url = harness.url
    await harness.stop()
    back = clients.new("bob-laptop", server_url=url)
    with pytest.raises(ChatError) as raised:
        await back.resume("bob")
    assert raised.value.code is ChatErrorCode.NETWORK_ERROR
    assert back.store is None


async def test_a_server_answering_503_is_explained_as_up_but_not_serving(tmp_path):
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    url = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    try:
        client = ChatClient(ChatOptions(server_url=url), tmp_path / "alice")
        with pytest.raises(ChatError) as raised:
            await client.login("alice", "correct horse")
        await client.close()
    finally:
        server.close()
    text = explain(raised.value, url)
    assert text.startswith(f"The server at {url} is up but can't serve right now")
    assert "Check the address" not in text


async def test_a_chat_read_while_offline_keeps_its_count_when_the_server_returns(clients):
    harness = clients.harness
    await harness.start()
    alice = await clients.login("alice")
    bob = await clients.login("bob", device="bob-laptop")
    await alice.chat_manager.send_message(ChatMessage.text("bob", "read me offline"))
    await clients.events(bob).wait("on_messages_received")
    await bob.close()
    url = harness.url
    await harness.stop()

    back = clients.new("bob-laptop", server_url=url)
    await back.resume("bob", offline_ok=True)
    await back.chat_manager.send_conversation_read_ack("alice")
    assert back.chat_manager.get_conversation("alice").unread_count == 0

    await harness.start()
    await clients.events(back).wait("on_connected", timeout=15)
    # The server still counted 1 when the client caught up; the queued read wins.
    assert back.chat_manager.get_conversation("alice").unread_count == 0
    await clients.events(alice).wait("on_conversation_read", timeout=10)
    await clients.settle(back)
    assert back.chat_manager.get_conversation("alice").unread_count == 0
