"""Scenario `app`: the real app, offscreen, on a real server, signed in to an account
with many conversations and messages.

Owns: the parent (`run`): a real server; the account `me` and its peers; the
history, sent for real through the server by lean clients (`conversations`
peers, `messages` in all, half each way), then synced once into the app's data
directory by the client core (untimed); then the app itself, started as a person
would (`python -m desktop_chat.bench.app --child`, which runs `desktop_chat.app`
with an event filter and a heartbeat timer), and the peers' traffic it measures:
1. cold start: from the process's creation to the first paint of the conversation
   list with its rows (the interpreter, the imports, the local store, the window);
2. switching chats: a click on a row of the list, to the first paint of the
   message list that follows (`switches` times, each a different chat);
3. idle CPU: the app's CPU time over `idle_seconds`, connected, nothing happening;
4. a burst: `burst_rate` messages a second for `burst_seconds`, from 50 peers
   across 50 chats, while a 1 ms timer measures the longest event-loop stall; then
   the messages the app's own database holds (nothing may be lost);
5. resident memory after `chat_minutes` of chat (messages coming in and the person
   switching chats every few seconds), then idle.

The child tells the parent where it is on stdout (one JSON object a line) and waits
for "go" on stdin before each phase that needs traffic.

Never: touch a real display or the network beyond 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from desktop_chat.bench.common import (
    PASSWORD,
    bulk_accounts,
    close_all,
    rnd,
    signed_in,
    start_server,
    table,
)

BARS = {
    "cold_start_ms": 1000.0,
    "switch_p50_ms": 50.0,
    "rss_after_chat_mb": 150.0,
    "burst_max_stall_ms": 16.0,
    "idle_cpu_pct": 1.0,
}
BURST_CHATS = 50


async def _history(url: str, tokens: dict[str, str], peers: list[str], messages: int) -> None:
    """`messages` one-to-one messages between `me` and the peers, half each way, sent
    for real (the server stores them and logs them to both sides)."""
    clients = await signed_in(url, [tokens["me"]] + [tokens[p] for p in peers], live=False)
    me, others = clients[0], clients[1:]
    try:
        per_peer = max(1, messages // len(peers))
        for round_ in range(per_peer):
            body = {"kind": "text", "text": f"message {round_} of an older chat"}
            if round_ % 2 == 0:  # me to every peer: pipelined, then the replies
                for i, peer in enumerate(peers):
                    frame = {"type": "send", "id": f"h{i}", "msg_id": f"h-{i}-{round_:05d}"}
                    await me.send({**frame, "chat_type": "chat", "to": peer, "body": body})
                replies = 0
                while replies < len(peers):
                    frame = await me.recv(60)
                    if frame.get("type") == "error":
                        raise RuntimeError(f"history refused: {frame}")
                    replies += frame.get("type") == "send_ok"
            else:  # every peer to me, at once
                await asyncio.gather(
                    *(
                        other.request(
                            "send",
                            msg_id=f"h-{i}-{round_:05d}",
                            chat_type="chat",
                            to="me",
                            body=body,
                        )
                        for i, other in enumerate(others)
                    )
                )
    finally:
        await close_all(clients)


async def _sync_once(url: str, data_dir: Path) -> float:
    """Sign `me` in with the client core into the app's data directory, as the
    sign-in dialog does, and let it sync everything; returns how long it took."""
    from desktop_chat.client import ChatClient, ChatOptions
    from desktop_chat.ui.settings import AppSettings, save

    started = time.perf_counter()
    client = ChatClient(
        ChatOptions(server_url=url, request_timeout_seconds=120), data_dir / "accounts"
    )
    try:
        await client.login("me", PASSWORD)  # returns once caught up (the whole log)
    finally:
        await client.close(flush_seconds=1.0)
    save(AppSettings(server_url=url, last_username="me"), data_dir / "settings.json")
    return time.perf_counter() - started


async def _traffic(
    url: str, tokens: dict[str, str], peers: list[str], rate: float, seconds: float, tag: str
) -> int:
    """`rate` messages a second to `me` for `seconds`, spread over the peers; how many."""
    clients = await signed_in(url, [tokens[p] for p in peers], live=False)
    sent = 0
    try:
        ticks = max(1, int(seconds * 100))
        per_tick = rate / 100
        owed = 0.0
        start = time.perf_counter()
        for tick in range(ticks):
            owed += per_tick
            batch = []
            while owed >= 1:
                i = sent % len(clients)
                batch.append(
                    clients[i].send(
                        {
                            "type": "send",
                            "id": f"{tag}{sent}",
                            "msg_id": f"{tag}-{sent:07d}",
                            "chat_type": "chat",
                            "to": "me",
                            "body": {"kind": "text", "text": f"{tag} {sent}"},
                        }
                    )
                )
                sent += 1
                owed -= 1
            await asyncio.gather(*batch)
            delay = start + (tick + 1) / 100 - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        await asyncio.sleep(0.5)  # let the last replies land before closing
    finally:
        await close_all(clients)
    return sent


class _Child:
    """The app process, driven over its stdin and stdout."""

    def __init__(self, url: str, data_dir: Path, options: dict[str, Any]) -> None:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
        argv = [sys.executable, "-m", "desktop_chat.bench.app", "--child", str(data_dir), url]
        self.proc = subprocess.Popen(
            [*argv, json.dumps(options)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )

    async def expect(self, phase: str, timeout: float = 900) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(self.proc.stdout.readline), timeout)
        if not line:
            raise RuntimeError(f"the app exited before {phase!r}")
        message: dict[str, Any] = json.loads(line)
        if message.get("phase") != phase:
            raise RuntimeError(f"the app said {message}, not {phase!r}")
        return message

    def go(self, **fields: Any) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(json.dumps(fields) + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError as exc:
            status = self.proc.wait(10)
            raise RuntimeError(
                f"the app exited (status {status}) before it was told {fields}"
            ) from exc

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)


async def _measure(
    url: str, tokens: dict[str, str], peers: list[str], data_dir: Path, opts: dict[str, Any]
) -> dict[str, Any]:
    child = _Child(url, data_dir, opts)
    try:
        result = dict(await child.expect("started"))
        result.update(await child.expect("switched"))
        result.update(await child.expect("idle"))
        child.go()
        burst_peers = peers[:BURST_CHATS]
        sent = await _traffic(
            url, tokens, burst_peers, opts["burst_rate"], opts["burst_seconds"], "burst"
        )
        child.go(expect=sent, tag="burst")
        result.update(await child.expect("burst"))
        result["burst_sent"] = sent
        chat_seconds = opts["chat_minutes"] * 60
        child.go(seconds=chat_seconds)
        chatted = await _traffic(url, tokens, peers, 5.0, chat_seconds, "chat")
        child.go(expect=chatted, tag="chat")
        result.update(await child.expect("chatted"))
    finally:
        child.stop()
    result.pop("phase", None)
    return result


async def _run(opts: dict[str, Any]) -> dict[str, Any]:
    from desktop_chat.bench.common import raise_fd_limit

    raise_fd_limit()
    peers = [f"peer{i:03d}" for i in range(opts["conversations"])]
    with tempfile.TemporaryDirectory(prefix="dcbench-app-") as tmp:
        work = Path(tmp)
        tokens = bulk_accounts(work / "server.db", ["me", *peers])
        with start_server(work / "server.db") as server:
            started = time.perf_counter()
            await _history(server.url, tokens, peers, opts["messages"])
            history_s = time.perf_counter() - started
            data_dir = work / "app"
            sync_s = await _sync_once(server.url, data_dir)
            result = await _measure(server.url, tokens, peers, data_dir, opts)
    result.update(
        conversations=opts["conversations"],
        messages=opts["messages"],
        history_sent_s=rnd(history_s, 1),
        first_sync_s=rnd(sync_s, 1),
        bars=BARS,
    )
    return result


def run(**opts: Any) -> dict[str, Any]:
    return asyncio.run(_run(opts))


def render(r: dict[str, Any]) -> str:
    rows = [
        ["cold start to the conversation list painted", r.get("cold_start_ms"), "ms", "< 1,000"],
        ["switching chats, click to first paint (p50)", r.get("switch_p50_ms"), "ms", "< 50"],
        ["switching chats (slowest)", r.get("switch_max_ms"), "ms", "< 50"],
        ["resident memory after the chat phase", r.get("rss_after_chat_mb"), "MB", "< 150"],
        ["burst: longest event-loop stall", r.get("burst_max_stall_ms"), "ms", "≤ 16"],
        ["burst: messages lost", r.get("burst_lost"), "", "0"],
        ["CPU idle and connected", r.get("idle_cpu_pct"), "% of a core", "< 1"],
    ]
    text = table(
        f"app ({r['conversations']} conversations, {r['messages']:,} messages,"
        f" burst {r.get('burst_sent')} messages)",
        ["figure", "value", "unit", "bar"],
        rows,
    )
    return text + (
        f"\nHistory sent through the server in {r['history_sent_s']} s; the first sync"
        f" into the app's data directory took {r['first_sync_s']} s (neither is timed"
        f" as a bar). Chat phase: {r.get('chat_seconds')} s.\n"
    )


if __name__ == "__main__" and "--child" in sys.argv:
    from desktop_chat.bench.app_child import main

    main(sys.argv[sys.argv.index("--child") + 1 :])
