"""frames.py: the set of frames, their tags, defaults and field constraints."""

from __future__ import annotations

import json
import typing

import pytest

from desktop_chat.protocol import ErrorCode, ProtocolError
from desktop_chat.protocol import frames as f
from desktop_chat.protocol.codec import decode_client_frame, decode_server_frame, encode

ALL_REQUEST_TAGS = {
    "upload_begin",
    "upload_chunk",
    "download",
    "hello",
    "register",
    "login",
    "resume",
    "logout",
    "sync",
    "send",
    "delivery_ack",
    "read_ack",
    "conversation_read_ack",
    "group_read_ack",
    "fetch_group_acks",
    "fetch_group_unread",
    "remind_group_unread",
    "fetch_group_ack_stats",
    "pin_group_message",
    "unpin_group_message",
    "fetch_conversations",
    "fetch_history",
    "create_group",
    "add_members",
    "remove_members",
    "add_admin",
    "remove_admin",
    "set_group_ack_policy",
    "get_group",
    "fetch_groups",
    "recall",
    "edit",
    "set_conversation_mute",
    "typing",
    "fetch_users",
}
ALL_PUSH_TAGS = {
    "message",
    "delivered",
    "read",
    "conversation_read",
    "self_read",
    "group_read",
    "group_delivered",
    "group_changed",
    "group_ack_reminder",
    "message_recalled",
    "message_edited",
    "conversation_muted",
    "self_confirmed",
    "group_pinned",
}
ALL_EPHEMERAL_TAGS = {"peer_typing"}
ALL_REPLY_TAGS = {
    "hello_ok",
    "ok",
    "login_ok",
    "sync_batch",
    "send_ok",
    "acks_ok",
    "conversation_acked",
    "group_ack_ok",
    "group_acks",
    "group_unread",
    "reminded",
    "group_ack_stats",
    "conversations",
    "history",
    "group",
    "groups",
    "recall_ok",
    "edit_ok",
    "mute_ok",
    "users",
    "upload_state",
    "chunk",
    "error",
}


def decoded(obj: dict) -> f.Request:
    result = decode_client_frame(json.dumps(obj).encode())
    assert not isinstance(result, ProtocolError), result
    return result


def refused_code(obj: dict) -> ErrorCode:
    result = decode_client_frame(json.dumps(obj).encode())
    assert isinstance(result, ProtocolError), f"expected a refusal, got {result!r}"
    return result.code


def _tags(union: object) -> set[str]:
    return {cls.__struct_config__.tag for cls in union.__args__}  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- the set of frames


def test_protocol_version_is_1() -> None:
    assert f.PROTOCOL_VERSION == 1


def test_request_and_push_tables_list_every_frame() -> None:
    assert set(f.REQUEST_TYPES) == ALL_REQUEST_TAGS
    assert set(f.PUSH_TYPES) == ALL_PUSH_TAGS
    assert set(f.EPHEMERAL_TYPES) == ALL_EPHEMERAL_TAGS
    assert _tags(f.ServerFrame) == ALL_REPLY_TAGS | ALL_PUSH_TAGS | ALL_EPHEMERAL_TAGS
    assert all(issubclass(cls, f.Request) for cls in f.REQUEST_TYPES.values())
    assert all(issubclass(cls, f.Push) for cls in f.PUSH_TYPES.values())


def test_samples_cover_every_frame(
    requests_by_tag: dict[str, f.Request],
    pushes_by_tag: dict[str, f.Push],
    replies_by_tag: dict[str, f.Reply],
    ephemeral_by_tag: dict[str, f.Ephemeral],
) -> None:
    assert set(requests_by_tag) == ALL_REQUEST_TAGS
    assert set(pushes_by_tag) == ALL_PUSH_TAGS
    assert set(replies_by_tag) == ALL_REPLY_TAGS
    assert set(ephemeral_by_tag) == ALL_EPHEMERAL_TAGS


def test_no_tag_is_both_a_request_and_a_server_frame() -> None:
    assert not ALL_REQUEST_TAGS & (ALL_REPLY_TAGS | ALL_PUSH_TAGS | ALL_EPHEMERAL_TAGS)


def test_frames_are_frozen(request_frame: f.Request) -> None:
    with pytest.raises(AttributeError):
        request_frame.id = "other"  # type: ignore[misc]


