"""The thin controller that wires one signed-in client to its window.

Owns: `ChatController`: it feeds the models from the client's store and the Qt
bridge's signals (receipts go straight to the models), reports what the read-ack
controller saw to the client in one call (`ChatManager.mark_read`, which decides
which receipts that sends), sends what the composer asks, keeps each chat's
draft (in the client's local store: it survives switching chats and restarts),
and applies settings; its group side (read-by view, members and roles) is
`group_views.GroupViews`; what a person does to a message (its menu, replies,
edits, recalls, typing) is `message_actions.MessageActions`; an announcement's
confirmation and the group's pinned notice are `announce_actions.AnnounceActions`;
files and pictures
(sending, progress, downloads, the viewer) are `attachment_actions.AttachmentActions`
(what those three use of it is declared in `controller_host.ControllerHost`). Every client call
that waits for the server runs as an asyncio task; a failure becomes a clear
message in the window.

Never: paint, decide what counts as read (the read-ack controller does) or which
receipt a read sends (the client does), or read back what it just wrote.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from PySide6.QtCore import QObject, QTimer

from desktop_chat.client import (
    ChatClient,
    ChatError,
    ChatMessage,
    ChatType,
    Conversation,
    Group,
    GroupMessageAck,
    MessageDirection,
)
from desktop_chat.client.models import now_ms
from desktop_chat.client.qt_bridge import ChatSignals
from desktop_chat.ui.announce_actions import AnnounceActions
from desktop_chat.ui.attachment_actions import AttachmentActions
from desktop_chat.ui.chat.attachment_view import summary_text
from desktop_chat.ui.chat.chat_view import ChatView
from desktop_chat.ui.chat.message_model import MessageListModel, notice_of
from desktop_chat.ui.conversations.conversation_model import ConversationListModel, ConversationRow
from desktop_chat.ui.group_views import GroupViews
from desktop_chat.ui.main_window import MainWindow
from desktop_chat.ui.message_actions import MessageActions
from desktop_chat.ui.painting.common import short_preview
from desktop_chat.ui.read_tracker import ReadAckController, ReadKind
from desktop_chat.ui.wording import explain

log = logging.getLogger(__name__)
DRAFT_SAVE_MS = 400


def read_kind(message: ChatMessage) -> ReadKind:
    if not message.is_group:
        return ReadKind.CHAT
    return ReadKind.GROUP_ACK if message.need_group_ack else ReadKind.GROUP_PLAIN


class ChatController(GroupViews, MessageActions, AnnounceActions, AttachmentActions, QObject):
    def __init__(
        self,
        client: ChatClient,
        *,
        message_delegate=None,
        conversation_delegate=None,
        dwell_seconds: float = 1.0,
        idle_seconds: float = 30.0,
        notifications: bool = True,
        tracker_sources: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.client = client
        self.me = client.username or ""
        self.notifications = notifications
        self.signals = ChatSignals(client, self)
        self.messages = MessageListModel(self)
        self.conversations = ConversationListModel(self)
        self.chat_view = ChatView(self.messages, message_delegate)
        self.window = MainWindow(self.me, self.conversations, self.chat_view, conversation_delegate)
        sources = {
            "is_active": self.window.is_active_for_reading,
            "visible_fractions": self.chat_view.visible_fractions,
            "last_input": self.window.last_input,
            **(tracker_sources or {}),
        }
        self._is_active = sources["is_active"]
        self.tracker = ReadAckController(
            dwell_seconds=dwell_seconds, idle_seconds=idle_seconds, parent=self, **sources
        )
        self.read_by_views = {}
        self.stats_running: dict[str, bool] = {}
        self.group_info_view = None
        self._tasks: set[asyncio.Task] = set()
        self.errors: list[str] = []
        # A draft is written to the store once typing pauses, and whenever the chat changes.
        self._draft_timer = QTimer(self)
        self._draft_timer.setSingleShot(True)
        self._draft_timer.setInterval(DRAFT_SAVE_MS)
        self._draft_timer.timeout.connect(self.save_draft)
        self._wire()
        self.reload_conversations()
        self.window.show_connection(client.is_connected, self.server_url)

    # ------------------------------------------------------------------ wiring

    def _wire(self) -> None:
        s = self.signals
        s.messages_received.connect(self._on_received)
        # Receipts go straight to the models: each repaints a row once per flush.
        for receipts in (s.messages_delivered, s.messages_read, s.group_messages_delivered):
            receipts.connect(self.messages.update)
            receipts.connect(self.conversations.show_receipts)
        s.messages_marked_read.connect(self.messages.update)  # what this person read
        s.message_status_changed.connect(self._on_status_changed)
        s.conversation_read.connect(self._on_conversation_read)
        s.group_message_read.connect(self._on_group_read)
        s.conversation_updated.connect(self._on_conversation_updated)
        s.group_changed.connect(self._on_group_changed)
        s.group_ack_reminder.connect(self._on_reminder)
        s.connected.connect(self._on_connected)
        s.disconnected.connect(lambda: self.window.show_connection(False, self.server_url))
        s.error.connect(lambda e: self.show_error(self.explain(e)))
        s.token_expired.connect(
            lambda: self.show_error(self.tr("Your session has ended. Sign out and sign in again."))
        )
        self.window.conversation_selected.connect(self.open_conversation)
        self.window.conversation_browsed.connect(
            lambda conversation_id: self.open_conversation(conversation_id, focus_composer=False)
        )
        self.window.activation_changed.connect(lambda _active: self.tracker.evaluate())
        self.chat_view.visibility_changed.connect(self.tracker.evaluate)
        self.chat_view.send_requested.connect(self._send)
        self.chat_view.draft_edited.connect(lambda _text: self._draft_timer.start())
        self.chat_view.info_requested.connect(self.open_group_info)
        self.tracker.messages_seen.connect(self._on_seen)
        delegate = self.chat_view.list.itemDelegate()
        if hasattr(delegate, "read_count_clicked"):
            delegate.read_count_clicked.connect(self.open_read_by)
        if hasattr(delegate, "retry_clicked"):
            delegate.retry_clicked.connect(self.retry)
        self._wire_message_actions()
        self._wire_announcements()
        self._wire_attachments()

    def _on_connected(self) -> None:
        self.window.show_connection(True, self.server_url)
        # Caught up: groups and unread counts are as the server has them now.
        self.reload_conversations()
        self.refresh_header()

    def spawn(self, coro: Coroutine[Any, Any, Any], what: str) -> asyncio.Task:
        """Run a client call; a failure is shown to the person, not lost.

        `what` is the whole sentence for a failure, translated: "Could not send the
        message." The reason and what to do follow it."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)

        def done(task: asyncio.Task) -> None:
            self._tasks.discard(task)
            if task.cancelled():
                return
            error = task.exception()
            if isinstance(error, ChatError):
                self.show_error(
                    self.tr(
                        "{failure} {explanation}", "what failed, then why and what to do"
                    ).format(failure=what, explanation=self.explain(error))
                )
            elif error is not None:
                log.error("%s", what, exc_info=error)
                self.show_error(
                    self.tr("{failure} ({error}) Try again.").format(failure=what, error=error)
                )

        task.add_done_callback(done)
        return task

    @property
    def server_url(self) -> str:
        return self.client.options.server_url

    def explain(self, error: ChatError) -> str:
        """An error as the window says it (the client keeps reconnecting by itself)."""
        return explain(error, self.server_url, retrying=True)

    def show_error(self, text: str) -> None:
        self.errors.append(text)
        self.window.show_error(text)

    # ------------------------------------------------------------------ conversations

    def _title(self, conversation_id: str, is_group: bool) -> str:
        if not is_group:
            return conversation_id
        group = self.client.groups.get(conversation_id)
        return group.name if group else self.tr("Group {id}").format(id=conversation_id)

    def _row(
        self, conversation: Conversation, is_group: bool, unread: int | None = None
    ) -> ConversationRow:
        """A conversation as its list row (the store's copy, with its last message)."""
        conversation_id = conversation.conversation_id
        last = conversation.latest_message
        outgoing = last is not None and last.direction is MessageDirection.SEND
        return ConversationRow(
            conversation_id=conversation_id,
            title=self._title(conversation_id, is_group),
            is_group=is_group,
            last_text=(notice_of(last) or summary_text(last)) if last else "",
            last_time=last.sort_time if last else 0,
            unread=conversation.unread_count if unread is None else unread,
            last_outgoing_mark=last.mark if outgoing and last is not None else None,
            draft=self.client.require_store().draft(conversation_id),
            muted=conversation.is_muted,
            last_msg_id=last.msg_id if last else "",
        )

    def reload_conversations(self) -> None:
        rows = [
            self._row(c, c.type is ChatType.GROUP_CHAT)
            for c in self.client.chat_manager.load_all_conversations()
        ]
        self.conversations.reset(rows)

    def _touch_conversation(self, conversation_id: str, is_group: bool) -> None:
        """Rebuild a conversation's row from the store (3 SELECTs): after a message
        arrived, was sent, recalled, edited or deleted; receipts never need it."""
        conversation = self.client.chat_manager.get_conversation(conversation_id)
        assert conversation is not None
        self.conversations.upsert(self._row(conversation, is_group))

    # ------------------------------------------------------------------ drafts

    def save_draft(self) -> None:
        """Keep the composer's text as the open chat's draft (on this computer)."""
        self._draft_timer.stop()
        conversation_id = self.messages.conversation_id
        store = self.client.store
        if conversation_id is None or store is None:
            return
        text = self.chat_view.draft()
        text = text if text.strip() else ""
        if store.draft(conversation_id) == text:
            return
        if text:  # a chat with a draft stays in the list, even with no message yet
            conversation = self.client.chat_manager.get_conversation(conversation_id)
            chat_type = conversation.type if conversation else ChatType.CHAT
            store.touch_conversation(conversation_id, chat_type, 0)
        store.set_draft(conversation_id, text, now_ms())
        store.commit()
        if self.conversations.row(conversation_id) is None:
            self._touch_conversation(conversation_id, conversation_id in self.client.groups)
        self.conversations.set_draft(conversation_id, text)

    def _clear_draft(self, conversation_id: str) -> None:
        self._draft_timer.stop()
        store = self.client.require_store()
        store.set_draft(conversation_id, "", now_ms())
        store.commit()
        self.conversations.set_draft(conversation_id, "")

    def open_conversation(self, conversation_id: str, focus_composer: bool = True) -> None:
        """Show a chat; the composer takes the focus unless the person is browsing
        the list with the keyboard."""
        if conversation_id == self.messages.conversation_id:
            self.window.show_chat(conversation_id)
            if focus_composer:
                self.chat_view.composer.setFocus()
            return
        self.save_draft()  # the text in the composer belongs to the chat being left
        conversation = self.client.chat_manager.get_conversation(conversation_id)
        assert conversation is not None
        is_group = conversation.type is ChatType.GROUP_CHAT
        self.messages.load(
            conversation_id,
            lambda before, count: self.client.chat_manager.local_messages(
                conversation_id, before, count
            ),
            at_least=conversation.unread_count,
        )
        self.chat_view.show_conversation(*self.header(conversation_id, is_group))
        self.chat_view.set_draft(self.client.require_store().draft(conversation_id))
        self.chat_view.set_unread_below(conversation.unread_count)
        self.chat_view.set_muted(conversation.is_muted)
        if is_group:
            self.ensure_members(conversation_id)
        self.window.show_chat(conversation_id)
        if focus_composer:
            self.chat_view.composer.setFocus()
        unread = [
            (m.msg_id, read_kind(m), m.conv_seq)
            for m in self.messages.messages()
            if m.direction is MessageDirection.RECEIVE and not self._is_read(m)
        ]
        if unread:
            # Open at the first unread message, under "N unread messages".
            count = max(len(unread), conversation.unread_count)
            self.messages.set_unread_marker(unread[0][0], count)
            self.chat_view.open_at(unread[0][0])
        # All of the chat's unread messages are loaded: only then may one conversation
        # ack cover them once each has been seen.
        complete = len(unread) >= conversation.unread_count
        self.tracker.open_chat(conversation_id, unread, complete=complete)
        self.refresh_pin()  # after the tracker knows the chat: the bar may read its message
        self.tracker.evaluate()

    @staticmethod
    def _is_read(message: ChatMessage) -> bool:
        return message.read_ack_sent if message.need_group_ack else message.recipient_read

    # ------------------------------------------------------------------ events from the client

    def _on_received(self, messages: list[ChatMessage]) -> None:
        touched: dict[str, bool] = {}
        for message in messages:
            self.messages.upsert(message)
            touched[message.conversation_id] = message.is_group
            incoming = message.direction is MessageDirection.RECEIVE
            if incoming and message.from_ == self.messages.conversation_id:
                self.chat_view.clear_typing()  # what was being typed has arrived
            if incoming and message.conversation_id == self.tracker.conversation_id:
                self.tracker.message_arrived(
                    message.conversation_id, message.msg_id, read_kind(message), message.conv_seq
                )
            if (
                incoming
                and self.notifications
                and not self.is_muted(message.conversation_id)
                and not (
                    self._is_active() and message.conversation_id == self.tracker.conversation_id
                )
            ):
                self.window.notify(
                    self._notification_title(message),
                    short_preview(summary_text(message)),
                    message.conversation_id,
                )
        for conversation_id, is_group in touched.items():
            self._touch_conversation(conversation_id, is_group)
        self.tracker.evaluate()

    def _notification_title(self, message: ChatMessage) -> str:
        """Who wrote, and where: "alice", or "alice in Launch team" for a group."""
        if not message.is_group:
            return message.from_
        return self.tr("{sender} in {group}", "a notification's title").format(
            sender=message.from_, group=self._title(message.conversation_id, True)
        )

    def _on_status_changed(self, message: ChatMessage) -> None:
        """One of our messages was created, stored or failed (sent from any code path)."""
        self.messages.upsert(message)
        self._touch_conversation(message.conversation_id, message.is_group)

    def _reload_marks(self, conversation_id: str) -> None:
        """Re-read the open conversation's rows from the store, after a conversation ack
        from the peer or another of my devices (the push names no messages)."""
        if self.messages.conversation_id != conversation_id:
            return
        fresh = self.client.chat_manager.local_messages(
            conversation_id, None, max(self.messages.rowCount(), 1)
        )
        self.messages.update(fresh)

    def _on_conversation_read(self, from_: str, to: str) -> None:
        if from_ == self.me:  # read on another of my devices
            conversation_id = to
            fresh = self.client.chat_manager.local_messages(conversation_id, None, 500)
            self.tracker.forget([m.msg_id for m in fresh if m.recipient_read])
        else:
            conversation_id = from_
        self._reload_marks(conversation_id)
        row = self.conversations.row(conversation_id)
        if row is not None:
            self._touch_conversation(conversation_id, row.is_group)

    def _on_group_read(self, acks: list[GroupMessageAck]) -> None:
        ids = list(dict.fromkeys(ack.message_id for ack in acks))
        fresh = [m for m in (self.client.chat_manager.get_message(i) for i in ids) if m]
        self.messages.update(fresh)
        for ack in acks:
            view = self.read_by_views.get(ack.message_id)
            if view is not None:
                view.add_acks([ack])

    def _on_conversation_updated(self, conversation_id: str, unread: int) -> None:
        if self.conversations.row(conversation_id) is None:
            self._touch_conversation(conversation_id, conversation_id.isdigit())
        self.conversations.set_unread(conversation_id, unread)
        if conversation_id == self.messages.conversation_id:
            self.chat_view.set_unread_below(unread)

    def _on_reminder(self, msg_id: str, group_id: str, from_: str) -> None:
        message = self.client.chat_manager.get_message(msg_id)
        text = short_preview(summary_text(message)) if message else self.tr("an announcement")
        self.window.notify(
            self.tr("{sender} asks you to read").format(sender=from_), text, group_id
        )

    # ------------------------------------------------------------------ reading

    def _on_seen(self, conversation_id: str, msg_ids: list[str], up_to: int | None) -> None:
        """Report what the person saw; the client decides what receipts that sends, and
        its changed rows come back through `messages_marked_read`."""
        try:
            self.client.chat_manager.mark_read(conversation_id, up_to, msg_ids)
        except ChatError as error:
            self.show_error(
                self.tr("Could not mark the chat as read. {explanation}").format(
                    explanation=self.explain(error)
                )
            )

    # ------------------------------------------------------------------ sending

    def _send(self, text: str, need_group_ack: bool) -> None:
        conversation_id = self.messages.conversation_id
        if conversation_id is None:
            return
        is_group = conversation_id.isdigit()
        message = ChatMessage.text(
            conversation_id, text, ChatType.GROUP_CHAT if is_group else ChatType.CHAT
        )
        message.need_group_ack = need_group_ack and is_group
        self._clear_draft(conversation_id)

        # The row appears (pending) and updates through on_message_status_changed.
        self.spawn(
            self.client.chat_manager.send_message(message), self.tr("Could not send the message.")
        )

    def retry(self, msg_id: str) -> None:
        self.spawn(
            self.client.chat_manager.resend_message(msg_id),
            self.tr("Could not resend the message."),
        )

    def start_chat(self, username: str) -> None:
        conversation = self.client.chat_manager.get_conversation(username, ChatType.CHAT)
        assert conversation is not None
        self.conversations.upsert(self._row(conversation, False, 0))
        self.open_conversation(username)

    async def start_chat_if_exists(self, username: str) -> str | None:
        """Open a chat with `username` once the server says the account exists (a chat
        already on this device opens at once); otherwise what to tell the person."""
        known = self.client.chat_manager.get_conversation(username, create=False)
        if known is None:
            try:
                exists = await self.client.chat_manager.user_exists(username)
            except ChatError as exc:
                return explain(exc, self.client.options.server_url, retrying=True)
            if not exists:
                return self.tr(
                    "There is no account “{name}” on this server. Check the spelling,"
                    " or ask them to create one first."
                ).format(name=username)
        self.start_chat(username)
        return None

    async def create_group(self, name: str, members: list[str], ack_policy: str) -> Group:
        """Create a group and open it; ChatError (e.g. an unknown member) is the caller's."""
        group = await self.client.group_manager.create_group(name, members, ack_policy)
        manager = self.client.chat_manager
        conversation = manager.get_conversation(group.group_id, ChatType.GROUP_CHAT)
        assert conversation is not None
        self.conversations.upsert(self._row(conversation, True, 0))
        self.open_conversation(group.group_id)
        return group

    # ------------------------------------------------------------------ settings, leaving

    def apply_settings(self, settings) -> None:
        options = self.client.options
        options.require_delivery_ack = settings.delivery_receipts
        options.require_ack = settings.read_receipts
        options.strip_photo_location = settings.strip_photo_location
        self.tracker.dwell_seconds = settings.dwell_seconds
        self.tracker.idle_seconds = settings.idle_seconds
        self.notifications = settings.notifications

    async def shutdown(self) -> None:
        """Detach from the client; the caller closes it (outbox kept for next time)."""
        self.save_draft()
        self.tracker.close_chat()
        self.signals.detach()
        for task in list(self._tasks):
            task.cancel()
        for view in [*self.read_by_views.values(), self.group_info_view, self.confirm_popup]:
            if view is not None:
                view.close()
        self.window.dispose()
