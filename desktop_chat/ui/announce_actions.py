"""The controller's announcement side: a member's confirmation, and the pinned notice.

Owns: `AnnounceActions`, a part of `controller.ChatController`: the "Confirm"
of a received announcement (the delegate's pill, or Enter on it) opens a
`confirm_popup.ConfirmPopup`, and its Send is an explicit confirmation
(`send_group_message_read_ack(..., confirm=True)`, even if the message was
already read automatically); the pinned message of the open group in the chat
view's `pin_bar` (`pin_view`: the owner's or admin's "Read n/m", a member's own
read state, and a × only once it may be hidden), kept in step with pins and
unpins from any member's device, receipts and this person's reading; Pin and
Unpin from the message menu (owners and admins: `can_pin`); and which pins this
person hid for themselves (`HiddenPins`, a small file in their own directory, so
it holds after a restart; a pin made again shows again).

The pin bar is a place where the pinned message can be read: while it shows an
unread announcement, the read tracker waits for it as for a bubble, and the
chat view measures the bar as it measures bubbles. Nothing else reads it.

Never: paint, decide what counts as read (the read tracker does), or change a
group before the server confirms it.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QPoint

from desktop_chat.client import ChatMessage, Group, GroupRole, MessageDirection
from desktop_chat.client.private_files import private_file, user_dir
from desktop_chat.protocol import Mark
from desktop_chat.ui.chat.attachment_view import summary_text
from desktop_chat.ui.chat.confirm_popup import ConfirmPopup
from desktop_chat.ui.chat.message_layout import read_count_label
from desktop_chat.ui.chat.pin_bar import PinView
from desktop_chat.ui.controller_host import ControllerHost
from desktop_chat.ui.read_tracker import ReadKind

log = logging.getLogger(__name__)
HIDDEN_PINS_FILE = "hidden_pins.json"


def can_pin(message: ChatMessage, group: Group | None, me: str) -> bool:
    """Owners and admins pin a group message that is on the server and not recalled."""
    if group is None or not message.is_group or message.recalled:
        return False
    if message.direction is MessageDirection.SEND and message.mark < Mark.SENT:
        return False
    return group.role_of(me) in (GroupRole.OWNER, GroupRole.ADMIN)


def is_read_by_me(message: ChatMessage) -> bool:
    if message.direction is MessageDirection.SEND:
        return True
    return message.read_ack_sent if message.need_group_ack else message.recipient_read


def pin_view(message: ChatMessage, group: Group, me: str, seen: bool = False) -> PinView:
    """What the pin bar shows of `message` to `me` (`seen`: read here just now, its
    receipt on its way)."""
    own = message.direction is MessageDirection.SEND
    sender = QCoreApplication.translate("AnnounceActions", "You") if own else message.from_
    unread = False
    if own and message.need_group_ack:
        state = read_count_label(message.group_ack_count, message.group_member_count)
    elif message.need_group_ack and not own:
        if message.confirmed_at is not None:
            state = QCoreApplication.translate("AnnounceActions", "Confirmed")
        elif message.read_ack_sent or seen:
            state = QCoreApplication.translate("AnnounceActions", "Read")
        else:
            state, unread = QCoreApplication.translate("AnnounceActions", "Not read yet"), True
    else:
        state = ""
    return PinView(
        msg_id=message.msg_id,
        sender=sender,
        text=summary_text(message),
        state=state,
        closable=seen or is_read_by_me(message),
        unread=unread,
    )


class HiddenPins:
    """The pins one person hid for themselves: {group_id: "msg_id@pinned_at"}."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._hidden: dict[str, str] = {}
        if path is not None and path.is_file():
            try:
                loaded = json.loads(path.read_text(encoding="utf-8") or "{}")
                self._hidden = {str(k): str(v) for k, v in dict(loaded).items()}
            except (OSError, ValueError, TypeError):
                log.warning("ignoring unreadable %s", path)

    @staticmethod
    def _key(msg_id: str, pinned_at: int | None) -> str:
        return f"{msg_id}@{pinned_at or 0}"

    def is_hidden(self, group_id: str, msg_id: str, pinned_at: int | None) -> bool:
        return self._hidden.get(group_id) == self._key(msg_id, pinned_at)

    def hide(self, group_id: str, msg_id: str, pinned_at: int | None) -> None:
        self._hidden[group_id] = self._key(msg_id, pinned_at)
        if self.path is None:
            return
        try:
            private_file(self.path).write_text(json.dumps(self._hidden), encoding="utf-8")
        except OSError as error:
            log.warning("could not save %s: %s", self.path, error)


