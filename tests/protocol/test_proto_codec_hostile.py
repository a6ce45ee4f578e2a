"""codec.py against hostile input: every refusal has the documented code, and a decode
never raises. (Round trips and encoding: test_proto_codec.py.)"""

from __future__ import annotations

import json
import random

import pytest

from desktop_chat.protocol import ErrorCode, ProtocolError
from desktop_chat.protocol import frames as f
from desktop_chat.protocol.codec import (
    DEFAULT_MAX_FRAME_BYTES,
    decode_client_frame,
    decode_server_frame,
    encode,
)

HELLO = {"type": "hello", "id": "r1", "version": 1}


def wire(obj: object) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode()


def refused(data: bytes | str, **kwargs: int) -> ProtocolError:
    result = decode_client_frame(data, **kwargs)
    assert isinstance(result, ProtocolError), f"expected a refusal, got {result!r}"
    return result


@pytest.mark.parametrize(
    "data",
    [b"", b"   ", b"{", b'{"type":"hello"', b"{'type':'hello'}", b"NaN", b"\xef\xbb\xbf{}"],
    ids=["empty", "blank", "open-brace", "truncated", "single-quotes", "nan", "bom"],
)
def test_malformed_json_is_malformed_frame(data: bytes) -> None:
    error = refused(data)
    assert error.code is ErrorCode.MALFORMED_FRAME
    assert error.request_id is None


def test_trailing_garbage_is_malformed_frame() -> None:
    assert refused(wire(HELLO) + b" {}").code is ErrorCode.MALFORMED_FRAME
    assert refused(wire(HELLO) + b"\x00").code is ErrorCode.MALFORMED_FRAME


@pytest.mark.parametrize("data", [b"[]", b"[1,2]", b'"hello"', b"42", b"-1.5", b"null", b"true"])
def test_non_object_json_is_malformed_frame(data: bytes) -> None:
    error = refused(data)
    assert error.code is ErrorCode.MALFORMED_FRAME
    assert "JSON object" in error.message


def test_missing_type_is_malformed_frame_with_id_echoed() -> None:
    error = refused(wire({"id": "m1", "version": 1}))
    assert error.code is ErrorCode.MALFORMED_FRAME
    assert error.request_id == "m1"
    assert refused(b"{}").code is ErrorCode.MALFORMED_FRAME


def test_a_repeated_key_takes_its_last_value() -> None:
    data = b'{"type":"hello","id":"first","version":2,"id":"d1","version":1}'
    assert decode_client_frame(data) == f.Hello(id="d1", version=1)


@pytest.mark.parametrize(
    "data",
    [
        b'{"type":"hello","id":"d1","version":1,"type":"hello"}',
        b'{"type":"hello","id":"d1","version":1,"\\u0074ype":"hello"}',
    ],
    ids=["plain", "escaped-key"],
)
def test_the_same_type_twice_is_one_type(data: bytes) -> None:
    assert decode_client_frame(data) == f.Hello(id="d1", version=1)


@pytest.mark.parametrize(
    "data",
    [
        b'{"type":"hello","type":"logout","id":"d1","version":1}',
        b'{"type":"logout","id":"d1","type":"hello"}',
        b'{"type":"nope","type":"hello","id":"d1","version":1}',
        b'{"type":"nope","type":"hello","type":"nope","id":"d1"}',
        b'{"type":"hello","id":"d1","version":1,"type":5}',
        b'{"type":"sync","id":"d1","after_seq":1e400,"type":"hello"}',
        b'{"type":"hello","id":"d1","version":1,"\\u0074ype":"logout"}',
    ],
    ids=[
        "two-requests",
        "two-requests-apart",
        "unknown-then-known",
        "same-at-both-ends",
        "string-then-number",
        "behind-a-bad-field",
        "escaped-key",
    ],
)
def test_two_different_types_are_malformed(data: bytes) -> None:
    # A reader that takes the first `type` and one that takes the last would see two
    # different requests: the frame is refused, whatever else is wrong with it.
    error = refused(data)
    assert error.code is ErrorCode.MALFORMED_FRAME
    assert error.request_id == "d1"
    assert "`type`" in error.message


@pytest.mark.parametrize("tag", ["nope", "hello_ok", "message", "error", "", "HELLO"])
def test_unknown_type_echoes_the_id(tag: str) -> None:
    error = refused(wire({"type": tag, "id": "u1"}))
    assert error.code is ErrorCode.UNKNOWN_TYPE
    assert error.request_id == "u1"


def test_non_string_type_is_invalid_param() -> None:
    error = refused(wire({"type": 5, "id": "t1"}))
    assert error.code is ErrorCode.INVALID_PARAM
    assert error.request_id == "t1"


