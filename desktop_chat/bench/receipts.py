"""Scenario `receipts`: one-to-one receipt throughput and latency against the floor.

Owns: the workload (N pairs; A keeps W messages in flight, asking for delivery
and read acks; B acks delivery and then read for every message it gets, at
once; `drive`, which `cluster.py` runs too) and its runs: against a real
`desktop-chat-server` on SQLite, and against the bare relay in `relay.py` (the
floor), driven by the very same code. With `backend="postgres"` a third run, in
the same run: a single server node on PostgreSQL (a private server with fsync on,
a durable comparison with SQLite's synchronous=FULL, unless a `--database` URL is
given), reported against the SQLite server (the bar: at least 0.6× its
receipts/s) and the floor; its server CPU includes every PostgreSQL process's. The only
difference is the frame B reacts to (`message` from the server, A's own `send`
frame through the relay) and the frame A counts as a receipt (`delivered` /
`read` pushes, or B's `delivery_ack` / `read_ack` frames through the relay).

Measured per run, over `seconds` after a short warm-up: receipts per second at
A (delivery plus read), p50/p99 from send to the read receipt at A, server CPU
seconds per 1,000 receipts (psutil on the server's pid; on PostgreSQL also the
postmaster and all its processes, apart and summed), frames on the wire per
message (all frames every client sent and received), and the load generator's
own CPU share (when it nears 100 % of a core, the floor is bounded by the
generator, and the throughput ratio flatters us: the CPU ratio does not). Over the
whole run: messages sent, and `lost`, those still missing a delivery or read
receipt once the drain ends.

Never: run a loop unbounded: sending stops at the deadline, and what is still in
flight gets until nothing more arrives for a few seconds, at most a minute.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import psutil

from desktop_chat.bench.bars import receipt_bars
from desktop_chat.bench.common import (
    CpuMeter,
    PostgresTarget,
    bulk_accounts,
    close_all,
    encode,
    fmt,
    percentile,
    ratio,
    rnd,
    signed_in,
    start_relay,
    start_server,
    table,
)
from desktop_chat.bench.preload import PRELOAD_USERS, build_template, copy_template, preload_notes
from desktop_chat.wire_client import WireClient

DRAIN_SECONDS = 3.0  # the drain ends when nothing more came for this long
DRAIN_MAX_SECONDS = 60.0
_decode = msgspec.json.decode


@dataclass
class _Run:
    measuring: bool = False
    sending: bool = True
    reads: int = 0
    delivered: int = 0
    latencies: list[float] = field(default_factory=list)
    # Over the whole run (warm-up and drain too): what was sent, what still waits for
    # its read receipt (msg_id -> when sent), for its delivery receipt, and receipts
    # that named a message already receipted or never sent.
    sent: int = 0
    sent_at: dict[str, float] = field(default_factory=dict)
    undelivered: set[str] = field(default_factory=set)
    duplicates: int = 0

    @property
    def pending(self) -> int:
        return len(self.sent_at) + len(self.undelivered)

    def lost(self) -> int:
        """Messages still missing a receipt (read, delivery or both)."""
        return len(self.undelivered.union(self.sent_at))


class _SideA:
    """A's side of one pair: keeps `window` messages in flight to B, and times each
    message from its send to its read receipt."""

    def __init__(self, a: WireClient, to: str, run: _Run) -> None:
        self.a, self.to, self.run = a, to, run
        self.count = 0
        # Unique in the database: one B account per pair, never reused (a msg_id is
        # forever, and a run that reuses one is refused as MSG_ID_CONFLICT).
        self.prefix = re.sub(r"[^A-Za-z0-9_-]", "_", to)

    async def send_one(self) -> None:
        run = self.run
        self.count += 1
        count = self.count
        msg_id = f"{self.prefix}m{count:09d}"
        run.sent_at[msg_id] = time.perf_counter()
        run.undelivered.add(msg_id)
        run.sent += 1
        await self.a.send(
            encode(
                {
                    "type": "send",
                    "id": str(count),
                    "msg_id": msg_id,
                    "chat_type": "chat",
                    "to": self.to,
                    "body": {"kind": "text", "text": "bench"},
                    "local_time": 0,
                    "need_delivery_ack": True,
                    "need_read_ack": True,
                }
            )
        )

    async def on_read(self, msg_ids: list[str]) -> None:
        """Read receipts: each ends a message's latency and, while sending, sends one more."""
        run = self.run
        now = time.perf_counter()
        for msg_id in msg_ids:
            started = run.sent_at.pop(msg_id, None)
            if started is None:
                run.duplicates += 1
                continue
            if run.measuring:
                run.reads += 1
                run.latencies.append(now - started)
            if run.sending:
                await self.send_one()

    def on_delivered(self, msg_ids: list[str]) -> None:
        run = self.run
        for msg_id in msg_ids:
            if msg_id not in run.undelivered:
                run.duplicates += 1
                continue
            run.undelivered.discard(msg_id)
            if run.measuring:
                run.delivered += 1


