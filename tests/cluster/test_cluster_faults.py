"""Three real server processes behind HAProxy, under faults: a node SIGKILLed mid-stream,
Redis restarted and its pub/sub connections killed, PostgreSQL stopped, and group
sends overlapping from every node.

The clients are real `ChatClient`s (own SQLite, own reconnects) entering through
the proxy, or raw devices on a chosen node where the test needs to know which. What
is asserted is what users need: every confirmed message stored once and receipted,
every user's log contiguous, nothing shown twice, nothing lost."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

import psycopg
import pytest
from cluster_tools import HEAD_CHECK_SECONDS, PASSWORD, Cluster, assert_in_order, check_logs
from cluster_tools import device as raw_device

from desktop_chat.client import (
    ChatClient,
    ChatError,
    ChatErrorCode,
    ChatEventHandler,
    ChatMessage,
    ChatOptions,
    ConnectionEventHandler,
)
from desktop_chat.client.models import ChatType
from desktop_chat.wire_client import WireClient, text_body

pytestmark = pytest.mark.timeout(240)


@pytest.fixture
def cluster(tmp_path, postgres, redis_engine, database_url) -> Cluster:
    return Cluster(tmp_path, database_url, redis_engine.url)


class Received:
    """Every message id a client was shown, in order (duplicates kept, to find them)."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.group: list[tuple[str, str]] = []

    def handler(self) -> ChatEventHandler:
        def received(messages) -> None:
            for message in messages:
                self.ids.append(message.msg_id)
                if message.is_group:
                    self.group.append((message.msg_id, message.conversation_id))

        return ChatEventHandler(on_messages_received=received)


async def chat_client(url: str, root: Path, name: str, *, register: bool) -> ChatClient:
    client = ChatClient(
        ChatOptions(
            server_url=url,
            require_delivery_ack=True,
            ack_batch_seconds=0.02,
            reconnect_initial_seconds=0.05,
            reconnect_max_seconds=0.5,
            send_timeout_seconds=5.0,
        ),
        root / name,
    )
    if register:
        await client.register(name, PASSWORD)
    await client.login(name, PASSWORD)
    return client


def sql(postgres, database_url: str, query: str, *params) -> str:
    """One query's rows as psql -tA prints them (cells joined by |, rows by newlines)."""
    with psycopg.connect(database_url, autocommit=True) as db:
        rows = db.execute(query, params or None).fetchall()
    return "\n".join("|".join(str(cell) for cell in row) for row in rows)


async def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(predicate):
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.3)


