"""An outgoing file's upload, watched and stopped, against the real server on loopback:
`on_message_progress` tells the bytes the server holds (from where its copy stands,
when an upload begins, then after each chunk); `cancel_send` takes a message that is
still uploading out of the outbox, marks it failed and stops its upload before the
next chunk, while what was queued after it goes out; `resend_message` then goes on
from the server's copy to the end, and the recipient gets the very file."""

from __future__ import annotations

import asyncio
import hashlib
import os

from desktop_chat.client import ChatEventHandler, ChatMessage
from desktop_chat.client.attachments import upload_window
from desktop_chat.client.models import FileMessageBody, MessageStatus

MB = 1024 * 1024
CHUNK = 256 * 1024
# Two chunks a second: an upload of a few MB is running for seconds, to be cancelled.
THROTTLED = {
    "upload_bytes_per_second": MB // 2,
    "upload_burst_bytes": MB // 2,
    "max_chunk_bytes": CHUNK,
}


def progress_of(clients, client, msg_id: str) -> list[tuple[int, int]]:
    calls = clients.events(client).calls["on_message_progress"]
    return [(done, total) for (key, done, total) in calls if key == msg_id]


async def wait_progress(clients, client, msg_id: str, at_least: int) -> None:
    await clients.events(client).wait(
        "on_message_progress",
        lambda r: any(done >= at_least for done, _ in progress_of(clients, client, msg_id)),
    )


async def wait_status(clients, client, msg_id: str, status: MessageStatus) -> None:
    await clients.events(client).wait(
        "on_message_status_changed",
        lambda r: any(
            m.msg_id == msg_id and m.status is status
            for (m,) in r.calls["on_message_status_changed"]
        ),
    )


async def received_ids(clients, client, count: int) -> list[str]:
    recorder = clients.events(client)
    await recorder.wait(
        "on_messages_received", lambda r: len(r.flat("on_messages_received")) >= count
    )
    return [m.msg_id for m in recorder.flat("on_messages_received")]


async def test_a_cancelled_upload_stops_fails_and_a_retry_resumes_it_to_the_end(clients, tmp_path):
    # A 2 MB burst (8 chunks) goes at once: a cancel at 1 MB is in the middle of it.
    await clients.harness.start(
        upload_bytes_per_second=MB // 2, upload_burst_bytes=2 * MB, max_chunk_bytes=CHUNK
    )
    data = os.urandom(4 * MB)
    digest = hashlib.sha256(data).hexdigest()
    source = tmp_path / "holiday.mov"
    source.write_bytes(data)
    bob = await clients.login("bob", device="bob")
    alice = await clients.login("alice", device="alice", send_timeout_seconds=0.5)
    upload = ChatMessage.file("bob", str(source))
    msg_id = upload.msg_id
    cancels: list[tuple[int, bool]] = []  # (the server's copy then, cancel_send's answer)

    def cancel_at_1_mb(key: str, done: int, total: int) -> None:
        if key == msg_id and done >= MB and not cancels:
            held = clients.harness.store.blob(digest).received
            cancels.append((held, alice.chat_manager.cancel_send(key)))

    alice.chat_manager.add_event_handler(
        "canceller", ChatEventHandler(on_message_progress=cancel_at_1_mb)
    )
    pending = await alice.chat_manager.send_message(upload)
    assert pending.status in (MessageStatus.PENDING, MessageStatus.FAIL)

    await wait_status(clients, alice, msg_id, MessageStatus.FAIL)
    ((at_cancel, answer),) = cancels
    assert answer is True and at_cancel >= MB
    told = progress_of(clients, alice, msg_id)
    assert told[0] == (0, len(data)), "told once when the upload begins"
    assert [done for done, _ in told] == sorted(done for done, _ in told)
    assert {total for _, total in told} == {len(data)}
    assert alice.chat_manager.get_message(msg_id).status is MessageStatus.FAIL
    assert alice.chat_manager.cancel_send(msg_id) is False, "not pending any more"
    assert alice.chat_manager.cancel_send("no-such-message") is False
    assert alice.store.outbox_size() == 0

    # The outbox moves on: once a text sent after it is stored, the cancelled upload
    # has returned (one drain at a time, in order); no chunk went after the cancel, so
    # at most the chunks in flight then (the window but the one just answered) landed.
    note = await alice.chat_manager.send_message(ChatMessage.text("bob", "sent later"))
    await wait_status(clients, alice, note.msg_id, MessageStatus.SUCCESS)
    stopped_at = clients.harness.store.blob(digest).received
    assert at_cancel <= stopped_at <= at_cancel + (upload_window(CHUNK) - 1) * CHUNK < len(data)
    told_before_retry = len(progress_of(clients, alice, msg_id))
    assert await received_ids(clients, bob, 1) == [note.msg_id]
    assert clients.harness.store.blob(digest).received == stopped_at, "the upload stopped"
    assert clients.harness.store.blob_refs_of(msg_id) == []

    # The retry (the red !'s click), on a server no longer throttled: from the copy.
    await clients.harness.stop()
    await clients.harness.start(upload_bytes_per_second=0)
    retried = await alice.chat_manager.resend_message(msg_id)
    await wait_status(clients, alice, msg_id, MessageStatus.SUCCESS)
    resumed = progress_of(clients, alice, msg_id)[told_before_retry:]
    assert resumed[0] == (stopped_at, len(data)), "the retry begins at the server's copy"
    assert resumed[-1] == (len(data), len(data))
    assert retried.msg_id == msg_id
    assert await received_ids(clients, bob, 2) == [note.msg_id, msg_id]
    got = bob.chat_manager.get_message(msg_id)
    assert isinstance(got.body, FileMessageBody) and got.body.sha256 == digest
    path = await bob.chat_manager.download_attachment(got, tmp_path / "dl")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest


