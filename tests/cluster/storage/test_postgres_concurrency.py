"""Several writers on one PostgreSQL event log, for real: 3 threads, each its own
session, append events for overlapping sets of users (a few fan-outs to everyone,
a few rollbacks), while an observer keeps reading the logs. Per user the seqs must
be 1..n with no gap and no duplicate, every committed event there and no rolled-back
one, no snapshot may ever show a gap (a later seq visible before an earlier one
committed: commit order = seq order), and no transaction may deadlock."""

from __future__ import annotations

import random
import threading
import time
from collections import defaultdict

import psycopg
import pytest
from contract_tools import NOW, users

from desktop_chat.server.storage.interface import StoreConflict
from desktop_chat.server.storage.postgres import PostgresStore

WRITERS = 3
TRANSACTIONS = 400  # per writer
USERS = 12
BOUND_SECONDS = 90.0  # ends a hang; a loaded 2-core machine needs a few seconds


class Refused(Exception):
    """A request that fails on purpose: its events must vanish."""


def gaps(snapshot: list[tuple[int, list[int]]]) -> list[str]:
    return [
        f"user {user_id}: {seqs[:3]}...{seqs[-3:]} ({len(seqs)} events)"
        for user_id, seqs in snapshot
        if seqs != list(range(1, len(seqs) + 1))
    ]


@pytest.mark.timeout(BOUND_SECONDS + 30)
def test_concurrent_writers_keep_every_log_contiguous_in_commit_order(pg_url):
    setup = PostgresStore(pg_url)
    people = users(setup, *(f"user{n:02d}" for n in range(USERS)))
    setup.close()
    committed: dict[int, dict[int, bytes]] = defaultdict(dict)
    rolled_back: set[bytes] = set()
    conflicts: list[str] = []
    failures: list[BaseException] = []
    lock = threading.Lock()
    done = threading.Event()
    start = threading.Barrier(WRITERS + 1)

    def writer(number: int) -> None:
        store = PostgresStore(pg_url, application_name=f"writer{number}")
        rng = random.Random(number)
        try:
            start.wait()
            for txn in range(TRANSACTIONS):
                audience = people if rng.random() < 0.05 else rng.sample(people, rng.randint(1, 4))
                body = f"w{number}-t{txn}".encode()
                refuse = rng.random() < 0.05
                try:
                    with store.request():
                        seqs = store.append_events(audience, body, NOW)
                        if refuse:
                            raise Refused
                    store.commit()
                except Refused:
                    with lock:
                        rolled_back.add(body)
                    continue
                except StoreConflict as exc:
                    store.rollback()
                    with lock:
                        conflicts.append(str(exc))
                    continue
                with lock:
                    for user_id, seq in zip(audience, seqs, strict=True):
                        assert seq not in committed[user_id], (user_id, seq)
                        committed[user_id][seq] = body
        except BaseException as exc:
            failures.append(exc)
        finally:
            store.close()

    snapshots = 0
    seen_gaps: list[str] = []

    def observer() -> None:
        nonlocal snapshots
        with psycopg.connect(pg_url, autocommit=True) as conn:
            while not done.is_set():
                rows = conn.execute(
                    "SELECT user_id, array_agg(seq ORDER BY seq) FROM events GROUP BY user_id"
                ).fetchall()
                snapshots += 1
                seen_gaps.extend(gaps(rows))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    watcher = threading.Thread(target=observer)
    for thread in threads:
        thread.start()
    watcher.start()
    start.wait()
    started = time.monotonic()
    for thread in threads:
        thread.join(BOUND_SECONDS)
    elapsed = time.monotonic() - started
    done.set()
    watcher.join(10)
    assert not any(t.is_alive() for t in threads), f"writers still running after {elapsed:.0f} s"
    assert failures == []
    assert conflicts == [], f"{len(conflicts)} deadlocks or conflicts: {conflicts[:3]}"
    assert seen_gaps == [], f"a snapshot showed a gap: {seen_gaps[:3]}"
    assert snapshots > 0

    store = PostgresStore(pg_url)
    try:
        for user_id in people:
            log = store.events_after(user_id, 0, 100_000)
            assert [event.seq for event in log] == list(range(1, len(log) + 1))
            assert {event.seq: event.body for event in log} == committed[user_id]
            assert not rolled_back & {event.body for event in log}
            assert store.last_seq(user_id) == len(log)
        assert store.check_invariants() == []
    finally:
        store.close()
    total = WRITERS * TRANSACTIONS
    assert 0 < len(rolled_back) < total
    assert sum(len(log) for log in committed.values()) > total