async def _side_a(a: WireClient, to: str, window: int, run: _Run) -> None:
    side = _SideA(a, to, run)
    for _ in range(window):
        await side.send_one()
    ws = a.ws
    while True:
        data = await ws.recv(decode=False)
        a.frames_received += 1
        frame = _decode(data)
        kind = frame.get("type")
        if kind == "read" or kind == "read_ack":
            await side.on_read(frame["msg_ids"])
        elif kind == "delivered" or kind == "delivery_ack":
            side.on_delivered(frame["msg_ids"])
        elif kind == "error":
            raise RuntimeError(f"the server refused a frame: {frame.get('code')}")


async def _side_b(b: WireClient) -> None:
    ws = b.ws
    count = 0
    while True:
        data = await ws.recv(decode=False)
        b.frames_received += 1
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


async def _drain(run: _Run, tasks: list[asyncio.Task[Any]], stall_seconds: float) -> None:
    """Wait for what is in flight: until nothing is, or nothing more came for
    `stall_seconds`, and never longer than DRAIN_MAX_SECONDS."""
    clock = time.monotonic
    give_up = clock() + DRAIN_MAX_SECONDS
    last, moved = run.pending, clock()
    while run.pending > 0 and clock() < min(give_up, moved + stall_seconds):
        for task in tasks:
            if task.done():
                await task  # a side that failed: its error, now
        await asyncio.sleep(0.05)
        if run.pending != last:
            last, moved = run.pending, clock()


@dataclass
class _Window:
    """The measured window of a run: its length, frames, and CPU by part and generator."""

    elapsed: float
    frames: int
    parts: dict[str, float]
    generator_cpu: float


async def drive(
    pairs: list[tuple[WireClient, WireClient, str]],
    window: int,
    seconds: float,
    meter: CpuMeter,
    *,
    drain_seconds: float = DRAIN_SECONDS,
) -> dict[str, Any]:
    """The workload on signed-in pairs (A, B, B's name): its figures, with the CPU of
    every part of `meter` (separately and summed) and what was lost."""
    run = _Run()
    tasks = []
    for a, b, to in pairs:
        tasks.append(asyncio.create_task(_side_b(b)))
        tasks.append(asyncio.create_task(_side_a(a, to, window, run)))
    clients = [c for a, b, _ in pairs for c in (a, b)]
    try:
        measured = await _measure(run, clients, seconds, meter)
        run.sending = False
        await _drain(run, tasks, drain_seconds)
        for task in tasks:
            if task.done() and not task.cancelled() and (error := task.exception()) is not None:
                raise error
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return _figures(run, measured)


