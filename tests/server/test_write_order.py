"""The order in which handlers touch rows that concurrent requests share. A server of
several nodes on PostgreSQL, each request in its own READ COMMITTED transaction,
relies on it; here it is checked on SQLite by recording the store calls a handler
makes (so those tests are `sqlite_only`: on the PostgreSQL backend each request runs
on a worker's own session, which a test cannot wrap from outside):

- a group message takes its conversation's seq (`next_conv_seq`, which locks the
  conversation's row, as a change of the group's members does) before it reads the
  sender's role and the member list, so a concurrent add or remove is wholly before
  the message or wholly after it; a refused send gives its seq back;
- a batch of delivery acks writes its messages in id order, whatever order the
  client named them in, so two batches never wait on each other in a cycle; the
  receipts and pushes are unchanged;
- a msg_id that another node stored between this request's look-up and its insert
  (`MsgIdTakenError`) rolls the request back as a `StoreConflict`, whose retry then
  answers through the resend path.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from desktop_chat.server.storage.interface import MsgIdTakenError, StoreConflict
from desktop_chat.wire_client import WireClient, text_body


def record(store, *names: str) -> list[tuple[str, tuple]]:
    """Record each call of the store's methods `names` (name, positional arguments)."""
    calls: list[tuple[str, tuple]] = []
    for name in names:
        method = getattr(store, name)

        def spy(*args: Any, _name: str = name, _method: Any = method, **kwargs: Any) -> Any:
            calls.append((_name, args))
            return _method(*args, **kwargs)

        setattr(store, name, spy)
    return calls


def watch_requests(store) -> list[BaseException]:
    """Record the exceptions that leave the store's requests."""
    escaped: list[BaseException] = []
    real_request = store.request

    @contextlib.contextmanager
    def request(**options: Any) -> Iterator[None]:
        try:
            with real_request(**options):
                yield
        except BaseException as exc:
            escaped.append(exc)
            raise

    store.request = request
    return escaped


async def gsend(client: WireClient, group_id: str, msg_id: str, **fields: Any) -> dict:
    return await client.call(
        "send",
        msg_id=msg_id,
        chat_type="groupchat",
        to=group_id,
        body=text_body(msg_id),
        **fields,
    )


async def a_group(harness) -> tuple[WireClient, WireClient, str]:
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    reply = await alice.request("create_group", name="team", members=["bob"])
    return alice, bob, reply["group"]["group_id"]


# --------------------------------------------------------------------------- send


@pytest.mark.sqlite_only
async def test_a_group_message_takes_its_seq_before_it_reads_the_members(harness):
    alice, _, group_id = await a_group(harness)
    first = await gsend(alice, group_id, "first-0001")
    calls = record(harness.store, "next_conv_seq", "role", "member_ids", "joined_seq")
    reply = await gsend(alice, group_id, "reply-0001", reply_to="first-0001")
    assert reply["type"] == "send_ok", reply
    assert reply["conv_seq"] == first["conv_seq"] + 1 and reply["group_member_count"] == 1
    names = [name for name, _ in calls]
    assert names[0] == "next_conv_seq", names
    assert {"role", "member_ids", "joined_seq"} <= set(names[1:]), names


@pytest.mark.sqlite_only
async def test_a_one_to_one_message_takes_its_seq_before_it_is_stored(harness):
    await harness.start()
    alice = await harness.device("alice")
    await harness.device("bob")
    calls = record(harness.store, "next_conv_seq", "insert_message")
    reply = await alice.request(
        "send", msg_id="chat-0001", chat_type="chat", to="bob", body=text_body("hi")
    )
    assert reply["conv_seq"] == 1
    assert [name for name, _ in calls] == ["next_conv_seq", "insert_message"]