@pytest.mark.parametrize(
    "obj",
    [
        {**HELLO, "version": "1"},
        {**HELLO, "version": 1.0},
        {**HELLO, "version": True},
        {**HELLO, "version": None},
        {"type": "hello", "id": "w1"},
        {**HELLO, "client": 5},
        {"type": "sync", "id": "w1", "after_seq": -1},
        {"type": "sync", "id": "w1", "limit": 0},
        {"type": "sync", "id": "w1", "limit": 1001},
        {"type": "read_ack", "id": "w1", "msg_ids": "abcdefgh"},
        {"type": "read_ack", "id": "w1", "msg_ids": []},
        {"type": "read_ack", "id": "w1", "msg_ids": ["abcdefgh"], "notify": "yes"},
        {"type": "create_group", "id": "w1", "name": ""},
        {"type": "create_group", "id": "w1", "name": "T", "ack_policy": "everyone"},
        {"type": "get_group", "id": "w1", "group_id": 42},
    ],
    ids=lambda obj: ",".join(f"{k}={v!r}"[:30] for k, v in obj.items() if k != "id"),
)
def test_wrong_field_types_are_invalid_param_with_id(obj: dict) -> None:
    obj = {**obj, "id": "w1"}
    error = refused(wire(obj))
    assert error.code is ErrorCode.INVALID_PARAM
    assert error.request_id == "w1"


@pytest.mark.parametrize(
    "obj",
    [
        {"type": "register", "username": "a" * 65, "password": "12345678"},
        {"type": "register", "username": 5, "password": "12345678"},
        {"type": "register", "username": "alice", "password": "1234567"},
        {"type": "login", "username": "Alice", "password": "12345678"},
        {"type": "login", "username": "1alice", "password": "12345678"},
        {"type": "login", "username": "a", "password": "12345678"},
        {"type": "login", "username": "a" * 33, "password": "12345678"},
        {"type": "login", "username": "al ice", "password": "12345678"},
        {"type": "get_group", "group_id": "abc"},
        {"type": "get_group", "group_id": "12a"},
        {"type": "get_group", "group_id": "1" * 21},
        {"type": "get_group", "group_id": ""},
        {"type": "delivery_ack", "msg_ids": ["short"]},
        {"type": "delivery_ack", "msg_ids": ["abcdefgh", "bad id!!"]},
        {"type": "remind_group_unread", "group_id": "1", "msg_id": "a" * 65},
        {"type": "conversation_read_ack", "conversation_id": "Bob"},
        {"type": "resume", "token": "short"},
    ],
    ids=lambda obj: ",".join(f"{k}={v!r}"[:30] for k, v in obj.items() if k != "type"),
)
def test_bad_patterns_and_lengths_are_invalid_param(obj: dict) -> None:
    error = refused(wire({**obj, "id": "p1"}))
    assert error.code is ErrorCode.INVALID_PARAM
    assert error.request_id == "p1"


@pytest.mark.parametrize("username", ["Alice", "1alice", "a", "a" * 64, "al ice", "\u0430lice", ""])
def test_a_new_username_is_judged_after_decoding(username: str) -> None:
    # register decodes any name of up to 64 characters: validation refuses it with
    # USERNAME_NOT_ALLOWED and a reason, which a pattern mismatch could not carry.
    frame = decode_client_frame(
        wire({"type": "register", "id": "p1", "username": username, "password": "12345678"})
    )
    assert frame == f.Register(id="p1", username=username, password="12345678")


@pytest.mark.parametrize(
    "obj",
    [
        {"type": "login", "username": "alice\n", "password": "12345678"},
        {"type": "get_group", "group_id": "12\n"},
        {"type": "delivery_ack", "msg_ids": ["abcdefgh\n"]},
        {"type": "conversation_read_ack", "conversation_id": "bob\n"},
        {"type": "conversation_read_ack", "conversation_id": "12\n"},
    ],
    ids=["username", "group_id", "msg_id", "conversation-user", "conversation-group"],
)
def test_a_trailing_newline_does_not_pass_a_pattern(obj: dict) -> None:
    # Python's `$` matches before a final newline; the patterns must end in `\Z`.
    assert refused(wire({**obj, "id": "n1"})).code is ErrorCode.INVALID_PARAM


def test_the_id_is_echoed_only_when_it_is_a_readable_string() -> None:
    assert refused(wire({"type": "hello", "id": "", "version": 1})).request_id is None
    assert refused(wire({"type": "hello", "id": "a" * 65, "version": 1})).request_id is None
    assert refused(wire({"type": "hello", "id": 7, "version": 1})).request_id is None
    assert refused(wire({"type": "hello", "id": "a" * 64})).request_id == "a" * 64