def test_pushes_carry_seq_and_no_id(push_frame: f.Push) -> None:
    obj = json.loads(encode(push_frame))
    assert "seq" in obj
    assert "id" not in obj


def test_ephemeral_pushes_carry_neither_id_nor_seq(ephemeral_frame: f.Ephemeral) -> None:
    data = encode(ephemeral_frame)
    obj = json.loads(data)
    assert "seq" not in obj and "id" not in obj
    assert decode_server_frame(data) == ephemeral_frame


def test_replies_carry_id_and_no_seq_field(reply_frame: f.Reply) -> None:
    data = encode(reply_frame)
    if data[:1] == b"\x00":  # a data frame: its JSON header
        data = data[5 : 5 + int.from_bytes(data[1:5], "big")]
    obj = json.loads(data)
    assert "id" in obj
    assert "seq" not in obj


def test_send_ok_fields_on_the_wire(replies_by_tag: dict[str, f.Reply]) -> None:
    obj = json.loads(encode(replies_by_tag["send_ok"]))
    assert set(obj) == {"type", "id", "msg_id", "server_time", "conv_seq", "group_member_count"}


def test_defaults_are_sent_null_fields_included() -> None:
    push = f.ConversationReadPush(
        seq=1, from_="bob", to="alice", conversation_id="bob", read_upto=3, time=4
    )
    obj = json.loads(encode(push))
    assert obj["unread_count"] is None
    assert obj["from"] == "bob"
    error = json.loads(encode(f.Error(id=None, code="X", message="m")))
    assert error == {"type": "error", "id": None, "code": "X", "message": "m", "details": None}


def test_text_body_is_tagged_by_kind() -> None:
    assert json.loads(encode(f.TextBody("hi"))) == {"kind": "text", "text": "hi"}


def test_message_info_from_on_the_wire() -> None:
    info = f.MessageInfo(
        msg_id="abcdefgh", from_="a", to="b", chat_type="chat", body=f.TextBody("x"), server_time=1
    )
    obj = json.loads(encode(info))
    assert obj["from"] == "a"
    assert (obj["group_ack_count"], obj["group_delivered_count"]) == (0, 0)
    assert (obj["delivered_at"], obj["read_at"], obj["group_member_count"]) == (None, None, None)


# --------------------------------------------------------------------------- defaults


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        ({"type": "hello", "version": 1}, f.Hello(id="d", version=1, client="")),
        ({"type": "sync"}, f.Sync(id="d", after_seq=0, limit=500)),
        ({"type": "login", "username": "ab", "password": "p"}, None),
        ({"type": "read_ack", "msg_ids": ["abcdefgh"]}, None),
        ({"type": "conversation_read_ack", "conversation_id": "ab"}, None),
        ({"type": "group_read_ack", "group_id": "1", "msg_id": "abcdefgh"}, None),
        ({"type": "fetch_group_acks", "group_id": "1", "msg_id": "abcdefgh"}, None),
        ({"type": "fetch_group_unread", "group_id": "1", "msg_id": "abcdefgh"}, None),
        ({"type": "fetch_history", "conversation_id": "1"}, None),
        ({"type": "create_group", "name": "T"}, None),
        ({"type": "get_group", "group_id": "1"}, None),
    ],
    ids=lambda value: value["type"] if isinstance(value, dict) else "",
)
def test_request_defaults(obj: dict, expected: f.Request | None) -> None:
    frame = decoded({**obj, "id": "d"})
    if expected is not None:
        assert frame == expected
    defaults = {
        f.Login: {"device_name": ""},
        f.ReadAck: {"notify": True},
        f.ConversationReadAck: {"notify": True},
        f.GroupReadAck: {"content": None},
        f.FetchGroupAcks: {"cursor": None, "page_size": 20},
        f.FetchGroupUnread: {"cursor": None, "page_size": 200},
        f.FetchHistory: {"before_seq": None, "page_size": 50},
        f.CreateGroup: {"members": [], "ack_policy": "admins"},
        f.GetGroup: {"with_members": True},
    }.get(type(frame), {})
    for name, value in defaults.items():
        assert getattr(frame, name) == value, name


def test_group_changed_members_default_to_empty_list(pushes_by_tag: dict[str, f.Push]) -> None:
    changed = pushes_by_tag["group_changed"]
    assert isinstance(changed, f.GroupChangedPush)
    created = f.GroupChangedPush(seq=1, change="created", group=changed.group)
    assert created.members == []
    assert json.loads(encode(created))["members"] == []


