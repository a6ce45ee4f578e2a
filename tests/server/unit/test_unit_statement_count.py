"""What one message costs the SQLite server in SQL: a one-to-one send asking for
both receipts, its delivery ack and its read ack (one frame each, as the bench's
clients send them), counted statement by statement with SQLite's own trace:
BEGIN, savepoints, COMMIT and the event-log inserts included.

Two shapes: each request alone in its batch (an idle server: the worst case), and
many messages' requests sharing a batch (a busy one, where the transaction's
BEGIN, COMMIT and event insert are shared)."""

from __future__ import annotations

from inproc import InProcess

# Alone: BEGIN and COMMIT of each of the 3 transactions (6), the send's look-up,
# seq, insert and unread counts (4), each ack's look-up and mark (4), the read
# ack's first-read check and unread count (2), one event insert per transaction (3).
ALONE = 19
# Shared by 20 messages: per message, the 10 statements of the requests themselves
# (a one-to-one send and the acks check before writing: no savepoints), plus a
# share of the batches' BEGIN, COMMIT and event inserts. Before: 16.2.
BUSY_PER_MESSAGE = 10.5


class Trace:
    def __init__(self, server: InProcess) -> None:
        self.server = server
        self.statements: list[str] = []

    def __enter__(self) -> list[str]:
        self.server.store._db.set_trace_callback(self.statements.append)
        return self.statements

    def __exit__(self, *exc: object) -> None:
        self.server.store._db.set_trace_callback(None)


def _kinds(statements: list[str]) -> list[str]:
    return [" ".join(sql.split()[:2]) for sql in statements]


async def test_a_message_and_its_two_receipts_each_alone_in_its_batch(server: InProcess):
    alice, bob = await server.device("alice"), await server.device("bob")
    await alice.send_chat("bob", "warm-0001", need_delivery_ack=True, need_read_ack=True)
    await bob.request("delivery_ack", msg_ids=["warm-0001"])
    await bob.request("read_ack", msg_ids=["warm-0001"])
    with Trace(server) as statements:
        await alice.send_chat("bob", "count-0001", need_delivery_ack=True, need_read_ack=True)
        await bob.request("delivery_ack", msg_ids=["count-0001"])
        await bob.request("read_ack", msg_ids=["count-0001"])
    kinds = _kinds(statements)
    assert len(statements) <= ALONE, "\n".join(kinds)
    assert kinds.count("SAVEPOINT request") == 0  # the first request of a batch has none
    assert kinds.count("INSERT INTO") == 4  # the message, and one event insert a batch


async def test_messages_sharing_batches_cost_a_share_of_them(server: InProcess):
    alice, bob = await server.device("alice"), await server.device("bob")
    await alice.send_chat("bob", "warm-0001")  # their conversation exists
    ids = [f"busy-{n:04d}" for n in range(20)]
    with Trace(server) as statements:
        for msg_id in ids:  # one batch of 20 sends
            await alice.submit(
                "send",
                msg_id=msg_id,
                chat_type="chat",
                to="bob",
                body={"kind": "text", "text": "hi"},
                need_delivery_ack=True,
                need_read_ack=True,
            )
        await server.settle()
        for msg_id in ids:  # then one of 20 delivery acks
            await bob.submit("delivery_ack", msg_ids=[msg_id])
        await server.settle()
        for msg_id in ids:  # and one of 20 read acks
            await bob.submit("read_ack", msg_ids=[msg_id])
        await server.settle()
    kinds = _kinds(statements)
    assert kinds.count("COMMIT") == 3
    assert kinds.count("INSERT INTO") == 20 + 3  # the messages, one event insert a batch
    print(f"{len(statements) / len(ids):.2f} statements a message")
    assert len(statements) / len(ids) <= BUSY_PER_MESSAGE, "\n".join(kinds)