@pytest.mark.parametrize("why", ["not a member", "acks not allowed", "bad reply_to"])
async def test_a_refused_group_message_gives_its_seq_back(harness, why):
    alice, bob, group_id = await a_group(harness)
    carol = await harness.device("carol")
    first = await gsend(alice, group_id, "first-0001")
    if why == "not a member":
        refused = await gsend(carol, group_id, "refused-01")
        code = "NOT_GROUP_MEMBER"
    elif why == "acks not allowed":
        refused = await gsend(bob, group_id, "refused-01", need_group_ack=True)
        code = "GROUP_ACK_NOT_ALLOWED"
    else:
        refused = await gsend(bob, group_id, "refused-01", reply_to="no-such-msg")
        code = "MESSAGE_NOT_FOUND"
    assert (refused["type"], refused["code"]) == ("error", code), refused
    after = await gsend(bob, group_id, "after-0001")
    assert after["conv_seq"] == first["conv_seq"] + 1
    conv_id = harness.store.group_conversation(int(group_id))
    assert harness.store.conv_last_seq(conv_id) == after["conv_seq"]


@pytest.mark.sqlite_only
async def test_a_msg_id_stored_meanwhile_is_a_conflict_and_the_retry_a_resend(harness):
    """On PostgreSQL, another node may store the same msg_id between this request's
    look-up and its insert; the insert then waits for that commit and raises
    MsgIdTakenError. The request leaves as a StoreConflict (rolled back, its seq with
    it), and run again it finds that message and answers as a resend."""
    await harness.start()
    alice = await harness.device("alice")
    await harness.device("bob")
    store = harness.store
    fields = {"msg_id": "race-0001", "chat_type": "chat", "to": "bob", "body": text_body("hi")}
    first = await alice.request("send", **fields)  # what the other node stored
    conv_id = store.find_chat_conversation(store.user_id("alice"), store.user_id("bob"))

    real_message, stale = store.message, {"race-0001"}

    def looked_up_too_early(msg_id: str):
        if msg_id in stale:
            stale.discard(msg_id)
            return None
        return real_message(msg_id)

    store.message = looked_up_too_early
    escaped = watch_requests(store)
    refused = await alice.call("send", **fields)
    assert refused["type"] == "error", refused
    assert isinstance(escaped[-1], StoreConflict), escaped
    assert isinstance(escaped[-1].__cause__, MsgIdTakenError)
    assert store.conv_last_seq(conv_id) == first["conv_seq"]  # the seq it took is back

    retried = await alice.request("send", **fields)
    assert retried["type"] == "send_ok"
    assert (retried["conv_seq"], retried["server_time"]) == (
        first["conv_seq"],
        first["server_time"],
    )
    assert store.conv_last_seq(conv_id) == first["conv_seq"]


# --------------------------------------------------------------------------- delivery acks


@pytest.mark.sqlite_only
async def test_delivery_acks_write_their_messages_in_id_order(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    ids = [f"chat-{n:04d}" for n in range(5)]
    for msg_id in ids:
        await alice.request(
            "send",
            msg_id=msg_id,
            chat_type="chat",
            to="bob",
            body=text_body(msg_id),
            need_delivery_ack=True,
        )
    calls = record(harness.store, "set_delivered")
    named = [ids[3], ids[0], ids[4], ids[1]]
    reply = await bob.request("delivery_ack", msg_ids=named)
    assert reply["applied"] == named
    rows = harness.store.messages(ids)
    written = [args[0] for _, args in calls]
    assert written == sorted(written) == sorted(rows[msg_id].id for msg_id in named)
    push = await alice.wait_push("delivered")
    assert push["msg_ids"] == named  # the push keeps the order the client named them in
    assert all(rows[msg_id].delivered_at is not None for msg_id in named)
    assert rows[ids[2]].delivered_at is None


@pytest.mark.sqlite_only
async def test_group_delivery_acks_write_their_messages_in_id_order(harness):
    alice, bob, group_id = await a_group(harness)
    ids = [f"group-{n:04d}" for n in range(4)]
    for msg_id in ids:
        assert (await gsend(alice, group_id, msg_id, need_group_ack=True))["type"] == "send_ok"
    calls = record(harness.store, "add_group_delivery")
    named = list(reversed(ids))
    reply = await bob.request("delivery_ack", msg_ids=named)
    assert reply["applied"] == named
    rows = harness.store.messages(ids)
    written = [args[0] for _, args in calls]
    assert written == sorted(rows[msg_id].id for msg_id in ids)
    for msg_id in named:  # one group_delivered push per message, in the order named
        push = await alice.wait_push("group_delivered")
        assert (push["msg_id"], push["delivered_count"]) == (msg_id, 1)
