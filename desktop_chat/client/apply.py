"""Applying the server's events to the local store, exactly once, in seq order.

Owns: `EventApplier.apply(events)`. For each push with a seq above the store's
last applied seq it changes the store (messages, marks, unread counts, the
outbox's delivery acks), records the new last seq in the same transaction,
commits, and only then queues the callbacks. An event at or below the last seq
was applied before (a replay after a reconnect or a restart) and is skipped, so
callbacks fire once.

Receipt marks move only through `protocol.status.advance`. With `require_ack`
off, incoming read receipts are ignored; with `require_delivery_ack` off,
nothing is acked for delivery.

Recalls, edits and mutes are logged events like the rest (`message_recalled`,
`message_edited`, `conversation_muted`); a recalled message loses its text, never
counts as unread and is never acked; after the commit, `after_recall` is told of it
(as it was), so the private copy of a photo this device sent goes. A message deleted
on this device stays deleted whatever the log replays. Ephemeral pushes (`peer_typing`) have no seq:
they are passed on as callbacks and never move the applied seq.

A `BadEvent` (a logged event the client could not read) is never skipped unseen:
it is logged and told (`on_bad_event`) in its place in seq order, and the applied
seq moves past it only then, as for any event it applied.

Never: send frames (the outbox does), or fire callbacks before commit.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import Any, TypeAlias

import msgspec

from desktop_chat.client.attachments import from_wire
from desktop_chat.client.events import Notifier
from desktop_chat.client.local_store import LocalStore
from desktop_chat.client.models import (
    ChatMessage,
    ChatType,
    Group,
    GroupMessageAck,
    GroupRole,
    MessageDirection,
    ReplyPreview,
    now_ms,
)
from desktop_chat.client.options import ChatOptions
from desktop_chat.protocol import Mark, MarkEvent, advance
from desktop_chat.protocol import frames as f
from desktop_chat.protocol.structs import MESSAGE_KEPT_FIELDS, body_text

log = logging.getLogger(__name__)
ACK_KINDS = ("delivery_ack", "read_ack", "group_read_ack")  # outbox entries keyed by msg_id
# The events a batch fires, in order: (callback name, *its arguments) for the notifier.
Queued: TypeAlias = list[tuple[Any, ...]]


_pin_decoder = msgspec.json.Decoder(f.MessageInfo)


def group_from_info(info: f.GroupInfo, me: str = "", store: LocalStore | None = None) -> Group:
    """The group as the server sent it; its pinned message is `store`'s own copy where
    it has one (with this user's read and confirm), else the server's."""
    members = None
    if info.members is not None:
        members = {m.username: GroupRole(m.role) for m in info.members}
    pin = info.pinned
    group = Group(
        group_id=info.group_id,
        name=info.name,
        owner=info.owner,
        ack_policy=info.ack_policy,
        member_count=info.member_count,
        members=members,
        pinned_msg_id=pin.msg_id if pin else None,
        pinned_by=pin.by if pin else None,
        pinned_at=pin.at if pin else None,
        pinned_source=msgspec.json.encode(pin.message) if pin else None,
    )
    return restored(group, me, store)


def restored(group: Group, me: str, store: LocalStore | None = None) -> Group:
    """`group` with its `pinned_message` made from its `pinned_source` (or the local
    copy of that message)."""
    if group.pinned_msg_id is None or group.pinned_source is None:
        return dataclasses.replace(group, pinned_message=None)
    local = store.message(group.pinned_msg_id) if store is not None else None
    if local is None:
        try:
            local = message_from_info(_pin_decoder.decode(group.pinned_source), me)
        except (msgspec.DecodeError, msgspec.ValidationError):
            local = None
    return dataclasses.replace(group, pinned_message=local)


def conversation_of(chat_type: str, from_: str, to: str, me: str) -> str:
    """Group: the group id. One-to-one: the peer's name, whichever side we are."""
    return to if chat_type == "groupchat" or from_ == me else from_


def preview_from_info(preview: f.ReplyPreview | None) -> ReplyPreview | None:
    if preview is None:
        return None
    return ReplyPreview(preview.msg_id, preview.from_, preview.text, preview.recalled)


def message_from_info(info: f.MessageInfo, me: str) -> ChatMessage:
    own = info.from_ == me
    conversation_id = conversation_of(info.chat_type, info.from_, info.to, me)
    mark = advance(Mark.PENDING, MarkEvent.STORED)
    if info.delivered_at is not None:
        mark = advance(mark, MarkEvent.DELIVERY_ACK)
    if info.read_at is not None:
        mark = advance(mark, MarkEvent.READ_ACK)
    return ChatMessage(
        msg_id=info.msg_id,
        conversation_id=conversation_id,
        from_=info.from_,
        to=info.to,
        chat_type=ChatType(info.chat_type),
        body=from_wire(info.body),
        direction=MessageDirection.SEND if own else MessageDirection.RECEIVE,
        local_time=info.local_time or info.server_time,
        mark=mark,
        created=False,
        reply_preview=preview_from_info(info.reply_preview),
        **{name: getattr(info, name) for name in MESSAGE_KEPT_FIELDS},
        # A body without text is a recalled message, whatever else the frame says.
        recalled_at=(info.recalled_at or info.server_time) if info.body is None else None,
    )


class EventApplier:
    def __init__(
        self,
        store: LocalStore,
        me: str,
        options: ChatOptions,
        notifier: Notifier,
        wants_flush: Callable[[], None],
        groups: dict[str, Group],
    ) -> None:
        self.store = store
        self.me = me
        self.options = options
        self.notifier = notifier
        self._wants_flush = wants_flush
        self.groups = groups
        # Told, after the commit, of each message a recall from elsewhere took away (as
        # it was before): its private photo copy goes (`MessageActions.forget_photo`).
        self.after_recall: Callable[[ChatMessage], None] | None = None
        self._recalled_here: list[ChatMessage] = []
        self._handlers: dict[type, Callable[[Any, Queued], bool | None]] = {
            f.MessagePush: self._message,
            f.DeliveredPush: self._delivered,
            f.ReadPush: self._read,
            f.ConversationReadPush: self._conversation_read,
            f.SelfReadPush: self._self_read,
            f.GroupReadPush: self._group_read,
            f.GroupDeliveredPush: self._group_delivered,
            f.GroupChangedPush: self._group_changed,
            f.GroupAckReminderPush: self._reminder,
            f.MessageRecalledPush: self._recalled,
            f.MessageEditedPush: self._edited,
            f.ConversationMutedPush: self._muted,
            f.SelfConfirmedPush: self._self_confirmed,
            f.GroupPinnedPush: self._group_pinned,
        }

    def apply(self, events: list[f.Push | f.Ephemeral | f.BadEvent]) -> None:
        queued: Queued = []
        acks_added = False
        last = self.store.last_seq
        try:
            for event in events:
                if isinstance(event, f.Ephemeral):
                    self._ephemeral(event, queued)
                    continue
                if isinstance(event, f.BadEvent):
                    if event.seq is None or event.seq > last:
                        self._bad(event, queued)
                        last = last if event.seq is None else event.seq
                    continue
                if event.seq <= last:
                    continue
                # Seqs may jump: the server does not push this device the events
                # its own replies already told it (the copy of a message it sent).
                acks_added |= bool(self._handlers[type(event)](event, queued))
                last = event.seq
            self.store.last_seq = last
            self.store.commit()
        except Exception:
            self.store.rollback()
            self._recalled_here.clear()
            log.exception("could not apply events; they will be fetched again")
            raise
        gone, self._recalled_here = self._recalled_here, []
        for message in gone:
            if self.after_recall is not None:
                self.after_recall(message)
        for name, *args in queued:
            self.notifier.queue(name, *args)
        if acks_added:
            self._wants_flush()

    # ------------------------------------------------------------------ handlers

    def _bump_unread(self, conversation_id: str, by: int, queued: Queued) -> None:
        count = self.store.unread_count(conversation_id) + by
        self.store.set_unread(conversation_id, count)
        queued.append(("on_conversation_updated", conversation_id, max(0, count)))

    def _set_unread(self, conversation_id: str, count: int, queued: Queued) -> None:
        self.store.set_unread(conversation_id, count)
        queued.append(("on_conversation_updated", conversation_id, count))

    def _message(self, event: f.MessagePush, queued: Queued) -> bool:
        incoming = message_from_info(event.message, self.me)
        if self.store.is_deleted(incoming.msg_id):
            return False  # deleted on this device: a replay does not bring it back
        existing = self.store.message(incoming.msg_id)
        if existing is not None:
            # Our own message, sent from this device: the copy confirms it.
            mark = advance(existing.mark, MarkEvent.STORED)
            if mark is not existing.mark or not existing.server_time:
                existing.mark, existing.created = mark, False
                existing.server_time = existing.server_time or incoming.server_time
                existing.conv_seq = existing.conv_seq or incoming.conv_seq
                self.store.save_message(existing)
                queued.append(("on_message_status_changed", existing))
            return False
        acked = False
        if incoming.direction is MessageDirection.RECEIVE and not incoming.recalled:
            wants_ack = incoming.need_group_ack if incoming.is_group else incoming.need_delivery_ack
            if wants_ack and self.options.require_delivery_ack:
                self.store.outbox_add("delivery_ack", incoming.msg_id, {}, now_ms())
                acked = True
        self.store.save_message(incoming)
        self.store.touch_conversation(
            incoming.conversation_id, incoming.chat_type, incoming.server_time
        )
        if incoming.direction is MessageDirection.RECEIVE and not incoming.recalled:
            self._bump_unread(incoming.conversation_id, 1, queued)
        queued.append(("on_messages_received", [incoming]))
        return acked

    def _advance(self, msg_ids: list[str], event: MarkEvent, at: int) -> list[ChatMessage]:
        changed = []
        for message in self.store.messages(msg_ids):
            if message.direction is not MessageDirection.SEND:
                continue
            mark = advance(message.mark, event)
            if mark is message.mark:
                continue
            message.mark = mark
            message.delivered_at = message.delivered_at or at
            if mark is Mark.READ:
                message.read_at = message.read_at or at
            self.store.save_message(message)
            changed.append(message)
        return changed

    def _delivered(self, event: f.DeliveredPush, queued: Queued) -> None:
        if not self.options.require_delivery_ack:
            return
        changed = self._advance(event.msg_ids, MarkEvent.DELIVERY_ACK, event.time)
        if changed:
            queued.append(("on_messages_delivered", changed))

    def _read(self, event: f.ReadPush, queued: Queued) -> None:
        if not self.options.require_ack:
            return
        changed = self._advance(event.msg_ids, MarkEvent.READ_ACK, event.time)
        if changed:
            queued.append(("on_messages_read", changed))

    def _conversation_read(self, event: f.ConversationReadPush, queued: Queued) -> None:
        if event.from_ == self.me:
            # Read on another of our devices, up to its bound.
            self.store.mark_received_read(
                event.conversation_id, event.read_upto, read_ack_sent=False
            )
            self._set_unread(event.conversation_id, event.unread_count or 0, queued)
            queued.append(("on_conversation_read", event.from_, event.to))
            return
        if not self.options.require_ack:
            return
        if event.msg_ids is not None:
            # Never past the bound, whatever the push names.
            bounded = self.store.messages(event.msg_ids)
            ids = [m.msg_id for m in bounded if 0 < m.conv_seq <= event.read_upto]
        else:  # an older server: everything up to the bound that asked
            ids = [m.msg_id for m in self.store.sent_unread(event.conversation_id, event.read_upto)]
        self._advance(ids, MarkEvent.READ_ACK, event.time)
        queued.append(("on_conversation_read", event.from_, event.to))

    def _self_read(self, event: f.SelfReadPush, queued: Queued) -> None:
        for message in self.store.messages(event.msg_ids):
            if not message.recipient_read:
                message.recipient_read = True
                self.store.save_message(message)
        self._set_unread(event.conversation_id, event.unread_count, queued)

    def _group_read(self, event: f.GroupReadPush, queued: Queued) -> None:
        if not self.options.require_ack:
            return
        acks = []
        for ack in event.acks:
            message = self.store.message(ack.message_id)
            confirms = ack.confirm_count or 0
            if message is not None and (
                ack.read_count > message.group_ack_count or confirms > message.group_confirm_count
            ):
                message.group_ack_count = max(message.group_ack_count, ack.read_count)
                message.group_confirm_count = max(message.group_confirm_count, confirms)
                self.store.save_message(message)
            acks.append(
                GroupMessageAck(
                    message_id=ack.message_id,
                    ack_id=ack.ack_id,
                    from_=ack.from_,
                    content=ack.content,
                    read_count=ack.read_count,
                    timestamp=ack.timestamp,
                    confirmed_at=ack.confirmed_at,
                )
            )
        queued.append(("on_group_message_read", acks))
        queued.append(("on_read_ack_for_group_message_updated",))

    def _group_delivered(self, event: f.GroupDeliveredPush, queued: Queued) -> None:
        if not self.options.require_delivery_ack:
            return
        message = self.store.message(event.msg_id)
        if message is not None and event.delivered_count > message.group_delivered_count:
            message.group_delivered_count = event.delivered_count
            self.store.save_message(message)
            queued.append(("on_group_messages_delivered", [message]))

    def _self_confirmed(self, event: f.SelfConfirmedPush, queued: Queued) -> None:
        """This user confirmed a group message on another device."""
        message = self.store.message(event.msg_id)
        if message is None or message.confirmed_at is not None:
            return
        message.confirmed_at, message.confirm_note = event.confirmed_at, event.confirm_note
        message.recipient_read = True
        self.store.save_message(message)
        queued.append(("on_message_status_changed", message))

    def _group_pinned(self, event: f.GroupPinnedPush, queued: Queued) -> None:
        cached = self.groups.get(event.group_id)
        group = group_from_info(event.group, self.me, self.store)
        if cached is not None and cached.members is not None:
            group = dataclasses.replace(group, members=cached.members)
        self.groups[group.group_id] = group
        self.store.save_group(group)
        change = "pinned" if group.pinned_msg_id is not None else "unpinned"
        queued.append(("on_group_changed", change, group, []))

    def _group_changed(self, event: f.GroupChangedPush, queued: Queued) -> None:
        group = group_from_info(event.group, self.me, self.store)
        cached = self.groups.get(group.group_id)
        if event.change == "removed":
            self.groups.pop(group.group_id, None)
            self.store.remove_group(group.group_id)
        else:
            if group.members is None and cached is not None and cached.members is not None:
                group = Group(**{**group.__dict__, "members": self._members_after(cached, event)})
            self.groups[group.group_id] = group
            self.store.save_group(group)  # in the event's transaction
            self.store.touch_conversation(group.group_id, ChatType.GROUP_CHAT, 0)
        queued.append(("on_group_changed", event.change, group, list(event.members)))

    @staticmethod
    def _members_after(cached: Group, event: f.GroupChangedPush) -> dict[str, GroupRole]:
        members = dict(cached.members or {})
        for name in event.members:
            if event.change == "members_added":
                members[name] = GroupRole.MEMBER
            elif event.change == "members_removed":
                members.pop(name, None)
            elif event.change == "admin_added":
                members[name] = GroupRole.ADMIN
            elif event.change == "admin_removed":
                members[name] = GroupRole.MEMBER
        return members

    def _reminder(self, event: f.GroupAckReminderPush, queued: Queued) -> None:
        queued.append(("on_group_ack_reminder", event.msg_id, event.group_id, event.from_))

    # ------------------------------------------------------------------ everyday messaging

    def _recalled(self, event: f.MessageRecalledPush, queued: Queued) -> None:
        conversation_id = conversation_of(event.chat_type, event.from_, event.to, self.me)
        message = self.store.message(event.msg_id)
        if message is not None and not message.recalled:
            self._recalled_here.append(message)
            self.store.recall_message(event.msg_id, event.time)
            self.store.outbox_discard(event.msg_id, ACK_KINDS)
            recalled = self.store.message(event.msg_id)
            queued.append(("on_message_recalled", [recalled]))
        if event.unread_count is not None:
            # It was unread for this user: the server's count is the truth.
            self._set_unread(conversation_id, event.unread_count, queued)

    def _edited(self, event: f.MessageEditedPush, queued: Queued) -> None:
        info = event.message
        message = self.store.message(info.msg_id)
        if message is None or message.recalled or info.body is None:
            return
        text = body_text(info.body)
        if message.body.content == text and message.edited_at == info.edited_at:
            return
        self.store.edit_message(info.msg_id, text, info.edited_at or event.time)
        changed = self.store.message(info.msg_id)
        queued.append(("on_message_content_changed", changed, event.by, event.time))

    def _muted(self, event: f.ConversationMutedPush, queued: Queued) -> None:
        chat_type = ChatType.GROUP_CHAT if event.conversation_id.isdigit() else ChatType.CHAT
        self.store.touch_conversation(event.conversation_id, chat_type, 0)
        self.store.set_mute(event.conversation_id, event.muted, event.muted_until)
        queued.append(("on_conversation_muted", event.conversation_id, event.muted))

    def _bad(self, event: f.BadEvent, queued: Queued) -> None:
        log.warning(
            "event %s of type %s cannot be read (%s: %s); moving past it",
            event.seq,
            event.type,
            event.error.code,
            event.error.message,
        )
        queued.append(("on_bad_event", event))

    def _ephemeral(self, event: f.Ephemeral, queued: Queued) -> None:
        if isinstance(event, f.PeerTypingPush):
            queued.append(("on_typing", event.conversation_id, event.from_))
