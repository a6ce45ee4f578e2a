"""Replies (reply_to and its preview), per-conversation mute, the typing indicator and
user lookup, end to end on the wire."""

from __future__ import annotations

import asyncio

from desktop_chat.wire_client import WireClient, text_body


class Clock:
    def __init__(self, start: int = 1_800_000_000_000) -> None:
        self.now = start

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += int(seconds * 1000)


async def send(client: WireClient, to: str, msg_id: str, text: str | None = None, **flags):
    chat_type = "groupchat" if to.isdigit() else "chat"
    return await client.request(
        "send", msg_id=msg_id, chat_type=chat_type, to=to, body=text_body(text or msg_id), **flags
    )


# --------------------------------------------------------------------------- replies


async def test_a_reply_carries_a_preview_of_what_it_quotes(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    long_text = "长" * 150 + "x" * 150  # 300 characters
    await send(alice, "bob", "orig-000001", long_text)
    reply = await send(bob, "alice", "reply-00001", "agreed", reply_to="orig-000001")
    assert reply["type"] == "send_ok"
    push = await alice.wait_push("message", lambda p: p["message"]["msg_id"] == "reply-00001")
    message = push["message"]
    assert message["reply_to"] == "orig-000001"
    preview = message["reply_preview"]
    assert preview["msg_id"] == "orig-000001" and preview["from"] == "alice"
    assert preview["text"] == long_text[:200] and preview["recalled"] is False
    history = await alice.history_by_id("bob")
    assert history["reply-00001"]["reply_preview"] == preview
    assert history["orig-000001"]["reply_to"] is None
    assert history["orig-000001"]["reply_preview"] is None


async def test_reply_to_must_be_a_message_of_the_conversation_the_sender_sees(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    carol = await harness.device("carol")
    await send(alice, "bob", "ab-00000001")
    # Not in carol's conversation with alice: refused, whoever asks.
    for client, to in ((carol, "alice"), (carol, "bob"), (alice, "carol")):
        reply = await client.call(
            "send",
            msg_id=f"bad-{client.username}-{to}",
            chat_type="chat",
            to=to,
            body=text_body("re"),
            reply_to="ab-00000001",
        )
        assert reply["type"] == "error" and reply["code"] == "MESSAGE_NOT_FOUND", reply
    reply = await bob.call(
        "send",
        msg_id="bad-unknown1",
        chat_type="chat",
        to="alice",
        body=text_body("re"),
        reply_to="nothing-here1",
    )
    assert reply["code"] == "MESSAGE_NOT_FOUND"
    # Nothing was stored by the refusals.
    assert set(await alice.history_by_id("bob")) == {"ab-00000001"}


async def test_a_group_reply_cannot_quote_what_came_before_the_sender_joined(harness):
    await harness.start()
    olivia = await harness.device("olivia")
    await harness.device("late")
    group = (await olivia.request("create_group", name="t", members=[]))["group"]["group_id"]
    await send(olivia, group, "early-00001")
    await olivia.request("add_members", group_id=group, members=["late"])
    await send(olivia, group, "later-00001")
    late = await harness.device("late")
    refused = await late.call(
        "send",
        msg_id="late-re-0001",
        chat_type="groupchat",
        to=group,
        body=text_body("re"),
        reply_to="early-00001",
    )
    assert refused["code"] == "MESSAGE_NOT_FOUND"
    ok = await send(late, group, "late-re-0002", "re", reply_to="later-00001")
    assert ok["type"] == "send_ok"


async def test_a_reply_to_a_recalled_message_is_accepted_with_a_recalled_preview(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    await send(alice, "bob", "recalled-01", "oops")
    await alice.request("recall", msg_id="recalled-01")
    await send(bob, "alice", "late-reply1", "what was it?", reply_to="recalled-01")
    push = await alice.wait_push("message", lambda p: p["message"]["msg_id"] == "late-reply1")
    assert push["message"]["reply_preview"] == {
        "msg_id": "recalled-01",
        "from": "alice",
        "text": None,
        "recalled": True,
    }


async def test_an_edit_of_the_quoted_message_shows_in_the_preview(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    await send(alice, "bob", "quoted-0001", "typo")
    await send(bob, "alice", "quoting-001", "?", reply_to="quoted-0001")
    await alice.request("edit", msg_id="quoted-0001", body=text_body("fixed"))
    history = await bob.history_by_id("alice")
    assert history["quoting-001"]["reply_preview"]["text"] == "fixed"


# --------------------------------------------------------------------------- mute


async def test_mute_is_kept_by_the_server_and_reaches_every_device(harness):
    await harness.start()
    bob_phone = await harness.device("bob")
    bob_laptop = await harness.device("bob")
    alice = await harness.device("alice")
    await send(alice, "bob", "mute-msg-001")
    reply = await bob_phone.request("set_conversation_mute", conversation_id="alice", muted=True)
    assert reply == {
        "type": "mute_ok",
        "id": reply["id"],
        "conversation_id": "alice",
        "muted": True,
        "muted_until": None,
    }
    push = await bob_laptop.wait_push("conversation_muted")
    assert (push["conversation_id"], push["muted"], push["muted_until"]) == ("alice", True, None)
    await asyncio.sleep(0.05)
    assert bob_phone.pushes_of("conversation_muted") == []
    conversations = await bob_laptop.request("fetch_conversations")
    (info,) = conversations["conversations"]
    assert info["muted"] is True and info["muted_until"] is None
    # Mute is the viewer's own: alice's side is not muted.
    (theirs,) = (await alice.request("fetch_conversations"))["conversations"]
    assert theirs["muted"] is False
    # ...and a message still counts as unread while muted (mute silences, never reads).
    await send(alice, "bob", "mute-msg-002")
    assert await bob_phone.unread_count("alice") == 2
    await bob_phone.request("set_conversation_mute", conversation_id="alice", muted=False)
    push = await bob_laptop.wait_push("conversation_muted", lambda p: not p["muted"])
    assert push["muted_until"] is None


async def test_a_mute_with_an_end_ends_on_its_own(harness):
    clock = Clock()
    await harness.start(clock=clock)
    bob = await harness.device("bob")
    alice = await harness.device("alice")
    group = (await bob.request("create_group", name="g", members=["alice"]))["group"]["group_id"]
    await send(alice, group, "in-group-001")
    until = clock.now + 3600_000
    reply = await bob.request(
        "set_conversation_mute", conversation_id=group, muted=True, until=until
    )
    assert reply["muted_until"] == until
    (info,) = (await bob.request("fetch_conversations"))["conversations"]
    assert info["muted"] is True and info["muted_until"] == until
    clock.advance(3601)
    (info,) = (await bob.request("fetch_conversations"))["conversations"]
    assert info["muted"] is False and info["muted_until"] is None


async def test_mute_refusals(harness):
    clock = Clock()
    await harness.start(clock=clock)
    bob = await harness.device("bob")
    await harness.device("alice")
    cases = [
        ({"conversation_id": "alice", "muted": True, "until": clock.now - 1}, "INVALID_PARAM"),
        ({"conversation_id": "alice", "muted": False, "until": clock.now + 10}, "INVALID_PARAM"),
        ({"conversation_id": "bob", "muted": True}, "INVALID_PARAM"),
        ({"conversation_id": "ghost", "muted": True}, "USER_NOT_FOUND"),
        ({"conversation_id": "123456", "muted": True}, "GROUP_NOT_FOUND"),
        ({"conversation_id": "alice", "muted": "yes"}, "INVALID_PARAM"),
    ]
    for fields, code in cases:
        reply = await bob.call("set_conversation_mute", **fields)
        assert reply["type"] == "error" and reply["code"] == code, (fields, reply)
    assert await bob.logged("conversation_muted") == []
    # A chat muted before its first message is fine: the mute is waiting for it.
    reply = await bob.request("set_conversation_mute", conversation_id="alice", muted=True)
    assert reply["muted"] is True


# --------------------------------------------------------------------------- typing


async def test_typing_reaches_the_peers_live_devices_and_is_never_logged(harness):
    clock = Clock()
    await harness.start(clock=clock)
    alice = await harness.device("alice")
    bob_phone = await harness.device("bob")
    bob_away = await harness.device("bob", sync=False)  # signed in, not live
    reply = await alice.request("typing", conversation_id="bob")
    assert reply["type"] == "ok"
    push = await bob_phone.wait_push("peer_typing")
    assert push == {
        "type": "peer_typing",
        "from": "alice",
        "conversation_id": "alice",
        "time": clock.now,
    }
    assert "seq" not in push
    await send(alice, "bob", "after-typing")
    await bob_phone.wait_push("message")
    assert bob_away.pushes_of("peer_typing") == []
    events = await bob_away.sync(after_seq=0)
    assert [e["type"] for e in events] == ["message"]
    assert [e["seq"] for e in events] == [1]  # typing took no place in the log
    assert alice.pushes_of("peer_typing") == []


async def test_typing_is_relayed_at_most_once_every_few_seconds(harness):
    clock = Clock()
    await harness.start(clock=clock)
    alice_phone = await harness.device("alice")
    alice_laptop = await harness.device("alice")
    bob = await harness.device("bob")
    carol = await harness.device("carol")
    for _ in range(5):
        assert (await alice_phone.call("typing", conversation_id="bob"))["type"] == "ok"
    # Another device of the same user is the same person typing: dropped too.
    assert (await alice_laptop.call("typing", conversation_id="bob"))["type"] == "ok"
    assert (await alice_phone.call("typing", conversation_id="carol"))["type"] == "ok"
    await carol.wait_push("peer_typing")
    await asyncio.sleep(0.1)
    assert len(bob.pushes_of("peer_typing")) == 1
    clock.advance(3)
    await alice_phone.request("typing", conversation_id="bob")
    await bob.wait_push("peer_typing", lambda p: p["time"] == clock.now)
    assert len(bob.pushes_of("peer_typing")) == 2


async def test_typing_refusals(harness):
    await harness.start()
    alice = await harness.device("alice")
    group = (await alice.request("create_group", name="g", members=[]))["group"]["group_id"]
    for conversation_id, code in (
        (group, "INVALID_PARAM"),
        ("alice", "INVALID_PARAM"),
        ("ghost", "USER_NOT_FOUND"),
    ):
        reply = await alice.call("typing", conversation_id=conversation_id)
        assert reply["code"] == code, reply
    assert not alice.closed


# --------------------------------------------------------------------------- user lookup


async def test_fetch_users_says_which_names_exist(harness):
    await harness.start()
    alice = await harness.device("alice")
    await harness.register("bob")
    reply = await alice.request("fetch_users", usernames=["bob", "ghost", "alice", "bob"])
    assert reply["users"] == [
        {"username": "bob", "exists": True},
        {"username": "ghost", "exists": False},
        {"username": "alice", "exists": True},
    ]
    reply = await alice.call("fetch_users", usernames=[f"user{n}" for n in range(21)])
    assert reply["code"] == "BATCH_TOO_LARGE" and reply["details"] == {"limit": 20}
    reply = await alice.call("fetch_users", usernames=[])
    assert reply["code"] == "INVALID_PARAM"
    reply = await alice.call("fetch_users", usernames=["Not A Name"])
    assert reply["code"] == "INVALID_PARAM"


async def test_user_lookup_is_rate_limited_per_user(harness):
    await harness.start(user_lookup_burst=10, user_lookup_per_second=0.01)
    alice_phone = await harness.device("alice")
    alice_laptop = await harness.device("alice")
    reply = await alice_phone.request("fetch_users", usernames=[f"name{n}" for n in range(8)])
    assert len(reply["users"]) == 8
    # The budget is the user's, not the device's: another device shares it.
    refused = await alice_laptop.call("fetch_users", usernames=["name8", "name9", "name10"])
    assert refused["code"] == "RATE_LIMITED", refused
    assert refused["details"]["retry_after_ms"] > 0
    ok = await alice_laptop.request("fetch_users", usernames=["name8", "name9"])
    assert len(ok["users"]) == 2
    assert not alice_laptop.closed
