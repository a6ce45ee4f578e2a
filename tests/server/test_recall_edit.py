"""Recall and edit end to end on the wire: who may, the time limit, what every device
of both sides is told, what the server still holds afterwards (no text of a recalled
message anywhere, its event logs included), and how receipts and unread counts treat
a recalled message."""

from __future__ import annotations

import asyncio

import pytest

from desktop_chat.wire_client import WireClient, text_body

SECRET = "the password is swordfish"


class Clock:
    """A server clock the test moves by hand (ms)."""

    def __init__(self, start: int = 1_800_000_000_000) -> None:
        self.now = start

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += int(seconds * 1000)


async def send(client: WireClient, to: str, msg_id: str, text: str | None = None, **flags):
    chat_type = "groupchat" if to.isdigit() else "chat"
    return await client.request(
        "send",
        msg_id=msg_id,
        chat_type=chat_type,
        to=to,
        body=text_body(text or msg_id),
        **flags,
    )


async def test_sender_recalls_and_every_device_of_both_sides_is_told(harness):
    await harness.start()
    alice_phone = await harness.device("alice")
    alice_laptop = await harness.device("alice")
    bob_phone = await harness.device("bob")
    bob_laptop = await harness.device("bob")
    await send(alice_phone, "bob", "recall-0001", SECRET, need_read_ack=True)
    await send(alice_phone, "bob", "recall-0002", "stays")
    assert await bob_phone.unread_count("alice") == 2

    reply = await alice_phone.request("recall", msg_id="recall-0001")
    assert reply["type"] == "recall_ok" and reply["msg_id"] == "recall-0001"
    assert reply["recalled_at"] > 0

    own = await alice_laptop.wait_push("message_recalled")
    assert (own["msg_id"], own["from"], own["to"], own["chat_type"]) == (
        "recall-0001",
        "alice",
        "bob",
        "chat",
    )
    assert own["unread_count"] is None and own["conv_seq"] == 1
    for device in (bob_phone, bob_laptop):
        push = await device.wait_push("message_recalled")
        assert push["msg_id"] == "recall-0001" and push["time"] == reply["recalled_at"]
        assert push["unread_count"] == 1  # it was unread: the count drops with it
    assert await bob_phone.unread_count("alice") == 1
    # The recalling device has its reply, not a push.
    await asyncio.sleep(0.05)
    assert alice_phone.pushes_of("message_recalled") == []

    for device, peer in ((alice_laptop, "bob"), (bob_laptop, "alice")):
        marks = await device.history_by_id(peer)
        assert marks["recall-0001"]["body"] is None
        assert marks["recall-0001"]["recalled_at"] == reply["recalled_at"]
        assert marks["recall-0002"]["body"]["text"] == "stays"


