"""A connection cut while signing in, between a real `ChatClient` and a real
`desktop-chat-server` process, through a TCP proxy the test cuts at an exact point.

Signing in is one step that either completes or leaves nothing behind:
- cut before the server accepted the sign-in: `login()` raises NETWORK_ERROR, and
  the client is as before (signed out, nothing on disk, a second `login()` works);
- cut after it (login_ok or resume_ok received, the session token stored), during the
  catch-up: the sign-in completes and the client reconnects on its own, resumes with
  its token and catches up: every missed message once, sends confirmed;
- the sign-in cancelled during the catch-up: CancelledError, and nothing is left
  running.
"""

from __future__ import annotations

import asyncio

import pytest
from fault_tools import (
    PASSWORD,
    ServerProcess,
    TcpProxy,
    close_all,
    create_users,
    new_client,
    wait_until,
)

from desktop_chat.client import (
    ChatClient,
    ChatError,
    ChatErrorCode,
    ChatEventHandler,
    ChatMessage,
    MessageStatus,
)
from desktop_chat.wire_client import WireClient, text_body

MISSED = 1_200  # more than two sync batches of 500: the catch-up takes several round trips


async def _network(tmp_path) -> tuple[ServerProcess, TcpProxy]:
    db = tmp_path / "server.db"
    create_users(db, ["alice", "bob"])
    server = ServerProcess(db, tmp_path / "server.log", "--no-rate-limits")
    await server.start()
    proxy = TcpProxy(server.port)
    await proxy.start()
    return server, proxy


async def _bob_writes(url: str, count: int, tag: str) -> set[str]:
    bob = await WireClient.connect(url)
    await bob.login("bob", PASSWORD)
    ids = [f"{tag}-{n:06d}" for n in range(count)]
    for start in range(0, count, 100):
        await asyncio.gather(
            *(
                bob.request("send", msg_id=i, chat_type="chat", to="alice", body=text_body(i))
                for i in ids[start : start + 100]
            )
        )
    await bob.close()
    return set(ids)


def _cut_on_first_batch(client: ChatClient, proxy: TcpProxy) -> list[int]:
    """Reset the connection as soon as the first catch-up batch is applied."""
    cuts: list[int] = []

    def cut(messages) -> None:
        if not cuts:
            cuts.append(proxy.cut_all())

    client.chat_manager.add_event_handler("cut", ChatEventHandler(on_messages_received=cut))
    return cuts


def _client_tasks() -> list[asyncio.Task]:
    """Tasks a ChatClient started (its loop, its connection, its outbox, websockets')."""
    names = ("ChatClient.", "Connection.", "OutboxSender.")
    return [
        t
        for t in asyncio.all_tasks()
        if not t.done() and getattr(t.get_coro(), "__qualname__", "").startswith(names)
    ]


async def _caught_up_and_working(alice: ChatClient, events, expected: set[str]) -> None:
    await wait_until(lambda: alice.is_connected, 15, "reconnected on its own")
    await wait_until(
        lambda: set(events.ids("on_messages_received")) == expected, 15, "every missed message"
    )
    assert max(events.ids("on_messages_received").values()) == 1  # none twice
    assert alice.chat_manager.get_conversation("bob").unread_count == len(expected)
    sent = await alice.chat_manager.send_message(ChatMessage.text("bob", "back"))
    assert sent.status is MessageStatus.SUCCESS


async def test_login_cut_during_catch_up_becomes_a_reconnect(tmp_path):
    server, proxy = await _network(tmp_path)
    missed = await _bob_writes(server.url, MISSED, "before-login")
    alice, events = new_client(proxy.url, tmp_path / "alice")
    try:
        cuts = _cut_on_first_batch(alice, proxy)
        await alice.login("alice", PASSWORD)
        assert cuts and cuts[0] > 0, "the cut happened inside login()"
        assert alice.is_logged_in
        await _caught_up_and_working(alice, events, missed)
        assert alice.reconnects >= 1 and events.count("on_token_did_expire") == 0
    finally:
        await proxy.aclose_for_test()
        await close_all([alice])
        await server.aclose_for_test()


async def test_resume_cut_during_catch_up_becomes_a_reconnect(tmp_path):
    server, proxy = await _network(tmp_path)
    first, _ = new_client(server.url, tmp_path / "alice")
    await first.login("alice", PASSWORD)
    await first.close()
    missed = await _bob_writes(server.url, MISSED, "while-away")
    alice, events = new_client(proxy.url, tmp_path / "alice")
    try:
        cuts = _cut_on_first_batch(alice, proxy)
        await alice.resume("alice")
        assert cuts and cuts[0] > 0, "the cut happened inside resume()"
        await _caught_up_and_working(alice, events, missed)
    finally:
        await proxy.aclose_for_test()
        await close_all([alice, first])
        await server.aclose_for_test()


async def test_login_cut_before_the_server_answers_leaves_nothing_behind(tmp_path):
    server, proxy = await _network(tmp_path)
    data_dir = tmp_path / "alice"
    alice, _ = new_client(proxy.url, data_dir)
    try:
        proxy.arm_cut("s2c", "login_ok")
        with pytest.raises(ChatError) as cut:
            await alice.login("alice", PASSWORD)
        assert cut.value.code is ChatErrorCode.NETWORK_ERROR
        assert len(proxy.cuts) == 1
        assert not alice.is_logged_in and not alice.is_connected
        assert not data_dir.exists()
        await asyncio.sleep(0.3)
        assert _client_tasks() == []  # not reconnecting: it never signed in
        await alice.login("alice", PASSWORD)  # not ALREADY_LOGGED_IN
        assert alice.is_connected
        sent = await alice.chat_manager.send_message(ChatMessage.text("bob", "second try"))
        assert sent.status is MessageStatus.SUCCESS
    finally:
        await proxy.aclose_for_test()
        await close_all([alice])
        await server.aclose_for_test()


async def test_login_cancelled_during_catch_up_leaves_nothing_running(tmp_path):
    server, proxy = await _network(tmp_path)
    missed = await _bob_writes(server.url, MISSED, "before-login")
    alice, events = new_client(proxy.url, tmp_path / "alice")
    try:
        signing_in = asyncio.create_task(alice.login("alice", PASSWORD))
        alice.chat_manager.add_event_handler(
            "cancel", ChatEventHandler(on_messages_received=lambda m: signing_in.cancel())
        )
        with pytest.raises(asyncio.CancelledError):
            await signing_in
        assert not alice.is_logged_in and not alice.is_connected
        await wait_until(lambda: _client_tasks() == [], 1, "the client's tasks ended")
        alice.chat_manager.remove_event_handler("cancel")
        await alice.login("alice", PASSWORD)  # a clean second try
        await _caught_up_and_working(alice, events, missed)
    finally:
        await proxy.aclose_for_test()
        await close_all([alice])
        await server.aclose_for_test()
