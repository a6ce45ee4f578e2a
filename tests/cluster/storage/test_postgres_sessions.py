"""PostgreSQL sessions side by side, as several nodes (or worker threads) run
them: what one commits the others see and continue (seqs included); races on one
key (a conversation, a msg_id, a look-alike name, a group ack) end the way one
writer would have ended them; deadlocks and serialization failures come back as
StoreConflict, to retry."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from urllib.parse import quote

import psycopg
import pytest
from contract_tools import NOW, committed, make_group, send_chat, send_group, users

from desktop_chat.protocol import Mark
from desktop_chat.server.storage.interface import MsgIdTakenError, StoreConflict
from desktop_chat.server.storage.postgres import PostgresStore, store_error

GROUP = 111_222_333_444_555


class Background:
    """Run `work` on a thread; `wait_blocked` proves it is waiting on a lock."""

    def __init__(self, work: Callable[[], object]) -> None:
        self.result: object = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(work,), daemon=True)
        self.thread.start()

    def _run(self, work: Callable[[], object]) -> None:
        try:
            self.result = work()
        except BaseException as exc:
            self.error = exc

    def join(self) -> object:
        self.thread.join(30)
        assert not self.thread.is_alive(), "still blocked after 30 s"
        if self.error is not None:
            raise self.error
        return self.result


def wait_blocked(url: str, application_name: str) -> None:
    """Until the session named `application_name` waits on a lock (bounded)."""
    deadline = time.monotonic() + 10
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE application_name = %s AND wait_event_type = 'Lock'",
                (application_name,),
            ).fetchone()
            if row and row[0]:
                return
            time.sleep(0.01)
    raise TimeoutError(f"{application_name} never waited on a lock")


@pytest.fixture
def sessions(pg_url):
    opened: list[PostgresStore] = []

    def open_(name: str = "test", **settings: str) -> PostgresStore:
        options = " ".join(f"-c {key}={value}" for key, value in settings.items())
        url = pg_url + (f"?options={quote(options)}" if options else "")
        store = PostgresStore(url, application_name=name)
        opened.append(store)
        return store

    yield open_
    for store in opened:
        store.close()


def test_another_session_sees_and_continues_committed_seqs(sessions):
    first, second = sessions(), sessions()
    (alice,) = users(first, "alice")
    with committed(first):
        assert first.append_events([alice, alice], b"x", NOW) == [1, 2]
    assert second.last_seq(alice) == 2
    with committed(second):
        assert second.append_events([alice], b"y", NOW) == [3]
    with committed(first):
        assert first.append_events([alice], b"z", NOW) == [4]
    assert first.check_invariants() == []


def test_an_append_waits_for_the_other_sessions_commit_and_follows_it(sessions, pg_url):
    first, second = sessions(), sessions("second")
    (alice,) = users(first, "alice")
    with first.request():
        assert first.append_events([alice], b"first", NOW) == [1]

    def append() -> list[int]:
        with committed(second):
            return second.append_events([alice], b"second", NOW)

    waiting = Background(append)
    wait_blocked(pg_url, "second")
    first.commit()
    assert waiting.join() == [2]


def test_two_sessions_creating_one_conversation_get_the_same(sessions, pg_url):
    first, second = sessions(), sessions("second")
    alice, bob = users(first, "alice", "bob")
    with first.request():
        conv = first.chat_conversation(alice, bob, NOW)

    def create() -> int:
        with committed(second):
            return second.chat_conversation(bob, alice, NOW)

    waiting = Background(create)
    wait_blocked(pg_url, "second")
    first.commit()
    assert waiting.join() == conv


def test_a_msg_id_sent_twice_at_once_is_taken_for_the_second(sessions, pg_url):
    first, second = sessions(), sessions("second")
    alice, bob = users(first, "alice", "bob")

    def insert(store: PostgresStore) -> int:
        conv = store.chat_conversation(alice, bob, NOW)
        return store.insert_message(
            msg_id="m-1",
            conv_id=conv,
            conv_seq=store.next_conv_seq(conv),
            chat_type="chat",
            sender_id=alice,
            recipient_id=bob,
            group_id=None,
            body=b"hi",
            server_time=NOW,
            local_time=NOW,
            need_delivery_ack=True,
            need_read_ack=True,
            need_group_ack=False,
            mark=1,
            group_member_count=None,
        )

    with first.request():
        insert(first)

    def again() -> None:
        with committed(second):
            insert(second)

    waiting = Background(again)
    wait_blocked(pg_url, "second")
    first.commit()
    with pytest.raises(MsgIdTakenError):
        waiting.join()


def locked(url: str, message_id: int) -> bool:
    """Whether another session holds a lock on the message's row (asked without waiting)."""
    with psycopg.connect(url) as conn:
        try:
            conn.execute("SELECT id FROM messages WHERE id = %s FOR UPDATE NOWAIT", (message_id,))
        except psycopg.errors.LockNotAvailable:
            return True
    return False


