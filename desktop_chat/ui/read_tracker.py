"""When a person could really have read a message: the read-ack controller.

Owns: `ReadAckController`, the rules of RECEIPTS.md §8. A received message
counts as read only when all of these hold:
1. the window is active, not minimized and not fully covered (`is_active()`);
2. its chat is open (`open_chat`);
3. at least half of its bubble is inside the viewport and on a screen, or, for a
   bubble taller than the viewport, it fills the viewport (`visible_fractions()`,
   which measures both);
4. it has stayed so for the dwell time (default 1 s), with 1 and 3 true throughout;
5. the person used keyboard or mouse within the idle time (default 30 s).

What it asks for, following the SDK's advice, never covering a message that was
not seen:
- a chat opened with unread messages: each one counts as it is seen. Until every
  one of them has been seen, the seen ones get (batched) message acks; the one
  that completes the set is covered by one conversation ack whose bound is the
  newest of them (`read_upto`, a conv_seq), so nothing after it is read;
- while a chat is open, each arriving message that is seen gets a message ack;
  all seen in one evaluation go out together (and the client batches further);
- group messages that asked for read receipts get group acks; other group
  messages can only be read as a whole conversation, so every seen group message
  also moves a (private, receipt-less on the wire) conversation ack whose bound is
  the newest group message below which everything was seen: the badge drops on
  every device, and never for an unseen message.

What it reports is one signal per evaluation, `messages_seen(conversation_id,
msg_ids, up_to)`: the messages seen that need a receipt of their own, and the
watermark `up_to` (a conv_seq; None: none yet) below which everything was seen.
Whether a receipt goes out, and of what kind, is the client's decision
(`ChatManager.mark_read`).

Its inputs are injectable callables (active, visible, last input, clock), so
tests drive every rule without a real window manager. A notification, the tray
or the conversation list never reach it, so they never count as reading.

Never: send anything itself (it reports; the controller hands that to the
client), ack a message twice, or name a bound above a message that was not seen.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject, QTimer, Signal

from desktop_chat.client.chat_manager import EVERYTHING

VISIBLE_FRACTION = 0.5


class ReadKind(enum.Enum):
    CHAT = "chat"  # one-to-one: a message ack
    GROUP_ACK = "group_ack"  # group message that asked for read receipts: a group ack
    GROUP_PLAIN = "group_plain"  # other group message: read with the conversation


Unread = tuple[str, "ReadKind"] | tuple[str, "ReadKind", int]  # msg_id, kind[, conv_seq]


class ReadAckController(QObject):
    # conversation_id, [msg_id] each to ack on its own (one-to-one messages not under
    # the watermark, group messages that asked for receipts), up_to: the watermark's
    # conv_seq (EVERYTHING: all the device holds), or None
    messages_seen = Signal(str, list, object)

    def __init__(
        self,
        *,
        is_active: Callable[[], bool],
        visible_fractions: Callable[[], dict[str, float]],
        last_input: Callable[[], float],
        clock: Callable[[], float] = time.monotonic,
        dwell_seconds: float = 1.0,
        idle_seconds: float = 30.0,
        interval_ms: int = 200,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._is_active = is_active
        self._visible = visible_fractions
        self._last_input = last_input
        self._clock = clock
        self.dwell_seconds = dwell_seconds
        self.idle_seconds = idle_seconds
        self.conversation_id: str | None = None
        self._pending: dict[str, tuple[ReadKind, int]] = {}
        self._seen_since: dict[str, float] = {}
        self._acked: set[str] = set()
        # The chat's unread messages at open (one-to-one), and whether that list
        # held all of its unread messages (only then may a conversation ack cover them).
        self._at_open: set[str] = set()
        self._complete = True
        # Plain group messages seen but not yet under a bound (an older one is unseen).
        self._awaiting_bound: dict[str, int] = {}
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.evaluate)

    # ------------------------------------------------------------------ inputs

    def open_chat(
        self, conversation_id: str, unread: Sequence[Unread], complete: bool = True
    ) -> None:
        """A chat is now shown; `unread` are its unread received messages, oldest first,
        with their conv_seq where known. `complete`: they are all its unread messages."""
        self.conversation_id = conversation_id
        self._pending = {}
        for entry in unread:
            msg_id, kind = entry[0], entry[1]
            if msg_id not in self._acked:
                self._pending[msg_id] = (kind, int(entry[2]) if len(entry) > 2 else 0)
        self._at_open = {m for m, (kind, _) in self._pending.items() if kind is ReadKind.CHAT}
        self._complete = complete
        self._awaiting_bound.clear()
        self._seen_since.clear()
        self._update_timer()

    def close_chat(self) -> None:
        self.conversation_id = None
        self._pending.clear()
        self._seen_since.clear()
        self._at_open.clear()
        self._awaiting_bound.clear()
        self._update_timer()

    def message_arrived(
        self, conversation_id: str, msg_id: str, kind: ReadKind, conv_seq: int = 0
    ) -> None:
        """A received, unread message joined the open chat."""
        if conversation_id != self.conversation_id or msg_id in self._acked:
            return
        self._pending[msg_id] = (kind, conv_seq)
        self._update_timer()

    def forget(self, msg_ids: list[str]) -> None:
        """These were read elsewhere (another device): nothing to ack."""
        for msg_id in msg_ids:
            self._pending.pop(msg_id, None)
            self._seen_since.pop(msg_id, None)
            self._awaiting_bound.pop(msg_id, None)
            self._at_open.discard(msg_id)
        self._update_timer()

    def was_seen(self, msg_id: str) -> bool:
        """Whether this controller already reported `msg_id` as seen (its receipt may
        still be on its way)."""
        return msg_id in self._acked

    @property
    def pending(self) -> list[str]:
        return [*self._pending, *self._awaiting_bound]

    # ------------------------------------------------------------------ the rules

    def evaluate(self) -> None:
        """Check the rules now; emit the acks that became due."""
        if self.conversation_id is None or not self._pending:
            return
        now = self._clock()
        if not self._is_active() or now - self._last_input() > self.idle_seconds:
            # Not looking (rule 1) or away (rule 5): dwell starts again when back.
            self._seen_since.clear()
            return
        visible = self._visible()
        for msg_id in self._pending:
            if visible.get(msg_id, 0.0) >= VISIBLE_FRACTION:
                self._seen_since.setdefault(msg_id, now)
            else:
                self._seen_since.pop(msg_id, None)
        seen = [
            msg_id
            for msg_id in self._pending
            if msg_id in self._seen_since and now - self._seen_since[msg_id] >= self.dwell_seconds
        ]
        if seen:
            self._ack(seen)

    def _ack(self, seen: list[str]) -> None:
        conversation_id = self.conversation_id
        assert conversation_id is not None
        kinds = {m: self._pending[m] for m in seen}
        for msg_id in seen:
            del self._pending[msg_id]
            self._seen_since.pop(msg_id, None)
        chat = [m for m in seen if kinds[m][0] is ReadKind.CHAT]
        group = [m for m in seen if kinds[m][0] is ReadKind.GROUP_ACK]
        bound: int | None = None
        conversation_ack = False
        if chat and self._complete and self._at_open and self._at_open <= self._acked | set(chat):
            # Every message unread at open has now been seen: one bounded ack covers
            # those of them seen just now; arrivals since open keep their message acks.
            covered = [m for m in chat if m in self._at_open]
            seqs = [kinds[m][1] for m in covered]
            if covered and all(seqs):
                conversation_ack, bound = True, max(seqs)
                chat = [m for m in chat if m not in self._at_open]
                self._at_open.clear()
        for msg_id, (kind, seq) in kinds.items():
            if kind is not ReadKind.CHAT:  # a group's badge drops with its read bound
                self._awaiting_bound[msg_id] = seq
        group_read = self._group_bound()
        if group_read is not None:
            conversation_ack, bound = True, group_read[0]
        self._acked.update(seen)
        self._update_timer()
        if conversation_ack or chat or group:
            up_to = (EVERYTHING if bound is None else bound) if conversation_ack else None
            self.messages_seen.emit(conversation_id, chat + group, up_to)

    def _group_bound(self) -> tuple[int | None] | None:
        """(bound,): the newest seen plain group message below which every group message
        was seen; None: nothing to read as a conversation yet. A bound of None (messages
        without sequence numbers) means "everything this device holds", and is only
        given once nothing in the chat is unseen."""
        if not self._awaiting_bound:
            return None
        unseen = [
            seq
            for kind, seq in self._pending.values()
            if kind in (ReadKind.GROUP_PLAIN, ReadKind.GROUP_ACK)
        ]
        if any(seq == 0 for seq in [*unseen, *self._awaiting_bound.values()]):
            # Without sequence numbers no bound can be proved: wait until nothing is unseen.
            if unseen:
                return None
            self._awaiting_bound.clear()
            return (None,)
        limit = min(unseen, default=None)
        ready = {m: s for m, s in self._awaiting_bound.items() if limit is None or s < limit}
        if not ready:
            return None
        for msg_id in ready:
            del self._awaiting_bound[msg_id]
        return (max(ready.values()),)

    def _update_timer(self) -> None:
        if self._pending and self.conversation_id is not None:
            if not self._timer.isActive():
                self._timer.start()
        else:
            self._timer.stop()
