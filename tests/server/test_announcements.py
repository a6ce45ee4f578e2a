"""Announcements end to end (issue 17): a member's confirm with a note, an owner's read
progress counted at given times (one request, no page walk), reminders recorded, and a
pinned notice with roles, recall and restarts. Real server, real websockets."""

from __future__ import annotations

import itertools

from desktop_chat.wire_client import WireClient, text_body

_ids = itertools.count(1)
MIN = 60_000


async def setup_group(harness, members=("bob", "carol", "dave")) -> tuple[WireClient, str]:
    alice = await harness.device("alice")
    for name in members:
        await harness.register(name)
    reply = await alice.request("create_group", name="team", members=list(members))
    group = reply["group"]["group_id"]
    await alice.request("add_admin", group_id=group, member=members[0])
    return alice, group


async def announce(client: WireClient, group: str, **flags) -> str:
    msg_id = f"ann-{next(_ids):06d}"
    await client.request(
        "send",
        msg_id=msg_id,
        chat_type="groupchat",
        to=group,
        body=text_body("Read this"),
        need_group_ack=flags.pop("need_group_ack", True),
        **flags,
    )
    return msg_id


# --------------------------------------------------------------------------- confirm


async def test_a_first_confirm_is_a_read_and_a_confirm(harness):
    await harness.start()
    alice, group = await setup_group(harness)
    msg = await announce(alice, group)
    bob = await harness.device("bob")
    bob2 = await harness.device("bob")
    reply = await bob.request(
        "group_read_ack", group_id=group, msg_id=msg, content="收到", confirm=True
    )
    assert reply["read_count"] == 1 and reply["confirm_count"] == 1
    assert reply["confirmed_at"] is not None and reply["confirm_note"] == "收到"
    pushed = await alice.wait_push("group_read")
    (ack,) = pushed["acks"]
    assert ack["confirmed_at"] == reply["confirmed_at"] and ack["content"] == "收到"
    assert ack["ack_id"] == reply["ack_id"] and ack["confirm_count"] == 1
    mine = await bob2.wait_push("self_confirmed")
    assert mine["msg_id"] == msg and mine["confirm_note"] == "收到"
    assert (await bob2.wait_push("self_read"))["msg_ids"] == [msg]


async def test_confirm_after_an_automatic_read_keeps_the_ack_and_its_read_time(harness):
    now = [1_700_000_000_000]
    await harness.start(clock=lambda: now[0])
    alice, group = await setup_group(harness)
    msg = await announce(alice, group)
    carol = await harness.device("carol")
    read = await carol.request("group_read_ack", group_id=group, msg_id=msg)
    assert read["confirmed_at"] is None and read["confirm_count"] == 0
    first = await alice.wait_push("group_read")
    now[0] += 3 * MIN
    confirmed = await carol.request(
        "group_read_ack", group_id=group, msg_id=msg, content="Will do", confirm=True
    )
    assert confirmed["ack_id"] == read["ack_id"] and confirmed["read_count"] == 1
    assert confirmed["confirmed_at"] == now[0] and confirmed["confirm_count"] == 1
    again = await alice.wait_push("group_read")
    (ack,) = again["acks"]
    assert ack["ack_id"] == first["acks"][0]["ack_id"]
    assert ack["timestamp"] == first["acks"][0]["timestamp"] == now[0] - 3 * MIN
    assert ack["confirmed_at"] == now[0] and ack["content"] == "Will do"
    # Idempotent: the same answer, nothing sent, the first note kept.
    now[0] += MIN
    repeat = await carol.request(
        "group_read_ack", group_id=group, msg_id=msg, content="other", confirm=True
    )
    assert repeat["confirmed_at"] == confirmed["confirmed_at"]
    assert repeat["confirm_note"] == "Will do" and repeat["confirm_count"] == 1
    page = await alice.request("fetch_group_acks", group_id=group, msg_id=msg)
    assert page["acks"][0]["confirmed_at"] == confirmed["confirmed_at"]
    assert len(alice.pushes_of("group_read")) == 2
    history = await carol.history_by_id(group)
    assert history[msg]["confirmed_at"] == confirmed["confirmed_at"]
    assert history[msg]["confirm_note"] == "Will do"
    assert history[msg]["group_confirm_count"] == 1
    assert harness.store.check_invariants() == []


async def test_an_old_client_ack_is_a_read_only(harness):
    await harness.start()
    alice, group = await setup_group(harness)
    msg = await announce(alice, group)
    dave = await harness.device("dave")
    reply = await dave.request("group_read_ack", group_id=group, msg_id=msg, content="ok")
    assert reply["confirmed_at"] is None and reply["confirm_count"] == 0
    assert reply["confirm_note"] is None
    (ack,) = (await alice.wait_push("group_read"))["acks"]
    assert ack["confirmed_at"] is None and ack["content"] == "ok"


# --------------------------------------------------------------------------- stats


