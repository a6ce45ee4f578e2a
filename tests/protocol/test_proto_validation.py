"""validation.py: the rules and limits that have their own error codes."""

from __future__ import annotations

import json

import pytest

from desktop_chat.protocol import ErrorCode, ProtocolError
from desktop_chat.protocol import frames as f
from desktop_chat.protocol.codec import decode_client_frame
from desktop_chat.protocol.validation import (
    DEFAULT_RECALL_SECONDS,
    MAX_FETCH_ACKS_PAGE,
    MAX_HISTORY_PAGE,
    MAX_UNREAD_PAGE,
    MAX_USER_LOOKUP,
    default_limits,
    is_group_id,
    is_username,
    validate_request,
)

LIMITS = default_limits()
GROUP = "100000000000042"
MSG = "abcdefgh"


def check(request: f.Request, limits: f.Limits = LIMITS) -> ProtocolError | None:
    return validate_request(request, limits)


def code_of(request: f.Request, limits: f.Limits = LIMITS) -> ErrorCode:
    error = check(request, limits)
    assert error is not None, f"{request!r} was accepted"
    assert error.request_id == request.id
    return error.code


def send(**overrides: object) -> f.SendMessage:
    fields: dict[str, object] = {
        "id": "v1",
        "msg_id": MSG,
        "chat_type": "chat",
        "to": "bob",
        "body": f.TextBody("hi"),
    }
    fields.update(overrides)
    return f.SendMessage(**fields)  # type: ignore[arg-type]


def refused(frame: dict) -> bool:
    """The decoder refuses it with INVALID_PARAM (a field breaks its type or pattern)."""
    result = decode_client_frame(json.dumps(frame))
    return isinstance(result, ProtocolError) and result.code is ErrorCode.INVALID_PARAM


def ids(count: int) -> list[str]:
    return [f"msg-{n:08d}" for n in range(count)]


def test_default_limits() -> None:
    assert (
        f.Limits(
            max_frame_bytes=1_048_576,
            max_ack_batch=500,
            max_group_members=10_000,
            max_note_bytes=1024,
            max_page_size=50,
            ack_retention_seconds=2_592_000,
        )
        == LIMITS
    )
    assert (MAX_FETCH_ACKS_PAGE, MAX_UNREAD_PAGE, MAX_HISTORY_PAGE) == (50, 1000, 200)


def test_every_sample_request_is_valid(request_frame: f.Request) -> None:
    assert check(request_frame) is None


# --------------------------------------------------------------------------- send


def test_chat_to_must_be_a_username() -> None:
    assert check(send(to="bob")) is None
    assert code_of(send(to="123")) is ErrorCode.INVALID_PARAM


def test_groupchat_to_must_be_a_group_id() -> None:
    assert check(send(chat_type="groupchat", to=GROUP)) is None
    assert code_of(send(chat_type="groupchat", to="bob")) is ErrorCode.INVALID_PARAM


def test_need_group_ack_is_for_groupchat_only() -> None:
    assert check(send(chat_type="groupchat", to=GROUP, need_group_ack=True)) is None
    error = check(send(need_group_ack=True))
    assert error is not None
    assert error.code is ErrorCode.INVALID_PARAM
    assert "need_group_ack" in error.message


def test_chat_may_ask_for_delivery_and_read_acks() -> None:
    assert check(send(need_delivery_ack=True, need_read_ack=True)) is None


# --------------------------------------------------------------------------- ack batches


@pytest.mark.parametrize("frame_type", [f.DeliveryAck, f.ReadAck])
def test_ack_batch_limit(frame_type: type[f.DeliveryAck] | type[f.ReadAck]) -> None:
    assert check(frame_type(id="b1", msg_ids=ids(1))) is None
    assert check(frame_type(id="b1", msg_ids=ids(500))) is None
    error = check(frame_type(id="b1", msg_ids=ids(501)))
    assert error is not None
    assert error.code is ErrorCode.BATCH_TOO_LARGE
    assert error.request_id == "b1"
    assert error.details == {"limit": 500}


