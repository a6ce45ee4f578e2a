"""Groups end to end: creating them, roles and the ack policy, group read receipts
(notes, counts, coalescing, read lists and their paging), send-time membership,
retention, unread counts, and what a removed member can no longer do."""

from __future__ import annotations

import asyncio
import itertools

from desktop_chat.wire_client import WireClient, text_body

PASSWORD = "correct horse"  # the harness's password for every account
DAY_MS = 24 * 3600 * 1000


async def make_group(owner: WireClient, members: list[str], **fields) -> str:
    reply = await owner.request("create_group", name="team", members=members, **fields)
    return reply["group"]["group_id"]


async def gsend(client: WireClient, group_id: str, msg_id: str, **flags) -> dict:
    return await client.request(
        "send", msg_id=msg_id, chat_type="groupchat", to=group_id, body=text_body(msg_id), **flags
    )


async def error_code(client: WireClient, type_: str, **fields) -> dict:
    reply = await client.call(type_, **fields)
    assert reply["type"] == "error", reply
    return reply


async def sign_in_many(harness, names: list[str], chunk: int = 30) -> list[WireClient]:
    """Register and log in many users quickly; the devices are not live (no sync)."""
    await asyncio.gather(
        *(harness.register(*names[start : start + chunk]) for start in range(0, len(names), chunk))
    )

    async def one(name: str) -> WireClient:
        client = await harness.connect()
        await client.login(name, PASSWORD)
        return client

    clients: list[WireClient] = []
    for start in range(0, len(names), chunk):
        clients += await asyncio.gather(*(one(name) for name in names[start : start + chunk]))
    return clients


# --------------------------------------------------------------------------- creating groups


