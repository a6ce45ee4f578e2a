"""The hub of one node of a cluster: per-request batches, and pushes strictly in seq order.

Owns `ClusterHub`, the `Hub` a server on PostgreSQL uses. Where the SQLite hub
collects a whole event-loop iteration into one batch and one commit, here
requests run in transactions of their own on worker threads, several requests
to a transaction (`node_requests.py`):

- each request's replies and pushes go to the request's own batch (a context
  variable set by the worker), and the events of all the transaction's requests
  are appended to the users' logs in one statement at the end (`seal`), so each
  transaction locks the log heads it needs once, in user_id order: the
  deadlock-free order across nodes;
- the device maps stay on the event loop: a worker that signs a device in or out,
  or asks who is online, runs that part on the loop and waits for it;
- after commit, back on the loop (`complete`): the request's callbacks run, its
  replies are sent, its pushes go to this node's devices and to the fan-out
  (Redis) for the devices on other nodes;
- delivery to a device is strictly in seq order, whoever wrote the event: a seq
  already sent is dropped, the next one is sent, and a gap is filled from the
  database first (`_fill`), never skipped. A device's `synced_upto` is the last
  seq actually sent to it, never the log's head;
- the head check (`check_heads`, every few seconds and after any sign that the
  fan-out lost something): each live device's log head is read from the
  database, and a device behind it is filled. That is what makes the fan-out
  only a speed-up: whatever it drops arrives by the next check.

Group read and delivery pushes are coalesced per transaction: the acks of all the
requests committed together make one push per sender and group (`seal`), as the
SQLite hub makes one per batch.

Never: touch a connection off the event loop, or send a seq out of order.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections import defaultdict
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from desktop_chat.protocol import frames as f
from desktop_chat.protocol.codec import encode_push_body, frame_with_seq
from desktop_chat.server.connection import DeviceConnection
from desktop_chat.server.hub import Hub, _Batch, _Push, _Reply
from desktop_chat.server.storage.interface import Store, StoreError

if TYPE_CHECKING:  # a transaction's session (psycopg is imported by a cluster only)
    from desktop_chat.server.storage.postgres import PostgresStore

log = logging.getLogger(__name__)
T = TypeVar("T")

# The batch of the request running in this context (a worker thread), if any.
request_batch: ContextVar[_Batch | None] = ContextVar("request_batch", default=None)
FILL_PAGE = 500
LOOP_CALL_SECONDS = 30.0


class _Fill:
    """A gap fill under way for one connection; `again` asks for one more round."""

    __slots__ = ("again",)

    def __init__(self) -> None:
        self.again = False


def _events_page(user_id: int, after: int) -> Callable[[Any], Any]:
    """A read of the page of `user_id`'s events after `after` (both bound now)."""
    return lambda s: s.events_after(user_id, after, FILL_PAGE)