def test_ack_batch_limit_follows_the_configured_limit() -> None:
    small = f.Limits(**{**_limits_dict(), "max_ack_batch": 2})
    assert check(f.ReadAck(id="b2", msg_ids=ids(2)), small) is None
    assert code_of(f.ReadAck(id="b2", msg_ids=ids(3)), small) is ErrorCode.BATCH_TOO_LARGE


def test_ack_batch_over_the_old_hard_bound_is_batch_too_large() -> None:
    assert code_of(f.ReadAck(id="b4", msg_ids=ids(10_001))) is ErrorCode.BATCH_TOO_LARGE


def test_ack_batch_limit_counts_duplicate_ids() -> None:
    # design.md: "Duplicate ids in a batch count once" (when applying); the size
    # check counts the list as sent.
    assert code_of(f.DeliveryAck(id="b3", msg_ids=[MSG] * 501)) is ErrorCode.BATCH_TOO_LARGE


def _limits_dict() -> dict[str, int]:
    return {name: getattr(LIMITS, name) for name in LIMITS.__struct_fields__}


# --------------------------------------------------------------------------- group ack notes


def note(content: str | None) -> f.GroupReadAck:
    return f.GroupReadAck(id="n1", group_id=GROUP, msg_id=MSG, content=content)


def test_note_is_optional() -> None:
    assert check(note(None)) is None
    assert check(note("")) is None


def test_note_limit_is_1024_utf8_bytes() -> None:
    assert check(note("x" * 1024)) is None
    assert code_of(note("x" * 1025)) is ErrorCode.NOTE_TOO_LONG


def test_note_limit_counts_bytes_not_characters() -> None:
    chinese = "读" * 400  # 400 characters, 1,200 UTF-8 bytes
    assert len(chinese.encode()) == 1200
    error = check(note(chinese))
    assert error is not None
    assert error.code is ErrorCode.NOTE_TOO_LONG
    assert error.details == {"limit": 1024}
    assert check(note("读" * 341)) is None  # 1,023 bytes
    assert code_of(note("读" * 342)) is ErrorCode.NOTE_TOO_LONG  # 1,026 bytes
    assert code_of(note("😀" * 257)) is ErrorCode.NOTE_TOO_LONG  # 1,028 bytes
    assert check(note("😀" * 256)) is None  # 1,024 bytes
    assert code_of(note("x" * 5000)) is ErrorCode.NOTE_TOO_LONG


# --------------------------------------------------------------------------- page sizes


def acks_page(size: int) -> f.FetchGroupAcks:
    return f.FetchGroupAcks(id="p1", group_id=GROUP, msg_id=MSG, page_size=size)


def unread_page(size: int) -> f.FetchGroupUnread:
    return f.FetchGroupUnread(id="p1", group_id=GROUP, msg_id=MSG, page_size=size)


def history_page(size: int) -> f.FetchHistory:
    return f.FetchHistory(id="p1", conversation_id="bob", page_size=size)


@pytest.mark.parametrize(
    ("build", "maximum"),
    [(acks_page, 50), (unread_page, 1000), (history_page, 200)],
    ids=["fetch_group_acks", "fetch_group_unread", "fetch_history"],
)
def test_page_size_bounds(build, maximum: int) -> None:  # type: ignore[no-untyped-def]
    assert check(build(1)) is None
    assert check(build(maximum)) is None
    for size in (0, -1, maximum + 1, 2**70):
        error = check(build(size))
        assert error is not None, size
        assert error.code is ErrorCode.PAGE_SIZE_OUT_OF_RANGE
        assert error.details == {"minimum": 1, "maximum": maximum}


def test_fetch_group_acks_page_size_0_and_51() -> None:
    assert code_of(acks_page(0)) is ErrorCode.PAGE_SIZE_OUT_OF_RANGE
    assert code_of(acks_page(51)) is ErrorCode.PAGE_SIZE_OUT_OF_RANGE
    assert check(acks_page(50)) is None


def test_default_page_sizes_are_valid() -> None:
    assert check(f.FetchGroupAcks(id="p", group_id=GROUP, msg_id=MSG)) is None
    assert check(f.FetchGroupUnread(id="p", group_id=GROUP, msg_id=MSG)) is None
    assert check(f.FetchHistory(id="p", conversation_id="bob")) is None


