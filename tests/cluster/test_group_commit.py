"""A node's group commit: many requests to one transaction, each answered as if alone.

A real node on PostgreSQL (and Redis), real raw clients. Each device sends its
requests back to back without waiting for replies, so they pile up and share
transactions; a request refused inside a transaction (an unknown user) and a frame
refused before it (a malformed one) sit among them. Every request must get its own
answer, in the order the device sent them; every accepted message is stored once and
reaches the recipient once, in seq order; and the requests did share transactions
(the transaction ids on the events say so)."""

from __future__ import annotations

import asyncio

import pytest
from cluster_tools import Node, assert_in_order, check_logs, device

from desktop_chat.wire_client import WireClient, text_body

pytestmark = pytest.mark.timeout(120)
SENDERS = 4
PER_SENDER = 120


def transactions_writing(postgres, database_url: str, username: str) -> int:
    """How many transactions appended to `username`'s log: the events a transaction
    appends all carry its id (xmin), and each request alone would be one of its own."""
    out = postgres.psql(
        "SELECT count(DISTINCT e.xmin::text) FROM events e JOIN users u ON u.id = e.user_id"
        f" WHERE u.username = '{username}'",
        database_url.rsplit("/", 1)[1],
    )
    return int(out.strip())


async def burst(client: WireClient, name: str, to: str) -> tuple[list[int], list[dict]]:
    """PER_SENDER sends back to back: every 10th to a user who does not exist and
    every 25th a malformed frame. Returns the order the answers came in, and them."""
    answered: list[int] = []
    replies: list[dict] = [{} for _ in range(PER_SENDER)]

    async def one(i: int) -> None:
        if i % 25 == 24:
            # A send with no body: refused before it reaches a transaction.
            reply = await client.call("send", msg_id=f"{name}-msg-{i:04d}", chat_type="chat", to=to)
        else:
            target = "nobody-here" if i % 10 == 9 else to
            reply = await client.call(
                "send",
                msg_id=f"{name}-msg-{i:04d}",
                chat_type="chat",
                to=target,
                body=text_body(f"{name} {i}"),
                need_delivery_ack=True,
            )
        answered.append(i)
        replies[i] = reply

    tasks = []
    for i in range(PER_SENDER):
        tasks.append(asyncio.create_task(one(i)))
        await asyncio.sleep(0)  # each frame on the wire before the next is made
    await asyncio.gather(*tasks)
    return answered, replies


async def test_requests_sharing_transactions_are_answered_alone_and_in_order(
    tmp_path, postgres, redis_engine, database_url
):
    node = Node("n1", database_url, redis_engine.url, tmp_path)
    await node.start()
    try:
        bob = await device(node.url, "bob")
        senders = [await device(node.url, f"sender{k}") for k in range(SENDERS)]
        results = await asyncio.gather(
            *(burst(client, f"s{k}", "bob") for k, client in enumerate(senders))
        )
        requests = SENDERS * PER_SENDER
        # Every answer in the order its device sent the request, each the right one.
        accepted: set[str] = set()
        for k, (answered, replies) in enumerate(results):
            assert answered == list(range(PER_SENDER)), f"sender{k} answered out of order"
            for i, reply in enumerate(replies):
                msg_id = f"s{k}-msg-{i:04d}"
                if i % 25 == 24:
                    assert reply["type"] == "error" and reply["code"] in (
                        "INVALID_PARAM",
                        "BAD_FRAME",
                    ), reply
                elif i % 10 == 9:
                    assert reply["type"] == "error" and reply["code"] == "USER_NOT_FOUND", reply
                else:
                    assert reply["type"] == "send_ok", reply
                    assert reply["msg_id"] == msg_id
                    accepted.add(msg_id)
        # Each message reaches bob once, in seq order.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while loop.time() < deadline:
            got = {p["message"]["msg_id"] for p in bob.pushes_of("message")}
            if got >= accepted:
                break
            await asyncio.sleep(0.05)
        pushed = [p["message"]["msg_id"] for p in bob.pushes_of("message")]
        assert sorted(pushed) == sorted(accepted), "a message was lost or pushed twice"
        assert_in_order(bob)
        # Stored once each, and every log contiguous.
        database = database_url.rsplit("/", 1)[1]
        stored = postgres.psql("SELECT count(*), count(DISTINCT msg_id) FROM messages", database)
        assert stored.strip() == f"{len(accepted)}|{len(accepted)}"
        check_logs(postgres, database_url)
        # They shared transactions: bob's log was written by fewer transactions than
        # the messages in it (one request a transaction would be one each).
        transactions = transactions_writing(postgres, database_url, "bob")
        print(f"{requests} requests, {len(accepted)} accepted, {transactions} transactions")
        assert transactions < len(accepted), (transactions, len(accepted))
    finally:
        assert await node.stop() is None
