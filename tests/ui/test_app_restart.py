"""Restarting the app: what a person had must come back exactly as it was.

Each test runs the real app (`AppSession`) on a data dir, quits it with Ctrl+Q,
and starts a second app on the same data dir: a new client and a new window,
on the same real server.
"""

from __future__ import annotations

import asyncio

from app_driver import App, until

from desktop_chat.client import ChatMessage, GroupRole
from desktop_chat.protocol import Mark
from desktop_chat.ui.chat.message_delegate import MessageRow, read_count_label


def test_a_group_comes_back_after_a_restart_exactly_as_it_was(qt_loop, clients, tmp_path):
    async def scenario():
        harness = clients.harness
        await harness.start()
        await harness.register("carol")
        bob = await clients.login("bob")
        app = await App(tmp_path / "alice-pc", harness.url).start()
        await app.sign_in("alice", register=True)
        controller = app.controller
        group = await controller.create_group("Launch team", ["bob", "carol"], "admins")
        view = controller.chat_view
        assert view.ask_receipts.isVisibleTo(app.window)  # alice owns it
        view.composer.setPlainText("Release on Friday")
        view.ask_receipts.setChecked(True)
        view.send_button.click()
        await until(
            lambda: any(m.mark >= Mark.SENT for m in controller.messages.messages()),
            what="the announcement sent",
        )
        notice = controller.messages.messages()[-1]
        await until(lambda: bob.chat_manager.get_message(notice.msg_id) is not None)
        await bob.chat_manager.send_group_message_read_ack(notice.msg_id, group.group_id)
        await until(
            lambda: controller.client.chat_manager.get_message(notice.msg_id).group_ack_count == 1,
            what="Read 1/2 at alice",
        )
        controller.start_chat("carol")  # another chat is open while bob writes
        for text in ("one", "two"):
            await bob.chat_manager.send_message(ChatMessage.text(group.group_id, text, "groupchat"))
        await until(lambda: controller.conversations.row(group.group_id).unread == 2)
        await app.ctrl_q()

        again = await App(tmp_path / "alice-pc", harness.url).start()
        controller = again.controller
        assert controller is not None, "the saved session resumes"
        row = controller.conversations.row(group.group_id)
        assert row.title == "Launch team"
        assert row.is_group
        assert row.unread == 2
        controller.open_conversation(group.group_id)
        view = controller.chat_view
        assert view.title.text() == "Launch team"
        assert view.subtitle.text() == "Group · 3 members"
        assert view.info_button.isVisibleTo(again.window)
        assert view.ask_receipts.isVisibleTo(again.window), "the owner's toggle is back"
        index = controller.messages.index(controller.messages.row_of(notice.msg_id))
        shown = MessageRow.from_index(index)
        assert shown.shows_read_count
        assert read_count_label(shown.group_ack_count, shown.group_member_count) == "Read 1/2"
        view.info_button.click()
        info = controller.group_info_view
        assert info is not None, "Members… opens the group's members"
        await until(lambda: len(info.group.members or {}) == 3, what="members listed")
        assert info.group.role_of("alice") is GroupRole.OWNER
        assert info.group.role_of("bob") is GroupRole.MEMBER
        await again.ctrl_q()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_an_admins_toggle_survives_a_restart_without_the_server(qt_loop, clients, tmp_path):
    """Groups are kept on this computer: roles are known before the server answers."""

    async def scenario():
        harness = clients.harness
        await harness.start()
        await harness.register("alice", "carol")
        owner = await clients.login("alice")
        group = await owner.group_manager.create_group("Ops", ["carol"])
        app = await App(tmp_path / "bob-pc", harness.url).start()
        await app.sign_in("bob", register=True)
        await owner.group_manager.add_members(group.group_id, ["bob"])
        await owner.group_manager.add_admin(group.group_id, "bob")
        controller = app.controller
        await until(lambda: controller.conversations.row(group.group_id) is not None)
        controller.open_conversation(group.group_id)
        await until(
            lambda: controller.chat_view.ask_receipts.isVisibleTo(app.window),
            what="bob, an admin, may ask for receipts",
        )
        await app.ctrl_q()

        client = clients.new("bob-again")
        client.data_dir = tmp_path / "bob-pc" / "accounts"
        await client.resume("bob")
        await harness.stop()  # the server goes away: what bob's computer knows remains
        await until(lambda: not client.is_connected)
        cached = client.groups.get(group.group_id)
        assert cached is not None and cached.name == "Ops"
        assert cached.role_of("bob") is GroupRole.ADMIN
        await client.close()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_started_while_the_server_is_down_the_window_opens_and_reconnects(
    qt_loop, clients, tmp_path
):
    """A saved session never turns into a password prompt because the server is away."""

    async def scenario():
        harness = clients.harness
        await harness.start()
        await harness.register("alice")
        alice = await clients.login("alice")
        app = await App(tmp_path / "bob-pc", harness.url).start()
        await app.sign_in("bob", register=True)
        await alice.chat_manager.send_message(ChatMessage.text("bob", "see you"))
        controller = app.controller
        await until(lambda: controller.conversations.row("alice") is not None)
        await app.ctrl_q()
        url = harness.url
        await harness.stop()

        again = await App(tmp_path / "bob-pc", url).start()
        assert again.session.login_dialog is None, "asked for a password it does not need"
        assert again.controller.conversations.row("alice") is not None
        label = again.window.connection_label.text()
        assert label != "Connected", label
        await harness.start()
        await until(
            lambda: again.window.connection_label.text() == "Connected",
            timeout=15,
            what="the window reconnects by itself",
        )
        await again.ctrl_q()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))
