"""What the server may ask of its store for announcements (a part of `interface.Store`).

Owns: `AnnouncementStore`, the typing protocol of a member's ack (with its confirm),
the confirm of an ack made before, a viewer's acks of several messages, a message's
ack times (its read progress is counted from them), its reminders, and a group's one
pinned message. Every backend
implements it (`store_groups.py`, `postgres_groups.py`); `interface.Store` includes it,
and the contract suite (`tests/cluster/storage/test_contract_announcements.py`) runs it
on each.

Never: hold SQL, or import a database driver.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from desktop_chat.server.rows import AckRow, AckTimes, PinRow

__all__ = ["AckTimes", "AnnouncementStore", "PinRow"]


class AnnouncementStore(Protocol):
    """Confirms, ack times, reminders and pins."""

    def add_group_ack(
        self, message_id: int, user_id: int, content: str | None, now: int, confirmed: bool = False
    ) -> AckRow:
        """Store a member's first ack and count it on the message; `confirmed`: it is a
        confirm too (confirmed at `now`, counted in `group_confirm_count`)."""
        ...

    def confirm_group_ack(
        self, message_id: int, user_id: int, content: str | None, now: int
    ) -> AckRow | None:
        """Confirm a member's ack that is not confirmed yet (at `now`, its note
        `content` if given, else the one it has) and count it; the ack after it, or
        None when there is no such ack (none, or confirmed already)."""
        ...

    def group_acks_of(self, user_id: int, message_ids: Sequence[int]) -> dict[int, AckRow]:
        """`user_id`'s acks of these messages, by message id (those it made)."""
        ...

    def group_ack_times(self, message_id: int) -> AckTimes:
        """When the message's acks were made and its confirms given, each sorted
        (one index-only range scan)."""
        ...

    def add_group_reminder(self, message_id: int, by_id: int, reminded: int, now: int) -> None:
        """Record that `by_id` reminded `reminded` members to read the message at `now`."""
        ...

    def group_reminders(self, message_id: int) -> list[int]:
        """The times (ms) the message's reminders went out, oldest first."""
        ...

    def group_pin(self, group_id: int) -> PinRow | None:
        """The group's pinned message, if one is pinned."""
        ...

    def set_group_pin(self, group_id: int, msg_id: str, by_id: int, now: int) -> None:
        """Pin a message (replacing the group's pin, if any)."""
        ...

    def clear_group_pin(self, group_id: int) -> bool:
        """Unpin; False if nothing was pinned."""
        ...