def test_fetch_group_acks_page_limit_is_limits_max_page_size() -> None:
    wider = f.Limits(**{**_limits_dict(), "max_page_size": 80})
    assert check(acks_page(80), wider) is None
    assert code_of(acks_page(81), wider) is ErrorCode.PAGE_SIZE_OUT_OF_RANGE


# --------------------------------------------------------------------------- group size


def names(count: int) -> list[str]:
    return [f"user{n:05d}" for n in range(count)]


def test_group_limit_counts_distinct_names() -> None:
    repeated = names(10_000) + names(10_000)
    assert check(f.CreateGroup(id="g5", name="T", members=repeated)) is None
    assert check(f.AddMembers(id="g5", group_id=GROUP, members=repeated)) is None


def test_create_group_member_limit() -> None:
    assert check(f.CreateGroup(id="g1", name="T", members=names(10_000))) is None
    error = check(f.CreateGroup(id="g1", name="T", members=names(10_001)))
    assert error is not None
    assert error.code is ErrorCode.GROUP_FULL
    assert error.details == {"limit": 10_000}


def test_add_members_limit_on_the_request_alone() -> None:
    assert check(f.AddMembers(id="g2", group_id=GROUP, members=names(10_000))) is None
    assert (
        code_of(f.AddMembers(id="g2", group_id=GROUP, members=names(10_001)))
        is ErrorCode.GROUP_FULL
    )


def test_remove_members_has_no_size_limit_here() -> None:
    assert check(f.RemoveMembers(id="g3", group_id=GROUP, members=names(10_001))) is None


def test_group_limit_follows_the_configured_limit() -> None:
    small = f.Limits(**{**_limits_dict(), "max_group_members": 3})
    assert check(f.CreateGroup(id="g4", name="T", members=names(3)), small) is None
    assert code_of(f.CreateGroup(id="g4", name="T", members=names(4)), small) == "GROUP_FULL"


# --------------------------------------------------------------------------- register


def register(username: str) -> f.Register:
    return f.Register(id="n1", username=username, password="12345678")


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("con", "reserved"),
        ("lpt1.txt", "reserved"),
        ("alice.", "trailing"),
        ("alice\n", "trailing"),
        ("Alice", "not_canonical"),
        ("\u0430lice", "mixed_script"),
        ("张伟", "script"),
        ("al ice", "characters"),
        ("a", "length"),
        ("a" * 33, "length"),
        ("1alice", "start"),
    ],
)
def test_register_refuses_names_that_are_not_allowed(name: str, reason: str) -> None:
    error = check(register(name))
    assert error is not None, name
    assert (error.code, error.request_id, error.details) == (
        ErrorCode.USERNAME_NOT_ALLOWED,
        "n1",
        {"reason": reason},
    )
    assert error.message


def test_register_allows_plain_names() -> None:
    for name in ("alice", "a1ice", "bob.smith", "z9"):  # a look-alike needs the store
        assert check(register(name)) is None


def test_login_is_not_judged_by_the_new_name_rules() -> None:
    # An account made before a rule existed ("con") still signs in.
    assert check(f.Login(id="n2", username="con", password="x")) is None


# --------------------------------------------------------------------------- name helpers


@pytest.mark.parametrize("name", ["ab", "alice", "a" * 32, "a.b-c_d", "z9"])
def test_is_username_accepts(name: str) -> None:
    assert is_username(name)
    assert not is_group_id(name)


@pytest.mark.parametrize("name", ["", "a", "a" * 33, "Alice", "1alice", "_alice", "al ice", "123"])
def test_is_username_refuses(name: str) -> None:
    assert not is_username(name)


@pytest.mark.parametrize("value", ["0", "42", "9" * 18])
def test_is_group_id_accepts(value: str) -> None:
    assert is_group_id(value)
    assert not is_username(value)


@pytest.mark.parametrize("value", ["", "1" * 21, "12a", "-1", "1.0", " 1", "bob"])
def test_is_group_id_refuses(value: str) -> None:
    assert not is_group_id(value)


