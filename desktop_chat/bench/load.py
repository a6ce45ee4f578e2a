"""Scenario `load`: many concurrent devices on one server, at a steady rate, nothing lost.

Owns: the workload of issue 6's load test. `devices` accounts (one signed-in
device each, made in bulk as in the other scenarios) are paired; every device
sends one-to-one messages to its partner at `rate` messages a second (with
delivery and read acks requested, the sending times jittered), and acks
delivery and then read for every message it gets, at once. The devices are
spread over `workers` load-generator processes (a pair always lives in one
process, so each process can check its own pairs exactly), so one Python loop
does not bound the load on a 2-core machine.

Reported: messages sent, confirmed (`send_ok`), delivered (at the recipient),
delivery- and read-receipted (at the sender); `lost` (a confirmed message not
received exactly once, or never read-receipted: must be 0), duplicates, errors
by code; p50/p99 from send to the read receipt; the server's RSS before and
after the devices connected (memory per connection) and at the end, and its CPU
over the steady phase.

The server runs with its default per-device rate limits (30 messages and 100
ack frames a second): a steady load stays far under them, and any
`RATE_LIMITED` refusal would show in `errors`.

Never: run unbounded: sign-in, the run and the drain each have a deadline, and
a worker that does not answer is killed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import msgspec

from desktop_chat.bench.common import (
    Proc,
    bulk_accounts,
    close_all,
    encode,
    percentile,
    raise_fd_limit,
    rnd,
    signed_in,
    start_server,
    table,
)
from desktop_chat.wire_client import WireClient

DRAIN_SECONDS = 15.0
SIGN_IN_SECONDS = 300.0
_decode = msgspec.json.decode


# ---------------------------------------------------------------------- one worker


class _Device:
    __slots__ = ("client", "confirmed", "got", "name", "partner", "read", "receipted", "sent_at")

    def __init__(self, client: WireClient, name: str, partner: str) -> None:
        self.client = client
        self.name = name
        self.partner = partner
        self.sent_at: dict[str, float] = {}
        self.confirmed: set[str] = set()
        self.receipted: set[str] = set()  # delivery receipts at the sender
        self.read: set[str] = set()  # read receipts at the sender
        self.got: Counter[str] = Counter()  # messages received from the partner


class _Worker:
    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.sending = True
        self.measuring = False
        self.latencies: list[float] = []
        self.errors: Counter[str] = Counter()
        self.sent = 0
        self.frames = 0

    async def send_loop(self, device: _Device, index: int) -> None:
        clock = time.perf_counter
        period = 1.0 / self.rate
        await asyncio.sleep(random.random() * period)  # spread the devices over a period
        due = clock()
        count = 0
        while self.sending:
            count += 1
            msg_id = f"{device.name}m{count:08d}"
            device.sent_at[msg_id] = clock()
            self.sent += 1
            await device.client.send(
                encode(
                    {
                        "type": "send",
                        "id": f"s{count}",
                        "msg_id": msg_id,
                        "chat_type": "chat",
                        "to": device.partner,
                        "body": {"kind": "text", "text": f"load {index} {count}"},
                        "local_time": 0,
                        "need_delivery_ack": True,
                        "need_read_ack": True,
                    }
                )
            )
            due += period
            delay = due - clock()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                due = clock()  # behind: do not burst to catch up

    async def read_loop(self, device: _Device) -> None:
        ws = device.client.ws
        acks = 0
        clock = time.perf_counter
        while True:
            data = await ws.recv(decode=False)
            self.frames += 1
            frame = _decode(data)
            kind = frame.get("type")
            if kind == "message":
                msg_id = frame["message"]["msg_id"]
                device.got[msg_id] += 1
                acks += 1
                await ws.send(
                    encode({"type": "delivery_ack", "id": f"d{acks}", "msg_ids": [msg_id]}),
                    text=True,
                )
                await ws.send(
                    encode({"type": "read_ack", "id": f"r{acks}", "msg_ids": [msg_id]}),
                    text=True,
                )
                self.frames += 2
            elif kind == "send_ok":
                device.confirmed.add(frame["msg_id"])
            elif kind == "delivered":
                device.receipted.update(frame["msg_ids"])
            elif kind == "read":
                now = clock()
                for msg_id in frame["msg_ids"]:
                    if msg_id in device.read:
                        continue
                    device.read.add(msg_id)
                    started = device.sent_at.get(msg_id)
                    if started is not None and self.measuring:
                        self.latencies.append(now - started)
            elif kind == "error":
                self.errors[str(frame.get("code"))] += 1


async def _work(
    url: str, names: list[str], tokens: list[str], rate: float, seconds: float
) -> dict[str, Any]:
    raise_fd_limit()
    worker = _Worker(rate)
    clients = await signed_in(url, tokens, limit=32)
    devices = []
    for index, (client, name) in enumerate(zip(clients, names, strict=True)):
        partner = names[index ^ 1]
        devices.append(_Device(client, name, partner))
    loop = asyncio.get_running_loop()
    print("ready", flush=True)
    await loop.run_in_executor(None, sys.stdin.readline)  # the parent's "go"
    readers = [asyncio.create_task(worker.read_loop(d)) for d in devices]
    worker.measuring = True
    senders = [asyncio.create_task(worker.send_loop(d, i)) for i, d in enumerate(devices)]
    started = time.perf_counter()
    await asyncio.sleep(seconds)
    worker.sending = False
    await asyncio.gather(*senders, return_exceptions=True)
    send_seconds = time.perf_counter() - started
    reader_errors = await _drain(worker, devices, readers)
    tally = _tally(devices)
    await close_all(clients)
    return {
        "devices": len(devices),
        "sent": worker.sent,
        **tally,
        "errors": dict(worker.errors),
        "reader_errors": reader_errors[:5],
        "send_seconds": send_seconds,
        "frames_received": worker.frames,
        "latencies": worker.latencies,
    }


async def _drain(
    worker: _Worker, devices: list[_Device], readers: list[asyncio.Task[None]]
) -> list[str]:
    """Until every sent message is confirmed and read-receipted, within a bound; then
    stop the readers. Returns what the readers that failed raised."""
    deadline = time.monotonic() + DRAIN_SECONDS
    while time.monotonic() < deadline:
        if all(len(d.read) >= len(d.sent_at) for d in devices) or any(r.done() for r in readers):
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.3)  # late duplicates, if any, would arrive now
    worker.measuring = False
    reader_errors = [
        f"{type(r.exception()).__name__}: {r.exception()}"
        for r in readers
        if r.done() and not r.cancelled() and r.exception() is not None
    ]
    for task in readers:
        task.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    return reader_errors


def _tally(devices: list[_Device]) -> dict[str, int]:
    """Each pair checked exactly: what was confirmed, delivered, receipted and lost."""
    by_name = {d.name: d for d in devices}
    confirmed = delivered = receipted = read = lost = duplicates = unconfirmed = 0
    for d in devices:
        peer = by_name[d.partner]
        confirmed += len(d.confirmed)
        receipted += len(d.receipted & d.confirmed)
        read += len(d.read & d.confirmed)
        unconfirmed += len(d.sent_at) - len(d.confirmed)
        for msg_id in d.confirmed:
            times = peer.got.get(msg_id, 0)
            if times != 1 or msg_id not in d.read:
                lost += 1
        delivered += sum(1 for msg_id in peer.got if msg_id in d.sent_at)
        duplicates += sum(n - 1 for n in peer.got.values() if n > 1)
    return {
        "confirmed": confirmed,
        "unconfirmed": unconfirmed,
        "delivered": delivered,
        "delivery_receipted": receipted,
        "read_receipted": read,
        "lost": lost,
        "duplicates": duplicates,
    }


def worker_main(argv: list[str]) -> int:
    args = argparse.ArgumentParser()
    args.add_argument("--url", required=True)
    args.add_argument("--accounts", type=Path, required=True)
    args.add_argument("--rate", type=float, required=True)
    args.add_argument("--seconds", type=float, required=True)
    ns = args.parse_args(argv)
    accounts = json.loads(ns.accounts.read_text())
    result = asyncio.run(_work(ns.url, accounts["names"], accounts["tokens"], ns.rate, ns.seconds))
    sys.stdout.write("result " + json.dumps(result) + "\n")
    sys.stdout.flush()
    return 0


# ---------------------------------------------------------------------- the parent


def _readline(proc: subprocess.Popen[str], deadline: float) -> str:
    """One line from a worker (the worker only prints `ready` and `result ...`)."""
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line: str = proc.stdout.readline()
        if line:
            return line.strip()
        if proc.poll() is not None:
            err = proc.stderr.read() if proc.stderr else ""
            raise RuntimeError(f"a load worker exited ({proc.returncode}): {err[-2000:]}")
    raise RuntimeError("a load worker did not answer in time")


@dataclasses.dataclass
class _Steady:
    """The server over the steady phase, from the workers' "go" to its end."""

    sign_in_s: float
    rss_connected: int
    rss_peak: int
    cpu_steady: float
    steady_s: float