class ClusterHub(Hub):
    commits_off_loop = False  # requests commit on the node's workers (node_requests.py)

    def __init__(
        self,
        store: Store,
        clock: Callable[[], int],
        read: Callable[[Callable[[Any], Any]], Awaitable[Any]],
    ) -> None:
        """`read(fn)` runs `fn(store_session)` on a worker thread and returns its result."""
        super().__init__(store, clock)
        self._read = read
        self.loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._fills: dict[DeviceConnection, _Fill] = {}
        # Told the pushes of each committed request (the fan-out publishes them).
        self.publish: Callable[[list[_Push]], None] | None = None
        # Told when a user has no device left on this node (the fan-out unsubscribes).
        self.on_user_gone: Callable[[int], None] | None = None
        self.fills_started = 0
        # The running fills: a task nobody refers to may be collected before it ends.
        self._fill_tasks: set[asyncio.Task[None]] = set()

    def bind_loop(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()

    # ------------------------------------------------------------------ the loop's maps

    def _on_loop(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn(*args)` on the event loop; from a worker, wait for it there."""
        if self.loop is None or threading.get_ident() == self._loop_thread:
            return fn(*args)
        done: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            try:
                done.set_result(fn(*args))
            except BaseException as exc:
                done.set_exception(exc)

        self.loop.call_soon_threadsafe(run)
        return done.result(LOOP_CALL_SECONDS)

    def attach(self, conn: DeviceConnection, user_id: int) -> None:
        self._on_loop(super().attach, conn, user_id)

    def detach(self, conn: DeviceConnection) -> None:
        self._on_loop(self._detach_here, conn)

    def _detach_here(self, conn: DeviceConnection) -> None:
        user_id = conn.user_id
        super().detach(conn)
        self._fills.pop(conn, None)
        if user_id is not None and user_id not in self.online and self.on_user_gone is not None:
            self.on_user_gone(user_id)

    def devices_of(self, user_id: int) -> list[DeviceConnection]:
        return self._on_loop(super().devices_of, user_id)

    def connections_of_device(self, user_id: int, device_id: int) -> list[DeviceConnection]:
        return self._on_loop(super().connections_of_device, user_id, device_id)

    def all_connections(self) -> list[DeviceConnection]:
        return self._on_loop(super().all_connections)

    # ------------------------------------------------------------------ a request's batch

    def _current(self) -> _Batch:
        batch = request_batch.get()
        return self._batch if batch is None else batch

    def _schedule(self) -> None:
        if request_batch.get() is None:
            super()._schedule()

    def commit_soon(self) -> None:
        # Writes outside a request (the session check's touches) commit at once.
        self.store.commit()

    def emit(
        self, user_ids: list[int], push: msgspec.Struct, skip_device: int | None = None
    ) -> list[int]:
        """Queue `push` for each user's log; `seal` appends them all at the end of the
        request. The seqs are not known yet: returns an empty list."""
        if request_batch.get() is None:
            raise RuntimeError("on a cluster node, events are written inside a request only")
        if user_ids:
            body = encode_push_body(push)
            items = self._current().items
            items.extend(_Push(user_id, 0, body, skip_device) for user_id in user_ids)
        return []

    def go_live(self, conn: DeviceConnection, last_sent: int) -> None:
        """Live once the sync's reply is on its way, synced to exactly what it sent;
        then fill whatever other nodes committed since the sync read its page.

        A device that syncs again while live is never moved back (what was pushed to
        it meanwhile stays sent, and is not sent twice), and one that claims a seq past
        the log's head counts as synced to the head (it gets what comes next)."""
        assert conn.user_id is not None
        last_sent = min(last_sent, self.store.last_seq(conn.user_id))

        def live() -> None:
            if conn.live:
                conn.synced_upto = max(conn.synced_upto, last_sent)
            else:
                conn.live = True
                conn.synced_upto = last_sent
            self._fill(conn)

        self.on_commit(live)

    def seal(self, batches: list[_Batch], store: PostgresStore) -> None:
        """End a transaction: the coalesced group pushes of all its requests (one per
        sender and group, with the last request), then every event they queued
        appended in one statement (the log heads locked once, in user_id order), and
        COMMIT, the two in one round trip. Raises the store's error if either fails."""
        reads: defaultdict[tuple[int, str], list[f.GroupAckInfo]] = defaultdict(list)
        deliveries: dict[tuple[int, str], f.GroupDeliveredPush] = {}
        for batch in batches:
            for key, acks in batch.group_reads.items():
                reads[key].extend(acks)
            deliveries.update(batch.group_deliveries)
            batch.group_reads.clear()
            batch.group_deliveries.clear()
        if batches:
            last = batches[-1].items
            for (sender_id, group_id), acks in reads.items():
                body = encode_push_body(f.GroupReadPush(seq=0, group_id=group_id, acks=acks))
                last.append(_Push(sender_id, 0, body, None))
            for (sender_id, _), delivery in deliveries.items():
                last.append(_Push(sender_id, 0, encode_push_body(delivery), None))
        pushes = [item for batch in batches for item in batch.items if isinstance(item, _Push)]
        seqs = store.commit_events([(push.user_id, push.body) for push in pushes], self.clock())
        for push, seq in zip(pushes, seqs, strict=True):
            push.seq = seq

    def complete(self, batch: _Batch) -> None:
        """On the loop, after the request's commit: callbacks, replies, pushes."""
        for callback in batch.on_commit:
            callback()
        pushes: list[_Push] = []
        for item in batch.items:
            if isinstance(item, _Reply):
                item.conn.send(item.data)
            else:
                pushes.append(item)
                self.deliver(item.user_id, item.seq, item.body, item.skip_device)
        if pushes and self.publish is not None:
            self.publish(pushes)

    def flush(self) -> None:
        """The loop's own batch holds only frames answered without a request (hello,
        refusals): nothing to commit, send them."""
        self._flush_scheduled = False
        batch, self._batch = self._batch, _Batch()
        for callback in batch.on_commit:
            callback()
        for item in batch.items:
            if isinstance(item, _Reply):
                item.conn.send(item.data)

    # ------------------------------------------------------------------ ordered delivery

    def deliver(self, user_id: int, seq: int, body: bytes, skip_device: int | None) -> None:
        """Event `seq` of `user_id` is committed: offer it to the user's live devices here."""
        devices = self.online.get(user_id)
        if not devices:
            return
        frame = None
        for conn in devices:
            if not conn.live or seq <= conn.synced_upto:
                continue
            if seq == conn.synced_upto + 1 and conn not in self._fills:
                conn.synced_upto = seq
                if conn.device_id != skip_device:
                    if frame is None:
                        frame = frame_with_seq(body, seq)
                    conn.send(frame)
            else:
                self._fill(conn)

    def _fill(self, conn: DeviceConnection) -> None:
        fill = self._fills.get(conn)
        if fill is not None:
            fill.again = True
            return
        self._fills[conn] = fill = _Fill()
        self.fills_started += 1
        task = asyncio.get_running_loop().create_task(self._run_fill(conn, fill))
        self._fill_tasks.add(task)
        task.add_done_callback(self._fill_tasks.discard)

    async def _run_fill(self, conn: DeviceConnection, fill: _Fill) -> None:
        """Send `conn` the events after its `synced_upto`, read from the database."""
        user_id = conn.user_id
        try:
            while user_id is not None and conn.live and conn.user_id == user_id:
                fill.again = False
                rows = await self._read(_events_page(user_id, conn.synced_upto))
                for row in rows:
                    if not conn.live or conn.user_id != user_id:
                        return
                    if row.seq == conn.synced_upto + 1:
                        conn.synced_upto = row.seq
                        conn.send(frame_with_seq(row.body, row.seq))
                if len(rows) < FILL_PAGE and not fill.again:
                    return
        except StoreError as exc:
            conn.log.warning("could not fill the pushes it missed (next head check): %s", exc)
        finally:
            if self._fills.get(conn) is fill:
                del self._fills[conn]

    async def check_heads(self, user_ids: set[int] | None = None) -> int:
        """Fill every live device here that is behind its log's committed head; returns
        how many were behind. `user_ids` limits the check to those users."""
        wanted = set(self.online) if user_ids is None else user_ids & set(self.online)
        if not wanted:
            return 0
        users = sorted(wanted)
        heads: dict[int, int] = await self._read(lambda s: s.log_heads(users))
        behind = 0
        for user_id, head in heads.items():
            for conn in list(self.online.get(user_id, ())):
                if conn.live and head > conn.synced_upto:
                    behind += 1
                    self._fill(conn)
        return behind
