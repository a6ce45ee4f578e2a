"""The controller's side of what a person does to a message after it exists.

Owns: `MessageActions`, a part of `controller.ChatController`: it keeps the open
chat's rows in step with recalls and edits from any device (and makes the read
tracker forget a message that is recalled or deleted while it waits to be read),
and carries out the message menu's choices (`message_menu.MessageMenu`): copy,
reply, edit, pin and unpin (owners and admins, in groups), recall (only within
the server's limit; a refusal is said in words), delete for me (after a
confirm), and info (sent, delivered and read times; the read-by view for a group
message that asked for receipts). It also sends replies and edits from the
composer, the typing hint of one-to-one chats, jumps to a message (a quote, a
search hit), and mutes or unmutes a chat (the list's menu, the header's button;
the server keeps it, for every device), and answers the message search panel
(`message_search`) and opens a chat at a hit.

Never: paint, decide what counts as read, or change the store itself (the
client's calls do).
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMenu, QMessageBox

from desktop_chat.client import ChatMessage, ChatType, MessageDirection
from desktop_chat.client.models import now_ms
from desktop_chat.protocol import Mark
from desktop_chat.protocol.validation import DEFAULT_RECALL_SECONDS
from desktop_chat.ui.announce_actions import can_pin
from desktop_chat.ui.chat.attachment_view import attachment_of, summary_text
from desktop_chat.ui.chat.message_delegate import receipt_tooltip
from desktop_chat.ui.chat.message_menu import MenuChoice, MessageMenu
from desktop_chat.ui.chat.message_search import MessageSearchDialog, SearchResult
from desktop_chat.ui.controller_host import ControllerHost


def can_recall(
    message: ChatMessage, now: int | None = None, recall_seconds: int = DEFAULT_RECALL_SECONDS
) -> bool:
    """Own, on the server, not recalled yet, and sent less than the server's limit ago."""
    now = now_ms() if now is None else now
    return (
        message.direction is MessageDirection.SEND
        and not message.recalled
        and message.mark >= Mark.SENT
        and now - message.sort_time < recall_seconds * 1000
    )


def can_edit(message: ChatMessage) -> bool:
    """Its sender's own text, once sent (a file's caption is not edited: the wire's
    edit carries text only)."""
    return (
        message.direction is MessageDirection.SEND
        and not message.recalled
        and message.mark >= Mark.SENT
        and attachment_of(message) is None
    )


def info_text(message: ChatMessage) -> str:
    """The Info box of one of our messages: when it was sent, delivered and read."""
    return receipt_tooltip(
        message.mark, message.sort_time, message.delivered_at, message.read_at
    ) or (
        QCoreApplication.translate("MessageInfo", "Sending…")
        if message.mark is Mark.PENDING
        else QCoreApplication.translate("MessageInfo", "Not sent yet.")
    )