async def test_create_group_returns_roles_and_tells_every_member(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    carol = await harness.device("carol")
    reply = await alice.request(
        "create_group", name="team", members=["carol", "bob", "bob", "alice"]
    )
    group = reply["group"]
    assert group["owner"] == "alice" and group["name"] == "team"
    assert group["ack_policy"] == "admins" and group["member_count"] == 3
    assert group["members"] == [
        {"username": "alice", "role": "owner"},
        {"username": "bob", "role": "member"},
        {"username": "carol", "role": "member"},
    ]
    assert group["group_id"].isdigit()
    for device in (alice, bob, carol):
        changed = await device.wait_push("group_changed")
        assert changed["change"] == "created"
        assert changed["group"]["group_id"] == group["group_id"]
        assert changed["group"]["owner"] == "alice" and changed["group"]["member_count"] == 3
    listed = await bob.request("fetch_groups")
    assert [g["group_id"] for g in listed["groups"]] == [group["group_id"]]
    assert harness.store.check_invariants() == []


async def test_create_group_with_unknown_members_lists_them_and_creates_nothing(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    reply = await error_code(alice, "create_group", name="team", members=["bob", "ghost", "nobody"])
    assert reply["code"] == "USER_NOT_FOUND"
    assert reply["details"]["missing"] == ["ghost", "nobody"]
    assert (await alice.request("fetch_groups"))["groups"] == []
    assert (await bob.request("fetch_groups"))["groups"] == []
    assert await bob.logged("group_changed") == []
    assert harness.store.check_invariants() == []


async def test_group_over_max_members_is_refused(harness):
    await harness.start(max_group_members=3)
    alice = await harness.device("alice")
    for name in ("bob", "carol", "dave"):
        await harness.device(name, sync=False)
    reply = await error_code(alice, "create_group", name="big", members=["bob", "carol", "dave"])
    assert reply["code"] == "GROUP_FULL"
    assert (await alice.request("fetch_groups"))["groups"] == []
    group_id = await make_group(alice, ["bob", "carol"])
    reply = await error_code(alice, "add_members", group_id=group_id, members=["dave"])
    assert reply["code"] == "GROUP_FULL"
    group = (await alice.request("get_group", group_id=group_id))["group"]
    assert group["member_count"] == 3
    assert [m["username"] for m in group["members"]] == ["alice", "bob", "carol"]
    assert harness.store.check_invariants() == []


# --------------------------------------------------------------------------- group read acks


async def test_group_acks_carry_notes_and_count_each_member_once(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    carol = await harness.device("carol")
    await harness.device("dave", sync=False)
    group_id = await make_group(alice, ["bob", "carol", "dave"])
    sent = await gsend(alice, group_id, "gmsg-000001", need_group_ack=True)
    assert sent["group_member_count"] == 3
    incoming = await bob.wait_push("message")
    assert incoming["message"]["need_group_ack"] is True
    assert incoming["message"]["group_member_count"] == 3

    first = await bob.request(
        "group_read_ack", group_id=group_id, msg_id="gmsg-000001", content="got it"
    )
    assert first["msg_id"] == "gmsg-000001" and first["read_count"] == 1
    push = await alice.wait_push("group_read")
    assert push["group_id"] == group_id
    assert len(push["acks"]) == 1
    ack = push["acks"][0]
    assert ack["message_id"] == "gmsg-000001" and ack["from"] == "bob"
    assert ack["content"] == "got it" and ack["read_count"] == 1
    assert ack["ack_id"] == first["ack_id"]

    second = await carol.request(
        "group_read_ack", group_id=group_id, msg_id="gmsg-000001", content="ok, will do"
    )
    assert second["read_count"] == 2 and second["ack_id"] != first["ack_id"]
    push = await alice.wait_push("group_read")
    assert [(a["from"], a["content"], a["read_count"]) for a in push["acks"]] == [
        ("carol", "ok, will do", 2)
    ]

    again = await bob.request(
        "group_read_ack", group_id=group_id, msg_id="gmsg-000001", content="changed my mind"
    )
    assert again["ack_id"] == first["ack_id"] and again["read_count"] == 2

    # The repeat changed nothing: two group_read events in the log, count 2, first note kept.
    assert len(await alice.logged("group_read")) == 2
    assert len(alice.pushes_of("group_read")) == 2
    assert (await alice.history_by_id(group_id))["gmsg-000001"]["group_ack_count"] == 2
    acks = await alice.request(
        "fetch_group_acks", group_id=group_id, msg_id="gmsg-000001", page_size=50
    )
    assert acks["read_count"] == 2 and acks["member_count"] == 3
    assert [(a["from"], a["content"]) for a in acks["acks"]] == [
        ("carol", "ok, will do"),
        ("bob", "got it"),
    ]
    assert harness.store.check_invariants() == []


async def test_concurrent_acks_are_coalesced_into_fewer_pushes(harness):
    await harness.start()
    alice = await harness.device("alice")
    names = [f"member{i:02d}" for i in range(12)]
    members = await sign_in_many(harness, names)
    group_id = await make_group(alice, names)
    await gsend(alice, group_id, "burst-00001", need_group_ack=True)
    replies = await asyncio.gather(
        *(
            member.request("group_read_ack", group_id=group_id, msg_id="burst-00001")
            for member in members
        )
    )
    assert sorted(reply["read_count"] for reply in replies) == list(range(1, 13))
    assert len({reply["ack_id"] for reply in replies}) == 12

    pushes: list[dict] = []
    seen: set[str] = set()
    while seen != set(names):
        push = await alice.wait_push("group_read")
        pushes.append(push)
        seen.update(ack["from"] for ack in push["acks"])
    acks = [ack for push in pushes for ack in push["acks"]]
    assert len(acks) == 12 and {ack["from"] for ack in acks} == set(names)
    assert sorted(ack["read_count"] for ack in acks) == list(range(1, 13))
    assert len(pushes) <= len(acks)
    # Nothing beyond what arrived live: the log holds exactly these pushes.
    logged = await alice.logged("group_read")
    assert [p["seq"] for p in logged] == [p["seq"] for p in pushes]
    assert harness.store.check_invariants() == []


async def test_who_may_ask_for_group_receipts(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    carol = await harness.device("carol")
    group_id = await make_group(alice, ["bob", "carol"])

    reply = await error_code(
        bob,
        "send",
        msg_id="policy-0001",
        chat_type="groupchat",
        to=group_id,
        body=text_body("x"),
        need_group_ack=True,
    )
    assert reply["code"] == "GROUP_ACK_NOT_ALLOWED"
    assert "policy-0001" not in await alice.history_by_id(group_id)
    # Without asking for receipts a member may send.
    await gsend(bob, group_id, "policy-0002")

    reply = await error_code(bob, "set_group_ack_policy", group_id=group_id, ack_policy="all")
    assert reply["code"] == "PERMISSION_DENIED"
    changed = await alice.request("set_group_ack_policy", group_id=group_id, ack_policy="all")
    assert changed["group"]["ack_policy"] == "all"
    push = await carol.wait_push("group_changed", lambda p: p["change"] == "ack_policy_changed")
    assert push["group"]["ack_policy"] == "all"
    sent = await gsend(bob, group_id, "policy-0003", need_group_ack=True)
    assert sent["group_member_count"] == 2

    await alice.request("set_group_ack_policy", group_id=group_id, ack_policy="admins")
    reply = await error_code(
        bob,
        "send",
        msg_id="policy-0004",
        chat_type="groupchat",
        to=group_id,
        body=text_body("x"),
        need_group_ack=True,
    )
    assert reply["code"] == "GROUP_ACK_NOT_ALLOWED"
    admin = await alice.request("add_admin", group_id=group_id, member="carol")
    assert {"username": "carol", "role": "admin"} in admin["group"]["members"]
    reply = await error_code(carol, "add_admin", group_id=group_id, member="bob")
    assert reply["code"] == "PERMISSION_DENIED"
    sent = await gsend(carol, group_id, "policy-0005", need_group_ack=True)
    assert sent["group_member_count"] == 2
    # The member's earlier receipt-asking message is ackable by the owner.
    ack = await alice.request("group_read_ack", group_id=group_id, msg_id="policy-0003")
    assert ack["read_count"] == 1
    assert harness.store.check_invariants() == []


async def test_fetch_group_acks_pages_through_120_readers(harness):
    await harness.start()
    alice = await harness.device("alice")
    names = [f"reader{i:03d}" for i in range(120)]
    readers = await sign_in_many(harness, names)
    group_id = await make_group(alice, names)
    sent = await gsend(alice, group_id, "paged-00001", need_group_ack=True)
    assert sent["group_member_count"] == 120
    for start in range(0, 120, 30):
        await asyncio.gather(
            *(
                reader.request(
                    "group_read_ack", group_id=group_id, msg_id="paged-00001", content=reader_name
                )
                for reader, reader_name in zip(
                    readers[start : start + 30], names[start : start + 30], strict=True
                )
            )
        )

    pages: list[list[dict]] = []
    cursor = None
    while True:
        page = await alice.request(
            "fetch_group_acks",
            group_id=group_id,
            msg_id="paged-00001",
            cursor=cursor,
            page_size=50,
        )
        assert page["read_count"] == 120 and page["member_count"] == 120
        pages.append(page["acks"])
        cursor = page["cursor"]
        if cursor is None:
            break
        assert len(pages) < 5, "the cursor never ended"
    assert [len(page) for page in pages] == [50, 50, 20]
    ack_ids = [int(ack["ack_id"]) for page in pages for ack in page]
    assert all(a > b for a, b in itertools.pairwise(ack_ids))
    assert len(set(ack_ids)) == 120
    readers_seen = [ack["from"] for page in pages for ack in page]
    assert sorted(readers_seen) == names
    assert all(ack["content"] == ack["from"] for page in pages for ack in page)
    # Newest first: the first ack of page one carries the highest count.
    assert pages[0][0]["read_count"] == 120 and pages[-1][-1]["read_count"] == 1

    for size in (0, 51):
        reply = await error_code(
            alice, "fetch_group_acks", group_id=group_id, msg_id="paged-00001", page_size=size
        )
        assert reply["code"] == "PAGE_SIZE_OUT_OF_RANGE"
    for size in (0, 1001):
        reply = await error_code(
            alice, "fetch_group_unread", group_id=group_id, msg_id="paged-00001", page_size=size
        )
        assert reply["code"] == "PAGE_SIZE_OUT_OF_RANGE"
    unread_list = await alice.request(
        "fetch_group_unread", group_id=group_id, msg_id="paged-00001", page_size=1000
    )
    assert unread_list["members"] == [] and unread_list["unread_count"] == 0
    assert harness.store.check_invariants() == []


# --------------------------------------------------------------------------- send-time members


async def test_unread_list_and_acks_follow_membership_at_send_time(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    carol = await harness.device("carol")
    await harness.device("dave")
    erin = await harness.device("erin")
    frank = await harness.device("frank")
    george = await harness.device("george")
    group_id = await make_group(alice, ["bob", "carol", "dave", "erin"])
    sent = await gsend(alice, group_id, "sendtime-01", need_group_ack=True)
    assert sent["group_member_count"] == 4
    await bob.request("group_read_ack", group_id=group_id, msg_id="sendtime-01")

    await alice.request("add_members", group_id=group_id, members=["frank", "george"])
    await alice.request("remove_members", group_id=group_id, members=["erin"])

    unread_list = await alice.request("fetch_group_unread", group_id=group_id, msg_id="sendtime-01")
    assert unread_list["members"] == ["carol", "dave", "erin"]
    assert unread_list["unread_count"] == 3 and unread_list["cursor"] is None

    for late in (frank, george):
        reply = await error_code(late, "group_read_ack", group_id=group_id, msg_id="sendtime-01")
        assert reply["code"] == "NOT_GROUP_MEMBER"
    reply = await error_code(erin, "group_read_ack", group_id=group_id, msg_id="sendtime-01")
    assert reply["code"] == "NOT_GROUP_MEMBER"

    ack = await carol.request("group_read_ack", group_id=group_id, msg_id="sendtime-01")
    assert ack["read_count"] == 2
    acks = await alice.request("fetch_group_acks", group_id=group_id, msg_id="sendtime-01")
    assert acks["read_count"] == 2 and acks["member_count"] == 4
    assert [a["from"] for a in acks["acks"]] == ["carol", "bob"]
    assert (await alice.history_by_id(group_id))["sendtime-01"]["group_member_count"] == 4

    # Paging the unread list by name.
    first = await alice.request(
        "fetch_group_unread", group_id=group_id, msg_id="sendtime-01", page_size=1
    )
    assert first["members"] == ["dave"] and first["cursor"] == "dave"
    second = await alice.request(
        "fetch_group_unread",
        group_id=group_id,
        msg_id="sendtime-01",
        page_size=1,
        cursor=first["cursor"],
    )
    assert second["members"] == ["erin"] and second["cursor"] is None
    assert second["unread_count"] == 2

    # A later message counts the members of its own time.
    later = await gsend(alice, group_id, "sendtime-02", need_group_ack=True)
    assert later["group_member_count"] == 5
    ack = await frank.request("group_read_ack", group_id=group_id, msg_id="sendtime-02")
    assert ack["read_count"] == 1
    later_unread = await alice.request(
        "fetch_group_unread", group_id=group_id, msg_id="sendtime-02"
    )
    assert later_unread["members"] == ["bob", "carol", "dave", "george"]
    assert harness.store.check_invariants() == []


async def test_read_lists_are_for_sender_owner_and_admins(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    carol = await harness.device("carol")
    zed = await harness.device("zed")
    group_id = await make_group(alice, ["bob", "carol"], ack_policy="all")
    await alice.request("add_admin", group_id=group_id, member="carol")
    await gsend(alice, group_id, "perm-000001", need_group_ack=True)
    await bob.request("group_read_ack", group_id=group_id, msg_id="perm-000001")

    for request in ("fetch_group_acks", "fetch_group_unread", "remind_group_unread"):
        reply = await error_code(bob, request, group_id=group_id, msg_id="perm-000001")
        assert reply["code"] == "PERMISSION_DENIED", request
        reply = await error_code(zed, request, group_id=group_id, msg_id="perm-000001")
        assert reply["code"] == "NOT_GROUP_MEMBER", request

    acks = await carol.request("fetch_group_acks", group_id=group_id, msg_id="perm-000001")
    assert [a["from"] for a in acks["acks"]] == ["bob"] and acks["read_count"] == 1
    unread_list = await carol.request("fetch_group_unread", group_id=group_id, msg_id="perm-000001")
    assert unread_list["members"] == ["carol"]

    # A plain member sees the read list of its own message.
    await gsend(bob, group_id, "perm-000002", need_group_ack=True)
    own = await bob.request("fetch_group_unread", group_id=group_id, msg_id="perm-000002")
    assert own["members"] == ["alice", "carol"] and own["unread_count"] == 2
    assert harness.store.check_invariants() == []


async def test_remind_reaches_only_unread_current_members(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    carol = await harness.device("carol")
    dave = await harness.device("dave")
    erin = await harness.device("erin")
    group_id = await make_group(alice, ["bob", "carol", "dave", "erin"])
    await gsend(alice, group_id, "remind-0001", need_group_ack=True)
    await bob.request("group_read_ack", group_id=group_id, msg_id="remind-0001")
    await alice.request("remove_members", group_id=group_id, members=["erin"])

    reply = await alice.request("remind_group_unread", group_id=group_id, msg_id="remind-0001")
    assert sorted(reply["members"]) == ["carol", "dave"]
    for device in (carol, dave):
        reminder = await device.wait_push("group_ack_reminder")
        assert reminder["group_id"] == group_id and reminder["msg_id"] == "remind-0001"
        assert reminder["from"] == "alice"
        assert len(await device.logged("group_ack_reminder")) == 1
    for device in (bob, erin, alice):
        assert await device.logged("group_ack_reminder") == []
        assert device.pushes_of("group_ack_reminder") == []
    assert harness.store.check_invariants() == []


# --------------------------------------------------------------------------- refusals


async def test_group_ack_refusals(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    group_id = await make_group(alice, ["bob"])
    other_group = await make_group(alice, ["bob"])
    await gsend(alice, group_id, "plain-00001")
    await gsend(alice, group_id, "asked-00001", need_group_ack=True)
    await gsend(alice, other_group, "other-00001", need_group_ack=True)

    cases = [
        (bob, {"group_id": group_id, "msg_id": "plain-00001"}, "ACK_NOT_REQUESTED"),
        (alice, {"group_id": group_id, "msg_id": "asked-00001"}, "CANNOT_ACK_OWN_MESSAGE"),
        (bob, {"group_id": group_id, "msg_id": "missing-0001"}, "MESSAGE_NOT_FOUND"),
        (bob, {"group_id": group_id, "msg_id": "other-00001"}, "MESSAGE_NOT_FOUND"),
        (bob, {"group_id": "123456789", "msg_id": "asked-00001"}, "GROUP_NOT_FOUND"),
        (
            bob,
            {"group_id": group_id, "msg_id": "asked-00001", "content": "x" * 1025},
            "NOTE_TOO_LONG",
        ),
        # 513 two-byte characters: under 1024 characters, over 1024 bytes.
        (
            bob,
            {"group_id": group_id, "msg_id": "asked-00001", "content": "\u00e9" * 513},
            "NOTE_TOO_LONG",
        ),
    ]
    for client, fields, code in cases:
        reply = await client.call("group_read_ack", **fields)
        assert (reply["type"], reply.get("code")) == ("error", code), fields
    assert (await alice.history_by_id(group_id))["asked-00001"]["group_ack_count"] == 0
    assert alice.pushes_of("group_read") == []

    ok = await bob.request(
        "group_read_ack", group_id=group_id, msg_id="asked-00001", content="y" * 1024
    )
    assert ok["read_count"] == 1
    push = await alice.wait_push("group_read")
    assert push["acks"][0]["content"] == "y" * 1024
    assert harness.store.check_invariants() == []


async def test_group_receipts_expire_after_retention(harness):
    now = [1_700_000_000_000]
    await harness.start(clock=lambda: now[0])
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    carol = await harness.device("carol")
    group_id = await make_group(alice, ["bob", "carol"])
    sent = await gsend(alice, group_id, "old-0000001", need_group_ack=True)
    assert sent["server_time"] == 1_700_000_000_000

    now[0] += 30 * DAY_MS  # exactly at the edge of the window: still open
    ack = await bob.request("group_read_ack", group_id=group_id, msg_id="old-0000001")
    assert ack["read_count"] == 1

    now[0] += DAY_MS  # 31 days after sending
    reply = await error_code(carol, "group_read_ack", group_id=group_id, msg_id="old-0000001")
    assert reply["code"] == "MESSAGE_EXPIRED"
    reply = await error_code(alice, "fetch_group_acks", group_id=group_id, msg_id="old-0000001")
    assert reply["code"] == "MESSAGE_EXPIRED"
    assert (await alice.history_by_id(group_id))["old-0000001"]["group_ack_count"] == 1

    fresh = await gsend(alice, group_id, "new-0000001", need_group_ack=True)
    assert fresh["server_time"] == 1_700_000_000_000 + 31 * DAY_MS
    ack = await carol.request("group_read_ack", group_id=group_id, msg_id="new-0000001")
    assert ack["read_count"] == 1
    assert harness.store.check_invariants() == []


# --------------------------------------------------------------------------- unread counts


async def test_group_unread_counts_follow_acks_and_conversation_read(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob_phone = await harness.device("bob")
    bob_laptop = await harness.device("bob")
    group_id = await make_group(alice, ["bob"])
    await gsend(alice, group_id, "unread-0001", need_group_ack=True)
    assert await bob_phone.unread_count(group_id) == 1
    await gsend(alice, group_id, "unread-0002", need_group_ack=True)
    await gsend(alice, group_id, "unread-0003")
    assert await bob_phone.unread_count(group_id) == 3
    assert await alice.unread_count(group_id) == 0

    await bob_phone.request("group_read_ack", group_id=group_id, msg_id="unread-0001")
    synced = await bob_laptop.wait_push("self_read")
    assert synced["conversation_id"] == group_id
    assert synced["msg_ids"] == ["unread-0001"] and synced["unread_count"] == 2
    assert await bob_laptop.unread_count(group_id) == 2
    # A repeated ack changes nothing.
    await bob_laptop.request("group_read_ack", group_id=group_id, msg_id="unread-0001")
    assert await bob_laptop.unread_count(group_id) == 2

    acked = await bob_phone.request("conversation_read_ack", conversation_id=group_id)
    assert acked["unread_count"] == 0 and acked["read_upto"] == 3
    assert acked["conversation_id"] == group_id
    read = await bob_laptop.wait_push("conversation_read")
    assert read["unread_count"] == 0 and read["conversation_id"] == group_id
    assert read["from"] == "bob" and read["to"] == group_id and read["read_upto"] == 3
    assert await bob_laptop.unread_count(group_id) == 0
    # Conversation acks send no receipts to the group.
    assert alice.pushes_of("conversation_read") == []

    await gsend(alice, group_id, "unread-0004")
    assert await bob_phone.unread_count(group_id) == 1
    # A per-message ack below the watermark still reaches the sender; the unread
    # count (the newer message) does not change.
    ack = await bob_laptop.request("group_read_ack", group_id=group_id, msg_id="unread-0002")
    assert ack["read_count"] == 1
    push = await alice.wait_push(
        "group_read", lambda p: p["acks"][0]["message_id"] == "unread-0002"
    )
    assert push["acks"][0]["from"] == "bob"
    assert await bob_phone.unread_count(group_id) == 1
    assert harness.store.check_invariants() == []


async def test_removed_member_loses_access_at_once(harness):
    await harness.start()
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    carol = await harness.device("carol")
    group_id = await make_group(alice, ["bob", "carol"])
    await gsend(alice, group_id, "before-0001")
    await bob.wait_push("message")

    reply = await alice.request("remove_members", group_id=group_id, members=["bob"])
    assert [m["username"] for m in reply["group"]["members"]] == ["alice", "carol"]
    removed = await bob.wait_push("group_changed", lambda p: p["change"] == "removed")
    assert removed["group"]["group_id"] == group_id and removed["members"] == ["bob"]
    told = await carol.wait_push("group_changed", lambda p: p["change"] == "members_removed")
    assert told["members"] == ["bob"]

    for type_, fields in [
        ("get_group", {"group_id": group_id}),
        (
            "send",
            {
                "msg_id": "after-00001",
                "chat_type": "groupchat",
                "to": group_id,
                "body": text_body("still here?"),
            },
        ),
        ("fetch_history", {"conversation_id": group_id}),
        ("conversation_read_ack", {"conversation_id": group_id}),
    ]:
        reply = await error_code(bob, type_, **fields)
        assert reply["code"] == "NOT_GROUP_MEMBER", type_
    assert (await bob.request("fetch_groups"))["groups"] == []

    await gsend(alice, group_id, "after-00002")
    await carol.wait_push("message", lambda p: p["message"]["msg_id"] == "after-00002")
    bob_messages = [e["message"]["msg_id"] for e in await bob.logged("message")]
    assert bob_messages == ["before-0001"]
    assert "after-00001" not in await alice.history_by_id(group_id)
    assert harness.store.check_invariants() == []
