"""Scenario `files`: a file up and down through the real server, against a bare
websocket copy of the same bytes, and the server's memory while many clients upload.

Owns, in one run:
- `throughput`: a file of random bytes (100 MiB by default) uploaded and downloaded
  through a real server, once per store of `files_report.STORES` (the default, chunks
  in the SQLite file, and the same server with a `blob_dir`), by the client core's
  own code (its `Connection`, then `attachments.prepare` and `attachments.upload`, a
  `send`, and `downloads.download` by the recipient), in chunks of the server's
  `max_chunk_bytes`, `attachments.upload_window` (up) and `window` (down) of them in
  flight; and the same bytes through a bare websockets server (`floor`): the same
  chunks as binary frames, as many in flight, one small ack for each (as
  `upload_state` answers each `upload_chunk`), then back, one small request for each
  chunk (as `download`).
  Three rounds, each a new file through all; the median of each figure, and each
  store's ÷ floor of the medians (the bar: 0.5×);
- `memory`: a fresh server while N clients (20) each upload a file of their own at
  once: its VmRSS read from /proc every 50 ms (on a thread, so a busy event loop
  skips no sample), before and at the peak, and the growth against N × window × chunk
  (what can be in flight) and N × file size: the claim checked is that it stays
  bounded by the chunks in flight, not the file.

The servers are children of this module (`serve`, `bare`), on 127.0.0.1, port 0.
`desktop-chat-server` has no option for the upload rate, so `serve` runs its
`ChatServer` on a fresh SQLite file with the production defaults but the upload rate
(1 TiB/s, its bucket still taken per chunk), the largest file and the quota (raised
to fit), and the per-device message rate limits (off, as `start_server` does).

Never: talk to anything but 127.0.0.1, wait without a bound, or keep a file after the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any

import msgspec
import psutil
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve

from desktop_chat.bench.common import HOST, Proc, bulk_accounts, ratio, rnd
from desktop_chat.bench.files_report import BAR, MEMORY_BAR, STORES
from desktop_chat.bench.files_report import render as render
from desktop_chat.client import attachments, downloads
from desktop_chat.client.connection import Connection
from desktop_chat.client.models import FileMessageBody
from desktop_chat.protocol import frames as f
from desktop_chat.server.config import ServerConfig

MiB = 2**20
UNTHROTTLED = 2**40  # the upload rate (bytes a second) and burst of the bench's server
SAMPLE_SECONDS = 0.05
MAX_SAMPLES = 100_000
REQUEST_SECONDS = 60.0  # one request, one chunk of the floor
FRAME_LIMIT = 4 * MiB  # the chat server's websockets max_size (max_frame_bytes × 4)
encode = msgspec.json.Encoder().encode
decode = msgspec.json.Decoder().decode


# ---------------------------------------------------------------------- the children
def _server_config(db: Path, max_file: int, quota: int, blob_dir: Path | None) -> ServerConfig:
    free: dict[str, Any] = {"rate_messages_per_second": 0.0, "rate_acks_per_second": 0.0}
    free |= {"upload_bytes_per_second": UNTHROTTLED, "upload_burst_bytes": UNTHROTTLED}
    config = ServerConfig(host=HOST, port=0, db_path=db, blob_dir=blob_dir, **free)
    return dataclasses.replace(
        config,
        max_file_bytes=max(config.max_file_bytes, max_file),
        quota_bytes_per_user=max(config.quota_bytes_per_user, quota),
        max_unauthenticated_per_address=100_000,
    )


def _stopped() -> asyncio.Event:
    """An event set by SIGINT or SIGTERM."""
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    return stop


async def _serve(db: Path, max_file: int, quota: int, blob_dir: Path | None) -> None:
    from desktop_chat.server.app import ChatServer

    stop = _stopped()
    server = ChatServer(_server_config(db, max_file, quota, blob_dir))
    await server.start()
    print(f"listening on {server.url}", flush=True)
    try:
        await stop.wait()
    finally:
        await server.stop()


async def _bare(source: Path) -> None:
    """Acks each binary frame with the bytes that came so far; answers each text
    request ({offset, length}) with those bytes of `source`, as one binary frame."""
    stop = _stopped()

    async def handle(ws: ServerConnection) -> None:
        received = 0
        with open(source, "rb") as file:
            async for data in ws:
                if isinstance(data, bytes):
                    received += len(data)
                    await ws.send(encode({"type": "ack", "received": received}).decode())
                else:
                    ask = decode(data)
                    file.seek(ask["offset"])
                    await ws.send(file.read(ask["length"]))

    async with serve(handle, HOST, 0, compression=None, max_size=FRAME_LIMIT) as server:
        print(f"listening on ws://{HOST}:{server.sockets[0].getsockname()[1]}", flush=True)
        await stop.wait()


def child_main(argv: list[str]) -> int:
    """`python -m desktop_chat.bench.files serve DB MAX_FILE QUOTA [BLOB_DIR]` or `... bare
    SOURCE`: one of the servers, on the loop `desktop-chat-server` runs (uvloop if there)."""
    from desktop_chat.server.cli import event_loop_factory

    if argv[:1] == ["serve"] and len(argv) in (4, 5):
        blob_dir = Path(argv[4]) if len(argv) == 5 else None
        main = _serve(Path(argv[1]), int(argv[2]), int(argv[3]), blob_dir)
    elif argv[:1] == ["bare"] and len(argv) == 2:
        main = _bare(Path(argv[1]))
    else:
        print(child_main.__doc__, file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
        runner.run(main)
    return 0


def _child(name: str, *args: object) -> Proc:
    return Proc([sys.executable, "-m", "desktop_chat.bench.files", *map(str, args)], name)


# ---------------------------------------------------------------------- helpers
def _random_file(path: Path, size: int) -> Path:
    with open(path, "wb") as file:
        for offset in range(0, size, MiB):
            file.write(os.urandom(min(MiB, size - offset)))
    return path


def _deadline(size: int) -> float:
    return 60.0 + size / MiB  # a transfer of `size` bytes: a minute, plus 1 s a MiB


def _me_cpu() -> float:
    return sum(psutil.Process().cpu_times()[:2])  # user + system


async def _signed_in(url: str, token: str) -> Connection:
    """The client core's own connection (hello), signed in with `resume`; pushes (bob's
    `message`) are dropped: the bench has no use for them."""
    conn = await Connection.open(
        url, lambda pushes: None, timeout=REQUEST_SECONDS, ping_interval=20.0, ping_timeout=20.0
    )
    try:
        await conn.request(f.Resume(id="", token=token))
    except BaseException:
        conn.abort()
        raise
    return conn


def _rate(size: int, seconds: float) -> float | None:
    return rnd(size / MiB / seconds, 1) if seconds > 0 else None


def _reset_hwm(pid: int) -> bool:
    """Reset the process's VmHWM to its RSS now (Linux's clear_refs, value 5)."""
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    return False


def _vm(pid: int, field: str) -> int | None:
    """A `Vm...` line of /proc/PID/status, in bytes (None once the process is gone)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) * 1024
    return None


