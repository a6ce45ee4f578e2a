"""Forbidden requests: each gets the exact error code, the connection stays open (a
valid request on the same connection still succeeds), another client is unaffected,
and the store's invariants hold. (Frames that cannot be read: test_frame_errors.py.)"""

from __future__ import annotations

import pytest
from error_tools import PASSWORD, refused, send, still_fine

from desktop_chat.wire_client import text_body

# --------------------------------------------------------------------------- phases and accounts


async def test_hello_must_come_first(harness):
    await harness.start()
    await harness.register("alice")
    client = await harness.connect(hello=False)
    reply = await refused(client, "login", username="alice", password=PASSWORD)
    assert reply["code"] == "HELLO_REQUIRED"
    reply = await refused(client, "fetch_conversations")
    assert reply["code"] == "HELLO_REQUIRED"
    hello = await client.request("hello", version=1)
    assert hello["version"] == 1 and hello["server"].startswith("desktop_chat/")
    await client.login("alice", PASSWORD)
    await still_fine(harness, client)


async def test_wrong_version_can_be_retried(harness):
    await harness.start()
    await harness.register("alice")
    client = await harness.connect(hello=False)
    reply = await refused(client, "hello", version=2)
    assert reply["code"] == "UNSUPPORTED_VERSION"
    assert reply["details"]["supported"] == [1]
    # Still in the hello phase.
    reply = await refused(client, "login", username="alice", password=PASSWORD)
    assert reply["code"] == "HELLO_REQUIRED"
    await client.request("hello", version=1)
    await client.login("alice", PASSWORD)
    await still_fine(harness, client)


async def test_requests_before_login_and_login_twice(harness):
    await harness.start()
    await harness.register("alice")
    client = await harness.connect()
    for type_, fields in [
        ("fetch_conversations", {}),
        ("sync", {"after_seq": 0}),
        ("logout", {}),
        (
            "send",
            {"msg_id": "early-00001", "chat_type": "chat", "to": "bob", "body": text_body("x")},
        ),
    ]:
        reply = await refused(client, type_, **fields)
        assert reply["code"] == "NOT_LOGGED_IN", type_
    await client.login("alice", PASSWORD)
    reply = await refused(client, "login", username="alice", password=PASSWORD)
    assert reply["code"] == "ALREADY_LOGGED_IN"
    reply = await refused(client, "register", username="newbie", password=PASSWORD)
    assert reply["code"] == "ALREADY_LOGGED_IN"
    reply = await refused(client, "resume", token=client.token)
    assert reply["code"] == "ALREADY_LOGGED_IN"
    assert harness.store.user_id("newbie") is None
    other = await harness.device("bob")
    await still_fine(harness, client, other)


async def test_registration_disabled(harness):
    await harness.start()
    await harness.register("alice")
    await harness.stop()
    await harness.start(allow_registration=False)
    client = await harness.connect()
    reply = await refused(client, "register", username="zed", password=PASSWORD)
    assert reply["code"] == "REGISTRATION_DISABLED"
    assert harness.store.user_id("zed") is None
    await client.login("alice", PASSWORD)
    await still_fine(harness, client)


async def test_register_taken_name(harness):
    await harness.start()
    client = await harness.connect()
    assert (await client.request("register", username="alice", password=PASSWORD))["type"] == "ok"
    reply = await refused(client, "register", username="alice", password="another password")
    assert reply["code"] == "USER_EXISTS"
    # The first password still works, the second does not.
    reply = await refused(client, "login", username="alice", password="another password")
    assert reply["code"] == "INVALID_CREDENTIALS"
    await client.request("register", username="bob", password=PASSWORD)
    await client.login("alice", PASSWORD)
    await still_fine(harness, client)


async def test_an_unknown_name_is_told_so_where_anyone_may_sign_up(harness):
    await harness.start()  # registration open: `register` would tell anyway
    await harness.register("alice")
    client = await harness.connect()
    wrong = await refused(client, "login", username="alice", password="not the password")
    unknown = await refused(client, "login", username="nobody", password=PASSWORD)
    assert wrong["code"] == "INVALID_CREDENTIALS"
    assert unknown["code"] == "USER_NOT_FOUND"
    assert unknown["details"] == {"can_register": True}
    assert "nobody" in unknown["message"]
    await client.login("alice", PASSWORD)
    await still_fine(harness, client)


