"""The receipt rules of group messages, through the real Service with no socket: each
member who was in the group when a message was sent acks it once (a second ack is the
first one again), its read count and the stored rows agree; an ack lowers the reader's
unread count once, also after a private read, and tells the reader's other devices;
acks and deliveries need the sender to have asked; a member who joined later, one who
left, and anyone past the retention window cannot ack; deliveries count once per
member; a group conversation read leaves out what was acked or read privately."""

from __future__ import annotations

from inproc import InProcess

from desktop_chat.protocol import frames as f

DAY_MS = 24 * 3600 * 1000


async def team(server: InProcess, *members: str, policy: str = "admins"):
    """alice's group with `members`, every device live and its frames taken."""
    alice = await server.device("alice")
    devices = {name: await server.device(name) for name in members}
    reply = await alice.request(
        "create_group", name="team", members=list(members), ack_policy=policy
    )
    for device in devices.values():
        device.take()
    return alice, devices, reply.group.group_id


async def asked(alice, gid: str, msg_id: str, *readers) -> None:
    """alice's group message asking for read receipts, its pushes taken."""
    await alice.send_group(gid, msg_id, need_group_ack=True)
    alice.take()
    for reader in readers:
        reader.take()


async def test_each_member_acks_once_and_the_count_matches_the_rows(server):
    alice, m, gid = await team(server, "bob", "carol", "dave")
    await asked(alice, gid, "counted-0001", *m.values())
    first = await m["bob"].request(
        "group_read_ack", group_id=gid, msg_id="counted-0001", content="on it"
    )
    assert first.read_count == 1
    again = await m["bob"].request(
        "group_read_ack", group_id=gid, msg_id="counted-0001", content="changed my mind"
    )
    assert (again.ack_id, again.read_count) == (first.ack_id, 1)
    assert (
        await m["carol"].request("group_read_ack", group_id=gid, msg_id="counted-0001")
    ).read_count == 2
    reads = alice.pushes(f.GroupReadPush)
    assert [[(a.from_, a.read_count, a.content) for a in p.acks] for p in reads] == [
        [("bob", 1, "on it")],
        [("carol", 2, None)],
    ]
    message = server.store.message("counted-0001")
    assert message is not None and message.group_ack_count == 2
    acks = await alice.request("fetch_group_acks", group_id=gid, msg_id="counted-0001")
    assert [(a.from_, a.content) for a in acks.acks] == [("carol", None), ("bob", "on it")]
    assert (acks.read_count, acks.member_count) == (2, 3)
    unread = await alice.request("fetch_group_unread", group_id=gid, msg_id="counted-0001")
    assert (unread.members, unread.unread_count) == (["dave"], 1)
    assert server.store.check_invariants() == []


async def test_an_ack_lowers_unread_once_and_tells_the_readers_other_devices(server):
    alice, m, gid = await team(server, "bob")
    phone, laptop = m["bob"], await server.device("bob")
    for n in range(1, 4):
        await asked(alice, gid, f"unread-0000{n}", phone, laptop)
    assert server.unread("bob", gid) == 3
    await phone.request("group_read_ack", group_id=gid, msg_id="unread-00001")
    assert phone.pushes() == []
    (told,) = laptop.take()
    assert isinstance(told, f.SelfReadPush)
    assert (told.conversation_id, told.msg_ids, told.unread_count) == (gid, ["unread-00001"], 2)
    await laptop.request("group_read_ack", group_id=gid, msg_id="unread-00001")
    assert server.unread("bob", gid) == 2
    # Read privately first (no receipt), acked later: counted as read once.
    alice.take()
    await laptop.request("read_ack", msg_ids=["unread-00002"], notify=False)
    assert alice.pushes() == []
    (told,) = phone.pushes(f.SelfReadPush)
    assert (told.msg_ids, told.unread_count) == (["unread-00002"], 1)
    ack = await phone.request("group_read_ack", group_id=gid, msg_id="unread-00002")
    assert ack.read_count == 1 and server.unread("bob", gid) == 1
    assert len(alice.pushes(f.GroupReadPush)) == 1


async def test_a_private_read_of_a_group_message_sends_no_receipt(server):
    alice, m, gid = await team(server, "bob")
    await asked(alice, gid, "private-0001", m["bob"])
    await m["bob"].request("read_ack", msg_ids=["private-0001"], notify=False)
    assert alice.take() == []
    message = server.store.message("private-0001")
    assert message is not None and message.group_ack_count == 0
    # A receipt-asking read of a group message goes through group_read_ack.
    refused = await m["bob"].call("read_ack", msg_ids=["private-0001"], notify=True)
    assert refused.code == "INVALID_PARAM"