async def _measure(
    run: _Run, clients: list[WireClient], seconds: float, meter: CpuMeter
) -> _Window:
    """After a warm-up, `seconds` of the running workload, measured."""
    me = psutil.Process()
    await asyncio.sleep(min(1.0, max(0.2, seconds * 0.2)))  # warm-up
    frames0 = sum(c.frames_sent + c.frames_received for c in clients)
    cpu0, gen0, t0 = meter.sample(), me.cpu_times(), time.perf_counter()
    run.measuring = True
    await asyncio.sleep(seconds)
    run.measuring = False
    elapsed = time.perf_counter() - t0
    cpu1, gen1 = meter.sample(), me.cpu_times()
    frames1 = sum(c.frames_sent + c.frames_received for c in clients)
    generator_cpu = (gen1.user + gen1.system) - (gen0.user + gen0.system)
    return _Window(elapsed, frames1 - frames0, meter.used(cpu0, cpu1), generator_cpu)


def _figures(run: _Run, measured: _Window) -> dict[str, Any]:
    receipts = run.reads + run.delivered
    parts = measured.parts
    elapsed = measured.elapsed
    server_cpu = sum(parts.values())
    p50, p99 = percentile(run.latencies, 50), percentile(run.latencies, 99)

    def per_1k(cpu: float) -> float | None:
        return rnd(cpu / receipts * 1000, 4) if receipts else None

    return {
        "seconds": rnd(elapsed, 3),
        "messages": run.reads,
        "receipts": receipts,
        "receipts_per_s": rnd(receipts / elapsed, 1),
        "messages_per_s": rnd(run.reads / elapsed, 1),
        "p50_ms": rnd(p50 * 1000 if p50 is not None else None, 3),
        "p99_ms": rnd(p99 * 1000 if p99 is not None else None, 3),
        "server_cpu_s": rnd(server_cpu, 3),
        "server_cpu_s_per_1k_receipts": per_1k(server_cpu),
        "cpu_s_per_1k_receipts_by_part": {part: per_1k(cpu) for part, cpu in parts.items()},
        "frames_per_message": rnd(measured.frames / run.reads, 2) if run.reads else None,
        "generator_cpu_pct": rnd(measured.generator_cpu / elapsed * 100, 1),
        "server_cpu_pct": rnd(server_cpu / elapsed * 100, 1),
        # Every message of the run (warm-up and drain too): sent, and still missing a
        # receipt after the drain.
        "sent": run.sent,
        "lost": run.lost(),
        "duplicate_receipts": run.duplicates,
    }


async def floor(pairs: int, window: int, seconds: float, **drive_options: Any) -> dict[str, Any]:
    """The workload through the bare relay: the floor."""
    with start_relay() as relay:
        clients: list[WireClient] = []
        try:
            made = []
            for index in range(pairs):
                b = await WireClient.open(f"{relay.url}/p{index}/b")
                a = await WireClient.open(f"{relay.url}/p{index}/a")
                clients += [a, b]
                made.append((a, b, f"ub{index}"))
            meter = CpuMeter().add("relay", relay.pid)
            return await drive(made, window, seconds, meter, **drive_options)
        finally:
            await close_all(clients)


def pair_names(pairs: int, prefix: str = "") -> tuple[list[str], list[str]]:
    """The accounts of A and of B of each pair."""
    return [f"{prefix}ua{i}" for i in range(pairs)], [f"{prefix}ub{i}" for i in range(pairs)]


