"""`Service.handle_data` on raw bytes, with no socket: frames that do not decode, frames
out of their phase, requests past the protocol's limits and devices past their rate
budget are refused with their code (and their id when it can be read), and the
connection goes on; every request type reaches a handler; a refused request changes
nothing, in the database or in anyone's event log, and takes no seq."""

from __future__ import annotations

import msgspec
import pytest
from inproc import PASSWORD, InProcess, text

from desktop_chat.protocol import frames as f
from desktop_chat.server.limits import DeviceRates


def table_rows(server: InProcess) -> dict[str, list[tuple]]:
    """Every committed row of every table: what a refused request must leave alone."""
    tables = [
        name for (name,) in server.committed("SELECT name FROM sqlite_master WHERE type = 'table'")
    ]
    return {name: sorted(server.committed(f"SELECT * FROM {name}"), key=repr) for name in tables}


async def raw(server: InProcess, device, data: bytes) -> object:
    """Hand `data` to the service as it came off the socket; the one frame written back."""
    before = len(device.frames)
    await server.service.handle_data(device.conn, data)
    await server.settle()
    (reply,) = device.frames[before:]
    return reply


@pytest.mark.parametrize(
    ("data", "code", "request_id"),
    [
        (b"not json at all", "MALFORMED_FRAME", None),
        (b'{"type": "hello", "id": "cut-1", "version": 1', "MALFORMED_FRAME", None),
        (
            b'{"type": "hello", "id": "bytes-1", "version": 1, "client": "\xff"}',
            "MALFORMED_FRAME",
            None,
        ),
        (b'{"type": "teleport", "id": "unknown-1"}', "UNKNOWN_TYPE", "unknown-1"),
        (b'{"type": "send", "id": "missing-1"}', "INVALID_PARAM", "missing-1"),
        (b'{"type": "sync", "id": "range-1", "after_seq": -5}', "INVALID_PARAM", "range-1"),
        (b'["hello"]', "MALFORMED_FRAME", None),
        (
            b'{"type": "hello", "id": "big-1", "pad": "' + b"x" * 5000 + b'"}',
            "FRAME_TOO_LARGE",
            None,
        ),
    ],
    ids=[
        "not-json",
        "cut-off",
        "not-utf8",
        "unknown-type",
        "missing-field",
        "out-of-range",
        "array",
        "too-large",
    ],
)
async def test_a_frame_that_does_not_decode_is_refused_and_the_connection_goes_on(
    tmp_path, data, code, request_id
):
    server = InProcess(tmp_path, max_frame_bytes=4096)
    alice = await server.device("alice")
    before = table_rows(server)
    reply = await raw(server, alice, data)
    assert isinstance(reply, f.Error) and reply.code == code, reply
    if request_id is not None:
        assert reply.id == request_id
    assert table_rows(server) == before
    assert isinstance(await alice.call("fetch_conversations"), f.Conversations)
    server.close()


async def test_each_phase_takes_only_its_requests(server):
    device = server.connect()
    assert (await device.call("fetch_conversations")).code == "HELLO_REQUIRED"
    wrong = await device.call("hello", version=f.PROTOCOL_VERSION + 1)
    assert wrong.code == "UNSUPPORTED_VERSION" and wrong.details == {"supported": [1]}
    assert isinstance(await device.call("hello", version=f.PROTOCOL_VERSION), f.HelloOk)
    assert (
        await device.call("send", msg_id="early-00001", chat_type="chat", to="bob", body=text("x"))
    ).code == "NOT_LOGGED_IN"
    token = server.new_token("alice")
    assert isinstance(await device.call("resume", token=token), f.LoginOk)
    assert (await device.call("resume", token=token)).code == "ALREADY_LOGGED_IN"
    assert (await device.call("register", username="another", password=PASSWORD)).code == (
        "ALREADY_LOGGED_IN"
    )
    assert isinstance(await device.call("logout"), f.Ok)
    assert (await device.call("fetch_conversations")).code == "NOT_LOGGED_IN"
    assert (await device.call("resume", token=token)).code == "TOKEN_INVALID"


