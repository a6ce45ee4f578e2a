"""The `desktop-chat-bench` command.

Owns: the command line, one subcommand per scenario (`receipts`, `group`, `ackstats`,
`batching`, `ui`, `load`, `files`, `cluster`, `app`) plus `all` (all but
`cluster`, which starts PostgreSQL and Redis, and `app`, whose chat phase alone
is 10 minutes), with `--quick` (tiny sizes and short runs, for the test suite) and `--json FILE`;
it prints one table per scenario and writes every figure, with the machine it
ran on, as JSON. SIGTERM stops a run as Ctrl-C does: every server and engine it
started stops.

Never: fail silently: a scenario that fails makes the exit status 1, and its
error is in the JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from desktop_chat.bench import (
    ackstats,
    app,
    batching,
    cluster,
    files,
    group,
    load,
    receipts,
    ui,
)
from desktop_chat.bench.common import machine

QUICK: dict[str, dict[str, Any]] = {
    "receipts": {"pairs": [2], "window": [4], "seconds": 0.5},
    "group": {"members": [20]},
    "ackstats": {"members": 200, "runs": 5, "walks": 2},
    "batching": {"messages": 50, "repeat": 1},
    "ui": {"messages": 2000, "storm_seconds": 0.5, "frames": 20},
    "load": {"devices": 20, "seconds": 2.0, "rate": 5.0, "workers": 2},
    "files": {"mib": 4.0, "clients": 3, "client_mib": 2.0, "rounds": 1},
    "cluster": {"pairs": 2, "window": 4, "latency_pairs": 2, "seconds": 0.5},
    "app": {
        "conversations": 12,
        "messages": 120,
        "switches": 3,
        "idle_seconds": 1.0,
        "burst_rate": 100.0,
        "burst_seconds": 1.0,
        "chat_minutes": 0.05,
    },
}


def _receipts(args: argparse.Namespace) -> dict[str, Any]:
    return asyncio.run(
        receipts.run(
            args.pairs,
            args.window,
            args.seconds,
            args.profile,
            backend=args.backend,
            database_url=args.database,
            preload=args.preload,
        )
    )


def _group(args: argparse.Namespace) -> dict[str, Any]:
    return asyncio.run(group.run(args.members))


def _ackstats(args: argparse.Namespace) -> dict[str, Any]:
    return asyncio.run(ackstats.run(args.members, args.runs, args.walks))


def _batching(args: argparse.Namespace) -> dict[str, Any]:
    return asyncio.run(batching.run(args.messages, args.repeat))


def _ui(args: argparse.Namespace) -> dict[str, Any]:
    return ui.run(args.messages, args.storm_seconds, args.frames)


def _load(args: argparse.Namespace) -> dict[str, Any]:
    return load.run(args.devices, args.seconds, args.rate, args.workers)


def _files(args: argparse.Namespace) -> dict[str, Any]:
    return asyncio.run(files.run(args.mib, args.clients, args.client_mib, args.rounds))


def _cluster(args: argparse.Namespace) -> dict[str, Any]:
    return asyncio.run(
        cluster.run(args.nodes, args.pairs, args.window, args.latency_pairs, args.seconds)
    )


def _app(args: argparse.Namespace) -> dict[str, Any]:
    return app.run(
        conversations=args.conversations,
        messages=args.messages,
        switches=args.switches,
        idle_seconds=args.idle_seconds,
        burst_rate=args.burst_rate,
        burst_seconds=args.burst_seconds,
        chat_minutes=args.chat_minutes,
    )


SCENARIOS: dict[
    str, tuple[Callable[[argparse.Namespace], dict[str, Any]], Callable[[dict[str, Any]], str]]
] = {
    "receipts": (_receipts, receipts.render),
    "group": (_group, group.render),
    "ackstats": (_ackstats, ackstats.render),
    "batching": (_batching, batching.render),
    "ui": (_ui, ui.render),
    "load": (_load, load.render),
    "files": (_files, files.render),
    "cluster": (_cluster, cluster.render),
    "app": (_app, app.render),
}


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    parser.add_argument(
        "--quick", action="store_true", help="tiny sizes and short runs (for the test suite)"
    )


def _add_receipts(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pairs", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--window", type=int, nargs="+", default=[1, 32])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument(
        "--profile", type=Path, default=None, help="run the server under cProfile, into DIR"
    )
    parser.add_argument(
        "--backend",
        choices=["sqlite", "postgres"],
        default="sqlite",
        help="postgres: a single PostgreSQL node too, in the same run, against the SQLite"
        " server and the floor (a private PostgreSQL with fsync on, unless --database)",
    )
    parser.add_argument(
        "--database",
        default=None,
        metavar="URL",
        help="with --backend postgres: this PostgreSQL on 127.0.0.1 instead of a private"
        " one (its CPU is counted; the bench's accounts stay in that database)",
    )
    parser.add_argument(
        "--preload",
        type=int,
        default=0,
        metavar="N",
        help="also run each case on a SQLite database already holding N messages and"
        " 10,000 users (written through the store first), and time the server's start",
    )


def _add_group(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--members", type=int, nargs="+", default=[100, 1000, 10000])


def _add_ackstats(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=50, help="fetch_group_ack_stats requests")
    parser.add_argument("--walks", type=int, default=5, help="fetch_group_acks page walks")


def _add_batching(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)


def _add_ui(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--storm-seconds", type=float, default=3.0)
    parser.add_argument("--frames", type=int, default=300)


def _add_load(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--devices", type=int, default=1000, help="concurrent devices (even)")
    parser.add_argument("--seconds", type=float, default=60.0, help="the steady phase")
    parser.add_argument(
        "--rate", type=float, default=1.0, help="messages a second sent by each device"
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="load-generator processes holding the devices"
    )


def _add_files(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--mib", type=float, default=100.0, help="the file sent up and down")
    parser.add_argument(
        "--clients", type=int, default=20, help="clients uploading at once (the memory run)"
    )
    parser.add_argument(
        "--client-mib", type=float, default=20.0, help="the file each of those clients uploads"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="up and down, ours and bare: the median is shown"
    )


def _node_counts(text: str) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        counts = []
    if not counts or min(counts) < 1 or max(counts) > 16:
        raise argparse.ArgumentTypeError("node counts from 1 to 16, such as 1,2,3")
    return counts


def _add_cluster(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--nodes", type=_node_counts, default=[1, 2, 3], help="node counts to run (1,2,3)"
    )
    parser.add_argument("--pairs", type=int, default=100, help="pairs of the throughput run")
    parser.add_argument("--window", type=int, default=8, help="in flight per pair (throughput)")
    parser.add_argument(
        "--latency-pairs", type=int, default=100, help="pairs of the latency run (W=1)"
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="measured time of each run")


def _add_app(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--messages", type=int, default=100_000, help="history, in all")
    parser.add_argument("--switches", type=int, default=20, help="chat switches timed")
    parser.add_argument("--idle-seconds", type=float, default=20.0)
    parser.add_argument("--burst-rate", type=float, default=1000.0, help="messages a second")
    parser.add_argument("--burst-seconds", type=float, default=10.0)
    parser.add_argument("--chat-minutes", type=float, default=10.0, help="before the RSS")


ADDERS = {
    "receipts": _add_receipts,
    "group": _add_group,
    "ackstats": _add_ackstats,
    "batching": _add_batching,
    "ui": _add_ui,
    "load": _add_load,
    "files": _add_files,
    "cluster": _add_cluster,
    "app": _add_app,
}
# `all` runs what needs only this package; `cluster` starts PostgreSQL and Redis.
ALL = ["receipts", "group", "batching", "ui", "load", "files"]


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="desktop-chat-bench",
        description="desktop_chat benchmarks against a real server on 127.0.0.1",
    )
    sub = root.add_subparsers(dest="scenario", required=True)
    for name, add in ADDERS.items():
        p = sub.add_parser(name, help=f"the {name} scenario")
        add(p)
        _common(p)
    every = sub.add_parser("all", help="every scenario but cluster and app, with its defaults")
    _common(every)
    return root


def _args_for(name: str, args: argparse.Namespace) -> argparse.Namespace:
    """The scenario's arguments: its defaults under `all`, QUICK sizes with --quick."""
    if args.scenario == name:
        own = argparse.Namespace(**vars(args))
    else:
        scenario = argparse.ArgumentParser()
        ADDERS[name](scenario)
        own = scenario.parse_args([])
    if args.quick:
        for key, value in QUICK[name].items():
            setattr(own, key, value)
    return own


def _stop_on_sigterm(signum: int, frame: object) -> None:
    # As Ctrl-C: every scenario's cleanup runs (the servers and engines it started stop).
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    names = ALL if args.scenario == "all" else [args.scenario]
    report: dict[str, Any] = {
        "machine": machine(),
        "quick": bool(args.quick),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "scenarios": {},
    }
    status = 0
    for name in names:
        run, render = SCENARIOS[name]
        started = time.perf_counter()
        try:
            result = run(_args_for(name, args))
        except Exception as exc:
            traceback.print_exc()
            report["scenarios"][name] = {"error": f"{type(exc).__name__}: {exc}"}
            status = 1
            continue
        result["wall_seconds"] = round(time.perf_counter() - started, 1)
        report["scenarios"][name] = result
        print(render(result), flush=True)
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