# --------------------------------------------------------------------------- constraints

SEND = {
    "type": "send",
    "id": "c",
    "msg_id": "abcdefgh",
    "chat_type": "chat",
    "to": "bob",
    "body": {"kind": "text", "text": "x"},
}


@pytest.mark.parametrize(
    ("field", "ok", "bad"),
    [
        # Decoding bounds the length only: validation judges the name (test_proto_names).
        ("username", ["ab", "a" * 32, "a1_.-z", "z0", "a", "a" * 64, "Ab", "a b", ""], ["a" * 65]),
        ("password", ["x" * 8, "x" * 256], ["x" * 7, "x" * 257]),
    ],
)
def test_register_field_bounds(field: str, ok: list[str], bad: list[str]) -> None:
    base = {"type": "register", "id": "c", "username": "alice", "password": "12345678"}
    for value in ok:
        assert getattr(decoded({**base, field: value}), field) == value
    for value in bad:
        assert refused_code({**base, field: value}) is ErrorCode.INVALID_PARAM, value


def test_login_password_is_1_to_256_chars_and_device_name_at_most_64() -> None:
    base = {"type": "login", "id": "c", "username": "alice", "password": "p"}
    assert decoded(base).password == "p"  # type: ignore[attr-defined]
    assert refused_code({**base, "password": ""}) is ErrorCode.INVALID_PARAM
    assert refused_code({**base, "password": "p" * 257}) is ErrorCode.INVALID_PARAM
    assert decoded({**base, "device_name": "d" * 64}).device_name == "d" * 64  # type: ignore[attr-defined]
    assert refused_code({**base, "device_name": "d" * 65}) is ErrorCode.INVALID_PARAM


def test_token_is_16_to_128_chars() -> None:
    for size in (16, 128):
        assert decoded({"type": "resume", "id": "c", "token": "t" * size}).token == "t" * size  # type: ignore[attr-defined]
    for size in (15, 129):
        assert (
            refused_code({"type": "resume", "id": "c", "token": "t" * size})
            is ErrorCode.INVALID_PARAM
        )


def test_request_id_is_1_to_64_chars() -> None:
    assert decoded({"type": "logout", "id": "x" * 64}).id == "x" * 64
    assert refused_code({"type": "logout", "id": ""}) is ErrorCode.INVALID_PARAM
    assert refused_code({"type": "logout", "id": "x" * 65}) is ErrorCode.INVALID_PARAM
    assert refused_code({"type": "logout"}) is ErrorCode.INVALID_PARAM


def test_msg_id_is_8_to_64_of_letters_digits_dash_underscore() -> None:
    for msg_id in ("abcdefgh", "A" * 64, "a-b_c-01"):
        assert decoded({**SEND, "msg_id": msg_id}).msg_id == msg_id  # type: ignore[attr-defined]
    for msg_id in ("abcdefg", "A" * 65, "abc.defgh", "abcdéfgh", "abcd efgh"):
        assert refused_code({**SEND, "msg_id": msg_id}) is ErrorCode.INVALID_PARAM, msg_id


def test_group_id_is_decimal_digits() -> None:
    base = {"type": "get_group", "id": "c"}
    for group_id in ("0", "9" * 18, "100000000000042"):
        assert decoded({**base, "group_id": group_id}).group_id == group_id  # type: ignore[attr-defined]
    for group_id in ("", "1" * 21, "-1", "1.5", "12a", " 12"):
        assert refused_code({**base, "group_id": group_id}) is ErrorCode.INVALID_PARAM, group_id


@pytest.mark.parametrize("group_id", ["9" * 19, "9" * 20])
def test_group_id_fits_a_signed_64_bit_integer(group_id: str) -> None:
    assert refused_code({"type": "get_group", "id": "c", "group_id": group_id}) is (
        ErrorCode.INVALID_PARAM
    )


def test_send_to_accepts_a_username_or_a_group_id_at_decode_time() -> None:
    assert decoded({**SEND, "to": "bob"}).to == "bob"  # type: ignore[attr-defined]
    assert decoded({**SEND, "to": "123"}).to == "123"  # type: ignore[attr-defined]
    assert refused_code({**SEND, "to": "Bob"}) is ErrorCode.INVALID_PARAM
    assert refused_code({**SEND, "to": "1bob"}) is ErrorCode.INVALID_PARAM


