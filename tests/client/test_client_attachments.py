"""File messages through the client core, against the real server: `ChatMessage.file`
sent, delivered and received with the SDK's body names, downloaded into a folder
under a safe name (downloading is no read receipt), kept across a restart of the
app, and an upload cut by quitting the app resumed by the next start from where the
server's copy ends."""

from __future__ import annotations

import asyncio
import hashlib
import os

from desktop_chat.client import ChatMessage
from desktop_chat.client.models import FileMessageBody, MessageStatus

MB = 1024 * 1024
CHUNK = 256 * 1024  # the chunk these tests cut files in (server config `max_chunk_bytes`)


async def received(clients, client, count: int = 1) -> list[ChatMessage]:
    recorder = clients.events(client)
    await recorder.wait(
        "on_messages_received", lambda r: len(r.flat("on_messages_received")) >= count
    )
    return recorder.flat("on_messages_received")


async def test_a_file_is_sent_delivered_downloaded_and_kept_across_a_restart(clients, tmp_path):
    await clients.harness.start()
    data = os.urandom(MB + 123)
    source = tmp_path / "Quarterly report.pdf"
    source.write_bytes(data)
    alice = await clients.login("alice", device="alice")
    bob = await clients.login("bob", device="bob")

    sent = await alice.chat_manager.send_message(
        ChatMessage.file("bob", str(source), display_name="../../Quarterly report.pdf")
    )
    assert sent.status is MessageStatus.SUCCESS
    (got,) = await received(clients, bob)
    body = got.body
    assert isinstance(body, FileMessageBody)
    assert (body.display_name, body.file_size, body.mime) == (
        "Quarterly report.pdf",
        len(data),
        "application/pdf",
    )
    assert body.sha256 == hashlib.sha256(data).hexdigest() and body.local_path == ""
    await clients.events(alice).wait("on_messages_delivered")

    downloads = tmp_path / "Downloads"
    path = await bob.chat_manager.download_attachment(got, downloads)
    assert path.parent == downloads and path.name == "Quarterly report.pdf"
    assert path.read_bytes() == data
    again = await bob.chat_manager.download_attachment(got, downloads)
    assert again.name == "Quarterly report (2).pdf", "a download never overwrites"
    await clients.settle(bob)
    assert not clients.events(alice).flat("on_messages_read"), "a download is no read"

    await bob.close()
    bob = await clients.login("bob", device="bob")
    kept = bob.chat_manager.get_message(got.msg_id)
    assert isinstance(kept.body, FileMessageBody)
    assert (kept.body.display_name, kept.body.local_path) == ("Quarterly report.pdf", str(again))


async def test_an_upload_cut_by_quitting_the_app_resumes_at_the_next_start(clients, tmp_path):
    # Two chunks a second: the upload of 32 chunks takes long enough to be cut.
    await clients.harness.start(
        upload_bytes_per_second=MB // 2, upload_burst_bytes=MB // 2, max_chunk_bytes=CHUNK
    )
    data = os.urandom(8 * MB)
    digest = hashlib.sha256(data).hexdigest()
    source = tmp_path / "video.mp4"
    source.write_bytes(data)
    bob = await clients.login("bob", device="bob")
    alice = await clients.login("alice", device="alice", send_timeout_seconds=0.5)
    pending = await alice.chat_manager.send_message(ChatMessage.file("bob", str(source)))
    assert pending.status in (MessageStatus.CREATE, MessageStatus.PENDING)  # uploading

    store = clients.harness.store
    for _ in range(200):
        blob = store.blob(digest)
        if blob is not None and blob.received >= 2 * MB:
            break
        await asyncio.sleep(0.05)
    await alice.close()  # the person quits mid-upload
    cut = store.blob(digest)
    assert cut is not None and 2 * MB <= cut.received < len(data)

    await clients.harness.stop()
    await clients.harness.start(upload_bytes_per_second=0, max_chunk_bytes=CHUNK)
    alice = await clients.login("alice", device="alice")
    (got,) = await received(clients, bob)
    assert got.msg_id == pending.msg_id and got.body.file_size == len(data)
    chunks_left = -(-(len(data) - cut.received) // CHUNK)
    # Signing in, syncing, acks and the send take under 10 frames; starting over
    # would take every chunk again (32).
    assert alice._connection is not None
    assert alice._connection.frames_sent < chunks_left + 10, "the upload started over"
    path = await bob.chat_manager.download_attachment(got, tmp_path / "dl")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