async def _ours(
    pairs: int,
    window: int,
    seconds: float,
    workdir: Path,
    profile_dir: Path | None,
    postgres: PostgresTarget | None = None,
    template: Path | None = None,
) -> dict[str, Any]:
    """The workload against one server: on a fresh SQLite file (a copy of `template`,
    a database already in use, if given), or with `postgres` a single node on a fresh
    PostgreSQL database (its backends' CPU counted too)."""
    backend = "sqlite" if postgres is None else "postgres"
    a_names, b_names = pair_names(pairs, "" if postgres is None else postgres.prefix())
    names = a_names + b_names
    if postgres is None:
        database: Path | str = workdir / f"receipts-{pairs}-{window}.db"
        url = None
        if template is not None:
            database = workdir / f"receipts-{pairs}-{window}-preloaded.db"
            copy_template(template, database)
    else:
        database = url = postgres.database()
    tokens = bulk_accounts(database, names)
    profile = None
    if profile_dir is not None:
        profile_dir.mkdir(parents=True, exist_ok=True)
        profile = profile_dir / f"server-receipts-{backend}-p{pairs}-w{window}.prof"
    sqlite_file = database if isinstance(database, Path) else None
    with start_server(sqlite_file, profile, database_url=url) as server:
        meter = CpuMeter().add("server", server.pid)
        if postgres is not None:
            meter.add("postgres", postgres.postmaster, children=True)
        clients: list[WireClient] = []
        try:
            signed = await signed_in(server.url, [tokens[n] for n in names])
            clients = signed
            made = [(signed[i], signed[pairs + i], b_names[i]) for i in range(pairs)]
            result = await drive(made, window, seconds, meter)
        finally:
            await close_all(clients)
        result["server_rss_mb"] = rnd(server.rss_bytes() / 2**20, 1)
        result["server_start_s"] = rnd(server.start_s, 3)
    return result


def ratios(ours: dict[str, Any], base: dict[str, Any]) -> dict[str, float | None]:
    """`ours` over `base`, figure by figure (both measured in the same run)."""
    return {
        "receipts_per_s": rnd(ratio(ours["receipts_per_s"], base["receipts_per_s"]), 3),
        "p50": rnd(ratio(ours["p50_ms"], base["p50_ms"]), 2),
        "p99": rnd(ratio(ours["p99_ms"], base["p99_ms"]), 2),
        "server_cpu_per_receipt": rnd(
            ratio(ours["server_cpu_s_per_1k_receipts"], base["server_cpu_s_per_1k_receipts"]), 2
        ),
    }


async def run(
    pairs_list: list[int],
    windows: list[int],
    seconds: float,
    profile_dir: Path | None = None,
    *,
    backend: str = "sqlite",
    database_url: str | None = None,
    preload: int = 0,
    preload_users: int = PRELOAD_USERS,
) -> dict[str, Any]:
    """Each case against the floor and the SQLite server; with backend "postgres"
    against a single PostgreSQL node too (a private server with fsync on, unless
    `database_url`), in the same run. With `preload` messages (and `preload_users`
    accounts) also against a SQLite server whose database already holds them."""
    if backend not in ("sqlite", "postgres"):
        raise ValueError(f"unknown backend {backend!r}: sqlite or postgres")
    cases = []
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dcbench-")))
        postgres = None
        if backend == "postgres":
            postgres = stack.enter_context(PostgresTarget(database_url))
        template = None
        if preload > 0:
            template = tmp / "preloaded-template.db"
            preloaded_info = build_template(template, preload_users, preload)
        for pairs in pairs_list:
            for window in windows:
                case: dict[str, Any] = {"pairs": pairs, "window": window}
                case["floor"] = await floor(pairs, window, seconds)
                case["ours"] = await _ours(pairs, window, seconds, tmp, profile_dir)
                case["ratio"] = ratios(case["ours"], case["floor"])
                if template is not None:
                    case["preloaded"] = await _ours(
                        pairs, window, seconds, tmp, profile_dir, template=template
                    )
                    case["preloaded_vs_empty"] = ratios(case["preloaded"], case["ours"])
                if postgres is not None:
                    pg = await _ours(pairs, window, seconds, tmp, profile_dir, postgres)
                    case["postgres"] = pg
                    case["postgres_ratio"] = ratios(pg, case["floor"])
                    case["postgres_vs_sqlite"] = ratios(pg, case["ours"])
                cases.append(case)
        settings = postgres.settings() if postgres is not None else None
    result: dict[str, Any] = {"seconds": seconds, "backend": backend, "cases": cases}
    if template is not None:
        result["preload"] = preloaded_info
    if settings is not None:
        result["postgres"] = settings
        ratios_pg = [c["postgres_vs_sqlite"]["receipts_per_s"] for c in cases]
        known = [r for r in ratios_pg if r is not None]
        result["postgres_vs_sqlite_min"] = min(known) if known else None
        result["bar_postgres_vs_sqlite"] = POSTGRES_BAR
    return result