def test_oversize_frame_is_frame_too_large_without_id() -> None:
    padding = "x" * DEFAULT_MAX_FRAME_BYTES
    error = refused(wire({**HELLO, "client": padding}))
    assert error.code is ErrorCode.FRAME_TOO_LARGE
    assert error.request_id is None
    assert error.details is not None
    assert error.details["limit"] == DEFAULT_MAX_FRAME_BYTES
    assert error.details["size"] > DEFAULT_MAX_FRAME_BYTES


def test_frame_size_limit_is_inclusive_and_configurable() -> None:
    data = wire(HELLO)
    assert decode_client_frame(data, max_bytes=len(data)) == f.Hello(id="r1", version=1)
    error = refused(data, max_bytes=len(data) - 1)
    assert error.code is ErrorCode.FRAME_TOO_LARGE
    assert error.details == {"limit": len(data) - 1, "size": len(data)}


def test_str_frames_are_measured_in_utf8_bytes() -> None:
    text = "é" * 600_000  # 600,000 characters, 1,200,000 bytes
    assert len(text) < DEFAULT_MAX_FRAME_BYTES
    error = refused(text)
    assert error.code is ErrorCode.FRAME_TOO_LARGE
    assert error.details == {"limit": DEFAULT_MAX_FRAME_BYTES, "size": 1_200_000}


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deep_nesting_is_refused_not_raised(depth: int) -> None:
    assert refused(b"[" * depth + b"]" * depth).code is ErrorCode.MALFORMED_FRAME
    assert refused(b"[" * depth).code is ErrorCode.MALFORMED_FRAME
    nested_objects = b'{"a":' * depth + b"1" + b"}" * depth
    assert refused(nested_objects).code is ErrorCode.MALFORMED_FRAME


def test_deep_nesting_inside_a_frame_is_refused() -> None:
    depth = 100_000
    in_unknown_field = b'{"type":"hello","id":"r1","version":1,"x":' + b"[" * depth + b"]" * depth
    assert refused(in_unknown_field + b"}").code is ErrorCode.MALFORMED_FRAME
    in_id = b'{"type":"hello","id":' + b"[" * depth + b"]" * depth + b',"version":1}'
    error = refused(in_id)
    assert error.code is ErrorCode.INVALID_PARAM  # `id` is not a string
    assert error.request_id is None


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xfe",
        b'{"type":"hello","id":"\xff","version":1}',
        b'{"type":"hello","id":"r1","version":1,"client":"\xc3"}',
        b'{"type":"hello","id":"r1","version":1,"client":"\xed\xa0\x80"}',
        b'{"type":"hello","id":"r1","version":1,"future":"\xff"}',
        b'{"type":"hello","id":"r1","version":1,"\xff":1}',
        b'{"type":"hello","id":"r1","version":1,"future":{"\xc0\x80":["\xed\xa0\x80"]}}',
        b'{"type":"hello","id":"r1","version":1,"future":"\xf4\x90\x80\x80"}',
    ],
    ids=[
        "bare",
        "in-id",
        "truncated-sequence",
        "encoded-surrogate",
        "in-unknown-value",
        "in-unknown-key",
        "overlong-and-surrogate-nested-in-unknown-field",
        "past-U+10FFFF-in-unknown-value",
    ],
)
def test_invalid_utf8_is_malformed_frame(data: bytes) -> None:
    # Anywhere in the frame, even where the decoder would skip it: §1 says the whole
    # message is UTF-8, and a frame passed on (logged, relayed) must be text.
    error = refused(data)
    assert error.code is ErrorCode.MALFORMED_FRAME
    assert error.request_id is None
    assert "UTF-8" in error.message
    assert decode_server_frame(data.replace(b'"hello"', b'"ok"')).code is ErrorCode.MALFORMED_FRAME  # type: ignore[union-attr]


def test_valid_utf8_outside_ascii_is_text() -> None:
    data = '{"type":"hello","id":"r1","version":1,"client":"chat 💬 été","future":"世界"}'
    assert decode_client_frame(data.encode()) == f.Hello(id="r1", version=1, client="chat 💬 été")


@pytest.mark.parametrize(
    "data",
    [
        "\ud800",
        '{"type":"hello","id":"\ud800","version":1}',
        '{"type":"hello","id":"r1","version":1,"client":"\udfff"}',
    ],
    ids=["bare", "in-id", "in-field"],
)
def test_lone_surrogates_in_str_input_are_malformed_frame(data: str) -> None:
    assert refused(data).code is ErrorCode.MALFORMED_FRAME


