"""Turning wire bytes into typed frames and back.

Owns: `decode_client_frame` and `decode_server_frame`, which return a frame or a
`ProtocolError` and never raise; `read_server_frame`, a client's reader, which
returns a `BadEvent` for a logged event it cannot read (and a `sync_batch` with a
BadEvent in place of each such event), so no seq is lost unseen; data frames (a
frame with its bytes raw after a JSON header, for files); `encode`, and
helpers that build error replies and pushes from pre-encoded bodies.

Call `decode_client_frame(data)` for every text frame the server receives, then
`validation.validate_request(frame)` for the limits that have their own codes.

Never: import asyncio, websockets, sqlite or Qt, or raise out of a decode.
"""

from __future__ import annotations

import json
import re
from typing import Any

import msgspec

from desktop_chat.protocol.errors import ErrorCode, ProtocolError
from desktop_chat.protocol.frames import (
    DATA_FRAMES,
    BadEvent,
    ClientFrame,
    Error,
    RequestId,
    ServerFrame,
    ServerPush,
    SyncBatch,
)

DEFAULT_MAX_FRAME_BYTES = 1024 * 1024

# Typed by hand: a union is no `type[T]`, so the checker cannot infer what they decode.
_client_decoder: msgspec.json.Decoder[ClientFrame] = msgspec.json.Decoder(ClientFrame)
_server_decoder: msgspec.json.Decoder[ServerFrame] = msgspec.json.Decoder(ServerFrame)
_loose_decoder = msgspec.json.Decoder()
_encoder = msgspec.json.Encoder()
_SEQ_ZERO_TAIL = b',"seq":0}'
_UNKNOWN_TAG = re.compile(r"^Invalid value .* - at `\$\.type`\Z", re.DOTALL)


def encode(frame: msgspec.Struct) -> bytes:
    """Encode a frame as compact JSON (UTF-8 bytes, sent as a text frame), or, for an
    `upload_chunk` or a `chunk`, as a data frame (`is_data_frame`: sent as binary)."""
    if isinstance(frame, DATA_FRAMES):
        header = _encoder.encode(msgspec.structs.replace(frame, data=b""))
        return b"".join((DATA_MARK, len(header).to_bytes(4, "big"), header, frame.data))
    return _encoder.encode(frame)


# --------------------------------------------------------------------------- data frames
# A data frame is a binary websocket frame: the byte 0x00 (never the start of JSON), the
# length of a JSON header (4 bytes, big-endian), the header (the frame in JSON, its
# `data` empty), then the frame's `data`, raw. Files move in these, with no base64.

DATA_MARK = b"\x00"
_HEAD = 5


def is_data_frame(data: bytes | str) -> bool:
    """Whether `data` is a data frame (to be sent as a binary websocket frame)."""
    return isinstance(data, bytes) and data[:1] == DATA_MARK


def _malformed(message: str) -> ProtocolError:
    return ProtocolError(ErrorCode.MALFORMED_FRAME, message)


def _decode_data_frame(data: bytes, decoder: msgspec.json.Decoder[Any]) -> Any:
    """The frame a data frame carries, its payload as `data`; or a ProtocolError."""
    if len(data) < _HEAD:
        return _malformed("a data frame starts with 0x00 and its header's length (4 bytes)")
    size = int.from_bytes(data[1:_HEAD], "big")
    if _HEAD + size > len(data):
        return _malformed(f"the data frame's header of {size} bytes is longer than the frame")
    header = data[_HEAD : _HEAD + size]
    refusal = _not_utf8(header)
    if refusal is not None:
        return refusal
    try:
        frame = decoder.decode(header)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError, ValueError) as exc:
        return _classify(exc, header)
    if not isinstance(frame, DATA_FRAMES):
        kinds = " or ".join(kind.__struct_config__.tag for kind in DATA_FRAMES)  # type: ignore[misc]
        return _malformed(f"a data frame carries {kinds}, not {type(frame).__name__}")
    if frame.data:
        return _malformed("a data frame's bytes go after its header, not in it")
    return msgspec.structs.replace(frame, data=data[_HEAD + size :])


def encode_error(error: ProtocolError) -> bytes:
    return _encoder.encode(
        Error(
            id=error.request_id, code=str(error.code), message=error.message, details=error.details
        )
    )


def encode_push_body(push: msgspec.Struct) -> bytes:
    """Encode a push once, without its `seq`, so one body serves many recipients.

    `frame_with_seq` later turns the body into the frame a given user receives.
    The push must be built with `seq=0`; that field is cut out here.
    """
    raw = _encoder.encode(push)
    # `seq` is keyword-only on Push, so msgspec writes it last.
    if not raw.endswith(_SEQ_ZERO_TAIL):
        raise ValueError("encode_push_body needs a push built with seq=0")
    return raw[: -len(_SEQ_ZERO_TAIL)] + b"}"


