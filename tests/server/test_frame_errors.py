"""Frames the server cannot take (not JSON, not UTF-8, not an object, two `type`s, wrong
field types, too large): each gets its documented code and id, the connection stays
open, another client is unaffected, and nothing of the frame is applied."""

from __future__ import annotations

from error_tools import PASSWORD, refused, send, still_fine

from desktop_chat.wire_client import text_body

# --------------------------------------------------------------------------- frames


async def test_malformed_json_gets_error_with_null_id(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    await alice.send_raw('{"type": "fetch_conversations", "id": "broken-1"')
    await still_fine(harness, alice, bob)
    assert len(alice.orphan_errors) == 1
    error = alice.orphan_errors[0]
    assert error["type"] == "error" and error["code"] == "MALFORMED_FRAME"
    assert error["id"] is None

    await alice.send_raw("not json at all")
    await still_fine(harness, alice, bob)
    assert [e["code"] for e in alice.orphan_errors] == ["MALFORMED_FRAME", "MALFORMED_FRAME"]
    assert alice.orphan_errors[1]["id"] is None
    assert bob.orphan_errors == []


async def test_non_object_frames_are_malformed(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    for raw in ('[{"type": "fetch_groups", "id": "arr-1"}]', '"hello"', "42", "null", "[" * 50_000):
        await alice.send_raw(raw)
        await still_fine(harness, alice, bob)
        error = alice.orphan_errors[-1]
        assert (error["code"], error["id"]) == ("MALFORMED_FRAME", None), raw
    assert len(alice.orphan_errors) == 5

    # An object without a type is malformed too, but its id can be read and is echoed.
    await alice.send_raw('{"id": "no-type-1", "after_seq": 0}')
    await still_fine(harness, alice, bob)
    error = alice.orphan_errors[-1]
    assert (error["code"], error["id"]) == ("MALFORMED_FRAME", "no-type-1")


async def test_wrong_field_types_get_invalid_param_with_id(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    cases = [
        ("read_ack", {"msg_ids": "not-a-list"}),
        ("read_ack", {"msg_ids": [12345678]}),
        ("read_ack", {"msg_ids": []}),
        ("read_ack", {"msg_ids": ["bad id!"]}),
        ("sync", {"after_seq": "zero"}),
        ("sync", {"after_seq": -1}),
        ("sync", {"limit": 1001}),
        ("send", {"msg_id": "short", "chat_type": "chat", "to": "bob", "body": text_body("x")}),
        ("send", {"msg_id": "valid-0001", "chat_type": "chat", "to": "bob", "body": text_body("")}),
        ("send", {"msg_id": "valid-0002", "chat_type": "fax", "to": "bob", "body": text_body("x")}),
        ("send", {"msg_id": "valid-0003", "chat_type": "chat", "to": "bob"}),
        (
            "send",
            {"msg_id": "valid-0004", "chat_type": "chat", "to": "Bob!", "body": text_body("x")},
        ),
        ("fetch_history", {"conversation_id": "bob", "page_size": "ten"}),
        ("create_group", {"name": "", "members": []}),
        ("create_group", {"name": "team", "ack_policy": "everyone"}),
        ("get_group", {"group_id": "not-digits"}),
    ]
    for type_, fields in cases:
        reply = await refused(alice, type_, **fields)
        assert reply["code"] == "INVALID_PARAM", (type_, fields, reply)
    # The id is echoed when it can be read, even on a frame that failed to decode.
    await alice.send_raw('{"type": "sync", "id": "typed-1", "after_seq": "x"}')
    await still_fine(harness, alice, bob)
    error = alice.orphan_errors[-1]
    assert (error["code"], error["id"]) == ("INVALID_PARAM", "typed-1")
    assert (await bob.request("fetch_history", conversation_id="alice"))["messages"] == []


async def test_stored_text_with_nul_is_refused_and_nothing_is_stored(harness):
    """PostgreSQL's text cannot hold U+0000, so no stored free text may carry it, on any
    backend: the request is refused as a bad field and nothing of it is applied."""
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    await send(alice, "bob", "kept-0001", "before")
    group = (await alice.request("create_group", name="team", members=["bob"]))["group"]
    gsend = {"chat_type": "groupchat", "to": group["group_id"], "need_group_ack": True}
    await alice.request("send", msg_id="group-0001", body=text_body("hi all"), **gsend)
    cases = [
        ("send", {"msg_id": "nul-00001", "chat_type": "chat", "to": "bob"}, "body.text"),
        ("edit", {"msg_id": "kept-0001"}, "body.text"),
        ("create_group", {"name": "te\x00am", "members": ["bob"]}, "name"),
        ("group_read_ack", {"group_id": group["group_id"], "msg_id": "group-0001"}, "content"),
    ]
    for type_, fields, field in cases:
        if field == "body.text":
            fields["body"] = text_body("a\x00b")
        elif field == "content":
            fields["content"] = "got\x00it"
        client = bob if type_ == "group_read_ack" else alice
        reply = await refused(client, type_, **fields)
        assert reply["code"] == "INVALID_PARAM", (type_, reply)
        assert reply["details"] == {"field": field} and "U+0000" in reply["message"]
    await still_fine(harness, alice, bob)
    history = await bob.request("fetch_history", conversation_id="alice")
    assert [(m["msg_id"], m["body"]["text"]) for m in history["messages"]] == [
        ("kept-0001", "before")
    ]
    assert [g["group_id"] for g in (await alice.request("fetch_groups"))["groups"]] == [
        group["group_id"]
    ]
    acks = await alice.request("fetch_group_acks", group_id=group["group_id"], msg_id="group-0001")
    assert acks["acks"] == []

    sign_in = await harness.connect()
    reply = await refused(
        sign_in, "login", username="alice", password=PASSWORD, device_name="lap\x00top"
    )
    assert (reply["code"], reply["details"]) == ("INVALID_PARAM", {"field": "device_name"})
    assert (await sign_in.login("alice", PASSWORD, "laptop"))["type"] == "login_ok"


async def test_unknown_type_is_refused_with_id(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    reply = await refused(alice, "fly_to_the_moon", speed=3)
    assert reply["code"] == "UNKNOWN_TYPE"
    reply = await refused(alice, "group_changed", change="created")  # a push, not a request
    assert reply["code"] == "UNKNOWN_TYPE"
    await still_fine(harness, alice, bob)


async def test_frame_over_limit_is_refused_and_connection_stays_open(harness):
    await harness.start(max_frame_bytes=4096)
    alice = await harness.connect(hello=False)
    hello = await alice.request("hello", version=1)
    assert hello["limits"]["max_frame_bytes"] == 4096
    await harness.register("alice")
    await alice.login("alice", PASSWORD)
    await alice.sync()
    bob = await harness.device("bob")
    big = (
        '{"type": "send", "id": "big-1", "msg_id": "big-0000001", "chat_type": "chat",'
        ' "to": "bob", "body": {"kind": "text", "text": "' + "x" * 10_000 + '"}}'
    )
    await alice.send_raw(big)
    await still_fine(harness, alice, bob)
    assert not alice.closed
    error = alice.orphan_errors[-1]
    assert error["code"] == "FRAME_TOO_LARGE" and error["id"] is None
    assert error["details"]["limit"] == 4096 and error["details"]["size"] == len(big)
    # Nothing of it was applied.
    assert (await bob.request("fetch_history", conversation_id="alice"))["messages"] == []
    sent = await send(alice, "bob", "small-00001")
    assert sent["conv_seq"] == 1
    assert (await bob.wait_push("message"))["message"]["msg_id"] == "small-00001"


async def test_binary_frames_are_read_as_text(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    await alice.ws.send(b'{"type": "fetch_groups", "id": "bin-1"}', text=False)
    await still_fine(harness, alice, bob)
    reply = alice.orphan_errors[-1]
    assert (reply["type"], reply["id"], reply["groups"]) == ("groups", "bin-1", [])
    # Invalid UTF-8 in a field the server reads makes the frame malformed.
    bad = (
        b'{"type": "send", "id": "bin-2", "msg_id": "binary-0001", "chat_type": "chat",'
        b' "to": "bob", "body": {"kind": "text", "text": "\xff"}}'
    )
    await alice.ws.send(bad, text=False)
    await still_fine(harness, alice, bob)
    error = alice.orphan_errors[-1]
    assert (error["type"], error["code"], error["id"]) == ("error", "MALFORMED_FRAME", None)
    assert (await bob.request("fetch_history", conversation_id="alice"))["messages"] == []


async def test_invalid_utf8_anywhere_is_refused_and_the_connection_stays_open(harness):
    """Even in a key or value the server would skip: the whole frame must be UTF-8 (§1)."""
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    tails = [b'"future": "\xff"', b'"\xc0\xaf": 1', b'"future": {"x": ["\xed\xa0\x80"]}']
    for n, tail in enumerate(tails):
        frame = (
            b'{"type": "send", "id": "utf-%d", "msg_id": "utf8-00000%d", "chat_type": "chat",'
            b' "to": "bob", "body": {"kind": "text", "text": "x"}, %s}' % (n, n, tail)
        )
        for text in (True, False):
            await alice.ws.send(frame, text=text)
            await still_fine(harness, alice, bob)
            error = alice.orphan_errors[-1]
            assert (error["type"], error["code"], error["id"]) == ("error", "MALFORMED_FRAME", None)
    assert len(alice.orphan_errors) == 2 * len(tails)
    assert (await bob.request("fetch_history", conversation_id="alice"))["messages"] == []


async def test_two_different_types_are_malformed_and_change_nothing(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    send = (
        b'"id": "dup-1", "msg_id": "dup-type-01", "chat_type": "chat", "to": "bob",'
        b' "body": {"kind": "text", "text": "x"}'
    )
    for frame in (
        b'{"type": "send", ' + send + b', "type": "logout"}',
        b'{"type": "logout", ' + send + b', "type": "send"}',
    ):
        await alice.send_raw(frame)
        await still_fine(harness, alice, bob)
        error = alice.orphan_errors[-1]
        assert (error["code"], error["id"]) == ("MALFORMED_FRAME", "dup-1"), error
    assert (await bob.request("fetch_history", conversation_id="alice"))["messages"] == []
    # Still signed in: the logout was not run either.
    assert (await alice.request("fetch_groups"))["type"] == "groups"


async def test_the_id_beside_an_out_of_range_number_is_echoed(harness):
    await harness.start()
    alice = await harness.device("alice")
    await alice.send_raw('{"type": "sync", "id": "huge-1", "after_seq": 1e400}')
    await still_fine(harness, alice)
    error = alice.orphan_errors[-1]
    assert (error["code"], error["id"]) == ("INVALID_PARAM", "huge-1"), error