def test_escaped_lone_surrogate_is_malformed_but_an_escaped_pair_is_text() -> None:
    lone = refused(b'{"type":"hello","id":"r1","version":1,"client":"\\ud800"}')
    assert lone.code is ErrorCode.MALFORMED_FRAME
    pair = decode_client_frame(b'{"type":"hello","id":"r1","version":1,"client":"\\ud83d\\ude00"}')
    assert pair == f.Hello(id="r1", version=1, client="\U0001f600")


@pytest.mark.parametrize("value", [2**70, 2**53 + 1, -(2**70)])
def test_huge_after_seq_is_invalid_param(value: int) -> None:
    error = refused(wire({"type": "sync", "id": "h1", "after_seq": value}))
    assert error.code is ErrorCode.INVALID_PARAM
    assert error.request_id == "h1"


def test_largest_after_seq_is_accepted() -> None:
    frame = decode_client_frame(wire({"type": "sync", "id": "h1", "after_seq": 2**53}))
    assert frame == f.Sync(id="h1", after_seq=2**53)


def test_huge_unbounded_integers_decode_and_are_left_to_later_checks() -> None:
    # `version` and `page_size` have no bounds in frames.py; session.check and
    # validate_request refuse them with their own codes (see those tests).
    hello = decode_client_frame(wire({**HELLO, "version": 2**70}))
    assert hello == f.Hello(id="r1", version=2**70)


def test_out_of_range_float_is_invalid_param() -> None:
    error = refused(b'{"type":"hello","id":"r1","version":1e400}')
    assert error.code is ErrorCode.INVALID_PARAM


@pytest.mark.parametrize(
    "data",
    [
        b'{"type":"sync","id":"h1","after_seq":1e400}',
        b'{"type":"sync","after_seq":-1e400,"id":"h1"}',
        b'{"type":"hello","id":"h1","version":1e400,"client":1e999}',
        b'{"type":"sync","id":"h1","after_seq":' + b"9" * 5000 + b"}",
    ],
    ids=["after-seq", "id-after-the-number", "two-numbers", "5000-digits"],
)
def test_a_number_out_of_every_range_still_echoes_the_id(data: bytes) -> None:
    # A value too large for any type is still JSON; the id beside it is readable.
    error = refused(data)
    assert error.code is ErrorCode.INVALID_PARAM
    assert error.request_id == "h1"


def test_an_out_of_range_id_is_not_echoed() -> None:
    error = refused(b'{"type":"sync","id":1e400,"after_seq":0}')
    assert error.code is ErrorCode.INVALID_PARAM
    assert error.request_id is None


def test_decode_never_raises_on_random_bytes() -> None:
    rng = random.Random(1234)
    alphabet = b'{}[]":,0123456789-.eEtrufalsn \\\x00\xff\xc3\xa9typeidhello'
    seen: set[ErrorCode] = set()
    for n in range(2000):
        size = rng.randrange(0, 64)
        data = bytes(rng.choice(alphabet) for _ in range(size)) if n % 2 else rng.randbytes(size)
        result = decode_client_frame(data)
        assert isinstance(result, ProtocolError | f.Request)
        if isinstance(result, ProtocolError):
            seen.add(result.code)
        assert isinstance(decode_server_frame(data), ProtocolError | f.Frame)
    assert ErrorCode.MALFORMED_FRAME in seen


def test_decode_never_raises_on_mutated_valid_frames(
    requests_by_tag: dict[str, f.Request],
) -> None:
    rng = random.Random(1234)
    valid = [encode(request) for request in requests_by_tag.values()]
    codes: set[ErrorCode] = set()
    for _ in range(2000):
        data = bytearray(rng.choice(valid))
        for _ in range(rng.randrange(1, 4)):
            position = rng.randrange(len(data))
            action = rng.randrange(3)
            if action == 0:
                data[position] = rng.randrange(256)
            elif action == 1:
                del data[position]
            else:
                data.insert(position, rng.choice(b'{}[]",:0\\'))
        result = decode_client_frame(bytes(data))
        assert isinstance(result, ProtocolError | f.Request)
        if isinstance(result, ProtocolError):
            codes.add(result.code)
            assert result.request_id is None or 0 < len(result.request_id) <= 64
    assert {ErrorCode.MALFORMED_FRAME, ErrorCode.INVALID_PARAM} <= codes


def test_decode_server_frame_refuses_garbage_without_raising() -> None:
    assert decode_server_frame(b"[" * 100_000).code is ErrorCode.MALFORMED_FRAME  # type: ignore[union-attr]
    unknown = decode_server_frame(b'{"type":"hello","id":"r1","version":1}')
    assert isinstance(unknown, ProtocolError)
    assert unknown.code is ErrorCode.UNKNOWN_TYPE
    missing_id = decode_server_frame(b'{"type":"ok"}')
    assert isinstance(missing_id, ProtocolError)
    assert missing_id.code is ErrorCode.INVALID_PARAM