def frame_with_seq(body: bytes, seq: int) -> bytes:
    """Insert `seq` into a push body made by `encode_push_body`."""
    return b'{"seq":%d,' % seq + body[1:]


def _json_error(data: bytes | str) -> Exception | None:
    """Why the frame is not plain JSON, or None when it is."""
    try:
        _loose_decoder.decode(data)
    except (msgspec.DecodeError, RecursionError, ValueError) as exc:
        return exc
    return None


class _IdProbe(msgspec.Struct):
    """Only the `id` of a frame: every other value is skipped unread, so a number out
    of every range (`1e400`) beside the id does not hide it."""

    id: RequestId | None = None


_id_decoder = msgspec.json.Decoder(_IdProbe)


def _request_id_of(data: bytes | str) -> str | None:
    """Best effort: the `id` of a frame that failed to decode, to echo it."""
    try:
        return _id_decoder.decode(data).id
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError, ValueError):
        return None


def _out_of_range(exc: Exception) -> bool:
    """A number too large for any type is valid JSON: a bad value, not bad syntax."""
    return "out of range" in str(exc)


def _is_syntax_error(exc: Exception) -> bool:
    """Not JSON at all (cut off, trailing data, bad bytes). Nesting past the recursion
    limit is left to the typed decoder, which may meet a wrong field first."""
    text = str(exc)
    return not (_out_of_range(exc) or "recursion" in text or isinstance(exc, RecursionError))


def _not_utf8(data: bytes | str) -> ProtocolError | None:
    """Bytes that are not strict UTF-8, wherever they are: msgspec checks only the
    strings it decodes, and skips unknown keys and values unread."""
    if isinstance(data, str) or data.isascii():
        return None
    try:
        data.decode("utf-8")  # strict: no overlong forms, no encoded surrogates
    except UnicodeDecodeError as exc:
        return ProtocolError(
            ErrorCode.MALFORMED_FRAME,
            f"frame is not valid UTF-8: {exc.reason} at byte {exc.start}",
            cause=exc,
        )
    return None


def _has_conflicting_types(data: bytes | str) -> bool:
    """True when the frame is an object with `type` more than once, with different values.

    msgspec picks the request by the first `type` and refuses a later one that differs,
    so a frame that decodes has no two that differ; this tells such a refusal from a bad
    field. Only refused frames come here, so the slower standard json (the reader that
    reports every key) is fine.
    """
    if data.lstrip()[:1] not in (b"{", "{"):
        return False
    top: list[list[tuple[str, object]]] = [[]]

    def keep(pairs: list[tuple[str, object]]) -> None:
        top[0] = pairs  # called as each object closes: the frame itself closes last

    try:
        json.loads(data, object_pairs_hook=keep)
    except (ValueError, RecursionError):  # includes ints past Python's digit limit
        return False
    types = [value for key, value in top[0] if key == "type"]
    return any(type(value) is not type(types[0]) or value != types[0] for value in types[1:])


def _too_large(data: bytes | str, max_bytes: int) -> ProtocolError | None:
    size = len(data) if isinstance(data, bytes) else len(data.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        return ProtocolError(
            ErrorCode.FRAME_TOO_LARGE,
            f"frame of {size} bytes is over the limit of {max_bytes} bytes",
            details={"limit": max_bytes, "size": size},
        )
    return None


def _classify(exc: Exception, data: bytes | str) -> ProtocolError:
    # The typed decoder stops at the first wrong field; JSON syntax is judged first
    # (a cut-off frame is malformed whatever its fields), by a plain decode.
    syntax_error = _json_error(data)
    if syntax_error is not None and _is_syntax_error(syntax_error):
        return ProtocolError(
            ErrorCode.MALFORMED_FRAME,
            f"frame is not valid JSON: {syntax_error}",
            cause=syntax_error,
        )
    request_id = _request_id_of(data)
    if _has_conflicting_types(data):
        return ProtocolError(
            ErrorCode.MALFORMED_FRAME,
            "frame has `type` more than once, with different values; send one `type`",
            request_id,
            cause=exc,
        )
    if isinstance(exc, msgspec.ValidationError) or _out_of_range(exc):
        text = str(exc)
        if _UNKNOWN_TAG.match(text):
            return ProtocolError(
                ErrorCode.UNKNOWN_TYPE, f"unknown frame type ({text})", request_id, cause=exc
            )
        if "missing required field `type`" in text and "at `$." not in text:
            return ProtocolError(
                ErrorCode.MALFORMED_FRAME, "frame has no `type` field", request_id, cause=exc
            )
        if text.startswith("Expected `object`") and "at `$" not in text:
            return ProtocolError(
                ErrorCode.MALFORMED_FRAME, "a frame must be a JSON object", request_id, cause=exc
            )
        return ProtocolError(ErrorCode.INVALID_PARAM, text, request_id, cause=exc)
    return ProtocolError(
        ErrorCode.MALFORMED_FRAME, f"frame is not valid JSON: {exc}", request_id, cause=exc
    )


def decode_client_frame(
    data: bytes | str, max_bytes: int = DEFAULT_MAX_FRAME_BYTES
) -> ClientFrame | ProtocolError:
    """Decode one frame a client sent. Returns the frame, or why it was refused."""
    refusal = _too_large(data, max_bytes)
    if refusal is None and is_data_frame(data):
        assert isinstance(data, bytes)
        frame: ClientFrame | ProtocolError = _decode_data_frame(data, _client_decoder)
        return frame
    refusal = refusal or _not_utf8(data)
    if refusal is not None:
        return refusal
    try:
        return _client_decoder.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError, ValueError) as exc:
        return _classify(exc, data)
    except Exception as exc:  # the contract is "never raises"; keep it even for surprises
        return ProtocolError(ErrorCode.MALFORMED_FRAME, f"undecodable frame: {exc}", cause=exc)