async def test_sign_up_and_sign_in_check_the_password_off_the_loop(server):
    device = server.connect()
    await device.request("hello", version=f.PROTOCOL_VERSION)
    assert isinstance(await device.call("register", username="gina", password=PASSWORD), f.Ok)
    assert (await device.call("register", username="gina", password=PASSWORD)).code == (
        "USER_EXISTS"
    )
    devices_before = server.committed("SELECT COUNT(*) FROM devices")
    assert (await device.call("login", username="gina", password="wrong")).code == (
        "INVALID_CREDENTIALS"
    )
    assert (await device.call("login", username="nobody", password=PASSWORD)).code == (
        "USER_NOT_FOUND"  # registration is open: register would tell anyway
    )
    assert server.committed("SELECT COUNT(*) FROM devices") == devices_before
    ok = await device.call("login", username="gina", password=PASSWORD, device_name="laptop")
    assert isinstance(ok, f.LoginOk) and ok.username == "gina" and ok.last_seq == 0
    assert server.committed("SELECT name FROM devices WHERE id = ?", (ok.device_id,)) == [
        ("laptop",)
    ]


@pytest.mark.parametrize(
    ("kind", "fields", "code"),
    [
        ("delivery_ack", {"msg_ids": [f"m-{n:08d}" for n in range(501)]}, "BATCH_TOO_LARGE"),
        (
            "group_read_ack",
            {"group_id": "1234", "msg_id": "m-00000001", "content": "é" * 513},
            "NOTE_TOO_LONG",
        ),
        ("fetch_history", {"conversation_id": "bob", "page_size": 0}, "PAGE_SIZE_OUT_OF_RANGE"),
        (
            "send",
            {"msg_id": "m-00000001", "chat_type": "chat", "to": "1234", "body": text("x")},
            "INVALID_PARAM",
        ),
        (
            "send",
            {
                "msg_id": "m-00000001",
                "chat_type": "chat",
                "to": "bob",
                "body": text("x"),
                "need_group_ack": True,
            },
            "INVALID_PARAM",
        ),
        ("typing", {"conversation_id": "1234"}, "INVALID_PARAM"),
        (
            "send",
            {"msg_id": "m-00000001", "chat_type": "chat", "to": "bob", "body": text("a\x00b")},
            "INVALID_PARAM",
        ),
    ],
    ids=[
        "ack-batch",
        "note",
        "page-size",
        "chat-to-group",
        "group-ack-in-chat",
        "typing-group",
        "nul",
    ],
)
async def test_a_request_past_the_protocols_limits_is_refused_before_it_runs(
    server, kind, fields, code
):
    alice = await server.device("alice")
    bob = await server.device("bob")
    before = table_rows(server)
    reply = await alice.call(kind, **fields)
    assert isinstance(reply, f.Error) and reply.code == code, reply
    assert table_rows(server) == before
    assert bob.frames == []


