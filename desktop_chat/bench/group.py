"""Scenario `group`: one announcement with `need_group_ack`, acked by every member.

Owns: for each group size M (members including the owner), a fresh server with
M accounts made in bulk; the owner is the real client core (`ChatClient`,
signed in with its password) and creates the group through the API; the other
M-1 members are lean protocol clients, signed in with `resume`. The owner sends
one announcement asking for group acks; each member acks it as soon as the
message reaches it.

Reports: time from the send until every member holds its `group_ack_ok` (a
reply the server sends only after the commit), so every ack is committed; how
many callbacks the owner's client fired and the most in any one second; the
final `group_ack_count`; `fetch_group_acks` latency (pages of 50) for the first
page, the last page and the slowest; the server's memory.

Never: wait without a bound (every wait has a deadline).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_chat.bench.bars import group_bar
from desktop_chat.bench.common import (
    PASSWORD,
    bulk_accounts,
    close_all,
    percentile,
    raise_fd_limit,
    rnd,
    signed_in,
    start_server,
    table,
)
from desktop_chat.wire_client import WireClient

if TYPE_CHECKING:
    from desktop_chat.client import ChatClient, ChatEventHandler
    from desktop_chat.client.models import GroupMessageAck

ACK_DEADLINE = 120.0


async def _member(
    client: WireClient, group_id: str, results: list[float], delivered: list[float]
) -> None:
    """Wait for the announcement, ack it, and note when the (committed) reply came."""
    deadline = time.monotonic() + ACK_DEADLINE
    msg_id = None
    while msg_id is None:
        frame = await client.recv(max(0.01, deadline - time.monotonic()))
        message = frame.get("message") if frame.get("type") == "message" else None
        if message and message.get("to") == group_id and message.get("need_group_ack"):
            msg_id = message["msg_id"]
    delivered.append(time.perf_counter())
    await client.request(
        "group_read_ack",
        timeout=max(0.01, deadline - time.monotonic()),
        group_id=group_id,
        msg_id=msg_id,
    )
    results.append(time.perf_counter())


@dataclasses.dataclass
class _OwnerWatch:
    """What the owner's client reported: read callbacks (time, acks) and updates."""

    members: int
    callbacks: list[tuple[float, int]] = dataclasses.field(default_factory=list)
    updated: list[float] = dataclasses.field(default_factory=list)
    done: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)
    best: int = 0

    def on_read(self, acks: list[GroupMessageAck]) -> None:
        self.callbacks.append((time.perf_counter(), len(acks)))
        self.best = max([self.best, *(a.read_count for a in acks)])
        if self.best >= self.members - 1:
            self.done.set()

    def handler(self) -> ChatEventHandler:
        from desktop_chat.client import ChatEventHandler

        return ChatEventHandler(
            on_group_message_read=self.on_read,
            on_read_ack_for_group_message_updated=lambda: self.updated.append(time.perf_counter()),
        )


async def _announce(
    owner: ChatClient, group_id: str, lean: list[WireClient], result: dict[str, Any]
) -> tuple[float, str]:
    """Send the announcement and wait for every member's committed ack.

    Returns when it was sent and its msg_id."""
    from desktop_chat.client.models import ChatMessage, ChatType

    acked: list[float] = []
    delivered: list[float] = []
    tasks = [asyncio.create_task(_member(c, group_id, acked, delivered)) for c in lean]
    msg = ChatMessage.text(group_id, "Please ack", ChatType.GROUP_CHAT)
    msg.need_group_ack = True
    t0 = time.perf_counter()
    sent = await owner.chat_manager.send_message(msg)
    _, pending = await asyncio.wait(tasks, timeout=ACK_DEADLINE)
    for task in pending:
        task.cancel()
    failed = [t for t in tasks if t.done() and not t.cancelled() and t.exception()]
    result["acks_failed"] = len(failed) + len(pending)
    result["all_acks_committed_s"] = rnd(max(acked) - t0, 3) if acked else None
    result["message_reached_all_s"] = rnd(max(delivered) - t0, 3) if delivered else None
    result["acks_committed"] = len(acked)
    return t0, sent.msg_id