def decode_server_frame(data: bytes | str) -> ServerFrame | ProtocolError:
    """Decode one frame the server sent. Returns the frame, or why it is unreadable."""
    if is_data_frame(data):
        assert isinstance(data, bytes)
        frame: ServerFrame | ProtocolError = _decode_data_frame(data, _server_decoder)
        return frame
    not_utf8 = _not_utf8(data)
    if not_utf8 is not None:
        return not_utf8
    try:
        return _server_decoder.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError, ValueError) as exc:
        return _classify(exc, data)
    except Exception as exc:
        return ProtocolError(ErrorCode.MALFORMED_FRAME, f"undecodable frame: {exc}", cause=exc)


# --------------------------------------------------------------------------- a client's reader

_push_decoder: msgspec.json.Decoder[ServerPush] = msgspec.json.Decoder(ServerPush)
_DECODE_ERRORS = (msgspec.DecodeError, msgspec.ValidationError, RecursionError, ValueError)


class _EventProbe(msgspec.Struct):
    """What may still be read of a frame that failed to decode. `id` stays UNSET when
    the frame has none (a push), and is None or a value when it has one (a reply)."""

    type: Any = None
    seq: Any = None
    id: Any = msgspec.UNSET


class _LooseBatch(msgspec.Struct):
    """A `sync_batch` with its events still unread, to read them one by one."""

    id: str | None
    events: list[msgspec.Raw]
    last_seq: int
    more: bool


_probe_decoder = msgspec.json.Decoder(_EventProbe)
_batch_decoder = msgspec.json.Decoder(_LooseBatch)


def _probe(data: bytes) -> _EventProbe | None:
    try:
        return _probe_decoder.decode(data)
    except _DECODE_ERRORS:
        return None


def _seq_of(probe: _EventProbe) -> int | None:
    seq = probe.seq
    return seq if type(seq) is int and seq >= 0 else None


def _bad_event(data: bytes, probe: _EventProbe, error: ProtocolError) -> BadEvent:
    kind = probe.type if isinstance(probe.type, str) else None
    return BadEvent(_seq_of(probe), kind, data, error)


def _event(raw: bytes) -> ServerPush | BadEvent:
    """One event of a sync batch: the push, or a BadEvent (with its seq if it has one)."""
    try:
        return _push_decoder.decode(raw)
    except _DECODE_ERRORS as exc:
        error = _classify(exc, raw)
    except Exception as exc:
        error = ProtocolError(ErrorCode.MALFORMED_FRAME, f"undecodable event: {exc}", cause=exc)
    return _bad_event(raw, _probe(raw) or _EventProbe(), error)


def _salvage_batch(data: bytes) -> SyncBatch | None:
    try:
        loose = _batch_decoder.decode(data)
    except _DECODE_ERRORS:
        return None
    events = [_event(bytes(raw)) for raw in loose.events]
    return SyncBatch(id=loose.id, events=events, last_seq=loose.last_seq, more=loose.more)


def read_server_frame(data: bytes | str) -> ServerFrame | BadEvent | ProtocolError:
    """A client's read of one frame from the server: `decode_server_frame`, and where
    that fails, what can still be kept of it. A push with a readable `seq` (no `id`)
    is a `BadEvent`; a `sync_batch` is kept with a BadEvent in place of each event
    that cannot be read; anything else stays the `ProtocolError`. Never raises."""
    frame = decode_server_frame(data)
    if not isinstance(frame, ProtocolError) or is_data_frame(data):
        return frame
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    probe = _probe(raw)
    if probe is None:
        return frame  # not a JSON object: nothing to keep
    if probe.id is msgspec.UNSET and _seq_of(probe) is not None:
        return _bad_event(raw, probe, frame)
    if probe.type == "sync_batch":
        return _salvage_batch(raw) or frame
    return frame


def to_builtins(frame: msgspec.Struct) -> Any:
    """A frame as plain dicts and lists (for logs and tests)."""
    return msgspec.to_builtins(frame)