@pytest.mark.sqlite_only
async def test_no_text_of_a_recalled_message_stays_on_the_server(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    await send(alice, "bob", "secret-0001", SECRET)
    # A reply quotes it, so its preview holds the text too.
    await send(bob, "alice", "quote-00001", "what?", reply_to="secret-0001")
    reply = await bob.call("edit", msg_id="quote-00001", body=text_body("what did you mean?"))
    assert reply["type"] == "edit_ok", reply
    await asyncio.sleep(0.05)  # let that batch commit
    harness.store.checkpoint()  # the text is in the database file itself now
    assert any(
        SECRET.encode() in p.read_bytes() for p in harness.config.db_path.parent.glob("server.db*")
    )
    await alice.request("recall", msg_id="secret-0001")

    # A device that was away reads both logs from the start: no trace of the text.
    for name in ("alice", "bob"):
        fresh = await harness.device(name, sync=False)
        events = await fresh.sync(after_seq=0)
        assert SECRET not in str(events), name
        messages = [e["message"] for e in events if e["type"] in ("message", "message_edited")]
        original = [m for m in messages if m["msg_id"] == "secret-0001"]
        assert original and all(m["body"] is None for m in original)
        quotes = [m for m in messages if m["msg_id"] == "quote-00001"]
        assert quotes and all(m["reply_preview"]["recalled"] for m in quotes)
        assert all(m["reply_preview"]["text"] is None for m in quotes)
    history = await bob.history_by_id("alice")
    assert history["quote-00001"]["reply_preview"] == {
        "msg_id": "secret-0001",
        "from": "alice",
        "text": None,
        "recalled": True,
    }
    await harness.stop()
    # Gone from the file itself too, not only from what queries return: the server
    # overwrites freed space (secure_delete), and the log is checkpointed at shutdown.
    files = sorted(harness.config.db_path.parent.glob("server.db*"))
    assert files
    for path in files:
        assert SECRET.encode() not in path.read_bytes(), path.name


async def test_recall_after_the_limit_is_refused_with_its_own_code(harness):
    clock = Clock()
    await harness.start(clock=clock)
    alice = await harness.device("alice")
    await harness.device("bob")
    await send(alice, "bob", "late-000001")
    await send(alice, "bob", "late-000002")
    clock.advance(119)
    assert (await alice.call("recall", msg_id="late-000001"))["type"] == "recall_ok"
    clock.advance(2)  # 121 s after the send
    reply = await alice.call("recall", msg_id="late-000002")
    assert reply["type"] == "error" and reply["code"] == "RECALL_TIME_LIMIT", reply
    assert reply["details"] == {"limit_seconds": 120}
    assert "2 minutes" in reply["message"]
    history = await alice.history_by_id("bob")
    assert history["late-000002"]["body"]["text"] == "late-000002"
    assert history["late-000002"]["recalled_at"] is None
    # A recall already made stays answered the same (a retry), whatever the clock.
    again = await alice.call("recall", msg_id="late-000001")
    assert again["type"] == "recall_ok"


async def test_the_recall_limit_is_the_servers_setting(harness):
    clock = Clock()
    await harness.start(clock=clock, recall_seconds=600)
    alice = await harness.device("alice")
    await harness.device("bob")
    hello = await alice.request("hello", version=1)
    assert hello["limits"]["recall_seconds"] == 600
    await send(alice, "bob", "slow-000001")
    clock.advance(599)
    assert (await alice.call("recall", msg_id="slow-000001"))["type"] == "recall_ok"


async def test_only_the_sender_recalls(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    carol = await harness.device("carol")
    await send(alice, "bob", "mine-000001")
    for other in (bob, carol):
        reply = await other.call("recall", msg_id="mine-000001")
        assert reply["code"] == "PERMISSION_DENIED", reply
    reply = await alice.call("recall", msg_id="never-sent-01")
    assert reply["code"] == "MESSAGE_NOT_FOUND"
    assert not bob.closed and not carol.closed
    assert (await bob.history_by_id("alice"))["mine-000001"]["recalled_at"] is None


async def test_a_repeated_recall_is_answered_again_and_pushes_nothing_new(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    await send(alice, "bob", "twice-00001")
    first = await alice.request("recall", msg_id="twice-00001")
    second = await alice.request("recall", msg_id="twice-00001")
    assert second["recalled_at"] == first["recalled_at"]
    await bob.wait_push("message_recalled")
    await send(alice, "bob", "marker-0001")
    await bob.wait_push("message", lambda p: p["message"]["msg_id"] == "marker-0001")
    assert len(bob.pushes_of("message_recalled")) == 1
    assert len(await bob.logged("message_recalled")) == 1


async def test_receipts_of_a_recalled_message_are_refused(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    await send(alice, "bob", "gone-000001", need_delivery_ack=True, need_read_ack=True)
    await send(alice, "bob", "kept-000001", need_delivery_ack=True, need_read_ack=True)
    await alice.request("recall", msg_id="gone-000001")
    for type_ in ("delivery_ack", "read_ack"):
        reply = await bob.call(type_, msg_ids=["gone-000001", "kept-000001"])
        assert reply["code"] == "MESSAGE_RECALLED", reply
        assert reply["details"]["applied"] == ["kept-000001"]
        assert [r["msg_id"] for r in reply["details"]["rejected"]] == ["gone-000001"]
    marks = await alice.history_by_id("bob")
    assert marks["gone-000001"]["delivered_at"] is None
    assert marks["gone-000001"]["read_at"] is None
    assert marks["kept-000001"]["read_at"] is not None


async def test_a_conversation_ack_never_receipts_a_recalled_message(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    for msg_id in ("conv-rc-0001", "conv-rc-0002", "conv-rc-0003"):
        await send(alice, "bob", msg_id, need_read_ack=True)
    await alice.request("recall", msg_id="conv-rc-0002")
    reply = await bob.request("conversation_read_ack", conversation_id="alice")
    assert reply["unread_count"] == 0
    push = await alice.wait_push("conversation_read")
    assert push["msg_ids"] == ["conv-rc-0001", "conv-rc-0003"]
    marks = await alice.history_by_id("bob")
    assert marks["conv-rc-0002"]["read_at"] is None


async def test_group_recall_tells_every_member_and_drops_only_their_unread(harness):
    await harness.start()
    olivia = await harness.device("olivia")
    mia = await harness.device("mia")
    mo = await harness.device("mo")
    reply = await olivia.request("create_group", name="team", members=["mia", "mo"])
    group = reply["group"]["group_id"]
    await send(olivia, group, "grp-recall-01", SECRET, need_group_ack=True)
    await send(olivia, group, "grp-keep-0001")
    await mia.wait_push("message", lambda p: p["message"]["msg_id"] == "grp-keep-0001")
    await mia.request("group_read_ack", group_id=group, msg_id="grp-recall-01")
    assert await mia.unread_count(group) == 1 and await mo.unread_count(group) == 2

    await olivia.request("recall", msg_id="grp-recall-01")
    read_it = await mia.wait_push("message_recalled")
    unread = await mo.wait_push("message_recalled")
    assert read_it["unread_count"] is None  # it was read: nothing changes
    assert unread["unread_count"] == 1
    assert (unread["to"], unread["chat_type"]) == (group, "groupchat")
    assert await mia.unread_count(group) == 1 and await mo.unread_count(group) == 1
    # A later recount (a conversation ack) never counts it again.
    reply = await mo.request("conversation_read_ack", conversation_id=group, read_upto=0)
    assert reply["unread_count"] == 1
    refused = await mo.call("group_read_ack", group_id=group, msg_id="grp-recall-01")
    assert refused["code"] == "MESSAGE_RECALLED"
    history = await mo.history_by_id(group)
    assert history["grp-recall-01"]["body"] is None
    assert SECRET not in str(await mo.sync(after_seq=0))


async def test_a_member_who_joined_later_is_not_told(harness):
    await harness.start()
    olivia = await harness.device("olivia")
    late = await harness.device("late")
    reply = await olivia.request("create_group", name="team", members=[])
    group = reply["group"]["group_id"]
    await send(olivia, group, "before-late1")
    await olivia.request("add_members", group_id=group, members=["late"])
    await olivia.request("recall", msg_id="before-late1")
    await send(olivia, group, "after-late01")
    await late.wait_push("message", lambda p: p["message"]["msg_id"] == "after-late01")
    assert late.pushes_of("message_recalled") == []


async def test_a_sender_who_left_the_group_can_no_longer_recall(harness):
    await harness.start()
    olivia = await harness.device("olivia")
    mia = await harness.device("mia")
    group = (await olivia.request("create_group", name="t", members=["mia"]))["group"]["group_id"]
    await send(mia, group, "left-000001")
    await mia.request("remove_members", group_id=group, members=["mia"])
    reply = await mia.call("recall", msg_id="left-000001")
    assert reply["code"] == "NOT_GROUP_MEMBER"


# --------------------------------------------------------------------------- edit


async def test_sender_edits_and_both_sides_see_it_with_marks_unchanged(harness):
    await harness.start()
    alice_phone = await harness.device("alice")
    alice_laptop = await harness.device("alice")
    bob = await harness.device("bob")
    await send(alice_phone, "bob", "edit-000001", "helo", need_delivery_ack=True)
    await bob.wait_push("message")
    await bob.request("delivery_ack", msg_ids=["edit-000001"])
    await alice_phone.wait_push("delivered")

    reply = await alice_phone.request("edit", msg_id="edit-000001", body=text_body("hello"))
    assert reply["type"] == "edit_ok" and reply["edited_at"] > 0
    for device in (bob, alice_laptop):
        push = await device.wait_push("message_edited")
        assert push["by"] == "alice" and push["time"] == reply["edited_at"]
        message = push["message"]
        assert message["body"]["text"] == "hello" and message["edited_at"] == reply["edited_at"]
        assert message["delivered_at"] is not None  # an edit does not reset receipts
    assert await bob.unread_count("alice") == 1  # still one unread message, not two
    history = await bob.history_by_id("alice")
    assert history["edit-000001"]["body"]["text"] == "hello"
    assert history["edit-000001"]["edited_at"] == reply["edited_at"]
    assert history["edit-000001"]["delivered_at"] is not None


async def test_edit_refusals(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    await send(alice, "bob", "edit-refuse1")
    await send(alice, "bob", "edit-refuse2")
    reply = await bob.call("edit", msg_id="edit-refuse1", body=text_body("mine now"))
    assert reply["code"] == "PERMISSION_DENIED"
    reply = await alice.call("edit", msg_id="no-such-msg1", body=text_body("x"))
    assert reply["code"] == "MESSAGE_NOT_FOUND"
    reply = await alice.call("edit", msg_id="edit-refuse1", body=text_body("x" * 8001))
    assert reply["code"] == "INVALID_PARAM"
    reply = await alice.call("edit", msg_id="edit-refuse1", body={"kind": "image", "url": "x"})
    assert reply["code"] == "INVALID_PARAM"
    await alice.request("recall", msg_id="edit-refuse2")
    reply = await alice.call("edit", msg_id="edit-refuse2", body=text_body("back"))
    assert reply["code"] == "MESSAGE_RECALLED"
    history = await alice.history_by_id("bob")
    assert history["edit-refuse1"]["body"]["text"] == "edit-refuse1"
    assert history["edit-refuse1"]["edited_at"] is None
    assert not alice.closed and not bob.closed


async def test_an_edit_to_the_same_text_changes_nothing(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    await send(alice, "bob", "same-000001", "same")
    first = await alice.request("edit", msg_id="same-000001", body=text_body("other"))
    again = await alice.request("edit", msg_id="same-000001", body=text_body("other"))
    assert again["edited_at"] == first["edited_at"]
    assert len(await bob.logged("message_edited")) == 1


async def test_a_resend_after_an_edit_or_recall_is_still_the_same_message(harness):
    """The outbox may send a message again after a reconnect; once it was edited or
    recalled the body differs, and that must not read as a msg_id clash."""
    await harness.start()
    alice = await harness.device("alice")
    await harness.device("bob")
    first = await send(alice, "bob", "resend-0001", "v1")
    await alice.request("edit", msg_id="resend-0001", body=text_body("v2"))
    again = await send(alice, "bob", "resend-0001", "v1")
    assert again["conv_seq"] == first["conv_seq"]
    await send(alice, "bob", "resend-0002", "v1")
    await alice.request("recall", msg_id="resend-0002")
    again = await send(alice, "bob", "resend-0002", "v1")
    assert again["msg_id"] == "resend-0002"
    assert (await alice.history_by_id("bob"))["resend-0002"]["body"] is None