# ---------------------------------------------------------------------- throughput
async def _windowed(ws: Any, frames: Iterable[Any], each: Callable[..., Any], most: int) -> None:
    """Send `frames`, `most` unanswered at most; each reply, in order, to `each`."""
    waiting = 0
    for frame in frames:
        await ws.send(frame)
        if (waiting := waiting + 1) == most:
            each(await asyncio.wait_for(ws.recv(decode=False), REQUEST_SECONDS))
            waiting -= 1
    for _ in range(waiting):
        each(await asyncio.wait_for(ws.recv(decode=False), REQUEST_SECONDS))


async def floor(url: str, path: Path, chunk: int, out: Path) -> dict[str, Any]:
    """The same bytes through the bare server, as many chunks in flight as ours: up in
    chunks (an ack each), then down."""
    size = path.stat().st_size
    offsets, acks = range(0, size, chunk), list[bytes]()
    up_window, down_window = attachments.upload_window(chunk), attachments.window(chunk)
    async with connect(url, compression=None, max_size=64 * MiB, open_timeout=30) as ws:
        cpu0, t0 = _me_cpu(), time.perf_counter()
        with open(path, "rb") as file:
            await _windowed(ws, (file.read(chunk) for _ in offsets), acks.append, up_window)
        if decode(acks[-1])["received"] != size or len(acks) != len(offsets):
            raise RuntimeError(f"the bare server acked {acks[-1]!r} of {size} bytes")
        up, cpu1 = time.perf_counter() - t0, _me_cpu()
        t1 = time.perf_counter()
        with open(out, "wb") as file:
            asks = (encode({"offset": n, "length": chunk}).decode() for n in offsets)
            await _windowed(ws, asks, file.write, down_window)
        down, cpu2 = time.perf_counter() - t1, _me_cpu()
    if out.stat().st_size != size:
        raise RuntimeError(f"the bare copy came back with {out.stat().st_size} of {size} bytes")
    out.unlink()
    return _transfer_figures(size, up, down, cpu1 - cpu0, cpu2 - cpu1)