class AnnounceActions(ControllerHost):
    def _wire_announcements(self) -> None:
        delegate = self.chat_view.list.itemDelegate()
        if hasattr(delegate, "confirm_clicked"):
            delegate.confirm_clicked.connect(self.open_confirm)
        bar = self.chat_view.pin_bar
        bar.activated.connect(self._pin_activated)
        bar.hide_requested.connect(self.hide_pin)
        s = self.signals
        s.group_changed.connect(self._pin_changed)
        s.group_message_read.connect(lambda _acks: self.refresh_pin())
        s.messages_marked_read.connect(lambda _messages: self.refresh_pin())
        self.confirm_popup: ConfirmPopup | None = None
        home = None
        if self.me:
            home = user_dir(Path(self.client.data_dir), self.me) / HIDDEN_PINS_FILE
        self.hidden_pins = HiddenPins(home)

    # ------------------------------------------------------------------ confirming

    def open_confirm(self, msg_id: str) -> ConfirmPopup | None:
        """The "Confirm" of a received announcement: its popup, over the chat."""
        message = self.client.chat_manager.get_message(msg_id)
        if (
            message is None
            or message.direction is MessageDirection.SEND
            or not (message.is_group and message.need_group_ack)
            or message.recalled
        ):
            return None
        if self.confirm_popup is not None:
            self.confirm_popup.close()
        popup = ConfirmPopup(
            msg_id, summary_text(message), self.client.limits.max_note_bytes, self.window
        )
        popup.confirmed.connect(self.confirm)
        popup.finished.connect(lambda _r: setattr(self, "confirm_popup", None))
        self.confirm_popup = popup
        popup.adjustSize()
        view = self.chat_view
        centre = view.mapToGlobal(QPoint(view.width() // 2, view.height() // 2))
        popup.move(centre - QPoint(popup.width() // 2, popup.height() // 2))
        popup.open()
        return popup

    def confirm(self, msg_id: str, note: str) -> None:
        """An explicit confirmation with `note` ("" for none); the owner sees it live."""
        message = self.client.chat_manager.get_message(msg_id)
        if message is None:
            return
        group_id = message.conversation_id

        async def send() -> None:
            await self.client.chat_manager.send_group_message_read_ack(
                msg_id, group_id, note or None, confirm=True
            )
            self.tracker.forget([msg_id])  # confirmed: read, nothing left to wait for
            fresh = self.client.chat_manager.get_message(msg_id)
            if fresh is not None:
                self.messages.update([fresh])
            self.refresh_pin()

        self.spawn(
            send(),
            QCoreApplication.translate("AnnounceActions", "Could not send your confirmation."),
        )

    # ------------------------------------------------------------------ pinning

    def pin_message(self, msg_id: str) -> None:
        message = self.client.chat_manager.get_message(msg_id)
        if message is None:
            return

        async def pin() -> None:
            await self.client.group_manager.pin_message(message.conversation_id, msg_id)
            self.refresh_pin()

        self.spawn(
            pin(), QCoreApplication.translate("AnnounceActions", "Could not pin the message.")
        )

    def unpin_message(self, group_id: str) -> None:
        async def unpin() -> None:
            await self.client.group_manager.unpin_message(group_id)
            self.refresh_pin()

        self.spawn(
            unpin(), QCoreApplication.translate("AnnounceActions", "Could not unpin the message.")
        )

    def pinned_message(self, group_id: str) -> ChatMessage | None:
        """The group's pinned message as this device has it (its own read state), else
        as the server sent it; None when nothing is pinned."""
        group = self.client.groups.get(group_id)
        if group is None or not group.pinned_msg_id:
            return None
        stored = self.client.chat_manager.get_message(group.pinned_msg_id)
        return stored if stored is not None else group.pinned_message

    def refresh_pin(self) -> None:
        """Show the open group's pin as it stands now (or none)."""
        bar = self.chat_view.pin_bar
        group_id = self.messages.conversation_id
        group = self.client.groups.get(group_id) if group_id else None
        message = self.pinned_message(group_id) if group_id and group else None
        if group is None or message is None or message.recalled:
            bar.show_pin(None)
            return
        seen = self.tracker.was_seen(message.msg_id)  # its receipt may be on its way
        view = pin_view(message, group, self.me, seen)
        if view.closable and self.hidden_pins.is_hidden(
            group.group_id, message.msg_id, group.pinned_at
        ):
            bar.show_pin(None)
            return
        bar.show_pin(view)
        stored = self.client.chat_manager.get_message(message.msg_id) is not None
        if stored and not (seen or is_read_by_me(message)) and message.need_group_ack:
            # The bar is a place where it can be read: the tracker waits for it there.
            self.tracker.message_arrived(
                group.group_id, message.msg_id, ReadKind.GROUP_ACK, message.conv_seq
            )
            self.tracker.evaluate()

    def hide_pin(self, msg_id: str) -> None:
        group_id = self.messages.conversation_id
        group = self.client.groups.get(group_id) if group_id else None
        if group is None or group.pinned_msg_id != msg_id:
            return
        self.hidden_pins.hide(group.group_id, msg_id, group.pinned_at)
        self.refresh_pin()

    def _pin_activated(self, msg_id: str) -> None:
        """A click on the bar: the message in the chat (loaded pages only go so far)."""
        self.jump_to_message(msg_id)

    def _pin_changed(self, change: str, group: Group, _members: list[str]) -> None:
        if change in ("pinned", "unpinned") and group.group_id == self.messages.conversation_id:
            self.refresh_pin()
