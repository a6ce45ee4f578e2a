"""PostgreSQL failing under a store, for real: a connection killed while idle, in a
request, in a batch or at commit; a database that cannot be reached; a disk that
fills up. Each comes back as the StoreError the server must act on, and the store
works again as soon as PostgreSQL does."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg
import pytest
from contract_tools import NOW, committed, users

from desktop_chat.server.storage.interface import (
    StoreCommitUnknown,
    StoreError,
    StoreFull,
    StoreUnavailable,
)
from desktop_chat.server.storage.postgres import PostgresStore


def kill(url: str, application_name: str) -> None:
    """Terminate the server process of every session of that name, as a restart would."""
    with psycopg.connect(url, autocommit=True) as conn:
        killed = conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = %s",
            (application_name,),
        ).fetchone()
    assert killed and killed[0] >= 1


@pytest.fixture
def victim(pg_url):
    store = PostgresStore(pg_url, application_name="victim")
    yield store
    store.close()


def test_an_idle_connection_that_died_is_replaced_by_the_next_request(pg_url, victim):
    (alice,) = users(victim, "alice")
    kill(pg_url, "victim")
    with committed(victim):
        assert victim.user_id("alice") == alice
        victim.create_user("bob", "hash", NOW)
    assert victim.user_id("bob") is not None


def test_a_read_on_a_dead_connection_is_unavailable_then_the_store_recovers(pg_url, victim):
    kill(pg_url, "victim")
    with pytest.raises(StoreUnavailable):
        victim.user_id("alice")
    users(victim, "alice")
    assert victim.user_id("alice") is not None


def test_a_connection_lost_in_a_request_fails_that_request_only(pg_url, victim):
    users(victim, "alice")
    with pytest.raises(StoreUnavailable), victim.request():
        victim.create_user("bob", "hash", NOW)
        kill(pg_url, "victim")
        victim.create_user("carol", "hash", NOW)
    assert not victim.in_transaction
    victim.commit()  # nothing open
    users(victim, "dave")
    assert [victim.user_id(n) is not None for n in ("alice", "bob", "carol", "dave")] == [
        True,
        False,
        False,
        True,
    ]


def test_a_batch_whose_connection_broke_is_refused_at_commit(pg_url, victim):
    with victim.request():
        victim.create_user("alice", "hash", NOW)
    kill(pg_url, "victim")
    with pytest.raises(StoreUnavailable), victim.request():
        victim.create_user("bob", "hash", NOW)
    with victim.request():  # a new transaction on a new connection...
        victim.create_user("carol", "hash", NOW)
    with pytest.raises(StoreUnavailable):
        victim.commit()  # ...but the batch lost alice: it is refused as a whole
    assert [victim.user_id(n) for n in ("alice", "bob", "carol")] == [None, None, None]
    users(victim, "dave")


def test_a_connection_lost_at_commit_is_an_unknown_outcome(pg_url, victim):
    with victim.request():
        victim.create_user("alice", "hash", NOW)
    kill(pg_url, "victim")
    with pytest.raises(StoreCommitUnknown) as info:
        victim.commit()
    assert isinstance(info.value, StoreUnavailable)
    assert victim.user_id("alice") is None  # here it had not committed; a retry is safe
    users(victim, "alice")


def test_a_connection_lost_at_the_seal_is_an_unknown_outcome(pg_url, victim):
    (alice,) = users(victim, "alice")
    with victim.request():
        victim.create_user("bob", "hash", NOW)
    kill(pg_url, "victim")
    with pytest.raises(StoreCommitUnknown):
        victim.commit_events([(alice, b"a1")], NOW)
    assert victim.user_id("bob") is None  # here it had not committed; a retry is safe
    assert victim.last_seq(alice) == 0


def test_an_unreachable_database_is_unavailable(postgres):
    with pytest.raises(StoreUnavailable, match="cannot connect"):
        PostgresStore(postgres.url("no_such_database"), connect_timeout=2)


@pytest.fixture
def small_tablespace(postgres):
    """A 1 MB tmpfs as a tablespace (needs root and the right to mount)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a real full disk needs root to mount a small tmpfs")
    # Not under pytest's tmp dir: its parents are root's (0700), PostgreSQL is not root.
    root = Path(tempfile.mkdtemp(prefix="desktop-chat-full-"))
    root.chmod(0o755)
    mount = root / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.decode().strip()}")
    try:
        shutil.chown(mount, "postgres")
        postgres.psql(f"CREATE TABLESPACE small LOCATION '{mount}'")
        yield "small"
    finally:
        with contextlib.suppress(RuntimeError):
            postgres.psql("DROP TABLESPACE IF EXISTS small")
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def test_a_full_disk_is_store_full_and_reads_go_on(pg_url, small_tablespace):
    store = PostgresStore(pg_url)
    (alice,) = users(store, "alice")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"ALTER TABLE events SET TABLESPACE {small_tablespace}")
    try:
        with pytest.raises(StoreFull, match="space"):
            for _ in range(2000):  # 1 MB holds about 600 of these
                with committed(store):
                    store.append_events([alice], b"x" * 1500, NOW)
        appended = store.last_seq(alice)
        assert 0 < appended < 2000
        assert len(store.events_after(alice, 0, 5000)) == appended
        assert store.check_invariants() == []
        assert isinstance(StoreFull("x"), StoreError)
    finally:
        with committed(store):
            pass
        store.close()
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("DROP TABLE events")


def test_a_closed_store_stays_closed(pg_url):
    store = PostgresStore(pg_url)
    store.close()
    with pytest.raises(StoreUnavailable):
        store.user_id("alice")
    with pytest.raises(StoreUnavailable), store.request():
        pass
