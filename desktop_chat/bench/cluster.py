"""Scenario `cluster`: the receipts workload across 1, 2, 3… nodes on PostgreSQL + Redis.

Owns: for each node count N, N `desktop-chat-server` nodes (`--database`, `--redis`)
on one private PostgreSQL (fsync on, as in `receipts --backend postgres`) and one
private Redis, a fresh database each; the pairs spread over the nodes with every
client connected straight to a node, round-robin: A of pair i on node i mod N, B on
the next node, so with N > 1 every message and every receipt crosses nodes (through
Redis). Two runs per N, with the workload of `receipts.py` (`drive`):
- throughput: `pairs` × `window` in flight: receipts per second, p50/p99 from send
  to read receipt, server CPU per 1,000 receipts: the nodes', PostgreSQL's (the
  postmaster and all its processes) and Redis's, apart and summed;
- latency: `latency_pairs` × W=1: the cross-node read receipt's p99 (the bar:
  under 200 ms).
The relay floor of both runs is measured in the same run. Nothing lost: every
message sent (warm-up and drain included) must get both its receipts; the drain
waits past the nodes' head check, so a push Redis dropped still counts if the
check delivers it.

Reports ratios against the 1-node figures (the first node count when 1 is not
asked for) and against the floor, and what the figures predict for nodes on
machines of their own: on this machine the nodes, PostgreSQL, Redis and the load
generator share the same cores, so receipts/s cannot grow with N here; CPU per
receipt and latency are what carry over.

Never: talk to anything but 127.0.0.1, leave a process running (every engine and
node stops on the way out, errors included), or run a loop unbounded.
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import Any

from desktop_chat.bench.common import (
    CpuMeter,
    PostgresTarget,
    bulk_accounts,
    close_all,
    fmt,
    rnd,
    signed_in,
    start_server,
    table,
)
from desktop_chat.bench.receipts import drive, floor, pair_names, ratios
from desktop_chat.wire_client import WireClient

LATENCY_BAR_MS = 200.0
# Longer than the nodes' head check (2 s): what Redis dropped arrives by the next one.
STALL_SECONDS = 6.0


async def _cross_nodes(
    nodes: list[Any],
    a_names: list[str],
    b_names: list[str],
    tokens: dict[str, str],
    window: int,
    seconds: float,
    meter: CpuMeter,
) -> dict[str, Any]:
    """The workload with A of pair i on node i mod N and B on the next node."""
    count = len(nodes)
    urls = [nodes[i % count].url for i in range(len(a_names))]
    urls += [nodes[(i + 1) % count].url for i in range(len(b_names))]
    clients: list[WireClient] = []
    try:
        clients = await signed_in(urls, [tokens[n] for n in a_names + b_names])
        pairs = len(a_names)
        made = [(clients[i], clients[pairs + i], b_names[i]) for i in range(pairs)]
        result = await drive(made, window, seconds, meter, drain_seconds=STALL_SECONDS)
    finally:
        await close_all(clients)
    result["cross_node_pairs"] = pairs if count > 1 else 0
    return result


async def _with_nodes(
    count: int,
    postgres: PostgresTarget,
    redis_url: str,
    redis_pid: int,
    pairs: int,
    window: int,
    latency_pairs: int,
    seconds: float,
) -> dict[str, Any]:
    url = postgres.database()
    a_tp, b_tp = pair_names(pairs, "t")
    a_lat, b_lat = pair_names(latency_pairs, "l")
    tokens = bulk_accounts(url, a_tp + b_tp + a_lat + b_lat)
    with contextlib.ExitStack() as stack:
        nodes = [
            stack.enter_context(
                start_server(None, database_url=url, redis_url=redis_url, node_name=f"node{i}")
            )
            for i in range(1, count + 1)
        ]
        meter = CpuMeter()
        for node in nodes:
            meter.add("nodes", node.pid)
        meter.add("postgres", postgres.postmaster, children=True)
        meter.add("redis", redis_pid)
        throughput = await _cross_nodes(nodes, a_tp, b_tp, tokens, window, seconds, meter)
        latency = await _cross_nodes(nodes, a_lat, b_lat, tokens, 1, seconds, meter)
        rss = [rnd(node.rss_bytes() / 2**20, 1) for node in nodes]
    return {"nodes": count, "throughput": throughput, "latency": latency, "node_rss_mb": rss}


def _prediction(run: dict[str, Any]) -> dict[str, float | None]:
    """Receipts/s if each node had a core of its own and PostgreSQL and Redis were not
    the limit (the nodes' CPU per receipt is what carries over), and the cores
    PostgreSQL and Redis would then need."""
    parts = run["throughput"]["cpu_s_per_1k_receipts_by_part"]
    nodes_cpu = parts.get("nodes")
    if not nodes_cpu:
        return {"receipts_per_s": None, "postgres_cores": None, "redis_cores": None}
    rate = run["nodes"] * 1000 / nodes_cpu
    return {
        "receipts_per_s": rnd(rate, 0),
        "postgres_cores": rnd(rate * (parts.get("postgres") or 0) / 1000, 2),
        "redis_cores": rnd(rate * (parts.get("redis") or 0) / 1000, 2),
    }


async def run(
    node_counts: list[int],
    pairs: int,
    window: int,
    latency_pairs: int,
    seconds: float,
) -> dict[str, Any]:
    from desktop_chat.bench.engines import RedisEngine

    if not node_counts or min(node_counts) < 1:
        raise ValueError("--nodes takes node counts of 1 or more, such as 1,2,3")
    runs = []
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dcbench-cluster-")))
        postgres = stack.enter_context(PostgresTarget())
        redis = RedisEngine(tmp / "redis")
        stack.callback(redis.stop)
        redis.start()
        assert redis.process is not None
        floors = {
            "throughput": await floor(pairs, window, seconds),
            "latency": await floor(latency_pairs, 1, seconds),
        }
        for count in node_counts:
            runs.append(
                await _with_nodes(
                    count,
                    postgres,
                    redis.url,
                    redis.process.pid,
                    pairs,
                    window,
                    latency_pairs,
                    seconds,
                )
            )
        settings = postgres.settings()
    base = next((r for r in runs if r["nodes"] == 1), runs[0])
    for r in runs:
        r["vs_base"] = {k: ratios(r[k], base[k]) for k in ("throughput", "latency")}
        r["vs_floor"] = {k: ratios(r[k], floors[k]) for k in ("throughput", "latency")}
        r["prediction_separate_machines"] = _prediction(r)
        p99 = r["latency"]["p99_ms"]
        r["latency_bar_met"] = None if r["nodes"] == 1 or p99 is None else p99 < LATENCY_BAR_MS
        r["lost"] = r["throughput"]["lost"] + r["latency"]["lost"]
    return {
        "seconds": seconds,
        "pairs": pairs,
        "window": window,
        "latency_pairs": latency_pairs,
        "base_nodes": base["nodes"],
        "floor": floors,
        "runs": runs,
        "sent": sum(r[k]["sent"] for r in runs for k in ("throughput", "latency")),
        "lost": sum(r["lost"] for r in runs),
        "bar_cross_node_p99_ms": LATENCY_BAR_MS,
        "postgres": settings,
    }


def _figures(name: str, r: dict[str, Any]) -> list[Any]:
    parts = r["cpu_s_per_1k_receipts_by_part"]
    return [
        name,
        r["receipts_per_s"],
        r["p50_ms"],
        r["p99_ms"],
        parts.get("nodes", parts.get("relay")),
        parts.get("postgres"),
        parts.get("redis"),
        r["server_cpu_s_per_1k_receipts"],
        r["server_cpu_pct"],
        r["generator_cpu_pct"],
        r["sent"],
        r["lost"],
    ]


def _ratio_row(name: str, q: dict[str, Any]) -> list[Any]:
    """A ratio: throughput, latency, and the summed server CPU per receipt."""
    row = [name, q["receipts_per_s"], q["p50"], q["p99"], None, None, None]
    return [*row, q["server_cpu_per_receipt"], None, None, None, None]


def _nodes(run: dict[str, Any]) -> str:
    return f"{run['nodes']} node{'s' if run['nodes'] > 1 else ''}"


COLUMNS = [
    "run",
    "receipts/s",
    "p50 ms",
    "p99 ms",
    "nodes CPU s/1k",
    "PG s/1k",
    "Redis s/1k",
    "sum s/1k",
    "srv CPU %",
    "gen CPU %",
    "sent",
    "lost",
]


def render(result: dict[str, Any]) -> str:
    base = result["base_nodes"]
    tables = []
    for kind, title in (
        ("throughput", f"{result['pairs']} pairs × W={result['window']}"),
        ("latency", f"{result['latency_pairs']} pairs × W=1 (latency)"),
    ):
        rows = [_figures("floor (relay)", result["floor"][kind])]
        for r in result["runs"]:
            rows.append(_figures(_nodes(r), r[kind]))
        for r in result["runs"]:
            if r["nodes"] != base:
                rows.append(_ratio_row(f"{r['nodes']} ÷ {base} node", r["vs_base"][kind]))
        for r in result["runs"]:
            rows.append(_ratio_row(f"{_nodes(r)} ÷ floor", r["vs_floor"][kind]))
        tables.append(table(f"cluster: {title}, {result['seconds']} s per run", COLUMNS, rows))
    return "\n".join(tables) + _notes(result)


def _notes(result: dict[str, Any]) -> str:
    pg = result["postgres"]
    lines = [
        "",
        f"Nothing lost: {fmt(result['sent'])} messages sent, {fmt(result['lost'])} without"
        " both receipts (lost) after the drain.",
    ]
    for r in result["runs"]:
        if r["nodes"] > 1:
            verdict = {True: "meets", False: "misses", None: "–"}[r["latency_bar_met"]]
            lines.append(
                f"{r['nodes']} nodes: cross-node read receipt p99 {fmt(r['latency']['p99_ms'])} ms"
                f" at W=1 ({verdict} the bar of < {LATENCY_BAR_MS:g} ms)."
            )
    lines += [
        f"PostgreSQL {pg.get('server_version')}: fsync={pg.get('fsync')},"
        f" synchronous_commit={pg.get('synchronous_commit')},"
        f" full_page_writes={pg.get('full_page_writes')}; Redis with no persistence. Server CPU"
        " is the nodes' plus every PostgreSQL process's plus redis-server's.",
        "",
        "What this predicts for nodes on separate machines: here the nodes, PostgreSQL, Redis"
        " and the load generator share the same cores, so receipts/s cannot grow with the node"
        " count on this machine; the figures that carry over are the CPU per receipt and the"
        " latency (plus a LAN round trip per hop: client → node → Redis → node → client).",
    ]
    for r in result["runs"]:
        p = r["prediction_separate_machines"]
        lines.append(
            f"- {_nodes(r)}, each on a core of its own:"
            f" about {fmt(p['receipts_per_s'])} receipts/s if the nodes are the limit"
            f" (N × 1000 ÷ the nodes' CPU s/1k), which would need {fmt(p['postgres_cores'])}"
            f" cores of PostgreSQL and {fmt(p['redis_cores'])} of Redis at their CPU per receipt."
        )
    return "\n".join(lines) + "\n"