async def test_stream_survives_a_node_killed_three_times(cluster, postgres, database_url, tmp_path):
    await cluster.start()
    pairs = 5
    per_sender = 1000
    announcements = 30
    senders = [
        await chat_client(cluster.url, tmp_path, f"send{i}", register=True) for i in range(pairs)
    ]
    receivers = [
        await chat_client(cluster.url, tmp_path, f"recv{i}", register=True) for i in range(pairs)
    ]
    boss = await chat_client(cluster.url, tmp_path, "boss", register=True)
    seen = {client: Received() for client in receivers}
    for client, received in seen.items():
        client.chat_manager.add_event_handler("seen", received.handler())
    # A 50-member group: the boss, the ten online clients, 39 who stay offline.
    offline = [f"away{i:02d}" for i in range(39)]
    for name in offline:
        wire = await WireClient.connect(cluster.url)
        await wire.call("register", username=name, password=PASSWORD)
        await wire.close()
    members = [f"send{i}" for i in range(pairs)] + [f"recv{i}" for i in range(pairs)] + offline
    group = await boss.group_manager.create_group("all hands", members)
    assert len(members) + 1 == 50

    confirmed: list[str] = []
    refused: list[str] = []
    progress = {"sent": 0}

    async def stream(sender: ChatClient, to: str) -> None:
        for n in range(per_sender):
            message = ChatMessage.text(to, f"{to} {n}")
            try:
                sent = await sender.chat_manager.send_message(message)
            except ChatError:
                refused.append(message.msg_id)  # may still go out from the outbox
                continue
            confirmed.append(sent.msg_id)
            progress["sent"] += 1

    announced: list[str] = []

    async def announce() -> None:
        for n in range(announcements):
            message = ChatMessage.text(group.group_id, f"notice {n}", ChatType.GROUP_CHAT)
            message.need_group_ack = True
            try:
                sent = await boss.chat_manager.send_message(message)
            except ChatError:
                continue
            announced.append(sent.msg_id)
            await asyncio.sleep(0.1)

    kills = []

    async def killer() -> None:
        total = pairs * per_sender
        for k, share in enumerate((0.2, 0.45, 0.7)):
            while progress["sent"] < share * total:
                await asyncio.sleep(0.05)
            node = cluster.nodes[k % 3]
            node.sigkill()
            kills.append(node.name)
            await asyncio.sleep(0.5)
            await node.start()

    await asyncio.gather(
        *(stream(s, f"recv{i}") for i, s in enumerate(senders)), announce(), killer()
    )
    assert kills == ["node1", "node2", "node3"]
    assert len(confirmed) >= pairs * per_sender * 0.95, (len(confirmed), len(refused))

    # Every confirmed message is stored once and receipted (its delivery acked).
    def all_delivered() -> bool:
        out = sql(
            postgres,
            database_url,
            "SELECT count(*), count(delivered_at) FROM messages WHERE msg_id = ANY(%s)",
            confirmed,
        )
        stored, delivered = (int(x) for x in out.split("|"))
        assert stored == len(confirmed), f"{len(confirmed)} confirmed, {stored} stored"
        return delivered == stored

    await wait_until(all_delivered, 60, "not every confirmed message was receipted")
    total, distinct = (
        int(x)
        for x in sql(
            postgres, database_url, "SELECT count(*), count(DISTINCT msg_id) FROM messages"
        ).split("|")
    )
    assert total == distinct
    # Each receiver was shown each of its messages exactly once, and every one.
    shown: set[str] = set()
    for i, client in enumerate(receivers):
        ids = seen[client].ids
        assert len(ids) == len(set(ids)), f"recv{i} was shown a message twice"
        shown |= set(ids)
    missing = [m for m in confirmed if m not in shown]
    assert not missing, f"{len(missing)} confirmed messages never shown, e.g. {missing[:3]}"

    # Group announcements: every online member reads them, the owner sees every read.
    for client in receivers:
        for msg_id in announced:
            await client.chat_manager.send_group_message_read_ack(msg_id, group.group_id)

    def all_read() -> bool:
        out = sql(
            postgres,
            database_url,
            "SELECT count(*) FROM group_acks a JOIN messages m ON m.id = a.message_id"
            " WHERE m.msg_id = ANY(%s)",
            announced,
        )
        return int(out) == len(announced) * pairs

    await wait_until(all_read, 30, "not every group read was recorded")
    check_logs(postgres, database_url)
    for client in (*senders, *receivers, boss):
        await client.close()


async def test_redis_restarted_and_pubsub_killed_loses_nothing(cluster, redis_engine):
    await cluster.start()
    node1, node2, _ = (node.url for node in cluster.nodes)
    alice = await raw_device(node1, "alice")
    bob = await raw_device(node2, "bob")
    late: list[float] = []

    async def send_and_time(msg_id: str) -> None:
        sent = time.monotonic()
        await alice.request(
            "send", msg_id=msg_id, chat_type="chat", to="bob", body=text_body(msg_id)
        )
        await bob.wait_push(
            "message",
            lambda p: p["message"]["msg_id"] == msg_id,
            timeout=HEAD_CHECK_SECONDS + 8,
        )
        late.append(time.monotonic() - sent)

    for n in range(20):
        await send_and_time(f"before-{n:04d}")
    await asyncio.to_thread(redis_engine.restart)
    for n in range(20):
        await send_and_time(f"restart-{n:04d}")
    await asyncio.to_thread(redis_engine.kill_pubsub_clients)
    for n in range(20):
        await send_and_time(f"killed-{n:04d}")
    # Late at worst by the head check (plus a margin for a loaded 2-core machine).
    assert max(late) < HEAD_CHECK_SECONDS + 3, sorted(late)[-5:]
    assert_in_order(bob)
    assert len(bob.pushes_of("message")) == 60
    await alice.close()
    await bob.close()


async def test_postgres_stopped_refuses_writes_and_service_resumes(cluster, postgres, database_url):
    await cluster.start()
    node1, node2, _ = (node.url for node in cluster.nodes)
    alice = await raw_device(node1, "alice")
    bob = await raw_device(node2, "bob")
    await alice.request("send", msg_id="up-000001", chat_type="chat", to="bob", body=text_body("1"))
    await asyncio.to_thread(postgres.stop, "immediate")
    try:
        reply = await alice.call(
            "send", msg_id="down-00001", chat_type="chat", to="bob", body=text_body("2")
        )
        assert reply["type"] == "error" and reply["code"] == "STORAGE_UNAVAILABLE", reply
    finally:
        await asyncio.to_thread(postgres.start_again)
    # Service resumes by itself: the same connection, the retried message.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    while True:
        reply = await alice.call(
            "send", msg_id="down-00001", chat_type="chat", to="bob", body=text_body("2")
        )
        if reply["type"] != "error" or loop.time() > deadline:
            break
        await asyncio.sleep(0.3)
    assert reply["type"] == "send_ok", reply
    await bob.wait_push("message", lambda p: p["message"]["msg_id"] == "down-00001", timeout=10)
    stored = sql(postgres, database_url, "SELECT msg_id FROM messages ORDER BY id").split()
    assert stored == ["up-000001", "down-00001"]
    assert_in_order(bob)
    await alice.close()
    await bob.close()


