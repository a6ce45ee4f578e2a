"""Scenario `receipts`: one-to-one receipt throughput and latency against the floor.

Owns: the workload (N pairs; A keeps W messages in flight, asking for delivery
and read acks; B acks delivery and then read for every message it gets, at
once) and its two runs: against a real `desktop-chat-server`, and against the
bare relay in `relay.py` (the floor), driven by the very same code. The only
difference is the frame B reacts to (`message` from the server, A's own `send`
frame through the relay) and the frame A counts as a receipt (`delivered` /
`read` pushes, or B's `delivery_ack` / `read_ack` frames through the relay).

Measured per run, over `seconds` after a short warm-up: receipts per second at
A (delivery plus read), p50/p99 from send to the read receipt at A, server CPU
seconds per 1,000 receipts (psutil on the server's pid), frames on the wire per
message (all frames every client sent and received), and the load generator's
own CPU share (when it nears 100 % of a core, the floor is bounded by the
generator, and the throughput ratio flatters us: the CPU ratio does not).

Never: run a loop unbounded: sending stops at the deadline, and what is still in
flight gets at most a few seconds.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import psutil

from desktop_chat.bench.common import (
    Lean,
    Proc,
    bulk_accounts,
    close_all,
    encode,
    percentile,
    ratio,
    rnd,
    signed_in,
    start_relay,
    start_server,
    table,
)

DRAIN_SECONDS = 3.0
_decode = msgspec.json.decode


@dataclass
class _Run:
    measuring: bool = False
    sending: bool = True
    reads: int = 0
    delivered: int = 0
    latencies: list[float] = field(default_factory=list)
    in_flight: int = 0


async def _side_a(a: Lean, to: str, pair: int, window: int, run: _Run) -> None:
    sent_at: dict[str, float] = {}
    count = 0
    clock = time.perf_counter

    async def send_one() -> None:
        nonlocal count
        count += 1
        msg_id = f"p{pair}m{count:09d}"
        sent_at[msg_id] = clock()
        run.in_flight += 1
        await a.send(
            encode(
                {
                    "type": "send",
                    "id": str(count),
                    "msg_id": msg_id,
                    "chat_type": "chat",
                    "to": to,
                    "body": {"kind": "text", "text": "bench"},
                    "local_time": 0,
                    "need_delivery_ack": True,
                    "need_read_ack": True,
                }
            )
        )

    for _ in range(window):
        await send_one()
    ws = a.ws
    while True:
        data = await ws.recv(decode=False)
        a.received += 1
        frame = _decode(data)
        kind = frame.get("type")
        if kind == "read" or kind == "read_ack":
            now = clock()
            for msg_id in frame["msg_ids"]:
                started = sent_at.pop(msg_id, None)
                if started is None:
                    continue
                run.in_flight -= 1
                if run.measuring:
                    run.reads += 1
                    run.latencies.append(now - started)
                if run.sending:
                    await send_one()
        elif (kind == "delivered" or kind == "delivery_ack") and run.measuring:
            run.delivered += len(frame["msg_ids"])
        elif kind == "error":
            raise RuntimeError(f"the server refused a frame: {frame.get('code')}")


async def _side_b(b: Lean) -> None:
    ws = b.ws
    count = 0
    while True:
        data = await ws.recv(decode=False)
        b.received += 1
        frame = _decode(data)
        kind = frame.get("type")
        if kind == "error":
            raise RuntimeError(f"the server refused a frame: {frame.get('code')}")
        if kind == "message":
            msg_id = frame["message"]["msg_id"]
        elif kind == "send":
            msg_id = frame["msg_id"]
        else:
            continue
        count += 1
        await b.send(encode({"type": "delivery_ack", "id": f"d{count}", "msg_ids": [msg_id]}))
        await b.send(encode({"type": "read_ack", "id": f"r{count}", "msg_ids": [msg_id]}))


async def _drive(
    pairs: list[tuple[Lean, Lean, str]], window: int, seconds: float, proc: Proc
) -> dict[str, Any]:
    run = _Run()
    me = psutil.Process()
    tasks = []
    for index, (a, b, to) in enumerate(pairs):
        tasks.append(asyncio.create_task(_side_b(b)))
        tasks.append(asyncio.create_task(_side_a(a, to, index, window, run)))
    clients = [c for a, b, _ in pairs for c in (a, b)]
    try:
        await asyncio.sleep(min(1.0, max(0.2, seconds * 0.2)))  # warm-up
        frames0 = sum(c.sent + c.received for c in clients)
        cpu0, gen0, t0 = proc.cpu_seconds(), me.cpu_times(), time.perf_counter()
        run.measuring = True
        await asyncio.sleep(seconds)
        run.measuring = False
        elapsed = time.perf_counter() - t0
        cpu1, gen1 = proc.cpu_seconds(), me.cpu_times()
        frames1 = sum(c.sent + c.received for c in clients)
        run.sending = False
        deadline = time.monotonic() + DRAIN_SECONDS
        while run.in_flight > 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        for task in tasks:
            if task.done() and not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    receipts = run.reads + run.delivered
    server_cpu = cpu1 - cpu0
    generator_cpu = (gen1.user + gen1.system) - (gen0.user + gen0.system)
    p50, p99 = percentile(run.latencies, 50), percentile(run.latencies, 99)
    return {
        "seconds": rnd(elapsed, 3),
        "messages": run.reads,
        "receipts": receipts,
        "receipts_per_s": rnd(receipts / elapsed, 1),
        "messages_per_s": rnd(run.reads / elapsed, 1),
        "p50_ms": rnd(p50 * 1000 if p50 is not None else None, 3),
        "p99_ms": rnd(p99 * 1000 if p99 is not None else None, 3),
        "server_cpu_s": rnd(server_cpu, 3),
        "server_cpu_s_per_1k_receipts": rnd(server_cpu / receipts * 1000, 4) if receipts else None,
        "frames_per_message": rnd((frames1 - frames0) / run.reads, 2) if run.reads else None,
        "generator_cpu_pct": rnd(generator_cpu / elapsed * 100, 1),
        "server_cpu_pct": rnd(server_cpu / elapsed * 100, 1),
    }


async def _floor(pairs: int, window: int, seconds: float) -> dict[str, Any]:
    with start_relay() as relay:
        clients: list[Lean] = []
        try:
            made = []
            for index in range(pairs):
                b = await Lean.open(f"{relay.url}/p{index}/b")
                a = await Lean.open(f"{relay.url}/p{index}/a")
                clients += [a, b]
                made.append((a, b, f"ub{index}"))
            return await _drive(made, window, seconds, relay)
        finally:
            await close_all(clients)


async def _ours(
    pairs: int, window: int, seconds: float, workdir: Path, profile_dir: Path | None
) -> dict[str, Any]:
    db = workdir / f"receipts-{pairs}-{window}.db"
    names = [f"ua{i}" for i in range(pairs)] + [f"ub{i}" for i in range(pairs)]
    tokens = bulk_accounts(db, names)
    profile = None
    if profile_dir is not None:
        profile_dir.mkdir(parents=True, exist_ok=True)
        profile = profile_dir / f"server-receipts-p{pairs}-w{window}.prof"
    with start_server(db, profile) as server:
        clients: list[Lean] = []
        try:
            signed = await signed_in(server.url, [tokens[n] for n in names])
            clients = signed
            made = [(signed[i], signed[pairs + i], f"ub{i}") for i in range(pairs)]
            result = await _drive(made, window, seconds, server)
        finally:
            await close_all(clients)
        result["server_rss_mb"] = rnd(server.rss_bytes() / 2**20, 1)
    return result


async def run(
    pairs_list: list[int],
    windows: list[int],
    seconds: float,
    profile_dir: Path | None = None,
) -> dict[str, Any]:
    cases = []
    with tempfile.TemporaryDirectory(prefix="dcbench-") as tmp:
        for pairs in pairs_list:
            for window in windows:
                floor = await _floor(pairs, window, seconds)
                ours = await _ours(pairs, window, seconds, Path(tmp), profile_dir)
                cases.append(
                    {
                        "pairs": pairs,
                        "window": window,
                        "floor": floor,
                        "ours": ours,
                        "ratio": {
                            "receipts_per_s": rnd(
                                ratio(ours["receipts_per_s"], floor["receipts_per_s"]), 3
                            ),
                            "p50": rnd(ratio(ours["p50_ms"], floor["p50_ms"]), 2),
                            "p99": rnd(ratio(ours["p99_ms"], floor["p99_ms"]), 2),
                            "server_cpu_per_receipt": rnd(
                                ratio(
                                    ours["server_cpu_s_per_1k_receipts"],
                                    floor["server_cpu_s_per_1k_receipts"],
                                ),
                                2,
                            ),
                        },
                    }
                )
    return {"seconds": seconds, "cases": cases}


def render(result: dict[str, Any]) -> str:
    columns = [
        "pairs",
        "W",
        "run",
        "receipts/s",
        "p50 ms",
        "p99 ms",
        "srv CPU s/1k rcpt",
        "frames/msg",
        "gen CPU %",
        "srv CPU %",
    ]
    rows = []
    for case in result["cases"]:
        for name in ("floor", "ours"):
            r = case[name]
            rows.append(
                [
                    case["pairs"],
                    case["window"],
                    name,
                    r["receipts_per_s"],
                    r["p50_ms"],
                    r["p99_ms"],
                    r["server_cpu_s_per_1k_receipts"],
                    r["frames_per_message"],
                    r["generator_cpu_pct"],
                    r["server_cpu_pct"],
                ]
            )
        q = case["ratio"]
        rows.append(
            [
                case["pairs"],
                case["window"],
                "ours/floor",
                q["receipts_per_s"],
                q["p50"],
                q["p99"],
                q["server_cpu_per_receipt"],
                None,
                None,
                None,
            ]
        )
    return table(f"receipts ({result['seconds']} s per run)", columns, rows)
