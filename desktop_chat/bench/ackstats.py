"""Scenario `ackstats`: an announcement's read progress in one request (issue 17).

Owns: a real server on a fresh SQLite file holding a group of M members (10,000 by
default) and one announcement every member has acked, at times spread over two days
(a third of them confirmed too). Accounts come from `common.bulk_accounts`; the
group, the message and its acks are written through the server's own store before
it starts (M acks over the wire would time the acks, not the question). The owner
then asks over a real websocket, in the same run:
- `fetch_group_ack_stats` with 100 edges (what a chart asks), `runs` times;
- the baseline: walking `fetch_group_acks` pages of 50 to the end for the same
  message (what a chart without the request would do), `walks` times.

Reports the median and p95 of each (ms), their ratio (stats / page walk) and
whether the stats' p95 is under the 20 ms bar. PostgreSQL is not run here: the
scenario seeds through the SQLite store (the query is the same index range scan).

Never: wait without a bound, or run more than `runs` and `walks` requests.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from desktop_chat.bench.common import (
    bulk_accounts,
    close_all,
    percentile,
    ratio,
    rnd,
    signed_in,
    start_server,
    table,
)

BAR_MS = 20.0
SPREAD_MS = 2 * 24 * 3600 * 1000  # acks over two days after the send
EDGES = sorted({int(1.15**i) for i in range(100)} | {0})[:100]
GROUP_ID = 100_000_000_000_017
MSG_ID = "bench-announcement-0001"


def _seed(db: Path, names: list[str]) -> None:
    """The group, the announcement and every member's ack, through the store."""
    from desktop_chat.protocol import Mark
    from desktop_chat.server.config import wall_clock_ms
    from desktop_chat.server.store import SqliteStore

    store = SqliteStore(db, synchronous="OFF")
    now = wall_clock_ms()
    sent = now - SPREAD_MS - 60_000
    try:
        with store.request():
            ids = store.user_ids(names)
            owner = ids[names[0]]
            store.create_group(GROUP_ID, "bench", owner, "admins", sent)
            conv = store.group_conversation(GROUP_ID)
            members = [(owner, "owner")] + [(ids[n], "member") for n in names[1:]]
            store.add_members(GROUP_ID, conv, members, sent)
            message_id = store.insert_message(
                msg_id=MSG_ID,
                conv_id=conv,
                conv_seq=store.next_conv_seq(conv),
                chat_type="groupchat",
                sender_id=owner,
                recipient_id=None,
                group_id=GROUP_ID,
                body=b'{"kind":"text","text":"Fire drill at 3"}',
                server_time=sent,
                local_time=sent,
                need_delivery_ack=False,
                need_read_ack=True,
                need_group_ack=True,
                mark=int(Mark.SENT),
                group_member_count=len(names) - 1,
            )
            readers = names[1:]
            for index, name in enumerate(readers):
                at = sent + (index * index * SPREAD_MS) // max(1, len(readers) ** 2)
                store.add_group_ack(message_id, ids[name], None, at, confirmed=index % 3 == 0)
        store.commit()
    finally:
        store.close()


async def _timed(client: Any, runs: int, request: Any) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await request(client)
        times.append((time.perf_counter() - started) * 1000)
    return times


async def _stats(client: Any) -> dict[str, Any]:
    reply = await client.request(
        "fetch_group_ack_stats", timeout=30, group_id=str(GROUP_ID), msg_id=MSG_ID, edges=EDGES
    )
    return dict(reply)


async def _walk(client: Any) -> int:
    cursor, acks = None, 0
    for _ in range(100_000):  # bounded: a page holds 50
        reply = await client.request(
            "fetch_group_acks",
            timeout=30,
            group_id=str(GROUP_ID),
            msg_id=MSG_ID,
            cursor=cursor,
            page_size=50,
        )
        acks += len(reply["acks"])
        cursor = reply["cursor"]
        if cursor is None:
            break
    return acks


async def run(members: int = 10_000, runs: int = 50, walks: int = 5) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="dc-bench-ackstats-") as tmp:
        db = Path(tmp) / "server.db"
        names = [f"m{n:05d}" for n in range(members)]
        tokens = bulk_accounts(db, names)
        _seed(db, names)
        server = start_server(db)
        try:
            (owner,) = await signed_in(server.url, [tokens[names[0]]], live=False)
            try:
                check = await _stats(owner)
                walked = await _walk(owner)
                stats_ms = await _timed(owner, runs, _stats)
                walk_ms = await _timed(owner, walks, _walk)
            finally:
                await close_all([owner])
        finally:
            server.stop()
    stats_p50, stats_p95 = percentile(stats_ms, 50), percentile(stats_ms, 95)
    walk_p50, walk_p95 = percentile(walk_ms, 50), percentile(walk_ms, 95)
    return {
        "members": members,
        "acks": check["read_count"],
        "confirms": check["confirm_count"],
        "edges": len(EDGES),
        "reads_at_last_edge": check["reads"][-1],
        "acks_walked": walked,
        "runs": runs,
        "walks": walks,
        "stats_p50_ms": rnd(stats_p50),
        "stats_p95_ms": rnd(stats_p95),
        "walk_p50_ms": rnd(walk_p50),
        "walk_p95_ms": rnd(walk_p95),
        "ratio_p50": rnd(ratio(stats_p50, walk_p50), 4),
        "bar_ms": BAR_MS,
        "bar_met": stats_p95 is not None and stats_p95 < BAR_MS,
    }


def render(result: dict[str, Any]) -> str:
    columns = ["members", "acks", "edges", "stats p50 ms", "stats p95 ms"]
    columns += ["walk p50 ms", "walk p95 ms", "stats/walk", "bar < 20 ms"]
    row = [
        result["members"],
        result["acks"],
        result["edges"],
        result["stats_p50_ms"],
        result["stats_p95_ms"],
        result["walk_p50_ms"],
        result["walk_p95_ms"],
        result["ratio_p50"],
        "met" if result["bar_met"] else "MISSED",
    ]
    return table("ackstats: read progress in one request vs a page walk", columns, [row])
