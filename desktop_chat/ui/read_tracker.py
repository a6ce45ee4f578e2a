"""When a person could really have read a message: the read-ack controller.

Owns: `ReadAckController`, the rules of RECEIPTS.md §8. A received message
counts as read only when all of these hold:
1. the window is active and not minimized (`is_active()`);
2. its chat is open (`open_chat`);
3. at least half of its bubble is inside the viewport (`visible_fractions()`);
4. it has stayed so for the dwell time (default 1 s), with 1 and 3 true throughout;
5. the person used keyboard or mouse within the idle time (default 30 s).

What it asks for, following the SDK's advice:
- a chat opened with unread messages gets one conversation ack once its newest
  message has been seen (messages seen before that get message acks);
- while a chat is open, each arriving message that is seen gets a message ack;
  all seen in one evaluation go out together (and the client batches further);
- group messages that asked for read receipts get group acks; other group
  messages can only be read as a whole conversation, so seeing them asks for a
  (private, receipt-less on the wire) conversation ack.

Its inputs are injectable callables (active, visible, last input, clock), so
tests drive every rule without a real window manager. A notification, the tray
or the conversation list never reach it, so they never count as reading.

Never: send anything itself (it emits signals; the controller sends), or ack a
message twice.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

VISIBLE_FRACTION = 0.5


class ReadKind(enum.Enum):
    CHAT = "chat"  # one-to-one: a message ack
    GROUP_ACK = "group_ack"  # group message that asked for read receipts: a group ack
    GROUP_PLAIN = "group_plain"  # other group message: read with the conversation


class ReadAckController(QObject):
    conversation_ack_requested = Signal(str)  # conversation_id
    message_acks_requested = Signal(str, list)  # conversation_id, [msg_id]
    group_acks_requested = Signal(str, list)  # group_id, [msg_id]

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
        self._pending: dict[str, ReadKind] = {}
        self._seen_since: dict[str, float] = {}
        self._acked: set[str] = set()
        self._newest_at_open: str | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.evaluate)

    # ------------------------------------------------------------------ inputs

    def open_chat(self, conversation_id: str, unread: list[tuple[str, ReadKind]]) -> None:
        """A chat is now shown; `unread` are its unread received messages, oldest first."""
        self.conversation_id = conversation_id
        self._pending = {msg_id: kind for msg_id, kind in unread if msg_id not in self._acked}
        self._seen_since.clear()
        self._newest_at_open = unread[-1][0] if unread else None
        self._update_timer()

    def close_chat(self) -> None:
        self.conversation_id = None
        self._pending.clear()
        self._seen_since.clear()
        self._newest_at_open = None
        self._update_timer()

    def message_arrived(self, conversation_id: str, msg_id: str, kind: ReadKind) -> None:
        """A received, unread message joined the open chat."""
        if conversation_id != self.conversation_id or msg_id in self._acked:
            return
        self._pending[msg_id] = kind
        self._update_timer()

    def forget(self, msg_ids: list[str]) -> None:
        """These were read elsewhere (another device): nothing to ack."""
        for msg_id in msg_ids:
            self._pending.pop(msg_id, None)
            self._seen_since.pop(msg_id, None)
            if msg_id == self._newest_at_open:
                self._newest_at_open = None
        self._update_timer()

    @property
    def pending(self) -> list[str]:
        return list(self._pending)

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
        conversation_ack = False
        if self._newest_at_open is not None and self._newest_at_open in seen:
            # The newest unread message at open was seen: one ack for the conversation.
            conversation_ack = True
            self._newest_at_open = None
            covered = [m for m, kind in self._pending.items() if kind is not ReadKind.GROUP_ACK]
        else:
            covered = []
        chat = [m for m in seen if self._pending[m] is ReadKind.CHAT and m not in covered]
        group = [m for m in seen if self._pending[m] is ReadKind.GROUP_ACK]
        plain = [m for m in seen if self._pending[m] is ReadKind.GROUP_PLAIN]
        conversation_ack = conversation_ack or bool(plain)
        if conversation_ack:
            covered += plain
        done = set(covered) | set(chat) | set(group)
        for msg_id in done:
            self._pending.pop(msg_id, None)
            self._seen_since.pop(msg_id, None)
            self._acked.add(msg_id)
        self._update_timer()
        if conversation_ack:
            self.conversation_ack_requested.emit(conversation_id)
        if chat:
            self.message_acks_requested.emit(conversation_id, chat)
        if group:
            self.group_acks_requested.emit(conversation_id, group)

    def _update_timer(self) -> None:
        if self._pending and self.conversation_id is not None:
            if not self._timer.isActive():
                self._timer.start()
        else:
            self._timer.stop()
