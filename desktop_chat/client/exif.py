"""Where a photo was taken stays on this computer: location metadata is taken out
of a JPEG before it is sent.

Owns: `strip_location(data) -> bytes`. In a JPEG's Exif segment (APP1 "Exif"), the
GPS directory is wiped and its entry removed from the first directory, so every
other tag (the orientation that keeps a photo upright, the camera, the time) and
every byte of the picture stay exactly as they were: nothing is re-encoded. XMP
segments (APP1 with Adobe's namespace), which can repeat the location, are
dropped whole. An Exif segment that cannot be read is dropped whole too: a photo
may lose its metadata, never keep a location by accident. Anything that is not a
JPEG comes back unchanged.

Never: decode or re-encode the image, or do I/O.
"""

from __future__ import annotations

import struct

SOI = b"\xff\xd8"
APP1 = 0xE1
SOS = 0xDA
EXIF_HEADER = b"Exif\x00\x00"
XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
GPS_IFD_TAG = 0x8825
_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8}


class _Unreadable(Exception):
    pass


def strip_location(data: bytes) -> bytes:
    if not data.startswith(SOI):
        return data
    out = bytearray(SOI)
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            return data  # not a segment where one must be: leave the file as it is
        marker = data[at + 1]
        if marker == SOS or 0xD0 <= marker <= 0xD9:
            break  # the picture itself, to the end, as it is
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        end = at + 2 + length
        if length < 2 or end > len(data):
            return data
        payload = data[at + 4 : end]
        if marker == APP1 and payload.startswith(XMP_HEADER):
            at = end  # dropped
            continue
        if marker == APP1 and payload.startswith(EXIF_HEADER):
            try:
                tiff = _without_gps(payload[len(EXIF_HEADER) :])
            except (_Unreadable, struct.error):
                at = end  # unreadable: dropped whole
                continue
            payload = EXIF_HEADER + tiff
        out += bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload
        at = end
    out += data[at:]
    return bytes(out)


def _without_gps(tiff: bytes) -> bytes:
    """The TIFF structure of an Exif segment with its GPS directory taken out."""
    if tiff[:2] == b"II":
        order = "<"
    elif tiff[:2] == b"MM":
        order = ">"
    else:
        raise _Unreadable("no byte order")
    buf = bytearray(tiff)
    (ifd0,) = struct.unpack_from(order + "I", buf, 4)
    (count,) = struct.unpack_from(order + "H", buf, ifd0)
    entries = ifd0 + 2
    if entries + 12 * count + 4 > len(buf):
        raise _Unreadable("the first directory runs past the segment")
    for index in range(count):
        entry = entries + 12 * index
        tag, _kind, _n, gps_offset = struct.unpack_from(order + "HHII", buf, entry)
        if tag != GPS_IFD_TAG:
            continue
        _wipe_directory(buf, order, gps_offset)
        # Close the gap: later entries move up, the next-directory link follows them.
        tail_end = entries + 12 * count + 4
        buf[entry:tail_end] = buf[entry + 12 : tail_end] + bytes(12)
        struct.pack_into(order + "H", buf, ifd0, count - 1)
        break
    return bytes(buf)


def _wipe_directory(buf: bytearray, order: str, offset: int) -> None:
    """Zero a directory and the values its entries point to."""
    (count,) = struct.unpack_from(order + "H", buf, offset)
    end = offset + 2 + 12 * count + 4
    if end > len(buf):
        raise _Unreadable("the GPS directory runs past the segment")
    for index in range(count):
        entry = offset + 2 + 12 * index
        _tag, kind, n, value = struct.unpack_from(order + "HHII", buf, entry)
        size = _TYPE_SIZES.get(kind, 1) * n
        if size > 4:
            if value + size > len(buf):
                raise _Unreadable("a GPS value runs past the segment")
            buf[value : value + size] = bytes(size)
    buf[offset:end] = bytes(end - offset)