POSTGRES_BAR = 0.6  # PostgreSQL single node ÷ SQLite server receipts/s, at least


def _row(case: dict[str, Any], name: str, r: dict[str, Any], postgres: bool) -> list[Any]:
    parts = r.get("cpu_s_per_1k_receipts_by_part", {})
    row = [
        case["pairs"],
        case["window"],
        name,
        r["receipts_per_s"],
        r["p50_ms"],
        r["p99_ms"],
        r["server_cpu_s_per_1k_receipts"],
    ]
    if postgres:
        row.append(parts.get("postgres"))
    row += [r["frames_per_message"], r["generator_cpu_pct"], r["server_cpu_pct"], r.get("lost")]
    return row


def _ratio_row(case: dict[str, Any], name: str, q: dict[str, Any], postgres: bool) -> list[Any]:
    row = [case["pairs"], case["window"], name, q["receipts_per_s"], q["p50"], q["p99"]]
    row.append(q["server_cpu_per_receipt"])
    return row + [None] * (5 if postgres else 4)


def render(result: dict[str, Any]) -> str:
    postgres = result.get("backend") == "postgres"
    columns = ["pairs", "W", "run", "receipts/s", "p50 ms", "p99 ms", "srv CPU s/1k rcpt"]
    if postgres:
        columns.append("of which PG")
    columns += ["frames/msg", "gen CPU %", "srv CPU %", "lost"]
    rows = []
    for case in result["cases"]:
        rows.append(_row(case, "floor", case["floor"], postgres))
        rows.append(_row(case, "sqlite" if postgres else "ours", case["ours"], postgres))
        if postgres:
            rows.append(_row(case, "postgres", case["postgres"], postgres))
        name = "sqlite/floor" if postgres else "ours/floor"
        rows.append(_ratio_row(case, name, case["ratio"], postgres))
        if "preloaded" in case:
            rows.append(_row(case, "preloaded", case["preloaded"], postgres))
            rows.append(_ratio_row(case, "preloaded/empty", case["preloaded_vs_empty"], postgres))
        if postgres:
            rows.append(_ratio_row(case, "pg/floor", case["postgres_ratio"], postgres))
            rows.append(_ratio_row(case, "pg/sqlite", case["postgres_vs_sqlite"], postgres))
    text = table(f"receipts ({result['seconds']} s per run)", columns, rows)
    text += receipt_bars(result)
    if "preload" in result:
        text += preload_notes(result)
    if postgres:
        text += _postgres_notes(result)
    return text


def _durability(pg: dict[str, Any]) -> str:
    durable = pg.get("fsync") == "on" and pg.get("synchronous_commit") != "off"
    if durable:
        return "Durable on both sides"
    return "NOT a durable comparison (PostgreSQL may lose commits SQLite would keep)"


def _postgres_notes(result: dict[str, Any]) -> str:
    pg = result["postgres"]
    worst = result["postgres_vs_sqlite_min"]
    verdict = "meets" if worst is not None and worst >= POSTGRES_BAR else "misses"
    return (
        f"\nPostgreSQL single node ÷ SQLite server receipts/s: {fmt(worst)} at the worst case"
        f" ({verdict} the bar of ≥ {POSTGRES_BAR}×).\n"
        f"{_durability(pg)}: PostgreSQL {pg.get('server_version')} ({pg.get('where')}) with"
        f" fsync={pg.get('fsync')}, synchronous_commit={pg.get('synchronous_commit')},"
        f" full_page_writes={pg.get('full_page_writes')}; SQLite in WAL with synchronous=FULL.\n"
        "The PostgreSQL run's server CPU is the node's plus every PostgreSQL process's"
        " (the postmaster and its backends, checkpointer and WAL writer): 'of which PG' is"
        " the PostgreSQL part of the sum.\n"
    )
