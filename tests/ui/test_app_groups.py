"""Group members and roles through the real app: the dialog's requests reach the
server, and the confirmed group comes back into the dialog."""

from __future__ import annotations

import asyncio

from desktop_chat.client import GroupRole
from desktop_chat.ui.controller import ChatController


async def until(predicate, timeout: float = 10.0, what: str = "condition") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise TimeoutError(f"{what} not reached within {timeout} s")
        await asyncio.sleep(0.02)


def test_owner_manages_members_and_admins_from_the_group_dialog(qt_loop, clients):
    async def scenario():
        await clients.harness.start()
        await clients.harness.register("bob", "carol", "dave")
        alice = await clients.login("alice")
        group = await alice.group_manager.create_group("Launch team", ["bob", "carol"])
        controller = ChatController(alice)
        controller.window.show()
        controller.open_conversation(group.group_id)
        assert controller.chat_view.info_button.isVisibleTo(controller.window)
        controller.open_group_info()
        view = controller.group_info_view
        await until(lambda: view.group.members is not None and len(view.group.members) == 3)

        view.add_members_requested.emit(group.group_id, ["dave"])
        await until(lambda: "dave" in (view.group.members or {}), what="dave added")
        view.set_admin_requested.emit(group.group_id, "bob", True)
        await until(lambda: view.group.role_of("bob") is GroupRole.ADMIN, what="bob admin")
        view.remove_member_requested.emit(group.group_id, "carol")
        await until(lambda: "carol" not in (view.group.members or {}), what="carol removed")
        server_side = await alice.group_manager.get_group(group.group_id)
        assert set(server_side.members) == {"alice", "bob", "dave"}
        assert server_side.role_of("bob") is GroupRole.ADMIN

        view.add_members_requested.emit(group.group_id, ["nobody"])
        await until(lambda: view.error_text() != "", what="an error for an unknown user")
        assert "nobody" in view.error_text()
        await controller.shutdown()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))
