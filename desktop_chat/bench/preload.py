"""An "already stored" database for `receipts --preload N`: a server that has been
in use, against which the same workload runs as against an empty one.

Owns: `build_template`, which writes `users` accounts and `messages` one-to-one
messages between them into a SQLite file through the server's own store, as the
server writes them (a conversation per pair, its seq, the message row, the unread
counts and one event per member of the conversation, whose body is as large as a
real message push), in a few large transactions; and `copy_template`, the fresh
copy each run starts from (the workload's own accounts are added to the copy).

The messages are spread evenly over `users // 2` pairs, each pair's own, so every
conversation, index and event log has depth: 1,000,000 messages and 10,000 users
make 5,000 conversations of 200 messages and 10,000 logs of 200 events.

Never: change what a server stores (it uses the store's public methods only).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_chat.protocol import Mark

if TYPE_CHECKING:
    from desktop_chat.server.store import SqliteStore

# The bytes of a real `message` push of a short text (about this size on the wire).
_EVENT_BODY = (b'{"type":"message","message":{"msg_id":"preload","body":"' + b"x" * 480) + b'"}}'
_PER_TRANSACTION = 20_000
PRELOAD_USERS = 10_000
PRELOADED_BAR = 0.9  # receipts/s on the preloaded database ÷ on an empty one, at least
START_BAR_S = 2.0  # the server's start on the preloaded database, under


def build_template(path: Path, users: int, messages: int) -> dict[str, float]:
    """Write the accounts and messages into a new SQLite file at `path`; returns how
    long it took and what it holds."""
    from desktop_chat.bench.common import cheap_hash
    from desktop_chat.server.config import wall_clock_ms
    from desktop_chat.server.store import SqliteStore

    started = time.perf_counter()
    store = SqliteStore(path, synchronous="OFF")
    now, password_hash = wall_clock_ms(), cheap_hash()
    pairs = max(1, users // 2)
    try:
        with store.request():
            ids = [store.create_user(f"pre{i}", password_hash, now) for i in range(pairs * 2)]
            convs = [store.chat_conversation(ids[2 * p], ids[2 * p + 1], now) for p in range(pairs)]
        store.commit()
        written = 0
        while written < messages:
            with store.request():
                for n in range(written, min(messages, written + _PER_TRANSACTION)):
                    pair = n % pairs
                    one, other = ids[2 * pair], ids[2 * pair + 1]
                    sender, recipient = (one, other) if (n // pairs) % 2 == 0 else (other, one)
                    _store_message(store, n, convs[pair], sender, recipient, now)
            store.commit()
            written = min(messages, written + _PER_TRANSACTION)
    finally:
        store.close()
    return {
        "users": pairs * 2,
        "messages": messages,
        "conversations": pairs,
        "build_s": round(time.perf_counter() - started, 1),
        "file_mb": round(path.stat().st_size / 2**20, 1),
    }


def _store_message(
    store: SqliteStore, n: int, conv_id: int, sender: int, recipient: int, now: int
) -> None:
    conv_seq = store.next_conv_seq(conv_id)
    store.insert_message(
        msg_id=f"preload-{n:09d}",
        conv_id=conv_id,
        conv_seq=conv_seq,
        chat_type="chat",
        sender_id=sender,
        recipient_id=recipient,
        group_id=None,
        body=b'{"kind":"text","text":"an older message"}',
        server_time=now,
        local_time=now,
        need_delivery_ack=True,
        need_read_ack=True,
        need_group_ack=False,
        mark=int(Mark.SENT),
        group_member_count=None,
    )
    store.count_new_message(conv_id, sender, now)
    store.append_events([recipient, sender], _EVENT_BODY, now)


def copy_template(template: Path, path: Path) -> None:
    """A fresh copy of the template (its WAL is empty: the builder closed it), on
    disk before the server starts: a server's data has long been written, and a
    gigabyte still in the page cache would make the run's first fsyncs wait for it."""
    shutil.copyfile(template, path)
    with path.open("rb+") as copy:
        os.fsync(copy.fileno())


def preload_notes(result: dict[str, Any]) -> str:
    """The preloaded runs against their bars: receipts/s ÷ the empty database's, and
    the server's start, each from the same run."""
    info = result["preload"]
    cases = result["cases"]
    ratios = [c["preloaded_vs_empty"]["receipts_per_s"] for c in cases]
    known = [r for r in ratios if r is not None]
    worst = min(known) if known else None
    starts = [c["preloaded"]["server_start_s"] for c in cases]
    empty_starts = [c["ours"]["server_start_s"] for c in cases]
    slowest = max(starts)
    ratio_verdict = "meets" if worst is not None and worst >= PRELOADED_BAR else "misses"
    start_verdict = "meets" if slowest < START_BAR_S else "misses"
    return (
        f"\nPreloaded: {info['messages']:,} messages, {info['users']:,} users,"
        f" {info['conversations']:,} conversations, {info['file_mb']:,} MB"
        f" (built in {info['build_s']} s through the store).\n"
        f"Preloaded ÷ empty receipts/s: {worst} at the worst case ({ratio_verdict} the bar"
        f" of ≥ {PRELOADED_BAR}×).\n"
        f"Server start (spawn to listening): preloaded {min(starts):.3f}–{slowest:.3f} s,"
        f" empty {min(empty_starts):.3f}–{max(empty_starts):.3f} s ({start_verdict} the bar"
        f" of < {START_BAR_S:g} s).\n"
    )