def test_first_reads_lock_their_messages_in_id_order_receipted_or_private(sessions, pg_url):
    """read_by_recipient writes receipted and private first reads; it takes their rows
    in one id order, not the receipted ones then the private ones, so two readers of
    overlapping messages (two devices, two nodes) queue instead of deadlocking."""
    first, second = sessions(), sessions("second")
    alice, bob = users(first, "alice", "bob")
    low = send_chat(first, alice, bob, "m-low")
    high = send_chat(first, alice, bob, "m-high")
    assert low.id < high.id
    with first.request():
        first.read_by_recipient([], [low.id], NOW)  # holds the lower row

    def both_kinds() -> None:
        with committed(second):
            second.read_by_recipient([(high.id, int(Mark.READ))], [low.id], NOW)

    waiting = Background(both_kinds)
    wait_blocked(pg_url, "second")
    assert not locked(pg_url, high.id), "took the higher row while waiting for the lower"
    first.commit()
    waiting.join()
    assert (first.message("m-low").recipient_read, first.message("m-high").mark) == (
        True,
        Mark.READ,
    )


def test_a_look_alike_registered_meanwhile_is_seen(sessions, pg_url):
    first, second = sessions(), sessions("second")
    with first.request():
        assert first.look_alike_of("mary") is None
        first.create_user("mary", "hash", NOW)

    def check() -> str | None:
        with second.request():
            return second.look_alike_of("rnary")

    waiting = Background(check)
    wait_blocked(pg_url, "second")
    first.commit()
    assert waiting.join() == "mary"
    second.rollback()


def test_a_second_ack_of_one_member_at_once_conflicts_and_its_retry_finds_the_first(
    sessions, pg_url
):
    first, second = sessions(), sessions("second")
    owner, ann = users(first, "owner", "ann")
    make_group(first, GROUP, owner, [ann])
    message = send_group(first, GROUP, owner, "g-1")
    with first.request():
        ack = first.add_group_ack(message.id, ann, None, NOW)

    def ack_again() -> None:
        with committed(second):
            second.add_group_ack(message.id, ann, None, NOW)

    waiting = Background(ack_again)
    wait_blocked(pg_url, "second")
    first.commit()
    with pytest.raises(StoreConflict):
        waiting.join()
    assert second.group_ack(message.id, ann) == ack
    assert second.message("g-1").group_ack_count == 1
    assert second.check_invariants() == []


def test_a_deadlock_is_a_conflict_for_one_and_the_other_goes_on(sessions):
    first = sessions("first", deadlock_timeout="50ms")
    second = sessions("second", deadlock_timeout="50ms")
    alice, bob = users(first, "alice", "bob")
    # Two emits per request, in opposite orders: what append_event_batch avoids.
    with first.request():
        first.append_events([alice], b"1a", NOW)
    with second.request():
        second.append_events([bob], b"2b", NOW)
    outcomes: list[str] = []

    def cross(store: PostgresStore, user: int) -> None:
        try:
            store.append_events([user], b"cross", NOW)
            outcomes.append("appended")
        except StoreConflict:
            store.rollback()
            outcomes.append("conflict")

    one = Background(lambda: cross(first, bob))
    two = Background(lambda: cross(second, alice))
    one.join()
    two.join()
    assert sorted(outcomes) == ["appended", "conflict"]
    first.commit()
    second.commit()
    assert first.check_invariants() == []


def test_a_batch_of_events_gets_seqs_per_user_in_the_order_given(sessions):
    (store,) = (sessions(),)
    alice, bob = users(store, "alice", "bob")
    events = [(bob, b"b1"), (alice, b"a1"), (bob, b"b2")]
    with committed(store):
        assert store.append_event_batch(events, NOW) == [1, 1, 2]
        assert store.append_event_batch([], NOW) == []
    assert [(e.seq, e.body) for e in store.events_after(bob, 0, 10)] == [(1, b"b1"), (2, b"b2")]