async def _owner_figures(watch: _OwnerWatch, t0: float, result: dict[str, Any]) -> None:
    """How soon, and in how many callbacks, the owner's client saw every ack."""
    callbacks = watch.callbacks
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(watch.done.wait(), 15)
    await asyncio.sleep(0.3)  # let trailing callbacks land
    result["owner_saw_all_s"] = rnd(callbacks[-1][0] - t0, 3) if callbacks else None
    result["owner_callbacks"] = len(callbacks)
    result["owner_updated_callbacks"] = len(watch.updated)
    per_second: dict[int, int] = {}
    for when, _ in callbacks:
        second = int(when - t0)
        per_second[second] = per_second.get(second, 0) + 1
    result["owner_callbacks_max_per_s"] = max(per_second.values(), default=0)
    span = (callbacks[-1][0] - t0) if callbacks else 0
    result["owner_callbacks_per_s"] = rnd(len(callbacks) / span, 1) if span > 0 else None
    result["owner_acks_seen"] = sum(n for _, n in callbacks)


async def _page_acks(
    owner: ChatClient, group_id: str, msg_id: str, members: int, result: dict[str, Any]
) -> None:
    """Page through the read list as the owner, newest first, timing each page."""
    from desktop_chat.protocol import frames as f

    latencies: list[float] = []
    cursor = None
    read_count = None
    for _ in range(members // 50 + 5):
        t = time.perf_counter()
        page: f.GroupAcks = await owner.request(
            f.FetchGroupAcks(id="", group_id=group_id, msg_id=msg_id, cursor=cursor, page_size=50)
        )
        latencies.append((time.perf_counter() - t) * 1000)
        read_count = page.read_count
        cursor = page.cursor
        if cursor is None:
            break
    result["group_ack_count"] = read_count
    result["fetch_pages"] = len(latencies)
    result["fetch_first_page_ms"] = rnd(latencies[0], 2) if latencies else None
    result["fetch_last_page_ms"] = rnd(latencies[-1], 2) if latencies else None
    result["fetch_max_page_ms"] = rnd(max(latencies), 2) if latencies else None
    result["fetch_p50_page_ms"] = rnd(percentile(latencies, 50), 2)


async def _one(members: int, workdir: Path) -> dict[str, Any]:
    """One group size on a fresh server: create, announce, ack, page the acks."""
    from desktop_chat.client import ChatClient, ChatOptions

    db = workdir / f"group-{members}.db"
    names = [f"m{i}" for i in range(members - 1)]
    tokens = bulk_accounts(db, ["owner", *names])
    result: dict[str, Any] = {"members": members, "possible_readers": members - 1}
    with start_server(db) as server:
        owner = ChatClient(
            ChatOptions(server_url=server.url, request_timeout_seconds=60),
            workdir / f"owner-{members}",
        )
        watch = _OwnerWatch(members)
        owner.chat_manager.add_event_handler("bench", watch.handler())
        lean: list[WireClient] = []
        try:
            await owner.login("owner", PASSWORD)
            t = time.perf_counter()
            group = await owner.group_manager.create_group("bench", names)
            result["create_group_s"] = rnd(time.perf_counter() - t, 3)
            t = time.perf_counter()
            lean = await signed_in(server.url, [tokens[n] for n in names], limit=128)
            result["members_online_s"] = rnd(time.perf_counter() - t, 2)
            rss_before = server.rss_bytes()
            t0, msg_id = await _announce(owner, group.group_id, lean, result)
            await _owner_figures(watch, t0, result)
            await _page_acks(owner, group.group_id, msg_id, members, result)
            result["server_rss_mb_before_send"] = rnd(rss_before / 2**20, 1)
            result["server_rss_mb"] = rnd(server.rss_bytes() / 2**20, 1)
        finally:
            await owner.close(flush_seconds=0.5)
            await close_all(lean)
    return result


async def run(sizes: list[int]) -> dict[str, Any]:
    raise_fd_limit()
    cases = []
    with tempfile.TemporaryDirectory(prefix="dcbench-") as tmp:
        for members in sizes:
            cases.append(await _one(members, Path(tmp)))
    return {"cases": cases}


def render(result: dict[str, Any]) -> str:
    columns = [
        "members",
        "all acks committed s",
        "acks",
        "group_ack_count",
        "owner callbacks",
        "max cb/s",
        "fetch first ms",
        "fetch last ms",
        "fetch max ms",
        "server RSS MB",
        "members online s",
    ]
    rows = [
        [
            c["members"],
            c["all_acks_committed_s"],
            c["acks_committed"],
            c["group_ack_count"],
            c["owner_callbacks"],
            c["owner_callbacks_max_per_s"],
            c["fetch_first_page_ms"],
            c["fetch_last_page_ms"],
            c["fetch_max_page_ms"],
            c["server_rss_mb"],
            c["members_online_s"],
        ]
        for c in result["cases"]
    ]
    return table("group (one announcement, every member acks)", columns, rows) + group_bar(result)
