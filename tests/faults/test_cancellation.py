"""Cancellation and lost connections in the client core, against a real
`desktop-chat-server` process (and a TCP proxy the test controls):
- a cancel is never lost, whatever else happens in the same loop iteration (a reply
  delivered, the connection dropping);
- a program that ends without `client.close()` ends: every task the client started
  stops promptly when cancelled, as `asyncio.run` does at exit;
- no future is left holding an exception nobody retrieved when the connection drops.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fault_tools import (
    PASSWORD,
    LoopReports,
    ServerProcess,
    TcpProxy,
    close_all,
    create_users,
    new_client,
    wait_until,
)

from desktop_chat.client import (
    ChatError,
    ChatErrorCode,
    ChatEventHandler,
    ChatMessage,
    MessageStatus,
)
from desktop_chat.client.connection import Connection
from desktop_chat.protocol import PROTOCOL_VERSION
from desktop_chat.protocol import frames as f
from desktop_chat.wire_client import WireClient, text_body


def _hello() -> f.Hello:
    return f.Hello(id="", version=PROTOCOL_VERSION, client="test")


class CancelInStep(Connection):
    """A real connection that cancels `victim` in the very step in which its request
    is answered (`when="reply"`: the reply's future is resolved first) or failed by a
    drop (`when="drop"`: the reader fails every waiting request first)."""

    victim: asyncio.Task | None = None
    when = "reply"

    def _deliver(self, reply: f.Reply) -> None:
        super()._deliver(reply)
        if self.when == "reply":
            self._cancel_victim()

    async def _read(self) -> None:
        try:
            await super()._read()
        finally:
            if self.when == "drop":
                self._cancel_victim()

    def _cancel_victim(self) -> None:
        if self.victim is not None:
            self.victim.cancel()
            self.victim = None


async def _open(url: str, cls: type[Connection] = Connection, **kwargs) -> Connection:
    options = dict(timeout=5.0, ping_interval=10.0, ping_timeout=10.0) | kwargs
    return await cls.open(url, lambda events: None, **options)


async def test_a_cancel_arriving_with_the_reply_is_not_lost(tmp_path):
    server = ServerProcess(tmp_path / "server.db", tmp_path / "server.log")
    await server.start()
    connection = await _open(server.url, CancelInStep)
    try:
        request = asyncio.create_task(connection.request(_hello()))
        connection.victim = request
        with pytest.raises(asyncio.CancelledError):
            await request
        assert request.cancelled()
        # The connection is still usable for the next request.
        assert isinstance(await connection.request(_hello()), f.HelloOk)
    finally:
        await connection.close()
        await server.aclose_for_test()


async def test_a_cancel_arriving_as_the_connection_drops_is_not_lost(tmp_path):
    """The drop fails the waiting request with NETWORK_ERROR in the same iteration as
    the cancel: the caller must see CancelledError, not a network error."""
    server = ServerProcess(tmp_path / "server.db", tmp_path / "server.log")
    await server.start()
    proxy = TcpProxy(server.port)
    await proxy.start()
    connection = await _open(proxy.url, CancelInStep)
    connection.when = "drop"
    try:
        proxy.blackhole()  # the request waits for a reply that cannot come
        request = asyncio.create_task(connection.request(_hello()))
        connection.victim = request
        await wait_until(lambda: connection.frames_sent == 2, 5, "request sent")
        proxy.cut_all()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(request, 10)
        assert request.cancelled()
    finally:
        await proxy.aclose_for_test()
        await connection.close()
        await server.aclose_for_test()


async def test_a_connection_lost_mid_send_leaves_no_unretrieved_exception(tmp_path):
    """A request whose frame is still being written (the network holds the bytes)
    when the connection is reset fails with NETWORK_ERROR, and the loop reports no
    "Future exception was never retrieved"."""
    server = ServerProcess(tmp_path / "server.db", tmp_path / "server.log")
    await server.start()
    proxy = TcpProxy(server.port)
    await proxy.start()
    connection = await _open(proxy.url)
    try:
        with LoopReports() as reports:
            proxy.blackhole()
            # Larger than every socket buffer on the way: the send waits to drain.
            huge = f.SendMessage(
                id="", msg_id="m" * 10, chat_type="chat", to="bob", body=f.TextBody("x" * 2**25)
            )
            requests = [asyncio.create_task(connection.request(huge))]
            requests += [asyncio.create_task(connection.request(_hello())) for _ in range(3)]
            await asyncio.sleep(0.5)
            assert not any(r.done() for r in requests)
            proxy.cut_all()
            for request in requests:
                with pytest.raises(ChatError) as lost:
                    await asyncio.wait_for(request, 10)
                assert lost.value.code is ChatErrorCode.NETWORK_ERROR
            del requests, request, lost
        assert [m for m in reports.messages() if "never retrieved" in m] == []
    finally:
        await proxy.aclose_for_test()
        await connection.close()
        await server.aclose_for_test()


# ---------------------------------------------------------------------- a program that ends


def _end_like_asyncio_run(loop: asyncio.AbstractEventLoop, seconds: float) -> set[asyncio.Task]:
    """Cancel every task, as `asyncio.run` does when main returns; the tasks (and any
    they started meanwhile) still running after `seconds`."""
    tasks = asyncio.all_tasks(loop)
    for task in tasks:
        task.cancel()

    async def wait() -> set[asyncio.Task]:
        deadline = loop.time() + seconds
        while (
            left := [t for t in asyncio.all_tasks(loop) if t is not asyncio.current_task()]
        ) and (loop.time() < deadline):
            await asyncio.wait(left, timeout=deadline - loop.time())
        return set(left)

    return loop.run_until_complete(wait())


def _close(loop: asyncio.AbstractEventLoop, server: ServerProcess, stuck: set[asyncio.Task]):
    for task in stuck:  # leave nothing behind for the next test (the assert reports them)
        task.cancel()
    if server.proc is not None and server.proc.poll() is None:
        server.proc.kill()
        server.proc.wait(10)
    loop.close()


def test_a_program_ending_after_a_reconnect_without_close_ends(tmp_path: Path):
    """Sign in, the server restarts, the client reconnects; then the program's tasks
    are cancelled: they all end within a second."""
    db = tmp_path / "server.db"
    create_users(db, ["alice"])
    server = ServerProcess(db, tmp_path / "server.log")
    loop = asyncio.new_event_loop()
    stuck: set[asyncio.Task] = set()
    try:

        async def main() -> None:
            await server.start()
            alice, events = new_client(server.url, tmp_path / "alice")
            await alice.login("alice", PASSWORD)
            server.sigkill()
            await server.wait_exit()
            await server.start()
            await wait_until(lambda: events.count("on_connected") >= 2, 15, "reconnected")
            assert alice.is_connected

        loop.run_until_complete(main())
        stuck = _end_like_asyncio_run(loop, 1.0)
        assert stuck == set(), [t.get_coro() for t in stuck]
    finally:
        _close(loop, server, stuck)


def test_a_program_cancelled_as_a_reconnect_catch_up_reply_arrives_ends(tmp_path: Path):
    """The same, with the cancel landing at the worst moment: while the reconnecting
    client applies the catch-up's first batch, its reply resolving in that iteration."""
    db = tmp_path / "server.db"
    create_users(db, ["alice", "bob"])
    server = ServerProcess(db, tmp_path / "server.log")
    loop = asyncio.new_event_loop()
    stuck: set[asyncio.Task] = set()
    proxy = TcpProxy(0)
    try:

        async def main() -> None:
            await server.start()
            proxy.upstream_port = server.port
            await proxy.start()
            alice, _ = new_client(proxy.url, tmp_path / "alice")
            await alice.login("alice", PASSWORD)
            main_task = asyncio.current_task()
            ended = asyncio.Event()

            def cancel_everything(messages) -> None:
                for task in asyncio.all_tasks():
                    if task is not main_task:
                        task.cancel()
                ended.set()

            alice.chat_manager.add_event_handler(
                "end", ChatEventHandler(on_messages_received=cancel_everything)
            )
            proxy.blackhole()  # alice is offline while bob writes
            bob = await WireClient.connect(server.url)
            await bob.login("bob", PASSWORD)
            for n in range(3):
                await bob.request(
                    "send",
                    msg_id=f"offline-{n:04d}",
                    chat_type="chat",
                    to="alice",
                    body=text_body("hi"),
                )
            await bob.close()
            proxy.cut_all()
            proxy.restore()  # alice reconnects and catches up: the batch cancels all
            async with asyncio.timeout(15):
                await ended.wait()

        loop.run_until_complete(main())
        stuck = _end_like_asyncio_run(loop, 1.0)
        assert stuck == set(), [t.get_coro() for t in stuck]
    finally:
        if not stuck:
            loop.run_until_complete(proxy.aclose_for_test())
        _close(loop, server, stuck)


async def test_a_send_cancelled_as_it_is_confirmed_raises_cancelled(tmp_path):
    """`send_message` cancelled in the iteration its confirmation lands (the app's
    own status callback cancels it) raises CancelledError; the message still went."""
    db = tmp_path / "server.db"
    create_users(db, ["alice", "bob"])
    server = ServerProcess(db, tmp_path / "server.log")
    await server.start()
    alice, _ = new_client(server.url, tmp_path / "alice")
    try:
        await alice.login("alice", PASSWORD)
        sending: list[asyncio.Task] = []

        def on_status(message) -> None:
            if message.status.value == "SUCCESS" and sending:
                sending.pop().cancel()

        alice.chat_manager.add_event_handler(
            "cancel", ChatEventHandler(on_message_status_changed=on_status)
        )
        message = ChatMessage.text("bob", "cancelled while confirmed")
        sending.append(asyncio.create_task(alice.chat_manager.send_message(message)))
        [task] = sending
        with pytest.raises(asyncio.CancelledError):
            await task
        assert task.cancelled()
        stored = alice.chat_manager.get_message(message.msg_id)
        assert stored.status is MessageStatus.SUCCESS
    finally:
        await close_all([alice])
        await server.aclose_for_test()