def _transfer_figures(
    size: int, up: float, down: float, client_up: float, client_down: float
) -> dict[str, Any]:
    figures = {"upload_s": rnd(up, 3), "download_s": rnd(down, 3)}
    figures |= {"upload_mib_per_s": _rate(size, up), "download_mib_per_s": _rate(size, down)}
    return figures | {
        "client_cpu_upload_s": rnd(client_up, 3),
        "client_cpu_download_s": rnd(client_down, 3),
    }


async def _up_and_down(
    server: Proc, alice: Connection, bob: Connection, path: Path, folder: Path
) -> dict[str, Any]:
    """alice uploads `path` and sends it to bob; bob downloads it: the timings."""
    chunk = alice.limits.max_chunk_bytes
    body = FileMessageBody(path.name, 0, local_path=str(path))
    t0 = time.perf_counter()
    await attachments.prepare(body)  # the whole file's sha256, as a send does first
    prepare_s = time.perf_counter() - t0
    deadline = _deadline(body.file_size)
    cpu0, srv0, t0 = _me_cpu(), server.cpu_seconds(), time.perf_counter()
    async with asyncio.timeout(deadline):
        if not await attachments.upload(
            alice.request, body, chunk, prefix=alice.limits.upload_prefix_sha256
        ):
            raise RuntimeError("the upload stopped before it ended")
    up, cpu1, srv1 = time.perf_counter() - t0, _me_cpu(), server.cpu_seconds()
    msg_id = f"files{os.getpid()}x{time.time_ns()}"
    await alice.request(
        f.SendMessage(
            id="", msg_id=msg_id, chat_type="chat", to="bob", body=attachments.to_wire(body)
        )
    )
    got = FileMessageBody(body.display_name, body.file_size, body.sha256, body.mime)
    srv2, t1 = server.cpu_seconds(), time.perf_counter()
    async with asyncio.timeout(deadline):
        saved = await downloads.download(bob.request, msg_id, got, folder, chunk)
    down, cpu2, srv3 = time.perf_counter() - t1, _me_cpu(), server.cpu_seconds()
    if saved.stat().st_size != body.file_size:
        raise RuntimeError(f"the download saved {saved.stat().st_size} of {body.file_size}")
    saved.unlink()
    result = _transfer_figures(body.file_size, up, down, cpu1 - cpu0, cpu2 - cpu1)
    result |= {"server_cpu_upload_s": rnd(srv1 - srv0, 3), "prepare_s": rnd(prepare_s, 3)}
    return result | {"server_cpu_download_s": rnd(srv3 - srv2, 3)}


async def _round(
    tmp: Path, r: int, size: int, servers: dict[str, tuple[Proc, Connection, Connection]]
) -> dict[str, Any]:
    """One round: a new file through the bare server (the floor), then through each of
    ours (which goes first alternates round by round)."""
    path = _random_file(tmp / f"upload{r}.bin", size)
    result: dict[str, Any] = {}
    try:
        chunk = next(iter(servers.values()))[1].limits.max_chunk_bytes
        with _child("bare websockets server", "bare", path) as bare:
            result["floor"] = await floor(bare.url, path, chunk, tmp / "floor-copy.bin")
        names = list(servers) if r % 2 == 0 else list(reversed(servers))
        for name in names:
            server, alice, bob = servers[name]
            result[name] = await _up_and_down(server, alice, bob, path, tmp / "downloads")
    finally:
        path.unlink(missing_ok=True)
    return result | {f"ratio_{n}": _ratios(result[n], result["floor"]) for n in servers}