async def test_overlapping_group_sends_from_every_node_never_deadlock(
    cluster, postgres, database_url
):
    await cluster.start()
    owners = [await raw_device(node.url, f"owner{i}") for i, node in enumerate(cluster.nodes)]
    for name in (f"m{i:02d}" for i in range(22)):
        wire = await WireClient.connect(cluster.url)
        await wire.call("register", username=name, password=PASSWORD)
        await wire.close()
    groups = []
    for i, owner in enumerate(owners):
        # Overlapping member sets: each group shares members with the others.
        members = [f"m{j:02d}" for j in range(i * 5, i * 5 + 12)] + [
            f"owner{k}" for k in range(3) if k != i
        ]
        reply = await owner.request("create_group", name=f"g{i}", members=members)
        groups.append(reply["group"]["group_id"])
    failures: list[dict] = []

    async def burst(i: int, owner: WireClient, lane: int) -> None:
        for n in range(60):
            group_id = groups[(i + n + lane) % 3]
            reply = await owner.call(
                "send",
                msg_id=f"o{i}{lane}-{n:05d}",
                chat_type="groupchat",
                to=group_id,
                body=text_body("x"),
            )
            if reply["type"] == "error":
                failures.append(reply)

    # Two requests in flight per owner: six overlapping transactions at a time.
    await asyncio.gather(
        *(burst(i, owner, lane) for i, owner in enumerate(owners) for lane in (0, 1))
    )
    assert failures == []
    counts = check_logs(postgres, database_url)
    assert counts["events"] > 0
    for owner in owners:
        await owner.close()


async def test_failed_sign_ins_spread_over_nodes_count_as_one_throttle(cluster):
    await cluster.start()
    await raw_device(cluster.nodes[0].url, "alice", sync=False)
    codes = []
    for attempt in range(8):
        wire = await WireClient.connect(cluster.nodes[attempt % 3].url)
        reply = await wire.call("login", username="alice", password="wrong password")
        codes.append(reply.get("code"))
        await wire.close()
        if reply.get("code") == "RATE_LIMITED":
            break
    # Five free failures in all, whichever nodes they hit; the sixth waits.
    assert codes == ["INVALID_CREDENTIALS"] * 5 + ["RATE_LIMITED"], codes


async def test_sign_ups_from_one_address_spread_over_nodes_count_as_one_throttle(cluster):
    for node in cluster.nodes:
        node.registration_burst = 3
    await cluster.start()
    codes = []
    for turn in range(4):  # one address (127.0.0.1), a different node each time
        wire = await WireClient.connect(cluster.nodes[turn % 3].url)
        reply = await wire.call("register", username=f"newcomer{turn}", password=PASSWORD)
        codes.append(reply.get("code", reply.get("type")))
        await wire.close()
    # Three at once in all, whichever nodes they reach; the fourth is told to wait.
    assert codes == ["ok", "ok", "ok", "RATE_LIMITED"], codes


async def test_a_person_is_told_once_while_postgres_is_down_and_the_message_goes_out(
    cluster, postgres, tmp_path
):
    await cluster.start()
    alice = await chat_client(cluster.url, tmp_path, "alice", register=True)
    bob = await chat_client(cluster.url, tmp_path, "bob", register=True)
    received = Received()
    bob.chat_manager.add_event_handler("seen", received.handler())
    errors: list[ChatError] = []
    alice.add_connection_event_handler("errors", ConnectionEventHandler(on_error=errors.append))
    await asyncio.to_thread(postgres.stop, "immediate")
    try:
        sending = asyncio.ensure_future(
            alice.chat_manager.send_message(ChatMessage.text("bob", "while it is down"))
        )
        deadline = time.monotonic() + 10
        while not errors and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        await asyncio.sleep(2)  # several retries meanwhile
    finally:
        await asyncio.to_thread(postgres.start_again)
    assert [error.code for error in errors] == [ChatErrorCode.STORAGE_UNAVAILABLE]
    with contextlib.suppress(ChatError):  # its wait may have ended before the outage did
        await sending
    deadline = time.monotonic() + 20
    while not received.ids and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert len(received.ids) == 1
    await alice.close()
    await bob.close()
