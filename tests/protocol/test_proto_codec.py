"""codec.py: round trips, pushes with seq, and error frames. (Hostile input:
test_proto_codec_hostile.py.)"""

from __future__ import annotations

import json

import msgspec
import pytest

from desktop_chat.protocol import ErrorCode, ProtocolError
from desktop_chat.protocol import frames as f
from desktop_chat.protocol.codec import (
    decode_client_frame,
    decode_server_frame,
    encode,
    encode_error,
    encode_push_body,
    frame_with_seq,
    to_builtins,
)
from desktop_chat.protocol.validation import default_limits

HELLO = {"type": "hello", "id": "r1", "version": 1}


def wire(obj: object) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode()


# --------------------------------------------------------------------------- round trips


def wire_json(data: bytes) -> bytes:
    """A frame's JSON: itself, or a data frame's header."""
    return data[5 : 5 + int.from_bytes(data[1:5], "big")] if data[:1] == b"\x00" else data


def test_every_request_round_trips(request_frame: f.Request) -> None:
    data = encode(request_frame)
    assert decode_client_frame(data) == request_frame
    if not isinstance(request_frame, f.DATA_FRAMES):  # a data frame is binary
        assert decode_client_frame(data.decode()) == request_frame


def test_every_push_round_trips(push_frame: f.Push) -> None:
    assert decode_server_frame(encode(push_frame)) == push_frame


def test_every_reply_round_trips(reply_frame: f.Reply) -> None:
    assert decode_server_frame(encode(reply_frame)) == reply_frame


def test_requests_use_from_and_type_on_the_wire(request_frame: f.Request) -> None:
    obj = json.loads(wire_json(encode(request_frame)))
    assert obj["type"] == type(request_frame).__struct_config__.tag
    assert obj["id"] == request_frame.id
    assert "from_" not in json.dumps(obj)


def test_pushes_send_from_not_from_underscore(pushes_by_tag: dict[str, f.Push]) -> None:
    reminder = json.loads(encode(pushes_by_tag["group_ack_reminder"]))
    assert reminder["from"] == "alice"
    assert "from_" not in reminder
    read = json.loads(encode(pushes_by_tag["group_read"]))
    assert [ack["from"] for ack in read["acks"]] == ["bob", "bob"]
    message = json.loads(encode(pushes_by_tag["message"]))
    assert message["message"]["from"] == "alice"


def test_a_request_may_omit_fields_that_have_defaults() -> None:
    frame = decode_client_frame(
        wire(
            {
                "type": "send",
                "id": "s1",
                "msg_id": "abcdefgh",
                "chat_type": "chat",
                "to": "bob",
                "body": {"kind": "text", "text": "hi"},
            }
        )
    )
    assert frame == f.SendMessage(
        id="s1", msg_id="abcdefgh", chat_type="chat", to="bob", body=f.TextBody("hi")
    )
    assert isinstance(frame, f.SendMessage)
    assert (frame.local_time, frame.need_delivery_ack, frame.need_read_ack) == (0, False, True)
    assert frame.need_group_ack is False


def test_unknown_fields_are_ignored() -> None:
    assert decode_client_frame(wire({**HELLO, "future": [1, 2]})) == f.Hello(id="r1", version=1)


def test_to_builtins_keeps_wire_names() -> None:
    built = to_builtins(f.GroupAckReminderPush(seq=3, group_id="1", msg_id="abcdefgh", from_="a"))
    assert built == {
        "type": "group_ack_reminder",
        "group_id": "1",
        "msg_id": "abcdefgh",
        "from": "a",
        "seq": 3,
    }


# --------------------------------------------------------------------------- pushes with seq


@pytest.mark.parametrize("seq", [1, 42, 2**53])
def test_push_body_with_seq_decodes_to_the_push(push_frame: f.Push, seq: int) -> None:
    body = encode_push_body(push_frame)
    assert b'"seq"' not in body
    frame = frame_with_seq(body, seq)
    decoded = decode_server_frame(frame)
    assert decoded == msgspec.structs.replace(push_frame, seq=seq)
    assert json.loads(frame)["seq"] == seq


def test_one_push_body_serves_many_recipients(pushes_by_tag: dict[str, f.Push]) -> None:
    body = encode_push_body(pushes_by_tag["read"])
    seqs = [decode_server_frame(frame_with_seq(body, n)) for n in (3, 9)]
    assert [push.seq for push in seqs] == [3, 9]  # type: ignore[union-attr]


def test_push_body_survives_text_that_looks_like_a_seq_field() -> None:
    sneaky = f.MessagePush(seq=0, message=_message_with_text(',"seq":0,"seq":0'))
    frame = frame_with_seq(encode_push_body(sneaky), 8)
    assert decode_server_frame(frame) == msgspec.structs.replace(sneaky, seq=8)