def _ratios(result: dict[str, Any], base: dict[str, Any]) -> dict[str, float | None]:
    ways = ("upload", "download")
    return {w: rnd(ratio(result[f"{w}_mib_per_s"], base[f"{w}_mib_per_s"]), 3) for w in ways}


def _median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Figure by figure, the median of the rounds (None where no round has one)."""
    known = {k: [r[k] for r in runs if r[k] is not None] for k in runs[0]}
    return {k: statistics.median(v) if v else None for k, v in known.items()}


def _met(ratios: dict[str, float | None]) -> bool:
    return all(q is not None and q >= BAR for q in ratios.values())


async def throughput(tmp: Path, size: int, rounds: int) -> dict[str, Any]:
    """`rounds` rounds through each store's server (a fresh SQLite file each, two signed-in
    clients each); the median of each figure, and each store's ÷ floor of the medians."""
    servers: dict[str, tuple[Proc, Connection, Connection]] = {}
    conns: list[Connection] = []
    with contextlib.ExitStack() as children:
        try:
            for name, blobs in STORES:
                db = tmp / f"files-{name}.db"
                tokens = bulk_accounts(db, ["alice", "bob"])
                args = [db, size, 2 * size * rounds, *([tmp / blobs] if blobs else [])]
                server = children.enter_context(
                    _child(f"desktop-chat-server ({name})", "serve", *args)
                )
                pair = [await _signed_in(server.url, tokens[n]) for n in ("alice", "bob")]
                conns += pair
                servers[name] = (server, pair[0], pair[1])
            runs = [await _round(tmp, r, size, servers) for r in range(rounds)]
            rss = {n: rnd(servers[n][0].rss_bytes() / MiB, 1) for n in servers}
        finally:
            await asyncio.gather(*(c.close() for c in conns), return_exceptions=True)
    base = _median([r["floor"] for r in runs])
    moved: dict[str, Any] = {"file_mib": rnd(size / MiB, 2), "rounds": runs, "floor": base}
    moved["chunk_bytes"] = conns[0].limits.max_chunk_bytes
    for name in servers:
        result = _median([r[name] for r in runs])
        ratios = _ratios(result, base)
        suffix = "" if name == "ours" else f"_{name}"
        moved |= {name: result | {"server_rss_mb": rss[name]}, f"ratio{suffix}": ratios}
        moved |= {f"bar_met{suffix}": _met(ratios)}
    return moved | {"bar": BAR}


# ---------------------------------------------------------------------- memory
def _told(done: list[int], index: int, now: int, total: int) -> None:
    done[index] = now  # upload `index`'s progress


def _sample_rss(pid: int, done: Callable[[], int], end: float, halt: threading.Event) -> list[Any]:
    """VmRSS of `pid` every SAMPLE_SECONDS with the bytes uploaded then, as (bytes, rss),
    until `halt` (on a thread); bounded by `end` (monotonic) and MAX_SAMPLES."""
    samples: list[tuple[int, int]] = []
    for _ in range(MAX_SAMPLES):  # the first sample is taken even if halted at once
        if (rss := _vm(pid, "VmRSS")) is None:
            break
        samples.append((done(), rss))
        if halt.wait(SAMPLE_SECONDS) or time.monotonic() >= end:
            break
    return samples


async def _uploads(
    server: Proc, conns: list[Connection], paths: list[Path], size: int
) -> dict[str, Any]:
    """Every client uploads its file at once while the server's RSS is sampled."""
    bodies = [FileMessageBody(p.name, 0, local_path=str(p)) for p in paths]
    await asyncio.gather(*(attachments.prepare(b) for b in bodies))
    chunk = conns[0].limits.max_chunk_bytes
    done = [0] * len(conns)

    await asyncio.sleep(0.5)  # let the sign-ins settle before the baseline
    baseline = _vm(server.pid, "VmRSS") or 0
    hwm_reset = _reset_hwm(server.pid)
    deadline = _deadline(size * len(conns))
    halt, end = threading.Event(), time.monotonic() + deadline
    rss = asyncio.to_thread(_sample_rss, server.pid, lambda: sum(done), end, halt)
    sampler = asyncio.ensure_future(rss)
    srv0, t0 = server.cpu_seconds(), time.perf_counter()
    try:
        ups = [
            attachments.upload(
                c.request, b, chunk, partial(_told, done, i), prefix=c.limits.upload_prefix_sha256
            )
            for i, (c, b) in enumerate(zip(conns, bodies, strict=True))
        ]
        async with asyncio.timeout(deadline):
            await asyncio.gather(*ups)
    finally:
        halt.set()
        samples = await sampler
    seconds, server_cpu = time.perf_counter() - t0, server.cpu_seconds() - srv0
    # The kernel's high-water mark since the reset: a peak between two samples too.
    hwm = _vm(server.pid, "VmHWM") if hwm_reset else None
    in_flight = len(conns) * attachments.upload_window(chunk) * chunk
    return _memory_figures(baseline, samples, hwm, size * len(conns), in_flight) | {
        "upload_s": rnd(seconds, 3),
        "upload_mib_per_s": _rate(size * len(conns), seconds),
        "server_cpu_s": rnd(server_cpu, 3),
    }