async def test_wrong_password_and_unknown_user_look_the_same_on_a_closed_server(harness):
    await harness.start()
    await harness.register("alice")
    await harness.stop()
    await harness.start(allow_registration=False)
    client = await harness.connect()
    wrong = await refused(client, "login", username="alice", password="not the password")
    unknown = await refused(client, "login", username="nobody", password=PASSWORD)
    assert wrong["code"] == unknown["code"] == "INVALID_CREDENTIALS"
    assert wrong["message"] == unknown["message"]
    assert wrong.get("details") == unknown.get("details")
    await client.login("alice", PASSWORD)
    await still_fine(harness, client)


async def test_resume_with_bad_or_revoked_token(harness):
    await harness.start()
    alice = await harness.device("alice")
    alice_laptop = await harness.device("alice")
    client = await harness.connect()
    reply = await refused(client, "resume", token="A" * 43)
    assert reply["code"] == "TOKEN_INVALID"
    token = alice.token
    assert (await alice.request("logout"))["type"] == "ok"
    # The logged-out connection is back before login: its token no longer works.
    reply = await refused(alice, "fetch_conversations")
    assert reply["code"] == "NOT_LOGGED_IN"
    reply = await refused(alice, "resume", token=token)
    assert reply["code"] == "TOKEN_INVALID"
    reply = await refused(client, "resume", token=token)
    assert reply["code"] == "TOKEN_INVALID"
    # Other devices keep their sessions; the same connections can still sign in.
    resumed = await client.request("resume", token=alice_laptop.token)
    assert resumed["username"] == "alice"
    await alice.login("alice", PASSWORD)
    await still_fine(harness, alice, alice_laptop)
    await still_fine(harness, client)


# --------------------------------------------------------------------------- receipts


