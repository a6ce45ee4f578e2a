"""A photo's location never leaves this computer (client.exif.strip_location): the GPS
directory goes, every other tag and every byte of the picture stay."""

from __future__ import annotations

import struct

from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QColor, QImage

from desktop_chat.client.exif import strip_location

SECRET = 0x0BADF00D  # the latitude's numerator: found anywhere, the location leaked


def real_jpeg() -> bytes:
    image = QImage(64, 48, QImage.Format.Format_RGB32)
    image.fill(QColor("#2AABEE"))
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    assert image.save(buffer, "JPG")
    return bytes(data.data())


def exif_segment(order: str = "<") -> bytes:
    """Orientation, GPS (in the middle), Make; the GPS directory with a latitude."""
    make_at = 8 + 2 + 12 * 3 + 4
    gps_at = make_at + 8
    lat_at = gps_at + 2 + 12 * 2 + 4
    tiff = bytearray((b"II" if order == "<" else b"MM") + struct.pack(order + "HI", 42, 8))
    tiff += struct.pack(order + "H", 3)
    tiff += struct.pack(order + "HHIHH", 0x0112, 3, 1, 6, 0)  # Orientation: 6
    tiff += struct.pack(order + "HHII", 0x8825, 4, 1, gps_at)
    tiff += struct.pack(order + "HHII", 0x010F, 2, 8, make_at)
    tiff += struct.pack(order + "I", 0)
    tiff += b"Camera!\x00"
    tiff += struct.pack(order + "H", 2)
    tiff += struct.pack(order + "HHI", 0x0001, 2, 2) + b"N\x00\x00\x00"
    tiff += struct.pack(order + "HHII", 0x0002, 5, 3, lat_at)
    tiff += struct.pack(order + "I", 0)
    tiff += struct.pack(order + "6I", SECRET, 1, 51, 1, 2976, 100)
    payload = b"Exif\x00\x00" + bytes(tiff)
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def with_segments(jpeg: bytes, *segments: bytes) -> bytes:
    return jpeg[:2] + b"".join(segments) + jpeg[2:]


def first_directory(jpeg: bytes) -> dict[int, tuple[int, int, int]]:
    """IFD0 of the photo's Exif segment: tag -> (type, count, value)."""
    at = jpeg.index(b"Exif\x00\x00") + 6
    tiff = jpeg[at:]
    order = "<" if tiff[:2] == b"II" else ">"
    (ifd0,) = struct.unpack_from(order + "I", tiff, 4)
    (count,) = struct.unpack_from(order + "H", tiff, ifd0)
    tags = {}
    for i in range(count):
        tag, kind, n, value = struct.unpack_from(order + "HHII", tiff, ifd0 + 2 + 12 * i)
        tags[tag] = (kind, n, value)
    (next_ifd,) = struct.unpack_from(order + "I", tiff, ifd0 + 2 + 12 * count)
    assert next_ifd == 0
    return tags


def test_the_location_goes_and_everything_else_stays_in_both_byte_orders():
    picture = real_jpeg()
    for order in ("<", ">"):
        photo = with_segments(picture, exif_segment(order))
        assert struct.pack(order + "I", SECRET) in photo
        clean = strip_location(photo)
        assert struct.pack(order + "I", SECRET) not in clean, "no latitude anywhere"
        tags = first_directory(clean)
        assert 0x8825 not in tags
        assert set(tags) == {0x0112, 0x010F}, "orientation and camera kept"
        orientation = tags[0x0112][2] & 0xFFFF if order == "<" else tags[0x0112][2] >> 16
        assert orientation == 6
        assert clean.endswith(picture[2:]), "the picture's bytes, untouched"
        assert len(clean) == len(photo)
        image = QImage.fromData(clean)
        assert (image.width(), image.height()) == (64, 48)
        assert strip_location(clean) == clean, "nothing more to take"


def test_xmp_and_unreadable_exif_are_dropped_and_other_files_pass_unchanged():
    picture = real_jpeg()
    xmp_body = b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta exif:GPSLatitude='51,3N'/>"
    xmp = b"\xff\xe1" + struct.pack(">H", len(xmp_body) + 2) + xmp_body
    broken_body = b"Exif\x00\x00II*\x00\xff\xff\xff\x7f GPS 51N"
    broken = b"\xff\xe1" + struct.pack(">H", len(broken_body) + 2) + broken_body
    clean = strip_location(with_segments(picture, xmp, broken))
    assert b"GPS" not in clean and b"xmpmeta" not in clean
    assert clean == picture, "only the two metadata segments went"
    assert strip_location(b"\x89PNG\r\n\x1a\n...") == b"\x89PNG\r\n\x1a\n..."
    assert strip_location(picture) == picture