async def test_a_text_queued_behind_a_cancelled_upload_still_goes_out(clients, tmp_path):
    await clients.harness.start(**THROTTLED)
    data = os.urandom(8 * MB)  # about 16 s at this rate: only a cancel lets the text by
    source = tmp_path / "backup.tar"
    source.write_bytes(data)
    bob = await clients.login("bob", device="bob")
    alice = await clients.login("alice", device="alice", send_timeout_seconds=30)
    upload = ChatMessage.file("bob", str(source))
    sending_file = asyncio.create_task(alice.chat_manager.send_message(upload))
    await wait_progress(clients, alice, upload.msg_id, CHUNK)
    text = ChatMessage.text("bob", "the file can wait")
    sending_text = asyncio.create_task(alice.chat_manager.send_message(text))
    await wait_status(clients, alice, text.msg_id, MessageStatus.PENDING)  # queued behind
    assert not sending_text.done() and alice.store.outbox_size() == 2

    assert alice.chat_manager.cancel_send(upload.msg_id) is True
    cancelled = await asyncio.wait_for(sending_file, 5)
    assert cancelled.status is MessageStatus.FAIL, "a waiting send_message returns it failed"
    sent = await asyncio.wait_for(sending_text, 10)
    assert sent.status is MessageStatus.SUCCESS
    assert await received_ids(clients, bob, 1) == [text.msg_id]
    await clients.settle(alice)
    assert alice.chat_manager.get_message(upload.msg_id).status is MessageStatus.FAIL
    assert clients.harness.store.blob_refs_of(upload.msg_id) == []


async def test_cancel_send_refuses_sent_and_received_messages(clients):
    await clients.harness.start()
    bob = await clients.login("bob", device="bob")
    alice = await clients.login("alice", device="alice")
    sent = await alice.chat_manager.send_message(ChatMessage.text("bob", "hello"))
    assert sent.status is MessageStatus.SUCCESS
    assert alice.chat_manager.cancel_send(sent.msg_id) is False
    assert alice.chat_manager.get_message(sent.msg_id).status is MessageStatus.SUCCESS
    assert await received_ids(clients, bob, 1) == [sent.msg_id]
    assert bob.chat_manager.cancel_send(sent.msg_id) is False


