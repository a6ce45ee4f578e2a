"""Downloading a file message against the real server on loopback: `progress` is told
the bytes saved when the download begins (the `.part` file's, for a resumed one) and
after each chunk; a download whose task is cancelled keeps its `.part`, and the next
download goes on from it to a file with the right bytes, taking nothing twice."""

from __future__ import annotations

import asyncio
import os

import pytest

from desktop_chat.client import ChatMessage
from desktop_chat.client.models import FileMessageBody

CHUNK = 256 * 1024


async def test_a_cancelled_download_keeps_its_part_and_the_next_one_resumes_it(clients, tmp_path):
    await clients.harness.start(max_chunk_bytes=CHUNK)
    data = os.urandom(8 * CHUNK + 1234)
    size = len(data)
    source = tmp_path / "slides.pdf"
    source.write_bytes(data)
    bob = await clients.login("bob", device="bob")
    alice = await clients.login("alice", device="alice")
    sent = await alice.chat_manager.send_message(ChatMessage.file("bob", str(source)))
    recorder = clients.events(bob)
    await recorder.wait("on_messages_received")
    (got,) = recorder.flat("on_messages_received")
    assert got.msg_id == sent.msg_id
    folder = tmp_path / "Downloads"

    first: list[tuple[int, int]] = []
    downloading: asyncio.Task | None = None

    def cancel_after_three_chunks(done: int, total: int) -> None:
        first.append((done, total))
        if done >= 3 * CHUNK:
            assert downloading is not None
            downloading.cancel()  # as the app does when the person stops it, or quits

    downloading = asyncio.create_task(
        bob.chat_manager.download_attachment(got, folder, cancel_after_three_chunks)
    )
    with pytest.raises(asyncio.CancelledError):
        await downloading
    assert first == [(n * CHUNK, size) for n in range(4)], "told at the start, then per chunk"
    (part,) = folder.iterdir()
    assert part.name.endswith(".part") and part.read_bytes() == data[: 3 * CHUNK]
    kept = bob.chat_manager.get_message(got.msg_id)
    assert isinstance(kept.body, FileMessageBody) and kept.body.local_path == ""

    second: list[tuple[int, int]] = []
    path = await bob.chat_manager.download_attachment(
        got, folder, lambda done, total: second.append((done, total))
    )
    assert second[0] == (3 * CHUNK, size), "the resumed download begins at its .part"
    assert second == [(min(n * CHUNK, size), size) for n in range(3, 10)]
    assert path.read_bytes() == data
    assert [p.name for p in folder.iterdir()] == [path.name], "the .part took its name"
    kept = bob.chat_manager.get_message(got.msg_id)
    assert isinstance(kept.body, FileMessageBody) and kept.body.local_path == str(path)
