"""Scenario `batching`: reading 1,000 messages three ways, and what each costs.

Owns: a fresh server where a sender has sent N messages (default 1,000, asking
for read receipts) to each of several readers; then each reader reads its N
messages one way:
- `per_message`: one `read_ack` frame per message (pipelined, not one by one);
- `batched`: `read_ack` frames of up to 500 ids, as the SDK's outbox sends
  acks that pile up within its batching window;
- `conversation`: one `conversation_read_ack`.

Reports per way: frames the reader sent, frames the sender received (its
receipts), wall time until the sender holds every receipt, and server CPU
milliseconds (psutil on the server pid) over that time, averaged over
`repeat` readers per way.

Never: wait without a bound.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from desktop_chat.bench.common import (
    Proc,
    bulk_accounts,
    close_all,
    encode,
    rnd,
    signed_in,
    start_server,
    table,
)
from desktop_chat.wire_client import WireClient

WAYS = ("per_message", "batched", "conversation")
DEADLINE = 60.0


async def _send_all(sender: WireClient, to: str, prefix: str, count: int) -> list[str]:
    """Send `count` messages to `to`, 64 in flight; returns their msg_ids."""
    ids = [f"{prefix}x{i:07d}" for i in range(count)]
    waiting: set[str] = set()
    done = 0
    deadline = time.monotonic() + DEADLINE
    for index, msg_id in enumerate(ids):
        request_id = f"s{msg_id}"
        waiting.add(request_id)
        await sender.send(
            encode(
                {
                    "type": "send",
                    "id": request_id,
                    "msg_id": msg_id,
                    "chat_type": "chat",
                    "to": to,
                    "body": {"kind": "text", "text": f"message {index}"},
                    "need_read_ack": True,
                }
            )
        )
        while len(waiting) >= 64 or (index == count - 1 and waiting):
            frame = await sender.recv(max(0.01, deadline - time.monotonic()))
            if frame.get("id") in waiting:
                if frame.get("type") != "send_ok":
                    raise RuntimeError(f"send refused: {frame}")
                waiting.discard(frame["id"])
                done += 1
    assert done == count
    return ids


async def _read(way: str, reader: WireClient, sender: WireClient, peer: str, ids: list[str]) -> int:
    """Ack `ids` one way; returns when the sender holds every receipt. Frames sent."""
    if way == "per_message":
        frames = [{"type": "read_ack", "id": f"a{i}", "msg_ids": [m]} for i, m in enumerate(ids)]
    elif way == "batched":
        most = reader.limits["max_ack_batch"]  # the server's, as the client's outbox
        frames = [
            {"type": "read_ack", "id": f"a{i}", "msg_ids": ids[i : i + most]}
            for i in range(0, len(ids), most)
        ]
    else:
        frames = [{"type": "conversation_read_ack", "id": "a0", "conversation_id": peer}]
    deadline = time.monotonic() + DEADLINE

    async def replies() -> None:
        left = {frame["id"] for frame in frames}
        while left:
            frame = await reader.recv(max(0.01, deadline - time.monotonic()))
            if frame.get("type") == "error":
                raise RuntimeError(f"ack refused: {frame}")
            left.discard(frame.get("id"))

    async def receipts() -> None:
        wanted = set(ids)
        while wanted:
            frame = await sender.recv(max(0.01, deadline - time.monotonic()))
            kind = frame.get("type")
            if kind == "read":
                wanted.difference_update(frame["msg_ids"])
            elif kind == "conversation_read":
                wanted.clear()

    waiting = asyncio.gather(replies(), receipts())
    for frame in frames:
        await reader.send(encode(frame))
    await waiting
    return len(frames)


async def _way(
    way: str,
    count: int,
    repeat: int,
    server: Proc,
    tokens: dict[str, str],
    names: dict[tuple[str, int], tuple[str, str]],
) -> dict[str, Any]:
    frames_sent = pushes = 0
    seconds = cpu = 0.0
    for r in range(repeat):
        sender_name, reader_name = names[(way, r)]
        sender, reader = await signed_in(
            server.url, [tokens[sender_name], tokens[reader_name]], live=True
        )
        try:
            ids = await _send_all(sender, reader_name, f"{way[:3]}{r}", count)
            # Drop what the setup left in the reader's queue (the message pushes).
            await _quiet(reader)
            await _quiet(sender)
            received0 = sender.frames_received
            cpu0, t0 = server.cpu_seconds(), time.perf_counter()
            frames_sent += await _read(way, reader, sender, sender_name, ids)
            seconds += time.perf_counter() - t0
            cpu += server.cpu_seconds() - cpu0
            pushes += sender.frames_received - received0
        finally:
            await close_all([sender, reader])
    return {
        "messages": count,
        "frames_sent_by_reader": frames_sent // repeat,
        "receipt_frames_at_sender": pushes // repeat,
        "wall_ms": rnd(seconds / repeat * 1000, 1),
        "server_cpu_ms": rnd(cpu / repeat * 1000, 1),
    }


async def _quiet(client: WireClient, idle: float = 0.2) -> None:
    """Read and drop frames until none came for `idle` seconds (at most 10 s)."""
    end = time.monotonic() + 10
    while time.monotonic() < end:
        try:
            await client.recv(idle)
        except TimeoutError:
            return


async def run(count: int = 1000, repeat: int = 3) -> dict[str, Any]:
    names = {
        (way, r): (f"s{i}x{r}", f"r{i}x{r}") for i, way in enumerate(WAYS) for r in range(repeat)
    }
    with tempfile.TemporaryDirectory(prefix="dcbench-") as tmp:
        db = Path(tmp) / "batching.db"
        tokens = bulk_accounts(db, [n for pair in names.values() for n in pair])
        with start_server(db) as server:
            ways = {way: await _way(way, count, repeat, server, tokens, names) for way in WAYS}
    base = ways["per_message"]
    for result in ways.values():
        result["frames_vs_per_message"] = rnd(
            result["frames_sent_by_reader"] / base["frames_sent_by_reader"], 4
        )
        result["server_cpu_vs_per_message"] = (
            rnd(result["server_cpu_ms"] / base["server_cpu_ms"], 3)
            if base["server_cpu_ms"]
            else None
        )
    return {"messages": count, "repeat": repeat, "ways": ways}


def render(result: dict[str, Any]) -> str:
    columns = [
        "way",
        "reader frames",
        "receipt frames at sender",
        "wall ms",
        "server CPU ms",
        "frames vs per-msg",
        "CPU vs per-msg",
    ]
    rows = [
        [
            way,
            r["frames_sent_by_reader"],
            r["receipt_frames_at_sender"],
            r["wall_ms"],
            r["server_cpu_ms"],
            r["frames_vs_per_message"],
            r["server_cpu_vs_per_message"],
        ]
        for way, r in result["ways"].items()
    ]
    return table(
        f"batching (a reader reads {result['messages']:,} messages; mean of {result['repeat']})",
        columns,
        rows,
    )