def test_helpers_refuse_a_trailing_newline() -> None:
    assert not is_username("alice\n")
    assert not is_group_id("42\n")


# --------------------------------------------------------------------------- everyday messaging


def test_the_default_recall_limit_is_two_minutes() -> None:
    assert LIMITS.recall_seconds == DEFAULT_RECALL_SECONDS == 120


def test_user_lookup_is_a_bounded_batch() -> None:
    names = [f"user{n}" for n in range(MAX_USER_LOOKUP)]
    assert check(f.FetchUsers(id="v1", usernames=names)) is None
    too_many = f.FetchUsers(id="v1", usernames=[*names, "one-more"])
    assert code_of(too_many) is ErrorCode.BATCH_TOO_LARGE
    assert check(too_many).details == {"limit": MAX_USER_LOOKUP}  # type: ignore[union-attr]


def test_typing_is_for_one_to_one_chats_only() -> None:
    assert check(f.Typing(id="v1", conversation_id="bob")) is None
    assert code_of(f.Typing(id="v1", conversation_id=GROUP)) is ErrorCode.INVALID_PARAM


def test_a_mute_end_goes_with_muting_only() -> None:
    mute = f.SetConversationMute
    assert check(mute(id="v1", conversation_id="bob", muted=True, until=10)) is None
    assert check(mute(id="v1", conversation_id="bob", muted=False)) is None
    assert code_of(mute(id="v1", conversation_id="bob", muted=False, until=10)) is (
        ErrorCode.INVALID_PARAM
    )


def test_reply_to_is_a_msg_id_and_edit_a_text() -> None:
    assert refused(
        {
            "type": "send",
            "id": "1",
            "msg_id": MSG,
            "chat_type": "chat",
            "to": "bob",
            "body": {"kind": "text", "text": "re"},
            "reply_to": "short",
        }
    )
    assert refused({"type": "edit", "id": "1", "msg_id": MSG, "body": {"kind": "text", "text": ""}})
    assert refused({"type": "recall", "id": "1", "msg_id": "no spaces allowed"})
    assert refused({"type": "fetch_users", "id": "1", "usernames": []})


NUL_TEXT = [
    ("body.text", {"type": "send", "msg_id": MSG, "chat_type": "chat", "to": "bob"}, "body"),
    ("body.text", {"type": "edit", "msg_id": MSG}, "body"),
    ("name", {"type": "create_group"}, "name"),
    ("device_name", {"type": "login", "username": "alice", "password": "pw"}, "device_name"),
    ("content", {"type": "group_read_ack", "group_id": GROUP, "msg_id": MSG}, "content"),
]


@pytest.mark.parametrize(("field", "frame", "key"), NUL_TEXT, ids=[t[1]["type"] for t in NUL_TEXT])
@pytest.mark.parametrize("text", ["\x00", "a\x00b", "ends with\x00"])
def test_free_text_that_is_stored_cannot_hold_nul(
    field: str, frame: dict, key: str, text: str
) -> None:
    """PostgreSQL's text cannot hold U+0000: every free text the server stores refuses it,
    as a bad field, and says which field and why."""
    value = {"kind": "text", "text": text} if key == "body" else text
    decoded = decode_client_frame(json.dumps({**frame, "id": "n1", key: value}))
    assert isinstance(decoded, f.Request), decoded
    error = check(decoded)
    assert error is not None, f"{field} with NUL was accepted"
    assert error.code is ErrorCode.INVALID_PARAM and error.request_id == "n1"
    assert f"`{field}`" in error.message and "U+0000" in error.message
    assert error.details == {"field": field}


@pytest.mark.parametrize(("field", "frame", "key"), NUL_TEXT, ids=[t[1]["type"] for t in NUL_TEXT])
def test_free_text_may_hold_other_control_characters(field: str, frame: dict, key: str) -> None:
    text = "tab\there\u0001\u007f\u2028end"
    value = {"kind": "text", "text": text} if key == "body" else text
    decoded = decode_client_frame(json.dumps({**frame, "id": "n1", key: value}))
    assert isinstance(decoded, f.Request), decoded
    assert check(decoded) is None
