"""`desktop-chat --demo`: a working messenger for a newcomer, in seconds.

Owns: the demo world: a fresh local server, the accounts alice and bob (two
windows side by side), a "Launch team" group owned by alice with simulated
members, and a Chinese-speaking contact. The simulated members are real
`ChatClient`s: they receive over the real protocol, ack delivery on their own,
and read announcements after a random delay, so "Read n/m" climbs by itself;
li.wei answers alice's messages in Chinese and reads them.

Within seconds a newcomer sees ✓ turn into ✓✓ and then blue ✓✓ as they switch
between the two windows, and the group announcement's read count rise. Signing
out of a demo window ends that window; the demo ends with its last window, or
with Quit.

Never: pretend: every tick in the demo comes from a real receipt.
"""

from __future__ import annotations

import asyncio
import random
import shutil
from pathlib import Path

from desktop_chat.client import ChatClient, ChatEventHandler, ChatMessage, ChatOptions, ChatType
from desktop_chat.embedded import EmbeddedServer

PASSWORD = "demo-password"
PEOPLE = ("alice", "bob")
MEMBERS = ("carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy")
CHINESE_CONTACT = "li.wei"
CHINESE_REPLIES = ("收到！我马上看一下。", "好的，没问题。", "谢谢，明天见！")
NOTES = ("Got it 👍", "Thanks!", None, "Will do", None, "收到", None, "On it ✅")
ANNOUNCEMENT = "Launch moved to Friday 10:00. Please confirm you have read this."


class SimulatedMember:
    """A real client that reads announcements after a random delay."""

    def __init__(self, client: ChatClient, rng: random.Random, delays: tuple[float, float]):
        self.client = client
        self.rng = rng
        self.delays = delays
        self._tasks: set[asyncio.Task] = set()
        client.chat_manager.add_event_handler(
            "simulation", ChatEventHandler(on_messages_received=self._received)
        )

    def _received(self, messages: list[ChatMessage]) -> None:
        for message in messages:
            if message.from_ == self.client.username:
                continue
            task = asyncio.ensure_future(self._react(message))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Stop reacting (a reaction still waiting would act on a closed client), then
        sign this member's client out of the demo."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.client.close()

    async def _react(self, message: ChatMessage) -> None:
        await asyncio.sleep(self.rng.uniform(*self.delays))
        manager = self.client.chat_manager
        if message.is_group and message.need_group_ack:
            note = self.rng.choice(NOTES)
            await manager.send_group_message_read_ack(message.msg_id, message.to, note)
        elif not message.is_group:
            await manager.send_conversation_read_ack(message.conversation_id)
            if self.client.username == CHINESE_CONTACT:
                await asyncio.sleep(self.rng.uniform(0.5, 1.5))
                reply = self.rng.choice(CHINESE_REPLIES)
                await manager.send_message(ChatMessage.text(message.from_, reply))


class DemoWorld:
    """The server, the people, the group and the simulation, without any window."""

    def __init__(
        self,
        root: Path,
        *,
        seed: int | None = None,
        delays=(1.5, 8.0),
        server_options: dict | None = None,
    ) -> None:
        """`server_options`: more `ServerConfig` fields for its server (the screenshots
        slow uploads down, to show one on its way)."""
        self.root = root
        self.server_options = dict(server_options or {})
        self.rng = random.Random(seed)
        self.delays = delays
        self.server: EmbeddedServer | None = None
        self.url = ""
        self.people: dict[str, ChatClient] = {}
        self.members: list[SimulatedMember] = []
        self.group_id = ""

    def options(self) -> ChatOptions:
        return ChatOptions(
            server_url=self.url,
            require_delivery_ack=True,
            reconnect_initial_seconds=0.2,
        )

    async def start(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)  # a fresh world every time
        self.root.mkdir(parents=True)
        # Every demo account signs up from this machine at once: no sign-up throttle.
        everyone = len(PEOPLE) + len(MEMBERS) + 1
        self.server = EmbeddedServer(
            self.root / "server.db",
            argon2_time_cost=1,
            argon2_memory_kib=8192,
            registration_burst=everyone,
            max_unauthenticated_per_address=max(32, everyone),
            **self.server_options,
        )
        self.url = await asyncio.to_thread(self.server.start)
        for name in (*PEOPLE, *MEMBERS, CHINESE_CONTACT):
            client = ChatClient(self.options(), self.root / "devices" / name)
            await client.register(name, PASSWORD)
            await client.login(name, PASSWORD)
            if name in PEOPLE:
                self.people[name] = client
            else:
                self.members.append(SimulatedMember(client, self.rng, self.delays))
        alice, bob = self.people["alice"], self.people["bob"]
        group = await alice.group_manager.create_group(
            "Launch team", ["bob", *MEMBERS], ack_policy="admins"
        )
        self.group_id = group.group_id
        li_wei = next(m.client for m in self.members if m.client.username == CHINESE_CONTACT)
        await li_wei.chat_manager.send_message(
            ChatMessage.text("alice", "你好 Alice！发布会的资料我已经发到群里了。")
        )
        await bob.chat_manager.send_message(
            ChatMessage.text("alice", "Hi Alice! Did you see the new launch plan?")
        )
        await alice.chat_manager.send_message(
            ChatMessage.text("bob", "Yes, reading it now. Let's go through it at 3?")
        )

    async def announce(self, text: str = ANNOUNCEMENT) -> ChatMessage:
        alice = self.people["alice"]
        notice = ChatMessage.text(self.group_id, text, ChatType.GROUP_CHAT)
        notice.need_group_ack = True
        return await alice.chat_manager.send_message(notice)

    async def stop(self) -> None:
        for member in self.members:
            await member.close()
        for client in self.people.values():
            await client.close()
        if self.server is not None:
            await asyncio.to_thread(self.server.stop)


async def run_demo(root: Path) -> None:
    from PySide6.QtWidgets import QApplication

    from desktop_chat.ui.controller import ChatController
    from desktop_chat.ui.excepthook import install_excepthook
    from desktop_chat.ui.i18n import install_translations
    from desktop_chat.ui.session import make_controller
    from desktop_chat.ui.settings import AppSettings

    install_translations()  # the system's language; the chat content stays as written
    world = DemoWorld(root)
    await world.start()
    quit_event = asyncio.Event()
    controllers: list[ChatController] = []

    async def sign_out(controller: ChatController) -> None:
        # The demo's people cannot sign in again: signing out ends that window, and the
        # demo once no window is left. Their clients close with the demo world.
        if controller in controllers:
            controllers.remove(controller)
            await controller.shutdown()
        if not controllers:
            quit_event.set()

    screen = QApplication.primaryScreen().availableGeometry()
    width = max(560, min(760, screen.width() // 2 - 20))
    for offset, name in enumerate(PEOPLE):
        controller = make_controller(world.people[name], AppSettings())
        window = controller.window
        window.resize(width, min(720, screen.height() - 60))
        window.move(screen.left() + offset * (width + 16), screen.top() + 20)
        window.close_requested.connect(quit_event.set)
        window.sign_out_requested.connect(lambda c=controller: asyncio.ensure_future(sign_out(c)))
        window.show()
        controllers.append(controller)
    install_excepthook(controllers[0].show_error)
    alice, bob = controllers
    alice.open_conversation(world.group_id)
    bob.open_conversation("alice")
    await world.announce()
    try:
        await quit_event.wait()
    finally:
        for controller in list(controllers):
            await controller.shutdown()
        await world.stop()