def _memory_figures(
    baseline: int, samples: list[tuple[int, int]], hwm: int | None, total: int, chunks: int
) -> dict[str, Any]:
    """`samples`: (bytes uploaded, RSS); `total`: the bytes of all the uploads; `chunks`:
    clients × window × chunk, the most that can be in flight at once."""
    sampled = max([baseline, *(rss for _, rss in samples)])
    peak = max(sampled, hwm or 0)
    first = max([baseline, *(rss for done, rss in samples if done <= total // 2)])
    growth = peak - baseline
    later = peak - first  # what the second half of the bytes added
    bounded = growth <= MEMORY_BAR * chunks and later <= chunks
    return {
        "samples": len(samples),
        "server_rss_baseline_mb": rnd(baseline / MiB, 1),
        "server_rss_sampled_peak_mb": rnd(sampled / MiB, 1),
        "server_hwm_mb": rnd(hwm / MiB, 1) if hwm is not None else None,
        "server_rss_peak_mb": rnd(peak / MiB, 1),
        "growth_mb": rnd(growth / MiB, 1),
        "growth_first_half_mb": rnd((first - baseline) / MiB, 1),
        "growth_second_half_mb": rnd(later / MiB, 1),
        "in_flight_mb": rnd(chunks / MiB, 2),
        "clients_x_file_mb": rnd(total / MiB, 1),
        "growth_vs_in_flight": rnd(growth / chunks, 2),
        "growth_vs_clients_x_file": rnd(growth / total, 4) if total else None,
        "memory_bar": MEMORY_BAR,
        "bounded_by_chunk": bounded,
    }


async def memory(tmp: Path, clients: int, size: int) -> dict[str, Any]:
    """A fresh server; `clients` accounts, each uploading a `size`-byte file at once."""
    paths = [_random_file(tmp / f"client{i}.bin", size) for i in range(clients)]
    db = tmp / "memory.db"
    names = [f"up{i}" for i in range(clients)]
    tokens = bulk_accounts(db, names)
    conns: list[Connection] = []
    try:
        with _child("desktop-chat-server (files)", "serve", db, size, 2 * size) as server:
            idle = _vm(server.pid, "VmRSS") or 0
            try:
                for name in names:
                    conns.append(await _signed_in(server.url, tokens[name]))
                result = await _uploads(server, conns, paths, size)
            finally:
                await asyncio.gather(*(c.close() for c in conns), return_exceptions=True)
    finally:
        for path in paths:
            path.unlink(missing_ok=True)
    mine = {"clients": clients, "client_file_mib": rnd(size / MiB, 2), **result}
    return mine | {"server_rss_idle_mb": rnd(idle / MiB, 1)}


async def run(
    mib: float = 100.0, clients: int = 20, client_mib: float = 20.0, rounds: int = 3
) -> dict[str, Any]:
    if mib <= 0 or client_mib <= 0 or clients < 1 or rounds < 1:
        raise ValueError("--mib, --client-mib: more than 0; --clients, --rounds: 1 or more")
    size, client_size = int(mib * MiB), int(client_mib * MiB)
    with tempfile.TemporaryDirectory(prefix="dcbench-files-") as tmp:
        moved = await throughput(Path(tmp), size, rounds)
        held = await memory(Path(tmp), clients, client_size)
    limits = {"upload_bytes_per_second": UNTHROTTLED, "upload_burst_bytes": UNTHROTTLED}
    return {"throughput": moved, "memory": held, "server_limits": limits}


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1:]))