async def test_acks_and_deliveries_need_the_sender_to_have_asked(server):
    alice, m, gid = await team(server, "bob")
    await alice.send_group(gid, "unasked-0001")
    alice.take()
    assert (await m["bob"].call("group_read_ack", group_id=gid, msg_id="unasked-0001")).code == (
        "ACK_NOT_REQUESTED"
    )
    assert (await m["bob"].call("delivery_ack", msg_ids=["unasked-0001"])).code == (
        "ACK_NOT_REQUESTED"
    )
    assert (await alice.call("fetch_group_acks", group_id=gid, msg_id="unasked-0001")).code == (
        "ACK_NOT_REQUESTED"
    )
    assert alice.pushes() == []
    message = server.store.message("unasked-0001")
    assert message is not None
    assert (message.group_ack_count, message.group_delivered_count) == (0, 0)


async def test_only_members_at_send_time_who_still_are_can_ack(server):
    alice, m, gid = await team(server, "bob", "carol")
    await asked(alice, gid, "members-0001", *m.values())
    erin = await server.device("erin")
    await alice.request("add_members", group_id=gid, members=["erin"])
    await alice.request("remove_members", group_id=gid, members=["carol"])
    for device in (*m.values(), erin):
        device.take()
    late = await erin.call("group_read_ack", group_id=gid, msg_id="members-0001")
    gone = await m["carol"].call("group_read_ack", group_id=gid, msg_id="members-0001")
    assert (late.code, gone.code) == ("NOT_GROUP_MEMBER", "NOT_GROUP_MEMBER")
    assert (
        await m["bob"].request("group_read_ack", group_id=gid, msg_id="members-0001")
    ).read_count == 1
    unread = await alice.request("fetch_group_unread", group_id=gid, msg_id="members-0001")
    # carol was a member at send time: she still counts among who has not read it.
    assert unread.members == ["carol"]


async def test_a_message_past_the_retention_window_takes_no_ack(server):
    alice, m, gid = await team(server, "bob")
    await asked(alice, gid, "expired-0001", m["bob"])
    server.now += server.config.ack_retention_seconds * 1000 + 1
    assert (await m["bob"].call("group_read_ack", group_id=gid, msg_id="expired-0001")).code == (
        "MESSAGE_EXPIRED"
    )
    assert (await alice.call("fetch_group_acks", group_id=gid, msg_id="expired-0001")).code == (
        "MESSAGE_EXPIRED"
    )


async def test_deliveries_count_once_per_member_and_an_ack_counts_as_one(server):
    alice, m, gid = await team(server, "bob", "carol", "dave")
    await asked(alice, gid, "delivery-001", *m.values())
    laptop = await server.device("bob")
    await m["bob"].request("delivery_ack", msg_ids=["delivery-001"])
    await laptop.request("delivery_ack", msg_ids=["delivery-001"])
    await m["bob"].request("group_read_ack", group_id=gid, msg_id="delivery-001")
    counts = [p.delivered_count for p in alice.pushes(f.GroupDeliveredPush)]
    assert counts == [1], "bob's second device and his ack deliver nothing new"
    alice.take()
    # carol acks without a delivery ack first: her ack is her delivery.
    await m["carol"].request("group_read_ack", group_id=gid, msg_id="delivery-001")
    (delivered,) = alice.pushes(f.GroupDeliveredPush)
    assert (delivered.delivered_count, delivered.member_count) == (2, 3)
    message = server.store.message("delivery-001")
    assert message is not None and message.group_delivered_count == 2


async def test_a_group_conversation_read_leaves_out_what_was_acked_or_read_privately(server):
    alice, m, gid = await team(server, "bob", policy="all")
    laptop = await server.device("bob")
    for n in range(1, 5):
        await asked(alice, gid, f"convread-{n:03d}", m["bob"], laptop)
    await m["bob"].request("group_read_ack", group_id=gid, msg_id="convread-003")
    await m["bob"].request("read_ack", msg_ids=["convread-004"], notify=False)
    assert server.unread("bob", gid) == 2
    laptop.take()
    alice.take()
    reply = await m["bob"].request("conversation_read_ack", conversation_id=gid, read_upto=1)
    assert (reply.read_upto, reply.unread_count) == (1, 1)
    (mine,) = laptop.take()
    assert isinstance(mine, f.ConversationReadPush)
    assert (mine.conversation_id, mine.read_upto, mine.unread_count) == (gid, 1, 1)
    assert alice.take() == [], "a group's read mark is no receipt to the sender"
    reply = await m["bob"].request("conversation_read_ack", conversation_id=gid)
    assert (reply.read_upto, reply.unread_count) == (4, 0)
    # A message sent later counts; bob's own never do.
    await asked(alice, gid, "convread-005", m["bob"])
    await m["bob"].send_group(gid, "convread-006")
    assert server.unread("bob", gid) == 1
    assert server.store.check_invariants() == []
