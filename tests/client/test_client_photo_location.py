"""Where a photo was taken stays on this computer (`ChatOptions.strip_photo_location`,
on by default), against the real server on loopback: a JPEG image message (known by
its bytes, whatever its name) goes as a private copy without its GPS directory, so
the recipient's download has none; the person's own file is never changed; a file
that is no JPEG goes as it is; with the option off the bytes arrive identical; and the
private copy goes with the last message showing it, recalled here or on another of
the sender's devices."""

from __future__ import annotations

import hashlib
import stat
import struct
from pathlib import Path

from test_exif_location import SECRET, exif_segment, first_directory, real_jpeg, with_segments

from desktop_chat.client import ChatMessage
from desktop_chat.client.exif import strip_location
from desktop_chat.client.models import FileMessageBody, MessageStatus

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def photo_with_location() -> bytes:
    photo = with_segments(real_jpeg(), exif_segment())
    assert struct.pack("<I", SECRET) in photo and GPS_IFD in first_directory(photo)
    return photo


async def send_and_download(clients, sender, bob, path: Path, folder: Path):
    """Send `path` as an image to bob; (what the sender kept, bob's downloaded bytes)."""
    sent = await sender.chat_manager.send_message(ChatMessage.image("bob", str(path), 64, 48))
    assert sent.status is MessageStatus.SUCCESS
    recorder = clients.events(bob)
    await recorder.wait(
        "on_messages_received",
        lambda r: any(m.msg_id == sent.msg_id for m in r.flat("on_messages_received")),
    )
    (got,) = [m for m in recorder.flat("on_messages_received") if m.msg_id == sent.msg_id]
    downloaded = await bob.chat_manager.download_attachment(got, folder)
    return sent, downloaded.read_bytes()


async def test_a_photo_goes_without_its_location_and_the_original_stays(clients, tmp_path):
    await clients.harness.start()
    photo = photo_with_location()
    original = tmp_path / "IMG_0042.jpg"
    original.write_bytes(photo)
    before = original.stat()
    bob = await clients.login("bob", device="bob")
    alice = await clients.login("alice", device="alice")

    sent, arrived = await send_and_download(clients, alice, bob, original, tmp_path / "dl")
    assert struct.pack("<I", SECRET) not in arrived, "no latitude anywhere"
    tags = first_directory(arrived)
    assert GPS_IFD not in tags and ORIENTATION in tags, "the location went, the rest stayed"
    assert arrived == strip_location(photo)
    assert original.read_bytes() == photo and original.stat().st_mtime_ns == before.st_mtime_ns

    body = sent.body
    assert isinstance(body, FileMessageBody) and body.display_name == "IMG_0042.jpg"
    digest = hashlib.sha256(arrived).hexdigest()
    copy = Path(body.local_path)
    assert body.sha256 == digest and copy.name == f"{digest}.jpg"
    assert copy.parent == clients.data_dir("alice") / "alice" / "sent_photos"
    assert copy.read_bytes() == arrived
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert stat.S_IMODE(copy.parent.stat().st_mode) == 0o700
    kept = alice.chat_manager.get_message(sent.msg_id)
    assert isinstance(kept.body, FileMessageBody) and kept.body.local_path == str(copy)

    # A JPEG by its bytes, whatever its name; and a name that lies is no JPEG.
    unnamed = tmp_path / "scan"
    unnamed.write_bytes(photo)
    _, arrived = await send_and_download(clients, alice, bob, unnamed, tmp_path / "dl2")
    assert arrived == strip_location(photo) and unnamed.read_bytes() == photo
    fake = tmp_path / "not-a-photo.jpg"
    fake.write_bytes(b"\x89PNG\r\n\x1a\n" + struct.pack("<I", SECRET) * 8)
    sent, arrived = await send_and_download(clients, alice, bob, fake, tmp_path / "dl3")
    assert arrived == fake.read_bytes() and sent.body.local_path == str(fake)


async def test_with_the_option_off_the_photo_arrives_byte_for_byte(clients, tmp_path):
    await clients.harness.start()
    photo = photo_with_location()
    original = tmp_path / "IMG_0043.jpg"
    original.write_bytes(photo)
    bob = await clients.login("bob", device="bob")
    alice = await clients.login("alice", device="alice", strip_photo_location=False)
    sent, arrived = await send_and_download(clients, alice, bob, original, tmp_path / "dl")
    assert arrived == photo and sent.body.local_path == str(original)
    assert not (clients.data_dir("alice") / "alice" / "sent_photos").exists()


async def test_a_photos_private_copy_goes_when_no_message_shows_it_any_more(clients, tmp_path):
    """The copy without the location is named by its sha256: the same photo sent twice
    shares one; it is removed once the last message showing it is deleted here or
    recalled, and the person's own file is never touched."""
    await clients.harness.start()
    original = tmp_path / "IMG_0043.jpg"
    original.write_bytes(photo_with_location())
    bob = await clients.login("bob", device="bob")
    alice = await clients.login("alice", device="alice")
    first, _ = await send_and_download(clients, alice, bob, original, tmp_path / "dl")
    second, _ = await send_and_download(clients, alice, bob, original, tmp_path / "dl2")
    copy = Path(first.body.local_path)
    assert second.body.local_path == str(copy) and copy.is_file()

    alice.chat_manager.delete_message(first.msg_id)
    assert copy.is_file(), "the second message still shows it"
    await alice.chat_manager.recall_message(second.msg_id)
    assert not copy.exists()
    assert original.is_file()

    # A photo sent without stripping is the person's own file: deleting keeps it.
    plain = tmp_path / "plain.png"
    plain.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    sent, _ = await send_and_download(clients, alice, bob, plain, tmp_path / "dl3")
    assert sent.body.local_path == str(plain)
    alice.chat_manager.delete_message(sent.msg_id)
    assert plain.is_file()


async def test_a_recall_from_another_device_takes_the_photos_copy_away_here(clients, tmp_path):
    await clients.harness.start()
    original = tmp_path / "IMG_0044.jpg"
    original.write_bytes(photo_with_location())
    bob = await clients.login("bob", device="bob")
    alice = await clients.login("alice", device="alice")
    laptop = await clients.login("alice", device="alice-laptop")
    sent, _ = await send_and_download(clients, alice, bob, original, tmp_path / "dl")
    copy = Path(sent.body.local_path)
    assert copy.is_file()
    seen = clients.events(laptop)
    await seen.wait(
        "on_messages_received",
        lambda r: any(m.msg_id == sent.msg_id for m in r.flat("on_messages_received")),
    )
    await laptop.chat_manager.recall_message(sent.msg_id)
    here = clients.events(alice)
    await here.wait(
        "on_message_recalled",
        lambda r: any(m.msg_id == sent.msg_id for m in r.flat("on_message_recalled")),
    )
    assert not copy.exists(), "the copy outlived its message on the device that sent it"
    assert original.is_file()