def _message_with_text(text: str) -> f.MessageInfo:
    return f.MessageInfo(
        msg_id="abcdefgh",
        from_="alice",
        to="bob",
        chat_type="chat",
        body=f.TextBody(text),
        server_time=1,
    )


def test_sync_batch_carries_pre_encoded_pushes(pushes_by_tag: dict[str, f.Push]) -> None:
    bodies = [encode_push_body(push) for push in pushes_by_tag.values()]
    raw_events = [msgspec.Raw(frame_with_seq(body, n)) for n, body in enumerate(bodies, 1)]
    batch = f.SyncBatch(id="s", events=raw_events, last_seq=len(bodies), more=False)  # type: ignore[arg-type]
    decoded = decode_server_frame(encode(batch))
    assert isinstance(decoded, f.SyncBatch)
    assert [event.seq for event in decoded.events] == list(range(1, len(bodies) + 1))
    assert decoded.events == [
        msgspec.structs.replace(push, seq=n) for n, push in enumerate(pushes_by_tag.values(), 1)
    ]


# --------------------------------------------------------------------------- errors


def test_encode_error_gives_an_error_frame() -> None:
    error = ProtocolError(ErrorCode.GROUP_FULL, "full", "c1", {"limit": 10})
    assert json.loads(encode_error(error)) == {
        "type": "error",
        "id": "c1",
        "code": "GROUP_FULL",
        "message": "full",
        "details": {"limit": 10},
    }
    assert decode_server_frame(encode_error(error)) == f.Error(
        id="c1", code="GROUP_FULL", message="full", details={"limit": 10}
    )


def test_encode_error_without_id_sends_null_and_never_the_cause() -> None:
    error = ProtocolError(ErrorCode.MALFORMED_FRAME, "bad", cause=ValueError("secret"))
    obj = json.loads(encode_error(error))
    assert obj["id"] is None
    assert obj["details"] is None
    assert "secret" not in encode_error(error).decode()


def test_a_clients_reader_keeps_the_seq_of_an_event_it_cannot_read() -> None:
    """`read_server_frame`: a push it cannot read is a BadEvent with its seq; in a
    sync_batch, each unreadable event becomes a BadEvent in its place; a reply or
    a non-object stays a ProtocolError."""
    from desktop_chat.protocol.codec import read_server_frame

    future = b'{"type":"poll_closed","seq":7,"poll_id":"p"}'
    bad = read_server_frame(future)
    assert isinstance(bad, f.BadEvent)
    assert (bad.seq, bad.type, bad.source, bad.error.code) == (
        7,
        "poll_closed",
        future,
        ErrorCode.UNKNOWN_TYPE,
    )
    muted = (
        b'{"type":"conversation_muted","seq":1,"conversation_id":"bob",'
        b'"muted":true,"muted_until":null}'
    )
    batch = read_server_frame(
        b'{"type":"sync_batch","id":"4","events":[%s,{"type":"message","seq":2},%s],'
        b'"last_seq":7,"more":false}' % (muted, future)
    )
    assert isinstance(batch, f.SyncBatch) and batch.id == "4" and batch.last_seq == 7
    kinds = [(type(e).__name__, e.seq) for e in batch.events]
    assert kinds == [("ConversationMutedPush", 1), ("BadEvent", 2), ("BadEvent", 7)]
    for garbage in (b'{"type":"ok"}', b"[1]", b'{"type":"ok","id":"1","seq":3,"x":', b"\xff"):
        assert isinstance(read_server_frame(garbage), ProtocolError), garbage
    assert read_server_frame(muted) == decode_server_frame(muted)


def test_a_default_chunk_with_its_largest_header_fits_the_default_frame() -> None:
    # Every field of the header at its longest: an id of 64 characters, an offset near
    # 2^53. Were the default chunk a whole MiB, the data frame would be FRAME_TOO_LARGE.
    limits = default_limits()
    chunk = f.UploadChunk(
        id="i" * 64,
        sha256="a" * 64,
        offset=2**53,
        chunk_sha256="b" * 64,
        data=b"\xff" * limits.max_chunk_bytes,
    )
    frame = encode(chunk)
    assert len(frame) <= limits.max_frame_bytes
    decoded = decode_client_frame(frame, limits.max_frame_bytes)
    assert isinstance(decoded, f.UploadChunk) and decoded.data == chunk.data
    assert limits.max_chunk_bytes >= 1024 * 1024 - 4096, "the default chunk is about 1 MiB"