def test_send_chat_type_is_chat_or_groupchat() -> None:
    assert decoded({**SEND, "chat_type": "groupchat"}).chat_type == "groupchat"  # type: ignore[attr-defined]
    for chat_type in ("group", "CHAT", "", None):
        assert refused_code({**SEND, "chat_type": chat_type}) is ErrorCode.INVALID_PARAM


def test_send_text_is_1_to_8000_characters() -> None:
    long_text = "字" * 8000  # characters, not bytes
    assert decoded({**SEND, "body": {"kind": "text", "text": long_text}}).body.text == long_text  # type: ignore[attr-defined]
    for text in ("", "x" * 8001):
        assert (
            refused_code({**SEND, "body": {"kind": "text", "text": text}})
            is ErrorCode.INVALID_PARAM
        )


def test_send_body_kind_must_be_text_when_given() -> None:
    assert refused_code({**SEND, "body": {"kind": "image", "text": "x"}}) is ErrorCode.INVALID_PARAM
    assert refused_code({**SEND, "body": "x"}) is ErrorCode.INVALID_PARAM
    # msgspec accepts a body without `kind` (a lone tagged struct); documented as lenient.
    # `kind` is required: text, file and image bodies are told apart by it.
    assert refused_code({**SEND, "body": {"text": "x"}}) is ErrorCode.INVALID_PARAM


def test_local_time_is_0_to_2_53() -> None:
    assert decoded({**SEND, "local_time": 2**53}).local_time == 2**53  # type: ignore[attr-defined]
    assert refused_code({**SEND, "local_time": -1}) is ErrorCode.INVALID_PARAM
    assert refused_code({**SEND, "local_time": 2**53 + 1}) is ErrorCode.INVALID_PARAM


def test_sync_limit_is_1_to_1000() -> None:
    assert decoded({"type": "sync", "id": "c", "limit": 1}).limit == 1  # type: ignore[attr-defined]
    assert decoded({"type": "sync", "id": "c", "limit": 1000}).limit == 1000  # type: ignore[attr-defined]
    assert refused_code({"type": "sync", "id": "c", "limit": 0}) is ErrorCode.INVALID_PARAM
    assert refused_code({"type": "sync", "id": "c", "limit": 1001}) is ErrorCode.INVALID_PARAM


def test_ack_id_lists_need_at_least_one_id_and_leave_the_maximum_to_validation() -> None:
    ids = [f"msg-{n:08d}" for n in range(10_001)]
    frame = decoded({"type": "delivery_ack", "id": "c", "msg_ids": ids})
    assert len(frame.msg_ids) == 10_001  # type: ignore[attr-defined]
    assert refused_code({"type": "read_ack", "id": "c", "msg_ids": []}) is ErrorCode.INVALID_PARAM


def test_group_read_ack_content_length_is_left_to_validation() -> None:
    base = {"type": "group_read_ack", "id": "c", "group_id": "1", "msg_id": "abcdefgh"}
    assert decoded({**base, "content": "x" * 5000}).content == "x" * 5000  # type: ignore[attr-defined]
    assert decoded({**base, "content": None}).content is None  # type: ignore[attr-defined]
    assert refused_code({**base, "content": 5}) is ErrorCode.INVALID_PARAM


def test_member_lists_have_no_decode_time_maximum() -> None:
    members = [f"u{n:06d}" for n in range(100_001)]
    data = json.dumps({"type": "create_group", "id": "c", "name": "T", "members": members})
    frame = decode_client_frame(data.encode(), max_bytes=4 * 1024 * 1024)
    assert isinstance(frame, f.CreateGroup)
    assert len(frame.members) == 100_001


def test_fetch_cursors() -> None:
    acks = {"type": "fetch_group_acks", "id": "c", "group_id": "1", "msg_id": "abcdefgh"}
    assert decoded({**acks, "cursor": "c" * 32}).cursor == "c" * 32  # type: ignore[attr-defined]
    assert refused_code({**acks, "cursor": "c" * 33}) is ErrorCode.INVALID_PARAM
    unread = {**acks, "type": "fetch_group_unread"}
    assert decoded({**unread, "cursor": "bob"}).cursor == "bob"  # type: ignore[attr-defined]
    assert refused_code({**unread, "cursor": "Bob"}) is ErrorCode.INVALID_PARAM