async def test_stats_count_reads_and_confirms_at_each_edge_with_reminders(harness):
    now = [1_700_000_000_000]
    await harness.start(clock=lambda: now[0])
    alice, group = await setup_group(harness, ("bob", "carol", "dave", "erin"))
    msg = await announce(alice, group)
    sent = now[0]
    bob, carol, dave = [await harness.device(n) for n in ("bob", "carol", "dave")]
    now[0] = sent + 2 * MIN
    await bob.request("group_read_ack", group_id=group, msg_id=msg)
    now[0] = sent + 10 * MIN
    reminded = await alice.request("remind_group_unread", group_id=group, msg_id=msg)
    assert reminded["at"] == now[0] and set(reminded["members"]) == {"carol", "dave", "erin"}
    now[0] = sent + 30 * MIN
    await carol.request("group_read_ack", group_id=group, msg_id=msg, confirm=True)
    now[0] = sent + 90 * MIN
    await bob.request("group_read_ack", group_id=group, msg_id=msg, confirm=True)
    await dave.request("group_read_ack", group_id=group, msg_id=msg)
    stats = await alice.request(
        "fetch_group_ack_stats", group_id=group, msg_id=msg, edges=[0, 300, 3600, 3600, 86400]
    )
    assert stats["sent_at"] == sent and stats["member_count"] == 4
    assert stats["read_count"] == 3 and stats["confirm_count"] == 2
    assert stats["edges"] == [0, 300, 3600, 3600, 86400]
    assert stats["reads"] == [0, 1, 2, 2, 3]
    assert stats["confirms"] == [0, 0, 1, 1, 2]
    assert stats["reminders"] == [sent + 10 * MIN]
    # An admin may too; a plain member may not (as fetch_group_acks).
    admin = await bob.request("fetch_group_ack_stats", group_id=group, msg_id=msg, edges=[60])
    assert admin["reads"] == [0]
    refused = await carol.call("fetch_group_ack_stats", group_id=group, msg_id=msg, edges=[60])
    assert refused["code"] == "PERMISSION_DENIED"


async def test_stats_refuse_bad_edges_with_the_field(harness):
    await harness.start()
    alice, group = await setup_group(harness)
    msg = await announce(alice, group)
    for edges in ([], [5, 3], [-1], [10 * 365 * 86400 + 1], list(range(201))):
        reply = await alice.call("fetch_group_ack_stats", group_id=group, msg_id=msg, edges=edges)
        assert reply["code"] == "INVALID_PARAM", edges
        assert reply["details"] == {"field": "edges"}
    plain = await announce(alice, group, need_group_ack=False)
    reply = await alice.call("fetch_group_ack_stats", group_id=group, msg_id=plain, edges=[1])
    assert reply["code"] == "ACK_NOT_REQUESTED"


# --------------------------------------------------------------------------- pins


async def test_pin_and_unpin_follow_roles_and_reach_every_member(harness):
    await harness.start()
    alice, group = await setup_group(harness)
    msg = await announce(alice, group)
    bob = await harness.device("bob")  # admin
    carol = await harness.device("carol")  # member
    refused = await carol.call("pin_group_message", group_id=group, msg_id=msg)
    assert refused["code"] == "PERMISSION_DENIED"
    reply = await bob.request("pin_group_message", group_id=group, msg_id=msg)
    pinned = reply["group"]["pinned"]
    assert pinned["msg_id"] == msg and pinned["by"] == "bob"
    assert pinned["message"]["body"]["text"] == "Read this"
    for device in (alice, bob, carol):
        push = await device.wait_push("group_pinned")
        assert push["pinned"]["msg_id"] == msg and push["group"]["pinned"]["msg_id"] == msg
    missing = await alice.call("pin_group_message", group_id=group, msg_id="no-such-msg")
    assert missing["code"] == "MESSAGE_NOT_FOUND"
    # Kept across a restart; a late member sees it with the message.
    await harness.restart()
    erin = await harness.device("erin")
    alice = await harness.device("alice")
    carol = await harness.device("carol")
    await alice.request("add_members", group_id=group, members=["erin"])
    seen = await erin.request("get_group", group_id=group)
    assert seen["group"]["pinned"]["message"]["msg_id"] == msg
    listed = await erin.request("fetch_groups")
    assert listed["groups"][0]["pinned"]["msg_id"] == msg
    assert (await carol.call("unpin_group_message", group_id=group))["code"] == "PERMISSION_DENIED"
    cleared = await alice.request("unpin_group_message", group_id=group)
    assert cleared["group"]["pinned"] is None
    push = await erin.wait_push("group_pinned")
    assert push["pinned"] is None and push["by"] == "alice"


async def test_a_confirm_shows_in_the_callers_pin(harness):
    await harness.start()
    alice, group = await setup_group(harness)
    msg = await announce(alice, group)
    await alice.request("pin_group_message", group_id=group, msg_id=msg)
    carol = await harness.device("carol")
    await carol.request("group_read_ack", group_id=group, msg_id=msg, content="OK", confirm=True)
    mine = (await carol.request("get_group", group_id=group))["group"]["pinned"]["message"]
    assert mine["confirm_note"] == "OK" and mine["confirmed_at"] is not None
    owner = (await alice.request("get_group", group_id=group))["group"]["pinned"]["message"]
    assert owner["confirmed_at"] is None and owner["group_confirm_count"] == 1


async def test_recalling_the_pinned_message_unpins_it_and_scrubs_the_pins(harness):
    await harness.start()
    alice, group = await setup_group(harness)
    msg = await announce(alice, group)
    carol = await harness.device("carol")
    await alice.request("pin_group_message", group_id=group, msg_id=msg)
    await carol.wait_push("group_pinned")
    await alice.request("recall", msg_id=msg)
    push = await carol.wait_push("group_pinned", lambda p: p["pinned"] is None)
    assert push["group"]["pinned"] is None
    assert (await carol.request("get_group", group_id=group))["group"]["pinned"] is None
    logged = await carol.logged("group_pinned")
    assert all(p["pinned"] is None or p["pinned"]["message"]["body"] is None for p in logged), (
        logged
    )
    again = await alice.call("pin_group_message", group_id=group, msg_id=msg)
    assert again["code"] == "MESSAGE_RECALLED"
