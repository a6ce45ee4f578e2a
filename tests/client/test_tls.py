"""wss://: the server serves TLS with --tls-cert/--tls-key, and the client verifies
the certificate (a private CA only when it is told to trust it)."""

from __future__ import annotations

import ssl
import subprocess
import sys
from pathlib import Path

import pytest
import trustme

from desktop_chat.client import ChatClient, ChatError, ChatErrorCode, ChatMessage, ChatOptions
from desktop_chat.client.pinning import fingerprint

SERVER = str(Path(sys.executable).with_name("desktop-chat-server"))


@pytest.fixture
def certificates(tmp_path: Path) -> dict[str, Path]:
    ca = trustme.CA()
    server_cert = ca.issue_cert("127.0.0.1", "localhost")
    paths = {
        "ca": tmp_path / "ca.pem",
        "cert": tmp_path / "server.pem",
        "key": tmp_path / "server.key",
    }
    ca.cert_pem.write_to_path(str(paths["ca"]))
    server_cert.cert_chain_pems[0].write_to_path(str(paths["cert"]))
    server_cert.private_key_pem.write_to_path(str(paths["key"]))
    return paths


async def test_receipts_flow_over_verified_tls(clients, certificates):
    server = await clients.harness.start(tls_cert=certificates["cert"], tls_key=certificates["key"])
    assert server.url.startswith("wss://127.0.0.1:")
    ca = str(certificates["ca"])
    alice = await clients.login("alice", tls_ca_file=ca)
    bob = await clients.login("bob", tls_ca_file=ca)
    sent = await alice.chat_manager.send_message(ChatMessage.text("bob", "over TLS"))
    await clients.events(bob).wait("on_messages_received")
    await bob.chat_manager.send_conversation_read_ack("alice")
    await clients.events(alice).wait("on_conversation_read")
    assert alice.chat_manager.get_message(sent.msg_id).has_read_ack


async def test_a_certificate_the_client_does_not_trust_is_refused_clearly(
    clients, certificates, tmp_path
):
    await clients.harness.start(tls_cert=certificates["cert"], tls_key=certificates["key"])
    stranger = ChatClient(ChatOptions(server_url=clients.harness.url), tmp_path / "stranger")
    with pytest.raises(ChatError) as refused:
        await stranger.register("mallory", "correct horse")
    assert refused.value.code is ChatErrorCode.UNTRUSTED_CERTIFICATE
    assert "certificate no authority vouches for" in refused.value.description
    # What it presented, for the person to compare (client.pinning).
    der = ssl.PEM_cert_to_DER_cert(certificates["cert"].read_text())
    assert refused.value.details == {"fingerprint": fingerprint(der), "pinned": None}


def test_the_command_line_wants_both_tls_files(tmp_path, certificates):
    half = subprocess.run(
        [
            SERVER,
            "--port",
            "0",
            "--db",
            str(tmp_path / "x.db"),
            "--tls-cert",
            str(certificates["cert"]),
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert half.returncode == 2
    assert "--tls-cert and --tls-key go together" in half.stderr
