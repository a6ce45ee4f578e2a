"""The controller's group side: the read-by view, and group members and roles.

Owns: `GroupViews`, a mixin of `ChatController`: it opens the read-by view of a
group message and fills it page by page, fetches its chart's counts in one
request (`fetch_group_ack_stats`, at `read_by.chart.CHART_EDGES`; again when the
view asks, which it does at most once a second while acks arrive, never two at
once), sends reminders, opens the group info
dialog and turns its requests into group calls, keeps the open chat's header
(title, member count, who may ask for read receipts) in step with the group as
the server confirms it, and fetches a group's members when this device does
not know them yet.

Never: paint, or change a group before the server confirms it.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

from PySide6.QtCore import QCoreApplication

from desktop_chat.client import ChatError, Group, GroupMessageAck, GroupRole
from desktop_chat.ui.chat.attachment_view import summary_text
from desktop_chat.ui.controller_host import ControllerHost


class GroupViews(ControllerHost):
    """Mixed into `ChatController`, whose client, window, views and `spawn` it uses
    (as `controller_host.ControllerHost` declares them)."""

    stats_running: dict[str, bool]  # msg_id -> asked again while its fetch runs

    # ------------------------------------------------------------------ read-by view

    def open_read_by(self, msg_id: str) -> None:
        from desktop_chat.ui.read_by import ReadByDialog

        message = self.client.chat_manager.get_message(msg_id)
        if message is None or not message.is_group:
            return
        view = self.read_by_views.get(msg_id)
        if view is None:
            view = ReadByDialog(
                msg_id,
                message.conversation_id,
                summary_text(message),
                message.group_member_count or 0,
                self.window,
            )
            view.remind_requested.connect(self._remind)
            view.stats_wanted.connect(self._fetch_stats)
            view.finished.connect(lambda _result: self.read_by_views.pop(msg_id, None))
            self.read_by_views[msg_id] = view
        view.show()
        view.raise_()
        self.spawn(
            self._fill_read_by(view, msg_id, message.conversation_id),
            QCoreApplication.translate("ChatController", "Could not load who read it."),
        )

    async def _fill_read_by(self, view, msg_id: str, group_id: str) -> None:
        manager = self.client.chat_manager
        acks: list[GroupMessageAck] = []
        cursor = None
        for _ in range(1000):  # bounded: 50 per page, groups of up to 10,000 + late acks
            page = await manager.fetch_group_acks(
                msg_id, group_id, start_ack_id=cursor, page_size=50
            )
            acks += page.data
            cursor = page.cursor
            if cursor is None:
                break
        unread: list[str] = []
        cursor = None
        for _ in range(100):
            names = await manager.fetch_group_unread_members(
                msg_id, group_id, cursor=cursor, page_size=1000
            )
            unread += names.data
            cursor = names.cursor
            if cursor is None:
                break
        view.set_acks(acks)
        view.set_unread(unread)
        self._fetch_stats(msg_id, group_id)

    def _fetch_stats(self, msg_id: str, group_id: str) -> None:
        """The chart's counts, one request at a time (one asked for meanwhile follows)."""
        running = self.stats_running
        if msg_id in running:
            running[msg_id] = True  # again once this one is back
            return
        running[msg_id] = False

        async def fetch() -> None:
            from desktop_chat.ui.read_by.chart import CHART_EDGES

            try:
                stats = await self.client.chat_manager.fetch_group_ack_stats(
                    msg_id, group_id, list(CHART_EDGES)
                )
            finally:
                again = running.pop(msg_id, False)
            view = self.read_by_views.get(msg_id)
            if view is not None:
                view.set_stats(stats)
                if again:
                    self._fetch_stats(msg_id, group_id)

        self.spawn(
            fetch(),
            QCoreApplication.translate("ChatController", "Could not load the reading progress."),
        )

    def _remind(self, msg_id: str, group_id: str) -> None:
        async def remind() -> None:
            reminded = await self.client.chat_manager.remind_group_unread(msg_id, group_id)
            view = self.read_by_views.get(msg_id)
            if view is not None:
                view.show_reminded(reminded)

        self.spawn(
            remind(), QCoreApplication.translate("ChatController", "Could not send the reminder.")
        )

    # ------------------------------------------------------------------ group members and roles

    def header(self, conversation_id: str, is_group: bool) -> tuple[str, str, bool, bool]:
        """The open chat's title, subtitle, whether this user may ask for read receipts,
        and whether it is a group, from what this device knows."""
        if not is_group:
            return (
                conversation_id,
                QCoreApplication.translate("ChatController", "Direct message"),
                False,
                False,
            )
        group = self.client.groups.get(conversation_id)
        if group is None:
            return (
                QCoreApplication.translate("ChatController", "Group {id}").format(
                    id=conversation_id
                ),
                QCoreApplication.translate("ChatController", "Group"),
                False,
                True,
            )
        role = group.role_of(self.me)
        can_ask = group.ack_policy == "all" or role in (GroupRole.OWNER, GroupRole.ADMIN)
        count = group.member_count
        subtitle = QCoreApplication.translate("ChatController", "Group · %n members", "", count)
        return group.name, subtitle, can_ask, True

    def refresh_header(self) -> None:
        """Show the open chat's header as the group now stands (keeps the composer as is)."""
        conversation_id = self.messages.conversation_id
        if conversation_id is not None:
            is_group = conversation_id in self.client.groups or conversation_id.isdigit()
            self.chat_view.update_header(*self.header(conversation_id, is_group))

    def ensure_members(self, group_id: str) -> None:
        """Fetch a group's members and roles when this device does not know them."""
        group = self.client.groups.get(group_id)
        if group is not None and group.members is not None:
            return

        async def fetch() -> None:
            await self.client.group_manager.get_group(group_id)
            self.reload_conversations()
            self.refresh_header()

        if self.client.is_connected:
            self.spawn(
                fetch(),
                QCoreApplication.translate("ChatController", "Could not load the group's members."),
            )

    def _on_group_changed(self, change: str, group: Group, members: list[str]) -> None:
        self.reload_conversations()
        if group.group_id == self.messages.conversation_id:
            self.refresh_header()
            self.ensure_members(group.group_id)
        view = self.group_info_view
        if view is not None and view.group.group_id == group.group_id:
            self.spawn(
                self._refresh_group_info(group.group_id),
                QCoreApplication.translate("ChatController", "Could not refresh the group."),
            )

    async def _refresh_group_info(self, group_id: str) -> None:
        group = await self.client.group_manager.get_group(group_id)
        if self.group_info_view is not None:
            self.group_info_view.set_group(group)

    def open_group_info(self) -> None:
        from desktop_chat.ui.group_info import GroupInfoDialog

        group_id = self.messages.conversation_id
        if group_id is None:
            return
        group = self.client.groups.get(group_id)
        if group is None:  # not known on this device yet: ask the server, then open

            async def fetch_and_open() -> None:
                await self.client.group_manager.get_group(group_id)
                if self.messages.conversation_id == group_id:
                    self.open_group_info()

            self.spawn(
                fetch_and_open(),
                QCoreApplication.translate("ChatController", "Could not load the group."),
            )
            return
        if self.group_info_view is not None:
            self.group_info_view.close()
        view = GroupInfoDialog(group, self.me, self.window)
        manager = self.client.group_manager
        self.group_info_view = view
        view.finished.connect(lambda _r: setattr(self, "group_info_view", None))
        view.add_members_requested.connect(
            lambda gid, names: self._group_change(manager.add_members(gid, names))
        )
        view.remove_member_requested.connect(
            lambda gid, name: self._group_change(manager.remove_members(gid, [name]))
        )
        view.set_admin_requested.connect(
            lambda gid, name, admin: self._group_change(
                manager.add_admin(gid, name) if admin else manager.remove_admin(gid, name)
            )
        )
        view.ack_policy_requested.connect(
            lambda gid, policy: self._group_change(manager.set_ack_policy(gid, policy))
        )
        view.leave_requested.connect(self._leave_group)
        view.show()
        self.spawn(
            self._refresh_group_info(group_id),
            QCoreApplication.translate("ChatController", "Could not load the members."),
        )

    def _group_change(self, call: Coroutine[Any, Any, Group]) -> None:
        view = self.group_info_view

        async def change() -> None:
            try:
                group = await call
            except ChatError as exc:
                if view is not None:
                    view.show_error(
                        QCoreApplication.translate(
                            "ChatController", "{reason}. Nothing was changed; try again."
                        ).format(reason=exc.description)
                    )
                return
            if view is not None:
                view.set_group(group)
            self.reload_conversations()

        self.spawn(
            change(), QCoreApplication.translate("ChatController", "Could not change the group.")
        )

    def _leave_group(self, group_id: str) -> None:
        async def leave() -> None:
            await self.client.group_manager.leave_group(group_id)
            if self.group_info_view is not None:
                self.group_info_view.close()
            self.tracker.close_chat()
            self.messages.clear()
            self.window.show_placeholder()
            self.reload_conversations()

        self.spawn(
            leave(), QCoreApplication.translate("ChatController", "Could not leave the group.")
        )