def test_group_name_is_1_to_64_characters_and_policy_is_admins_or_all() -> None:
    base = {"type": "create_group", "id": "c"}
    assert decoded({**base, "name": "n" * 64}).name == "n" * 64  # type: ignore[attr-defined]
    assert refused_code({**base, "name": ""}) is ErrorCode.INVALID_PARAM
    assert refused_code({**base, "name": "n" * 65}) is ErrorCode.INVALID_PARAM
    assert refused_code({**base, "name": "n", "ack_policy": "owner"}) is ErrorCode.INVALID_PARAM
    assert refused_code({**base, "name": "n", "members": ["Bob"]}) is ErrorCode.INVALID_PARAM


def test_set_group_ack_policy_and_admin_fields() -> None:
    base = {"type": "set_group_ack_policy", "id": "c", "group_id": "1"}
    assert decoded({**base, "ack_policy": "all"}).ack_policy == "all"  # type: ignore[attr-defined]
    assert refused_code({**base, "ack_policy": "none"}) is ErrorCode.INVALID_PARAM
    admin = {"type": "add_admin", "id": "c", "group_id": "1"}
    assert decoded({**admin, "member": "bob"}).member == "bob"  # type: ignore[attr-defined]
    assert refused_code({**admin, "member": "1bob"}) is ErrorCode.INVALID_PARAM


def test_group_changed_change_values() -> None:
    allowed = {
        "created",
        "members_added",
        "members_removed",
        "admin_added",
        "admin_removed",
        "ack_policy_changed",
        "removed",
    }
    assert set(typing.get_args(typing.get_type_hints(f.GroupChangedPush)["change"])) == allowed
    group = {
        "group_id": "1",
        "name": "T",
        "owner": "alice",
        "ack_policy": "all",
        "member_count": 1,
    }
    bad = {"type": "group_changed", "seq": 1, "change": "renamed", "group": group}
    result = decode_server_frame(json.dumps(bad).encode())
    assert isinstance(result, ProtocolError)
    assert result.code is ErrorCode.INVALID_PARAM
    good = decode_server_frame(json.dumps({**bad, "change": "removed"}).encode())
    assert isinstance(good, f.GroupChangedPush)
    assert good.group.members is None


# --------------------------------------------------------------------------- data frames


def test_a_data_frame_carries_its_bytes_raw_and_round_trips() -> None:
    chunk = f.UploadChunk(
        id="7", sha256="ab" * 32, offset=5, chunk_sha256="cd" * 32, data=b"\x00\xff"
    )
    data = encode(chunk)
    assert data[:1] == b"\x00" and data.endswith(b"\x00\xff") and b'"data":""' in data
    assert decode_client_frame(data) == chunk
    reply = f.Chunk(id="7", sha256="ab" * 32, offset=0, size=2, data=b"\x00\xff")
    assert decode_server_frame(encode(reply)) == reply


def test_a_broken_data_frame_is_refused_as_malformed() -> None:
    header = json.dumps(
        {
            "type": "upload_chunk",
            "id": "9",
            "sha256": "ab" * 32,
            "offset": 0,
            "chunk_sha256": "cd" * 32,
        }
    ).encode()
    hello = json.dumps({"type": "hello", "id": "9", "version": 1}).encode()
    cases = [
        b"\x00\x00",  # no room for the header's length
        b"\x00" + (999).to_bytes(4, "big") + header,  # a header longer than the frame
        b"\x00" + len(hello).to_bytes(4, "big") + hello,  # a frame that has no bytes to carry
        b"\x00" + (3).to_bytes(4, "big") + b"\xff\xfe\xfd",  # not UTF-8
    ]
    for data in cases:
        result = decode_client_frame(data)
        assert isinstance(result, ProtocolError), data
        assert result.code in (ErrorCode.MALFORMED_FRAME, ErrorCode.INVALID_PARAM), result
    inline = json.dumps(
        {
            "type": "upload_chunk",
            "id": "9",
            "sha256": "ab" * 32,
            "offset": 0,
            "chunk_sha256": "cd" * 32,
            "data": "AAE=",
        }
    ).encode()
    twice = b"\x00" + len(inline).to_bytes(4, "big") + inline + b"more"
    assert decode_client_frame(twice).code is ErrorCode.MALFORMED_FRAME  # bytes in two places