def _spawn_workers(
    procs: list[subprocess.Popen[str]],
    tmp: str,
    names: list[str],
    tokens: dict[str, str],
    workers: int,
    url: str,
    rate: float,
    seconds: float,
) -> None:
    """Start `workers` load processes into `procs`, the pairs spread evenly over them."""
    pairs = len(names) // 2
    start = 0
    for index in range(workers):
        count = 2 * (pairs // workers + (1 if index < pairs % workers else 0))
        mine = names[start : start + count]
        start += count
        accounts = Path(tmp) / f"worker{index}.json"
        accounts.write_text(json.dumps({"names": mine, "tokens": [tokens[n] for n in mine]}))
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "desktop_chat.bench.load",
                    "--url",
                    url,
                    "--accounts",
                    str(accounts),
                    "--rate",
                    str(rate),
                    "--seconds",
                    str(seconds),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )


def _steady_phase(server: Proc, procs: list[subprocess.Popen[str]], seconds: float) -> _Steady:
    """Wait for every worker's sign-in, say "go", and watch the server while they send."""
    sign_in_started = time.perf_counter()
    deadline = time.monotonic() + SIGN_IN_SECONDS
    for proc in procs:
        if _readline(proc, deadline) != "ready":
            raise RuntimeError("a load worker did not sign in")
    sign_in_s = time.perf_counter() - sign_in_started
    time.sleep(0.5)
    rss_connected = server.rss_bytes()
    cpu0, t0 = server.cpu_seconds(), time.perf_counter()
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    rss_peak = rss_connected
    steady_end = t0 + seconds
    while time.perf_counter() < steady_end:
        time.sleep(min(0.5, max(0.0, steady_end - time.perf_counter())))
        rss_peak = max(rss_peak, server.rss_bytes())
    cpu_steady = server.cpu_seconds() - cpu0
    steady_s = time.perf_counter() - t0
    return _Steady(sign_in_s, rss_connected, rss_peak, cpu_steady, steady_s)


