"""A server shared on the local network: the app's own server with TLS on a
certificate of its own, trusted by others once they compared its security code.

The shared server listens on 127.0.0.1 here (tests never listen elsewhere); the
app gives it every address of the computer."""

from __future__ import annotations

import asyncio
import socket
import ssl
import stat
from pathlib import Path

import pytest

from desktop_chat.client import ChatClient, ChatError, ChatErrorCode, ChatMessage, ChatOptions
from desktop_chat.client.events import ChatEventHandler
from desktop_chat.client.pinning import security_code
from desktop_chat.embedded import EmbeddedServer, Sharing, network_addresses

PASSWORD = "correct horse battery"


def shared(tmp_path: Path, port: int = 0) -> EmbeddedServer:
    server = EmbeddedServer(
        tmp_path / "local-server.db",
        sharing=Sharing(cert_dir=tmp_path / "tls", port=port, host="127.0.0.1"),
    )
    server.start()
    return server


def client(tmp_path: Path, name: str, url: str, pin: str | None) -> ChatClient:
    options = ChatOptions(
        server_url=url, tls_pin_sha256=pin, reconnect_initial_seconds=0.05, require_ack=True
    )
    return ChatClient(options, tmp_path / "devices" / name)


async def test_a_shared_server_serves_tls_on_its_own_certificate(tmp_path):
    server = await asyncio.to_thread(shared, tmp_path)
    try:
        assert server.url == f"wss://127.0.0.1:{server.port}"
        assert server.share_addresses() == [server.url]
        assert server.fingerprint is not None and len(server.fingerprint) == 64
        key = tmp_path / "tls" / "server.key"
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        # What any TLS client sees: a certificate nobody vouches for.
        context = ssl.create_default_context()
        with pytest.raises(ssl.SSLCertVerificationError):
            await asyncio.open_connection("127.0.0.1", server.port, ssl=context)
    finally:
        await asyncio.to_thread(server.stop)


async def test_a_stranger_is_told_the_code_to_compare_and_is_let_in_once_it_is_pinned(tmp_path):
    server = await asyncio.to_thread(shared, tmp_path)
    clients: list[ChatClient] = []
    try:
        stranger = client(tmp_path, "bob", server.url, None)
        clients.append(stranger)
        with pytest.raises(ChatError) as refused:
            await stranger.register("bob", PASSWORD)
        assert refused.value.code is ChatErrorCode.UNTRUSTED_CERTIFICATE
        assert refused.value.details == {"fingerprint": server.fingerprint, "pinned": None}
        assert "security code" in refused.value.description
        assert len(security_code(server.fingerprint or "").split()) == 6

        bob = client(tmp_path, "bob", server.url, server.fingerprint)
        alice = client(tmp_path, "alice", server.url, server.fingerprint)
        clients += [bob, alice]
        for person, name in ((bob, "bob"), (alice, "alice")):
            await person.register(name, PASSWORD)
            await person.login(name, PASSWORD)
        read, got = asyncio.Event(), asyncio.Event()
        alice.chat_manager.add_event_handler(
            "reads", ChatEventHandler(on_conversation_read=lambda from_, to: read.set())
        )
        bob.chat_manager.add_event_handler(
            "arrivals", ChatEventHandler(on_messages_received=lambda messages: got.set())
        )
        await alice.chat_manager.send_message(ChatMessage.text("bob", "over the network"))
        await asyncio.wait_for(got.wait(), 10)
        await bob.chat_manager.send_conversation_read_ack("alice")
        await asyncio.wait_for(read.wait(), 10)
    finally:
        for c in clients:
            await c.close()
        await asyncio.to_thread(server.stop)


async def test_a_wrong_pin_is_refused_before_anything_is_sent(tmp_path):
    server = await asyncio.to_thread(shared, tmp_path)
    impostor_pin = "0" * 64
    c = client(tmp_path, "carol", server.url, impostor_pin)
    try:
        with pytest.raises(ChatError) as refused:
            await c.register("carol", PASSWORD)
        assert refused.value.code is ChatErrorCode.UNTRUSTED_CERTIFICATE
        assert refused.value.details == {"fingerprint": server.fingerprint, "pinned": impostor_pin}
        assert "another certificate" in refused.value.description
        assert server._server is not None and server._server.store is not None
        assert server._server.store.user_id("carol") is None  # the frame never went
    finally:
        await c.close()
        await asyncio.to_thread(server.stop)


async def test_after_a_restart_the_same_port_and_certificate_serve_the_same_accounts(tmp_path):
    first = await asyncio.to_thread(shared, tmp_path)
    port, fingerprint = first.port, first.fingerprint
    bob = client(tmp_path, "bob", first.url, fingerprint)
    try:
        await bob.register("bob", PASSWORD)
        await bob.login("bob", PASSWORD)
    finally:
        await bob.close()
        await asyncio.to_thread(first.stop)

    again = await asyncio.to_thread(shared, tmp_path, port)
    back = client(tmp_path, "bob", again.url, fingerprint)
    try:
        assert (again.port, again.fingerprint) == (port, fingerprint)
        await back.login("bob", PASSWORD)  # the account, and the pin, still hold
    finally:
        await back.close()
        await asyncio.to_thread(again.stop)


async def test_a_port_taken_meanwhile_gives_another_one(tmp_path):
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    taken = blocker.getsockname()[1]
    try:
        server = await asyncio.to_thread(shared, tmp_path, taken)
        try:
            assert server.port not in (0, taken)
            assert server.url == f"wss://127.0.0.1:{server.port}"
        finally:
            await asyncio.to_thread(server.stop)
    finally:
        blocker.close()


def test_the_addresses_offered_to_others_are_never_loopback():
    assert all(not a.startswith("127.") for a in network_addresses())