async def test_acks_on_messages_that_are_not_yours_to_ack(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    carol = await harness.device("carol")
    await send(alice, "bob", "private-001", need_delivery_ack=True)
    await send(alice, "bob", "nodeliv-001")
    cases = [
        (carol, "read_ack", "private-001", "PERMISSION_DENIED"),
        (carol, "delivery_ack", "private-001", "PERMISSION_DENIED"),
        (alice, "read_ack", "private-001", "CANNOT_ACK_OWN_MESSAGE"),
        (alice, "delivery_ack", "private-001", "CANNOT_ACK_OWN_MESSAGE"),
        (bob, "read_ack", "unknown-0001", "MESSAGE_NOT_FOUND"),
        (bob, "delivery_ack", "unknown-0001", "MESSAGE_NOT_FOUND"),
        (bob, "delivery_ack", "nodeliv-001", "ACK_NOT_REQUESTED"),
    ]
    for client, type_, msg_id, code in cases:
        reply = await refused(client, type_, msg_ids=[msg_id])
        assert reply["code"] == code, (client.username, type_, msg_id)
        assert reply["details"]["applied"] == []
        assert [r["msg_id"] for r in reply["details"]["rejected"]] == [msg_id]
        assert reply["details"]["rejected"][0]["code"] == code
    # None of it moved a mark or told alice anything.
    assert await alice.logged("read") == []
    assert await alice.logged("delivered") == []
    assert await bob.unread_count("alice") == 2
    history = await alice.request("fetch_history", conversation_id="bob")
    assert [(m["delivered_at"], m["read_at"]) for m in history["messages"]] == [(None, None)] * 2
    await still_fine(harness, carol, bob)


async def test_batch_with_valid_and_invalid_ids_applies_the_valid_ones(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    carol = await harness.device("carol")
    for msg_id in ("mixed-00001", "mixed-00002", "mixed-00003"):
        await send(alice, "bob", msg_id, need_delivery_ack=True)
    await send(bob, "alice", "bobs-000001")
    await send(alice, "carol", "carols-0001")

    reply = await refused(
        bob,
        "read_ack",
        msg_ids=[
            "mixed-00001",
            "unknown-0001",
            "mixed-00002",
            "bobs-000001",
            "mixed-00001",
            "carols-0001",
        ],
    )
    assert reply["code"] == "MESSAGE_NOT_FOUND"
    assert reply["details"]["applied"] == ["mixed-00001", "mixed-00002"]
    assert [(r["msg_id"], r["code"]) for r in reply["details"]["rejected"]] == [
        ("unknown-0001", "MESSAGE_NOT_FOUND"),
        ("bobs-000001", "CANNOT_ACK_OWN_MESSAGE"),
        ("carols-0001", "PERMISSION_DENIED"),
    ]
    read = await alice.wait_push("read")
    assert read["msg_ids"] == ["mixed-00001", "mixed-00002"] and read["by"] == "bob"
    assert await bob.unread_count("alice") == 1
    history = await alice.request("fetch_history", conversation_id="bob")
    read_at = {m["msg_id"]: m["read_at"] for m in history["messages"]}
    assert read_at["mixed-00001"] is not None and read_at["mixed-00002"] is not None
    assert read_at["mixed-00003"] is None

    reply = await refused(bob, "delivery_ack", msg_ids=["carols-0001", "mixed-00003"])
    assert reply["code"] == "PERMISSION_DENIED"
    assert reply["details"]["applied"] == ["mixed-00003"]
    delivered = await alice.wait_push("delivered")
    assert delivered["msg_ids"] == ["mixed-00003"]
    await still_fine(harness, bob, carol)


async def test_batch_over_limit_applies_nothing(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    await send(alice, "bob", "batched-0001")
    too_many = ["batched-0001"] + [f"filler-{i:05d}" for i in range(500)]
    reply = await refused(bob, "read_ack", msg_ids=too_many)
    assert reply["code"] == "BATCH_TOO_LARGE"
    assert reply["details"]["limit"] == 500
    reply = await refused(bob, "delivery_ack", msg_ids=too_many)
    assert reply["code"] == "BATCH_TOO_LARGE"
    assert await bob.unread_count("alice") == 1
    assert await alice.logged("read") == []

    # 500 is allowed: the valid one is applied, the unknown ones are listed.
    reply = await refused(bob, "read_ack", msg_ids=too_many[:500])
    assert reply["code"] == "MESSAGE_NOT_FOUND"
    assert reply["details"]["applied"] == ["batched-0001"]
    assert len(reply["details"]["rejected"]) == 499
    assert (await alice.wait_push("read"))["msg_ids"] == ["batched-0001"]
    await still_fine(harness, bob, alice)


# --------------------------------------------------------------------------- sending


async def test_send_to_unknown_user_or_yourself(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    cases = [
        ({"chat_type": "chat", "to": "ghost"}, "USER_NOT_FOUND"),
        ({"chat_type": "chat", "to": "alice"}, "INVALID_PARAM"),
        ({"chat_type": "chat", "to": "123456"}, "INVALID_PARAM"),
        ({"chat_type": "groupchat", "to": "bob"}, "INVALID_PARAM"),
        ({"chat_type": "chat", "to": "bob", "need_group_ack": True}, "INVALID_PARAM"),
        ({"chat_type": "groupchat", "to": "123456"}, "GROUP_NOT_FOUND"),
    ]
    for index, (fields, code) in enumerate(cases):
        reply = await refused(
            alice, "send", msg_id=f"nowhere-{index:04d}", body=text_body("x"), **fields
        )
        assert reply["code"] == code, fields
    assert (await alice.request("fetch_conversations"))["conversations"] == []
    # The refused msg_ids were not taken.
    sent = await send(alice, "bob", "nowhere-0000")
    assert sent["conv_seq"] == 1
    await still_fine(harness, alice, bob)


async def test_msg_id_reuse_conflicts_but_identical_resend_is_idempotent(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    carol = await harness.device("carol")
    first = await send(alice, "bob", "dup-0000001", "hello bob")
    again = await send(alice, "bob", "dup-0000001", "hello bob")
    assert (again["conv_seq"], again["server_time"]) == (first["conv_seq"], first["server_time"])
    assert again["msg_id"] == "dup-0000001"

    for client, to, body in [
        (alice, "bob", "something else"),
        (alice, "carol", "hello bob"),
        (carol, "bob", "hello bob"),
    ]:
        reply = await refused(
            client, "send", msg_id="dup-0000001", chat_type="chat", to=to, body=text_body(body)
        )
        assert reply["code"] == "MSG_ID_CONFLICT", (client.username, to, body)

    # A marker after the retries: every earlier push to bob has arrived by then.
    marker = await send(alice, "bob", "dup-marker1")
    assert marker["conv_seq"] == 2
    await bob.wait_push("message", lambda p: p["message"]["msg_id"] == "dup-marker1")
    assert [p["message"]["msg_id"] for p in bob.pushes_of("message")] == [
        "dup-0000001",
        "dup-marker1",
    ]
    assert len(await bob.logged("message")) == 2
    assert await bob.unread_count("alice") == 2
    history = await bob.request("fetch_history", conversation_id="alice")
    assert [(m["msg_id"], m["body"]["text"]) for m in history["messages"]] == [
        ("dup-0000001", "hello bob"),
        ("dup-marker1", "dup-marker1"),
    ]
    assert carol.pushes_of("message") == []
    await still_fine(harness, alice, carol)


async def test_group_ack_outside_your_groups(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    carol = await harness.device("carol")
    group = await alice.request("create_group", name="team", members=["bob"])
    group_id = group["group"]["group_id"]
    await alice.request(
        "send",
        msg_id="gack-000001",
        chat_type="groupchat",
        to=group_id,
        body=text_body("x"),
        need_group_ack=True,
    )
    for type_ in ("group_read_ack", "fetch_group_acks", "fetch_group_unread"):
        reply = await refused(carol, type_, group_id=group_id, msg_id="gack-000001")
        assert reply["code"] == "NOT_GROUP_MEMBER", type_
    reply = await refused(carol, "conversation_read_ack", conversation_id=group_id)
    assert reply["code"] == "NOT_GROUP_MEMBER"
    assert alice.pushes_of("group_read") == []
    ack = await bob.request("group_read_ack", group_id=group_id, msg_id="gack-000001")
    assert ack["read_count"] == 1
    await still_fine(harness, carol, bob)


# --------------------------------------------------------------------------- edges of ids


@pytest.mark.parametrize(
    ("group_id", "code"),
    [("9" * 18, "GROUP_NOT_FOUND"), ("9" * 19, "INVALID_PARAM"), ("9" * 20, "INVALID_PARAM")],
)
async def test_huge_group_ids_are_refused_cleanly(harness, group_id, code):
    """Ids past 18 digits cannot be group ids (they would not fit SQLite's integers)."""
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    for type_, fields in [
        ("get_group", {"group_id": group_id}),
        ("group_read_ack", {"group_id": group_id, "msg_id": "huge-000001"}),
        ("fetch_history", {"conversation_id": group_id}),
        (
            "send",
            {
                "msg_id": "huge-000002",
                "chat_type": "groupchat",
                "to": group_id,
                "body": text_body("x"),
            },
        ),
    ]:
        reply = await refused(alice, type_, **fields)
        assert reply["code"] == code, (type_, reply)
    await still_fine(harness, alice, bob)


@pytest.mark.parametrize(
    "cursor",
    [
        "abc",
        "-5",
        "\u00b2",  # a Unicode digit: str.isdigit() says yes, int() says no
        "9" * 32,  # past SQLite's 64-bit integers
    ],
)
async def test_fetch_group_acks_refuses_foreign_cursors(harness, cursor):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    group = await alice.request("create_group", name="team", members=["bob"])
    group_id = group["group"]["group_id"]
    await alice.request(
        "send",
        msg_id="cursor-0001",
        chat_type="groupchat",
        to=group_id,
        body=text_body("x"),
        need_group_ack=True,
    )
    reply = await refused(
        alice, "fetch_group_acks", group_id=group_id, msg_id="cursor-0001", cursor=cursor
    )
    assert reply["code"] == "INVALID_PARAM", reply
    await still_fine(harness, alice, bob)


async def test_delivery_ack_on_a_group_message_of_another_group(harness):
    """Acking in a group you are not in is NOT_GROUP_MEMBER, as for group read acks."""
    await harness.start()
    alice = await harness.device("alice")
    carol = await harness.device("carol")
    group = await alice.request("create_group", name="team", members=[])
    group_id = group["group"]["group_id"]
    await alice.request(
        "send",
        msg_id="gdel-000001",
        chat_type="groupchat",
        to=group_id,
        body=text_body("x"),
        need_group_ack=True,
    )
    reply = await refused(carol, "delivery_ack", msg_ids=["gdel-000001"])
    assert reply["code"] == "NOT_GROUP_MEMBER"
    assert reply["details"]["applied"] == []
    await still_fine(harness, carol, alice)


async def test_group_msg_id_reused_for_chat_to_unknown_user_conflicts(harness):
    await harness.start()
    alice = await harness.device("alice")
    group = await alice.request("create_group", name="team", members=[])
    group_id = group["group"]["group_id"]
    body = text_body("same text")
    await alice.request("send", msg_id="reuse-00001", chat_type="groupchat", to=group_id, body=body)
    reply = await alice.call("send", msg_id="reuse-00001", chat_type="chat", to="ghost", body=body)
    assert (reply["type"], reply.get("code")) == ("error", "MSG_ID_CONFLICT"), reply
    await still_fine(harness, alice)
