"""Announcements through the client API (issue 17): a member's confirm with a note
(live to the owner, kept on the member's devices and across a restart), the read
progress in one request, and the pinned notice (told to every member, kept locally)."""

from __future__ import annotations

from desktop_chat.client import ChatError, ChatErrorCode, ChatMessage, ChatType, GroupAckStats


async def seen(clients, client, name: str, match=lambda *args: True, timeout: float = 10.0):
    """The arguments of the first call of `name` on `client` that `match`es."""

    def found(recorder) -> bool:
        return any(match(*args) for args in recorder.calls[name])

    calls = await clients.events(client).wait(name, found, timeout)
    return next(args for args in calls if match(*args))


def flat_ack(match):
    return lambda acks: any(match(a) for a in acks)


async def announcement(clients, members=("bob", "carol")):
    alice = await clients.login("alice")
    others = [await clients.login(name) for name in members]
    group = await alice.group_manager.create_group("team", list(members))
    msg = ChatMessage.text(group.group_id, "Fire drill at 3", ChatType.GROUP_CHAT)
    msg.need_group_ack = True
    sent = await alice.chat_manager.send_message(msg)
    for other in others:
        await seen(
            clients, other, "on_messages_received", flat_ack(lambda x: x.msg_id == sent.msg_id)
        )
    return alice, others, group, sent


async def test_a_confirm_after_a_read_reaches_the_owner_as_the_same_ack(clients):
    await clients.harness.start()
    alice, (bob, _), group, sent = await announcement(clients)
    await bob.chat_manager.send_group_message_read_ack(sent.msg_id, group.group_id)
    ((read,),) = await seen(clients, alice, "on_group_message_read")
    assert read.confirmed_at is None
    ok = await bob.chat_manager.send_group_message_read_ack(
        sent.msg_id, group.group_id, "收到", confirm=True
    )
    assert ok is True
    mine = bob.chat_manager.get_message(sent.msg_id)
    assert mine.confirmed_at is not None and mine.confirm_note == "收到"
    await seen(
        clients,
        bob,
        "on_message_status_changed",
        lambda m: m.msg_id == sent.msg_id and m.confirmed_at is not None,
    )
    (acks,) = await seen(
        clients, alice, "on_group_message_read", flat_ack(lambda a: a.confirmed_at is not None)
    )
    confirmed = next(a for a in acks if a.confirmed_at)
    assert confirmed.ack_id == read.ack_id and confirmed.content == "收到"
    assert confirmed.timestamp == read.timestamp
    own = alice.chat_manager.get_message(sent.msg_id)
    assert own.group_ack_count == 1 and own.group_confirm_count == 1
    page = await alice.chat_manager.fetch_group_acks(sent.msg_id, group.group_id)
    assert [a.confirmed_at for a in page.data] == [confirmed.confirmed_at]


async def test_a_confirm_reaches_the_members_other_and_later_devices(clients):
    await clients.harness.start()
    _alice, (bob, _), group, sent = await announcement(clients)
    other = await clients.login("bob", device="bob-laptop")
    await bob.chat_manager.send_group_message_read_ack(
        sent.msg_id, group.group_id, "OK", confirm=True
    )
    await seen(clients, other, "on_message_status_changed", lambda m: m.msg_id == sent.msg_id)
    there = other.chat_manager.get_message(sent.msg_id)
    assert there.confirm_note == "OK" and there.confirmed_at is not None
    fresh = await clients.login("bob", device="bob-new")
    late = fresh.chat_manager.get_message(sent.msg_id)
    assert late is not None and late.confirm_note == "OK"
    # Kept in the local store across a restart of the client.
    await other.close()
    again = await clients.login("bob", device="bob-laptop")
    assert again.chat_manager.get_message(sent.msg_id).confirm_note == "OK"


async def test_a_plain_read_never_replaces_a_queued_confirm(clients):
    await clients.harness.start()
    alice, (bob, _), group, sent = await announcement(clients)
    await clients.harness.stop()
    await bob.chat_manager.send_group_message_read_ack(
        sent.msg_id, group.group_id, "Will do", confirm=True
    )
    bob.chat_manager.mark_read(group.group_id, None, [sent.msg_id])  # the automatic read
    (entry,) = bob.store.outbox("group_read_ack")
    assert entry.payload["confirm"] is True and entry.payload["content"] == "Will do"
    await clients.harness.start()
    await seen(
        clients,
        alice,
        "on_group_message_read",
        flat_ack(lambda a: a.confirmed_at is not None),
        timeout=15,
    )


async def test_read_progress_in_one_request_and_refused_to_a_plain_member(clients):
    await clients.harness.start()
    alice, (bob, carol), group, sent = await announcement(clients)
    await bob.chat_manager.send_group_message_read_ack(sent.msg_id, group.group_id, confirm=True)
    await alice.chat_manager.remind_group_unread(sent.msg_id, group.group_id)
    stats = await alice.chat_manager.fetch_group_ack_stats(
        sent.msg_id, group.group_id, [0, 3600, 86400]
    )
    assert isinstance(stats, GroupAckStats)
    assert stats.member_count == 2 and stats.read_count == 1 and stats.confirm_count == 1
    assert stats.reads[-1] == 1 and stats.confirms[-1] == 1 and len(stats.reminders) == 1
    try:
        await carol.chat_manager.fetch_group_ack_stats(sent.msg_id, group.group_id, [60])
    except ChatError as exc:
        assert exc.code is ChatErrorCode.PERMISSION_DENIED
    else:
        raise AssertionError("a plain member saw the read progress")


async def test_a_pin_reaches_every_member_and_survives_a_restart(clients):
    await clients.harness.start()
    alice, (bob, carol), group, sent = await announcement(clients)
    pinned = await alice.group_manager.pin_message(group.group_id, sent.msg_id)
    assert pinned.pinned_msg_id == sent.msg_id and pinned.pinned_by == "alice"
    for member in (bob, carol):
        _, told, _ = await seen(
            clients, member, "on_group_changed", lambda change, g, m: change == "pinned"
        )
        assert told.pinned_msg_id == sent.msg_id and told.pinned_at
        assert told.pinned_message.body.content == "Fire drill at 3"
    try:
        await carol.group_manager.pin_message(group.group_id, sent.msg_id)
    except ChatError as exc:
        assert exc.code is ChatErrorCode.PERMISSION_DENIED
    else:
        raise AssertionError("a plain member pinned")
    await carol.close()
    carol = await clients.login("carol", device="device3")
    kept = carol.group_manager.get_group_from_cache(group.group_id)
    assert kept.pinned_msg_id == sent.msg_id and kept.pinned_message is not None
    cleared = await alice.group_manager.unpin_message(group.group_id)
    assert cleared.pinned_msg_id is None and cleared.pinned_message is None
    await seen(clients, bob, "on_group_changed", lambda change, g, m: change == "unpinned")
    assert bob.group_manager.get_group_from_cache(group.group_id).pinned_msg_id is None