class Clock:
    """A monotonic clock that moves only when the test says."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_device_past_its_rate_is_refused_with_the_wait_and_nothing_is_stored(server):
    clock = Clock()
    rates = DeviceRates(1.0, 2, 2.0, 1, clock=clock)
    alice = await server.device("alice", rates=rates)
    bob = await server.device("bob")
    # An invalid frame is refused before it is counted: it spends no budget.
    assert (
        await alice.call("send", msg_id="m-00000000", chat_type="chat", to="1234", body=text("x"))
    ).code == "INVALID_PARAM"
    for n in range(2):
        await alice.send_chat("bob", f"rated-{n:05d}")
    limited = await alice.call(
        "send", msg_id="rated-00002", chat_type="chat", to="bob", body=text("x")
    )
    assert limited.code == "RATE_LIMITED" and limited.details == {"retry_after_ms": 1000}
    assert server.store.message("rated-00002") is None
    assert [p.message.msg_id for p in bob.take()] == ["rated-00000", "rated-00001"]
    # Acks have their own budget; reads are not limited.
    ran = await alice.call("read_ack", msg_ids=["rated-00000"])
    assert ran.code == "CANNOT_ACK_OWN_MESSAGE"  # it ran: the budget let it by
    assert (await alice.call("read_ack", msg_ids=["rated-00000"])).details == {
        "retry_after_ms": 500
    }
    for _ in range(3):
        assert isinstance(await alice.call("fetch_history", conversation_id="bob"), f.History)
    clock.now += 1.0
    assert (await alice.send_chat("bob", "rated-00002")).conv_seq == 3


def request_samples(group_id: str, token: str) -> dict[str, dict]:
    """One valid frame of every request type (the fields after `type` and `id`)."""
    return {
        "hello": {"version": f.PROTOCOL_VERSION},
        "register": {"username": "newcomer", "password": PASSWORD},
        "login": {"username": "newcomer", "password": PASSWORD},
        "resume": {"token": token},
        "sync": {"after_seq": 0},
        "send": {"msg_id": "every-00001", "chat_type": "chat", "to": "bob", "body": text("x")},
        "delivery_ack": {"msg_ids": ["every-00003"]},
        "read_ack": {"msg_ids": ["every-00003"]},
        "conversation_read_ack": {"conversation_id": "bob"},
        "group_read_ack": {"group_id": group_id, "msg_id": "every-00002"},
        "fetch_group_acks": {"group_id": group_id, "msg_id": "every-00002"},
        "fetch_group_unread": {"group_id": group_id, "msg_id": "every-00002"},
        "remind_group_unread": {"group_id": group_id, "msg_id": "every-00002"},
        "fetch_group_ack_stats": {"group_id": group_id, "msg_id": "every-00002", "edges": [60]},
        "pin_group_message": {"group_id": group_id, "msg_id": "every-00002"},
        "unpin_group_message": {"group_id": group_id},
        "fetch_conversations": {},
        "fetch_history": {"conversation_id": "bob"},
        "create_group": {"name": "another"},
        "add_members": {"group_id": group_id, "members": ["carol"]},
        "remove_members": {"group_id": group_id, "members": ["carol"]},
        "add_admin": {"group_id": group_id, "member": "bob"},
        "remove_admin": {"group_id": group_id, "member": "bob"},
        "set_group_ack_policy": {"group_id": group_id, "ack_policy": "all"},
        "get_group": {"group_id": group_id},
        "fetch_groups": {},
        "edit": {"msg_id": "every-00001", "body": text("y")},
        "recall": {"msg_id": "every-00001"},
        "set_conversation_mute": {"conversation_id": "bob", "muted": True},
        "typing": {"conversation_id": "bob"},
        "fetch_users": {"usernames": ["bob", "nobody"]},
        "upload_begin": {"sha256": FILE_SHA, "size": 2},
        "upload_chunk": {
            "sha256": FILE_SHA,
            "offset": 0,
            "chunk_sha256": FILE_SHA,
            "data": b"\x00\x01",
        },
        "download": {"msg_id": "every-00004", "sha256": FILE_SHA},
        "logout": {},
    }


FILE_SHA = "b413f47d13ee2fe6c845b2ee141af81de858df4ec549a58b7970bb96645bc8d2"  # sha256(b"\x00\x01")


async def test_every_request_type_reaches_its_handler(server):
    alice = await server.device("alice")
    bob = await server.device("bob")
    server.account("carol")
    group = (
        await alice.request("create_group", name="team", members=["bob"], ack_policy="all")
    ).group
    await bob.send_group(group.group_id, "every-00002", need_group_ack=True)
    await bob.send_chat("alice", "every-00003", need_delivery_ack=True)
    # A file message for `download` (its file uploaded in two frames, then sent).
    await alice.call("upload_begin", sha256=FILE_SHA, size=2)
    await alice.call(
        "upload_chunk", sha256=FILE_SHA, offset=0, chunk_sha256=FILE_SHA, data=b"\x00\x01"
    )
    file = {"kind": "file", "sha256": FILE_SHA, "size": 2, "name": "two.bin"}
    await alice.call("send", msg_id="every-00004", chat_type="chat", to="bob", body=file)
    samples = request_samples(group.group_id, server.new_token("bob"))
    assert set(samples) == set(f.REQUEST_TYPES), "a request type without a sample"
    for kind, fields in samples.items():
        # Signing in takes a connection of its own (this one is signed in).
        device = alice
        if kind in ("register", "login", "resume"):
            device = server.connect()
            await device.request("hello", version=f.PROTOCOL_VERSION)
        reply = await device.call(kind, **fields)
        assert isinstance(reply, f.reply_type(f.REQUEST_TYPES[kind])), (kind, reply)
    assert alice.conn.user_id is None, "signed out by the last one"


async def test_a_refused_request_changes_nothing_and_takes_no_seq(server):
    alice = await server.device("alice")
    bob = await server.device("bob")
    carol = await server.device("carol")
    group = (await alice.request("create_group", name="team", members=["bob"])).group
    gid = group.group_id
    await alice.send_chat("bob", "taken-00001", need_delivery_ack=False)
    await alice.send_group(gid, "group-00001", need_group_ack=True)
    for device in (alice, bob, carol):
        device.take()
    before = table_rows(server)
    refusals = [
        (
            carol,
            "send",
            {"msg_id": "outsider-01", "chat_type": "groupchat", "to": gid, "body": text("x")},
            "NOT_GROUP_MEMBER",
        ),
        (
            alice,
            "send",
            {"msg_id": "nobody-0001", "chat_type": "chat", "to": "nobody", "body": text("x")},
            "USER_NOT_FOUND",
        ),
        (
            alice,
            "send",
            {"msg_id": "myself-0001", "chat_type": "chat", "to": "alice", "body": text("x")},
            "INVALID_PARAM",
        ),
        (
            bob,
            "send",
            {"msg_id": "taken-00001", "chat_type": "chat", "to": "alice", "body": text("x")},
            "MSG_ID_CONFLICT",
        ),
        (
            bob,
            "send",
            {
                "msg_id": "reply-00001",
                "chat_type": "groupchat",
                "to": gid,
                "body": text("x"),
                "reply_to": "taken-00001",
            },
            "MESSAGE_NOT_FOUND",
        ),
        (
            bob,
            "send",
            {
                "msg_id": "asks-000001",
                "chat_type": "groupchat",
                "to": gid,
                "body": text("x"),
                "need_group_ack": True,
            },
            "GROUP_ACK_NOT_ALLOWED",
        ),
        (bob, "delivery_ack", {"msg_ids": ["taken-00001"]}, "ACK_NOT_REQUESTED"),
        (carol, "group_read_ack", {"group_id": gid, "msg_id": "group-00001"}, "NOT_GROUP_MEMBER"),
        (
            alice,
            "group_read_ack",
            {"group_id": gid, "msg_id": "group-00001"},
            "CANNOT_ACK_OWN_MESSAGE",
        ),
        (bob, "recall", {"msg_id": "taken-00001"}, "PERMISSION_DENIED"),
        (bob, "edit", {"msg_id": "taken-00001", "body": text("mine")}, "PERMISSION_DENIED"),
        (bob, "add_members", {"group_id": gid, "members": ["carol"]}, "PERMISSION_DENIED"),
        (alice, "add_members", {"group_id": gid, "members": ["carol", "nobody"]}, "USER_NOT_FOUND"),
        (alice, "remove_members", {"group_id": gid, "members": ["alice"]}, "PERMISSION_DENIED"),
        (bob, "fetch_group_acks", {"group_id": gid, "msg_id": "group-00001"}, "PERMISSION_DENIED"),
        (carol, "conversation_read_ack", {"conversation_id": gid}, "NOT_GROUP_MEMBER"),
    ]
    for device, kind, fields, code in refusals:
        reply = await device.call(kind, **fields)
        assert isinstance(reply, f.Error) and reply.code == code, (kind, fields, reply)
    assert table_rows(server) == before
    assert [d.pushes() for d in (alice, bob, carol)] == [[], [], []]
    # Nothing was taken either: the next message of each conversation and the next
    # event of each log have the numbers they would have had.
    assert (await bob.send_group(gid, "group-00002")).conv_seq == 2
    assert (await bob.send_chat("alice", "taken-00002")).conv_seq == 2
    logged = await bob.request("sync", after_seq=0)
    assert [e.seq for e in logged.events] == list(range(1, logged.last_seq + 1))
    assert server.store.check_invariants() == []


def test_the_samples_are_frames_the_codec_takes():
    samples = request_samples("1234", "t" * 43)
    for kind, fields in samples.items():
        data = msgspec.json.encode({"type": kind, "id": "s1", **fields})
        assert isinstance(msgspec.json.decode(data, type=f.REQUEST_TYPES[kind]), f.Request)