class MessageActions(ControllerHost):
    def _wire_message_actions(self) -> None:
        s = self.signals
        s.message_recalled.connect(self._on_recalled)
        s.message_content_changed.connect(self._on_content_changed)
        s.typing.connect(self._on_typing)
        s.conversation_muted.connect(self._on_muted)
        view = self.chat_view
        view.menu_requested.connect(self.open_message_menu)
        view.reply_requested.connect(self._send_reply)
        view.edit_requested.connect(self._save_edit)
        view.draft_edited.connect(self._typed)
        view.mute_requested.connect(
            lambda muted: self.set_muted(self.messages.conversation_id, muted)
        )
        self.window.chat_list.menu_requested.connect(self.open_conversation_menu)
        self.window.message_search_requested.connect(self.open_message_search)
        self.search_dialog: MessageSearchDialog | None = None
        self.conversation_menu: QMenu | None = None
        delegate = view.list.itemDelegate()
        if hasattr(delegate, "quote_clicked"):
            delegate.quote_clicked.connect(self.jump_to_message)
        self.message_menu: MessageMenu | None = None
        self.message_box: QMessageBox | None = None

    # ------------------------------------------------------------------ from any device

    def _on_recalled(self, messages: list[ChatMessage]) -> None:
        # A recalled message is never read: it must not wait for a receipt.
        self.tracker.forget([m.msg_id for m in messages])
        self.messages.update(messages)
        for message in messages:
            if message.msg_id == self.chat_view.editing:
                self.chat_view.cancel_bar()
            self._refresh_quotes_of(message.msg_id)
            if self.conversations.row(message.conversation_id) is not None:
                self._touch_conversation(message.conversation_id, message.is_group)
        self.tracker.evaluate()

    def _on_content_changed(self, message: ChatMessage, _by: str, _at: int):
        self.messages.update([message])
        self._refresh_quotes_of(message.msg_id)
        if self.conversations.row(message.conversation_id) is not None:
            self._touch_conversation(message.conversation_id, message.is_group)

    def _refresh_quotes_of(self, msg_id: str) -> None:
        """Replies shown now that quote `msg_id` re-read their quote from the store."""
        quoting = [m.msg_id for m in self.messages.messages() if m.reply_to == msg_id]
        fresh = [m for m in (self.client.chat_manager.get_message(i) for i in quoting) if m]
        self.messages.update(fresh)

    # ------------------------------------------------------------------ typing

    def _typed(self, text: str) -> None:
        conversation_id = self.messages.conversation_id
        if not text.strip() or conversation_id is None or conversation_id.isdigit():
            return
        if self.chat_view.editing:
            return
        self.spawn(
            self.client.chat_manager.send_typing(conversation_id),
            QCoreApplication.translate("ChatController", "Could not say you are typing."),
        )

    def _on_typing(self, conversation_id: str, from_: str) -> None:
        # One-to-one only: the chat with `from_` is the one open.
        if from_ != self.me and self.messages.conversation_id == from_:
            self.chat_view.show_typing(from_)

    # ------------------------------------------------------------------ mute

    def is_muted(self, conversation_id: str) -> bool:
        conversation = self.client.chat_manager.get_conversation(conversation_id, create=False)
        return bool(conversation and conversation.is_muted)

    def set_muted(self, conversation_id: str | None, muted: bool) -> None:
        """Mute or unmute on the server: it holds on every device and after a restart."""
        if conversation_id is None:
            return
        self.spawn(
            self.client.chat_manager.set_conversation_muted(conversation_id, muted),
            QCoreApplication.translate("ChatController", "Could not mute the chat.")
            if muted
            else QCoreApplication.translate("ChatController", "Could not unmute the chat."),
        )

    def _on_muted(self, conversation_id: str, muted: bool) -> None:
        self.conversations.set_muted(conversation_id, muted)
        if conversation_id == self.messages.conversation_id:
            self.chat_view.set_muted(muted)

    def open_conversation_menu(self, conversation_id: str, global_pos) -> QMenu:
        menu = QMenu(self.window)
        menu.setObjectName("conversationMenu")
        muted = self.is_muted(conversation_id)
        action = menu.addAction(
            QCoreApplication.translate("ChatController", "Unmute")
            if muted
            else QCoreApplication.translate("ChatController", "Mute notifications")
        )
        action.setObjectName("mute")
        action.triggered.connect(lambda: self.set_muted(conversation_id, not muted))
        self.conversation_menu = menu
        menu.popup(global_pos)
        return menu

    # ------------------------------------------------------------------ the menu

    def open_message_menu(self, msg_id: str, global_pos) -> MessageMenu | None:
        message = self.client.chat_manager.get_message(msg_id)
        if message is None:
            return None
        own = message.direction is MessageDirection.SEND
        choices = [MenuChoice.COPY] if not message.recalled and message.body.content else []
        view = attachment_of(message)
        if view is not None and view.on_disk:
            choices += [MenuChoice.OPEN, MenuChoice.SHOW_IN_FOLDER]
        elif view is not None and view.sha256:
            choices.append(MenuChoice.SAVE)
        if not message.recalled and message.mark is not Mark.FAILED:
            choices.append(MenuChoice.REPLY)
        if can_edit(message):
            choices.append(MenuChoice.EDIT)
        group = self.client.groups.get(message.conversation_id) if message.is_group else None
        if group is not None and can_pin(message, group, self.me):
            pinned = group.pinned_msg_id == msg_id
            choices.append(MenuChoice.UNPIN if pinned else MenuChoice.PIN)
        if can_recall(message, recall_seconds=self.client.limits.recall_seconds):
            choices.append(MenuChoice.RECALL)
        choices.append(MenuChoice.DELETE)
        if not message.recalled and (own or (message.is_group and message.need_group_ack)):
            choices.append(MenuChoice.INFO)
        menu = MessageMenu(msg_id, choices, self.chat_view)
        menu.chosen.connect(self._menu_chosen)
        self.message_menu = menu
        menu.popup(global_pos)
        return menu

    def _menu_chosen(self, msg_id: str, choice: str) -> None:
        message = self.client.chat_manager.get_message(msg_id)
        if message is None:
            return
        if choice == MenuChoice.COPY:
            QGuiApplication.clipboard().setText(message.body.content)
        elif choice == MenuChoice.REPLY:
            self.chat_view.start_reply(msg_id, message.from_, summary_text(message))
        elif choice == MenuChoice.EDIT:
            self.chat_view.start_edit(msg_id, message.body.content)
        elif choice in (MenuChoice.OPEN, MenuChoice.SAVE):
            self.open_attachment(msg_id)
        elif choice == MenuChoice.SHOW_IN_FOLDER:
            self.show_in_folder(msg_id)
        elif choice == MenuChoice.RECALL:
            self.spawn(
                self.client.chat_manager.recall_message(msg_id),
                QCoreApplication.translate("ChatController", "Could not recall the message."),
            )
        elif choice == MenuChoice.PIN:
            self.pin_message(msg_id)
        elif choice == MenuChoice.UNPIN:
            self.unpin_message(message.conversation_id)
        elif choice == MenuChoice.DELETE:
            self._confirm_delete(message)
        elif choice == MenuChoice.INFO:
            if message.is_group and message.need_group_ack:
                self.open_read_by(msg_id)
            else:
                self._show_box(
                    QCoreApplication.translate("ChatController", "Message info"), info_text(message)
                )

    def _show_box(self, title: str, text: str) -> QMessageBox:
        box = QMessageBox(QMessageBox.Icon.Information, title, text, parent=self.window)
        box.setStandardButtons(QMessageBox.StandardButton.Close)
        self.message_box = box
        box.open()
        return box

    def _confirm_delete(self, message: ChatMessage) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Question,
            QCoreApplication.translate("ChatController", "Delete message"),
            QCoreApplication.translate(
                "ChatController", "Delete this message from this computer? Others still have it."
            ),
            parent=self.window,
        )
        delete = box.addButton(
            QCoreApplication.translate("ChatController", "Delete for me"),
            QMessageBox.ButtonRole.DestructiveRole,
        )
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setObjectName("confirmDelete")
        self.message_box = box

        def finished(_result: int) -> None:
            if box.clickedButton() is delete:
                self.delete_for_me(message.msg_id)

        box.finished.connect(finished)
        box.open()

    def delete_for_me(self, msg_id: str) -> None:
        message = self.client.chat_manager.get_message(msg_id)
        if message is None:
            return
        self.tracker.forget([msg_id])  # deleted unread: never read, never a receipt
        self.client.chat_manager.delete_message(msg_id)
        self.messages.remove(msg_id)
        if self.conversations.row(message.conversation_id) is not None:
            self._touch_conversation(message.conversation_id, message.is_group)
        self.tracker.evaluate()

    # ------------------------------------------------------------------ replies and edits

    def _send_reply(self, text: str, need_group_ack: bool, reply_to: str) -> None:
        conversation_id = self.messages.conversation_id
        if conversation_id is None:
            return
        is_group = conversation_id.isdigit()
        message = ChatMessage.text(
            conversation_id,
            text,
            ChatType.GROUP_CHAT if is_group else ChatType.CHAT,
            reply_to=reply_to,
        )
        message.need_group_ack = need_group_ack and is_group
        self._clear_draft(conversation_id)
        self.spawn(
            self.client.chat_manager.send_message(message),
            QCoreApplication.translate("ChatController", "Could not send the reply."),
        )

    def _save_edit(self, msg_id: str, text: str) -> None:
        self.spawn(
            self.client.chat_manager.modify_message(msg_id, text),
            QCoreApplication.translate("ChatController", "Could not edit the message."),
        )

    # ------------------------------------------------------------------ message search

    def open_message_search(self) -> MessageSearchDialog:
        dialog = self.search_dialog
        if dialog is None:
            dialog = MessageSearchDialog(self.window)
            dialog.query_changed.connect(self._search)
            dialog.result_activated.connect(self.open_at_message)
            self.search_dialog = dialog
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        dialog.field.setFocus()
        dialog.field.selectAll()
        return dialog

    def _search(self, query: str) -> None:
        """Results only: searching reads nothing."""
        assert self.search_dialog is not None
        found = self.client.chat_manager.search_messages(query) if query else []
        self.search_dialog.show_results(
            query,
            [
                SearchResult(
                    msg_id=m.msg_id,
                    conversation_id=m.conversation_id,
                    sender=QCoreApplication.translate("ChatController", "You")
                    if m.direction is MessageDirection.SEND
                    else m.from_,
                    chat=self._title(m.conversation_id, m.is_group),
                    text=summary_text(m),
                    time_ms=m.sort_time,
                )
                for m in found
            ],
        )

    def open_at_message(self, conversation_id: str, msg_id: str) -> None:
        """A search hit: open its chat scrolled to it, highlighted."""
        self.open_conversation(conversation_id, focus_composer=False)
        self.jump_to_message(msg_id)
        self.window.activateWindow()

    # ------------------------------------------------------------------ jumping to a message

    def jump_to_message(self, msg_id: str, max_pages: int = 40) -> bool:
        """Scroll the open chat to `msg_id` and highlight it, loading older pages until
        it is loaded (at most `max_pages`). Jumping reads nothing by itself."""
        for _ in range(max_pages):
            if self.messages.row_of(msg_id) is not None or not self.messages.fetch_older():
                break
        if self.messages.row_of(msg_id) is None:
            self.show_error(
                QCoreApplication.translate(
                    "ChatController", "That message is no longer on this computer."
                )
            )
            return False
        self.chat_view.reveal(msg_id)
        return True