def _results(procs: list[subprocess.Popen[str]]) -> list[dict[str, Any]]:
    """Each worker's result line, once it has drained."""
    results = []
    deadline = time.monotonic() + DRAIN_SECONDS + 60
    for proc in procs:
        line = _readline(proc, deadline)
        if not line.startswith("result "):
            raise RuntimeError(f"a load worker said {line[:200]!r}")
        results.append(json.loads(line[len("result ") :]))
    return results


def _stop_workers(procs: list[subprocess.Popen[str]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


def run(devices: int, seconds: float, rate: float, workers: int) -> dict[str, Any]:
    if devices < 2 or devices % 2:
        raise ValueError("--devices must be an even number of at least 2 (devices are paired)")
    workers = max(1, min(workers, devices // 2))
    raise_fd_limit()  # inherited by the server and the workers
    names = [f"ld{i}" for i in range(devices)]
    procs: list[subprocess.Popen[str]] = []
    with tempfile.TemporaryDirectory(prefix="dcbench-load-") as tmp:
        db = Path(tmp) / "load.db"
        tokens = bulk_accounts(db, names)
        with start_server(db, rate_limits=True) as server:
            time.sleep(0.3)
            rss_idle = server.rss_bytes()
            try:
                _spawn_workers(procs, tmp, names, tokens, workers, server.url, rate, seconds)
                steady = _steady_phase(server, procs, seconds)
                results = _results(procs)
                rss_end = server.rss_bytes()
                for proc in procs:
                    proc.wait(30)
            finally:
                _stop_workers(procs)
    return _summary(devices, workers, seconds, rate, results, steady, rss_idle, rss_end)


def _totals(results: list[dict[str, Any]]) -> tuple[dict[str, int], Counter[str]]:
    """The workers' counts added up, and their errors by code."""
    total = {
        key: sum(r[key] for r in results)
        for key in (
            "sent",
            "confirmed",
            "unconfirmed",
            "delivered",
            "delivery_receipted",
            "read_receipted",
            "lost",
            "duplicates",
            "frames_received",
        )
    }
    errors: Counter[str] = Counter()
    for r in results:
        errors.update(r["errors"])
    return total, errors


def _summary(
    devices: int,
    workers: int,
    seconds: float,
    rate: float,
    results: list[dict[str, Any]],
    steady: _Steady,
    rss_idle: int,
    rss_end: int,
) -> dict[str, Any]:
    """The workers' results added up, with the server's figures."""
    latencies = [x for r in results for x in r["latencies"]]
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    total, errors = _totals(results)
    cpu_steady, steady_s, rss_connected = steady.cpu_steady, steady.steady_s, steady.rss_connected
    return {
        "devices": devices,
        "workers": workers,
        "seconds": seconds,
        "rate_per_device": rate,
        "rate_limits": "server defaults (30 msg/s, 100 ack frames/s per device)",
        **total,
        "errors": dict(errors),
        "reader_errors": [e for r in results for e in r["reader_errors"]][:5],
        "messages_per_s": rnd(total["confirmed"] / steady_s, 1),
        "p50_ms": rnd(p50 * 1000 if p50 is not None else None, 2),
        "p99_ms": rnd(p99 * 1000 if p99 is not None else None, 2),
        "max_ms": rnd(max(latencies) * 1000 if latencies else None, 2),
        "sign_in_s": rnd(steady.sign_in_s, 2),
        "server_rss_idle_mb": rnd(rss_idle / 2**20, 1),
        "server_rss_connected_mb": rnd(rss_connected / 2**20, 1),
        "server_rss_peak_mb": rnd(steady.rss_peak / 2**20, 1),
        "server_rss_end_mb": rnd(rss_end / 2**20, 1),
        "server_kib_per_connection": rnd((rss_connected - rss_idle) / 1024 / devices, 1),
        "server_cpu_s": rnd(cpu_steady, 2),
        "server_cpu_pct": rnd(cpu_steady / steady_s * 100, 1),
        "server_cpu_ms_per_message": rnd(cpu_steady / total["confirmed"] * 1000, 3)
        if total["confirmed"]
        else None,
    }


def render(result: dict[str, Any]) -> str:
    errors = ", ".join(f"{k} {v}" for k, v in sorted(result["errors"].items())) or "none"
    rows = [
        ["devices (load workers)", f"{result['devices']:,} ({result['workers']})"],
        ["steady phase, s", result["seconds"]],
        ["rate per device, msg/s", result["rate_per_device"]],
        ["rate limits", result["rate_limits"]],
        ["sign-in of every device, s", result["sign_in_s"]],
        ["messages sent", result["sent"]],
        ["confirmed (send_ok)", result["confirmed"]],
        ["delivered (at recipient)", result["delivered"]],
        ["delivery receipts at sender", result["delivery_receipted"]],
        ["read receipts at sender", result["read_receipted"]],
        ["lost (must be 0)", result["lost"]],
        ["duplicates", result["duplicates"]],
        ["errors", errors],
        ["confirmed messages/s", result["messages_per_s"]],
        ["send→read receipt p50 / p99 / max, ms", _triple(result)],
        ["server RSS idle / connected / peak, MB", _rss(result)],
        ["server memory per connection, KiB", result["server_kib_per_connection"]],
        ["server CPU, % of a core", result["server_cpu_pct"]],
        ["server CPU per message, ms", result["server_cpu_ms_per_message"]],
    ]
    return table("load", ["figure", "value"], rows)


def _triple(result: dict[str, Any]) -> str:
    return " / ".join(
        "–" if result[k] is None else f"{result[k]:.2f}" for k in ("p50_ms", "p99_ms", "max_ms")
    )


def _rss(result: dict[str, Any]) -> str:
    return " / ".join(
        f"{result[k]:.1f}"
        for k in ("server_rss_idle_mb", "server_rss_connected_mb", "server_rss_peak_mb")
    )


if __name__ == "__main__":
    sys.exit(worker_main(sys.argv[1:]))