async def test_a_message_waiting_offline_is_cancelled_and_never_sent(clients):
    await clients.harness.start()
    bob = await clients.login("bob", device="bob")
    alice = await clients.login("alice", device="alice", send_timeout_seconds=0.2)
    await clients.harness.stop()
    await clients.events(alice).wait("on_disconnected")
    waiting = await alice.chat_manager.send_message(ChatMessage.text("bob", "never mind"))
    assert waiting.status is MessageStatus.PENDING
    assert alice.chat_manager.cancel_send(waiting.msg_id) is True
    await clients.harness.start()
    later = await alice.chat_manager.send_message(ChatMessage.text("bob", "this one"))
    await wait_status(clients, alice, later.msg_id, MessageStatus.SUCCESS)
    assert await received_ids(clients, bob, 1) == [later.msg_id]
    assert alice.chat_manager.get_message(waiting.msg_id).status is MessageStatus.FAIL


async def test_a_text_written_after_a_big_file_goes_first_and_the_file_follows(clients, tmp_path):
    # 3 MB at 0.5 MB/s: six seconds of upload; the text must not wait for it.
    await clients.harness.start(**THROTTLED)
    data = os.urandom(3 * MB)
    source = tmp_path / "deck.pdf"
    source.write_bytes(data)
    bob = await clients.login("bob", device="bob")
    alice = await clients.login("alice", device="alice", send_timeout_seconds=0.5)
    big = ChatMessage.file("bob", str(source))
    await alice.chat_manager.send_message(big)
    await wait_progress(clients, alice, big.msg_id, CHUNK)  # it is going up
    text = ChatMessage.text("bob", "here is the deck")
    await alice.chat_manager.send_message(text)
    first = await received_ids(clients, bob, 1)
    assert first[0] == text.msg_id, "the text did not wait behind the file"
    held = clients.harness.store.blob(hashlib.sha256(data).hexdigest())
    assert held is not None and held.received < len(data), "the file was still going up"
    both = await received_ids(clients, bob, 2)
    assert both == [text.msg_id, big.msg_id], "then the file's message, below the text"
    got = bob.chat_manager.get_message(big.msg_id)
    assert isinstance(got.body, FileMessageBody)
    saved = await bob.chat_manager.download_attachment(got, tmp_path / "bob")
    assert saved.read_bytes() == data


async def test_a_message_deleted_while_its_file_uploads_is_never_sent(clients, tmp_path):
    """Found by a person: "delete for me" during an upload still sent the file."""
    await clients.harness.start(**THROTTLED)
    data = os.urandom(4 * MB)  # about 8 s at this rate
    digest = hashlib.sha256(data).hexdigest()
    source = tmp_path / "draft.key"
    source.write_bytes(data)
    bob = await clients.login("bob", device="bob")
    alice = await clients.login("alice", device="alice", send_timeout_seconds=30)
    upload = ChatMessage.file("bob", str(source))
    sending = asyncio.create_task(alice.chat_manager.send_message(upload))
    await wait_progress(clients, alice, upload.msg_id, CHUNK)
    alice.chat_manager.delete_message(upload.msg_id)
    assert alice.store.outbox_size() == 0
    await asyncio.wait_for(sending, 10)
    # A text sent after it goes through the same outbox: once bob has it, the
    # deleted message's upload has stopped and its send was never made.
    note = await alice.chat_manager.send_message(ChatMessage.text("bob", "never mind"))
    await wait_status(clients, alice, note.msg_id, MessageStatus.SUCCESS)
    assert await received_ids(clients, bob, 1) == [note.msg_id]
    # The upload stops: the server's copy stands still (chunks in flight at the delete
    # may still land) well short of the whole file, which needs 8 s at this rate.
    stopped_at, still_since = -1, 0.0
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 15
    while loop.time() < deadline:
        held = clients.harness.store.blob(digest).received
        if held != stopped_at:
            stopped_at, still_since = held, loop.time()
        elif loop.time() - still_since >= 2.0:  # four chunks' time with nothing new
            break
        await asyncio.sleep(0.1)
    assert stopped_at < len(data), "the upload went on to the end"
    assert clients.harness.store.blob_refs_of(upload.msg_id) == []
    assert bob.chat_manager.get_message(upload.msg_id) is None, "never sent"
    assert alice.chat_manager.get_message(upload.msg_id) is None
