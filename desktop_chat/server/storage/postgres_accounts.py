"""PostgresStore's accounts, devices and per-user event logs.

Owns: the SQL of users (with their look-alike name keys), devices, and the event
log, whose seqs the database hands out, so that several nodes can write one log:

- `user_log_heads` holds each user's last seq. `append_event_batch` creates the
  missing heads (`INSERT … ON CONFLICT DO NOTHING`), then locks and bumps the
  heads of every user it writes to in one statement, **in user_id order**
  (`SELECT … ORDER BY user_id FOR UPDATE`, then `UPDATE … RETURNING`), then writes
  the events with one insert. Two transactions that touch the same users lock them
  in the same order, so they queue instead of deadlocking.
- The lock is held to commit, so per user, seq order is commit order; a rollback
  undoes the bump, so there are no gaps: when seq s is visible, every seq below it
  is committed. Readers may trust `events_after` without a "persisted up to" mark.
- A request that emits several times locks heads several times, and two such
  requests can then lock {A} then {B} against {B} then {A}: a deadlock, which
  PostgreSQL breaks after `deadlock_timeout` (StoreConflict: retry). Collecting a
  request's events and appending them with one `append_event_batch` at its end
  avoids that altogether.

`look_alike_of` takes a transaction-scoped advisory lock on the name's key, so that
"no look-alike exists, so create the user" is atomic across nodes, as it is on a
single SQLite writer.

Never: cache anything mutable (seqs, counts, devices); only id <-> name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from desktop_chat.protocol.names import name_key
from desktop_chat.server.storage.interface import (
    Credentials,
    DeviceRow,
    DeviceState,
    EventRow,
    UserExistsError,
)
from desktop_chat.server.storage.postgres_session import PgSession

# The two-int advisory key space, first key: a name key being registered.
NAME_KEY_LOCK = 0x6463_6E6B  # "dcnk"

# A request's events in one statement. The heads are created or bumped by one
# INSERT ... ON CONFLICT DO UPDATE fed in user_id order: each row is locked as it is
# reached, so every transaction takes the head locks it needs in the same order
# (deadlock-free) and holds them to commit (seq order is commit order, no gap). Then
# the events are numbered per user, in the order given, below each bumped head.
_APPEND_EVENTS = """
WITH bumped AS (
    INSERT INTO user_log_heads AS h (user_id, last_seq)
    SELECT n.user_id, n.count FROM unnest(%s::bigint[], %s::bigint[]) AS n(user_id, count)
    ORDER BY n.user_id
    ON CONFLICT (user_id) DO UPDATE SET last_seq = h.last_seq + EXCLUDED.last_seq
    RETURNING h.user_id, h.last_seq
), numbered AS (
    SELECT e.user_id, e.body, e.ord,
           row_number() OVER (PARTITION BY e.user_id ORDER BY e.ord) AS k,
           count(*) OVER (PARTITION BY e.user_id) AS n
    FROM unnest(%s::bigint[], %s::bytea[]) WITH ORDINALITY AS e(user_id, body, ord)
)
INSERT INTO events(user_id, seq, created_at, body)
SELECT x.user_id, b.last_seq - x.n + x.k, %s, x.body
FROM numbered x JOIN bumped b USING (user_id)
RETURNING user_id, seq
"""


def _append_params(events: Sequence[tuple[int, bytes]], now: int) -> tuple[object, ...]:
    counts = Counter(user_id for user_id, _ in events)
    heads = sorted(counts)
    user_ids = [user_id for user_id, _ in events]
    return (heads, [counts[u] for u in heads], user_ids, [body for _, body in events], now)


def _seqs_given(events: Sequence[tuple[int, bytes]], rows: Sequence[tuple[Any, ...]]) -> list[int]:
    """Per user the seqs were given in the order the events came: hand them back so."""
    assert len(rows) == len(events), "every event was numbered below its head"
    given: dict[int, list[int]] = {}
    for user_id, seq in rows:
        given.setdefault(user_id, []).append(seq)
    for seqs_of_user in given.values():
        seqs_of_user.sort(reverse=True)
    return [given[user_id].pop() for user_id, _ in events]


class PgAccounts(PgSession):
    # ------------------------------------------------------------------ users

    def create_user(self, username: str, password_hash: str, now: int) -> int:
        row = self._write(
            "INSERT INTO users(username, password_hash, created_at) VALUES (%s, %s, %s)"
            " ON CONFLICT (username) DO NOTHING RETURNING id",
            (username, password_hash, now),
        ).fetchone()
        if row is None:
            raise UserExistsError(username)
        user_id = int(row[0])
        self._write(
            "INSERT INTO user_name_keys(user_id, name_key) VALUES (%s, %s)",
            (user_id, name_key(username)),
        )
        return user_id

    def look_alike_of(self, username: str) -> str | None:
        """A stored username with the same look-alike key as `username`, if any."""
        key = name_key(username)
        if self._open:
            # Held to commit: a concurrent register of a look-alike waits here, then
            # sees this one's user (READ COMMITTED: the next statement sees it).
            self._run("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (NAME_KEY_LOCK, key))
        row = self._one(
            "SELECT u.username FROM user_name_keys k JOIN users u ON u.id = k.user_id"
            " WHERE k.name_key = %s LIMIT 1",
            (key,),
        )
        return row[0] if row else None

    def user_credentials(self, username: str) -> Credentials | None:
        row = self._one("SELECT id, password_hash FROM users WHERE username = %s", (username,))
        return None if row is None else Credentials(*row)

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        self._write("UPDATE users SET password_hash = %s WHERE id = %s", (password_hash, user_id))

    def user_id(self, username: str) -> int | None:
        user_id = self._user_ids.get(username)
        if user_id is None:
            row = self._one("SELECT id FROM users WHERE username = %s", (username,))
            if row is None:
                return None
            user_id = int(row[0])
            self._remember(self._user_ids, username, user_id)
        return user_id

    def user_ids(self, usernames: Iterable[str]) -> dict[str, int]:
        names = list(dict.fromkeys(usernames))
        if not names:
            return {}
        found: dict[str, int] = {}
        for user_id, name in self._all(
            "SELECT id, username FROM users WHERE username = ANY(%s::text[])", (names,)
        ):
            found[name] = user_id
            if name not in self._user_ids:
                self._remember(self._user_ids, name, user_id)
                self._remember(self._usernames, user_id, name)
        return found

    def username(self, user_id: int) -> str:
        name = self._usernames.get(user_id)
        if name is None:
            row = self._one("SELECT username FROM users WHERE id = %s", (user_id,))
            if row is None:
                raise KeyError(user_id)
            name = row[0]
            self._remember(self._usernames, user_id, name)
        return name

    # ------------------------------------------------------------------ devices

    def create_device(self, user_id: int, name: str, token_hash: bytes, now: int) -> int:
        row = self._write(
            "INSERT INTO devices(user_id, name, token_hash, created_at, last_seen_at)"
            " VALUES (%s, %s, %s, %s, %s) RETURNING id",
            (user_id, name, token_hash, now, now),
        ).fetchone()
        assert row is not None
        return int(row[0])

    def device_by_token(self, token_hash: bytes) -> DeviceRow | None:
        row = self._one(
            "SELECT d.id, d.user_id, u.username, d.name, d.last_seen_at, d.revoked"
            " FROM devices d JOIN users u ON u.id = d.user_id WHERE d.token_hash = %s",
            (token_hash,),
        )
        return None if row is None else DeviceRow(*row)

    def device_states(self, device_ids: Sequence[int]) -> dict[int, DeviceState]:
        if not device_ids:
            return {}
        return {
            device_id: DeviceState(last_seen_at, revoked)
            for device_id, last_seen_at, revoked in self._all(
                "SELECT id, last_seen_at, revoked FROM devices WHERE id = ANY(%s::bigint[])",
                (list(device_ids),),
            )
        }

    def touch_device(self, device_id: int, now: int) -> None:
        self._write("UPDATE devices SET last_seen_at = %s WHERE id = %s", (now, device_id))

    def revoke_device(self, device_id: int) -> None:
        self._write("UPDATE devices SET revoked = true WHERE id = %s", (device_id,))

    # ------------------------------------------------------------------ event logs

    def last_seq(self, user_id: int) -> int:
        row = self._one("SELECT last_seq FROM user_log_heads WHERE user_id = %s", (user_id,))
        return 0 if row is None else int(row[0])

    def log_heads(self, user_ids: Sequence[int]) -> dict[int, int]:
        """The committed head of each user's log (0 for a user with no events yet): a
        cluster node's head check compares them with what it has sent."""
        heads = dict.fromkeys(user_ids, 0)
        for user_id, last_seq in self._all(
            "SELECT user_id, last_seq FROM user_log_heads WHERE user_id = ANY(%s)",
            (list(user_ids),),
        ):
            heads[user_id] = int(last_seq)
        return heads

    def ping(self) -> None:
        """Raise StoreUnavailable unless the database answers (the health check)."""
        self._one("SELECT 1")

    def append_events(self, user_ids: Iterable[int], body: bytes, now: int) -> list[int]:
        """Append one event body to each user's log; returns the seq given to each."""
        return self.append_event_batch([(user_id, body) for user_id in user_ids], now)

    def append_event_batch(self, events: Sequence[tuple[int, bytes]], now: int) -> list[int]:
        """Append (user_id, body) events, in order; returns the seq given to each.

        One call per transaction locks every head it needs in user_id order: the
        deadlock-free way for a request that emits several pushes."""
        if not events:
            return []
        rows = self._write(_APPEND_EVENTS, _append_params(events, now)).fetchall()
        return _seqs_given(events, rows)

    def commit_events(self, events: Sequence[tuple[int, bytes]], now: int) -> list[int]:
        """`append_event_batch` as the transaction's last statement, and COMMIT, in
        one round trip (a batch's seal); the seqs, once committed."""
        if not events:
            self.commit()
            return []
        return _seqs_given(events, self.commit_after(_APPEND_EVENTS, _append_params(events, now)))

    def events_after(self, user_id: int, after_seq: int, limit: int) -> list[EventRow]:
        return [
            EventRow(seq, body)
            for seq, body in self._all(
                "SELECT seq, body FROM events WHERE user_id = %s AND seq > %s"
                " ORDER BY seq LIMIT %s",
                (user_id, after_seq, limit),
            )
        ]