def test_a_seal_commits_the_batch_with_its_events(sessions):
    store, other = sessions(), sessions("other")
    (alice,) = users(store, "alice")
    with store.request():
        store.create_user("bob", "hash", NOW)
    assert store.commit_events([(alice, b"a1"), (alice, b"a2")], NOW) == [1, 2]
    assert not store.in_transaction
    assert other.user_id("bob") is not None  # committed, with the events
    assert [e.body for e in other.events_after(alice, 0, 10)] == [b"a1", b"a2"]
    with store.request():
        pass  # a transaction that sent nothing: its seal is BEGIN, insert, COMMIT
    assert store.commit_events([(alice, b"a3")], NOW) == [3]
    assert other.last_seq(alice) == 3


def test_a_seal_that_fails_commits_nothing_of_its_batch(sessions):
    store, holder = sessions(), sessions("holder")
    (alice,) = users(store, "alice")
    with committed(store):
        store.append_events([alice], b"a1", NOW)
    with holder.request():  # holds alice's log head, as another node's batch would
        holder.append_events([alice], b"held", NOW)
    store.lock_waits_at_most(50)
    with store.request():
        store.create_user("bob", "hash", NOW)
    with pytest.raises(StoreConflict):
        store.commit_events([(alice, b"a2")], NOW)
    assert not store.in_transaction
    holder.rollback()
    assert store.user_id("bob") is None  # the batch went with its seal
    assert [e.body for e in store.events_after(alice, 0, 10)] == [b"a1"]
    with store.request():
        store.create_user("bob", "hash", NOW)
    assert store.commit_events([(alice, b"a2")], NOW) == [2]


def test_a_serialization_failure_is_a_conflict(pg_url):
    with (
        psycopg.connect(pg_url, autocommit=True) as setup,
        psycopg.connect(pg_url) as one,
        psycopg.connect(pg_url) as two,
    ):
        setup.execute("CREATE TABLE counter (n int)")
        setup.execute("INSERT INTO counter VALUES (0)")
        for conn in (one, two):
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            conn.execute("SELECT n FROM counter").fetchone()
        one.execute("UPDATE counter SET n = n + 1")
        one.commit()
        with pytest.raises(psycopg.errors.SerializationFailure) as info:
            two.execute("UPDATE counter SET n = n + 1")
    assert isinstance(store_error(info.value), StoreConflict)


def test_check_invariants_sees_a_log_that_lost_an_event(sessions, pg_url):
    store = sessions()
    (alice,) = users(store, "alice")
    with committed(store):
        store.append_events([alice, alice, alice], b"x", NOW)
    assert store.check_invariants() == []
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("DELETE FROM events WHERE seq = 2")
    assert store.check_invariants() == [f"user {alice}: log head 3, but 2 events up to seq 3"]


def test_a_read_that_fails_in_a_batch_sends_the_batch_back_and_the_store_goes_on(sessions):
    # A request of a batch makes its savepoint only with its first write, so a read
    # that fails before it breaks the whole transaction: that must be a conflict (the
    # node then runs the batch's requests one transaction each), never a silent loss.
    store = sessions()
    with store.request():
        store.create_user("alice", "hash", NOW)
    with pytest.raises(StoreConflict), store.request():
        store._one("SELECT 1 / 0")  # a read that fails (no store method fails on purpose)
    store.rollback()
    assert store.user_id("alice") is None  # the batch is gone, as the conflict said
    with committed(store):
        store.create_user("alice", "hash", NOW)
    assert sessions("other").user_id("alice") is not None


def test_a_message_read_by_two_sessions_at_once_is_a_first_read_for_one(sessions, pg_url):
    # bob's phone and laptop ack one message at the same moment, on two nodes: only
    # one of them may count the first read (lower the unread count, tell alice).
    first, second = sessions(), sessions("second")
    alice, bob = users(first, "alice", "bob")
    one = send_chat(first, alice, bob, "m-00000001")
    two = send_chat(first, alice, bob, "m-00000002")
    with first.request():
        assert first.claim_unread([one.id]) == {one.id}
        first.read_by_recipient([(one.id, int(Mark.READ))], [], NOW)

    def claim() -> set[int]:
        with committed(second):
            return second.claim_unread([two.id, one.id])

    waiting = Background(claim)
    wait_blocked(pg_url, "second")
    first.commit()
    assert waiting.join() == {two.id}
