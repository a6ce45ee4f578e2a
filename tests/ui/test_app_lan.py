"""Sharing this computer's server with people on the network, as two people do it.

alice's app runs the built-in server shared (TLS on its own certificate; here on
127.0.0.1, as every test server listens); bob's app, on another data dir (another
computer), types the address alice's sign-in window shows, is asked whether the
security code matches, trusts it, and chats. Then both apps restart: alice's
server comes back on the same address with the same certificate, and bob's app
goes on trusting it without asking again.
"""

from __future__ import annotations

import asyncio
import re

from app_driver import PASSWORD, App, until
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QPushButton, QRadioButton

from desktop_chat.client import ChatMessage
from desktop_chat.protocol import Mark
from desktop_chat.ui.dialogs.login import TrustDialog, plain
from desktop_chat.ui.own_server import OwnServer
from desktop_chat.ui.settings import load


def click(widget) -> None:
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton)


def own(data_dir) -> OwnServer:
    return OwnServer(data_dir, share_host="127.0.0.1")


async def share_and_register(app: App, name: str) -> tuple[str, str]:
    """In the sign-in dialog: share the server, read what others type; register."""
    dialog = app.session.login_dialog
    assert dialog is not None
    click(dialog.findChild(QRadioButton, "server_shared"))
    sharing = dialog.findChild(QLabel, "sharing")
    await until(sharing.isVisible, what="the address for others")
    found = re.search(
        r"(wss://127\.0\.0\.1:\d+).*security code ((?:[0-9A-F]{4} ?){6})", dialog.sharing_text()
    )
    assert found, dialog.sharing_text()
    await app.sign_in(name, register=True)
    return found.group(1), found.group(2).strip()


def test_a_server_shared_on_the_network_is_trusted_once_and_survives_restarts(qt_loop, tmp_path):
    async def scenario():
        alice_pc, bob_pc = tmp_path / "alice-pc", tmp_path / "bob-pc"
        apps: list[App] = []
        try:
            alice = await App(alice_pc, "", own_server=own(alice_pc)).start()
            apps.append(alice)
            address, code = await share_and_register(alice, "alice")
            assert load(alice_pc / "settings.json").share_on_network
            alice.session.open_settings()  # signed in, alice can still read it out
            settings = alice.session._dialogs[-1]
            shown = settings.findChild(QLabel, "sharing")
            assert address in plain(shown.text()) and code in plain(shown.text())
            settings.reject()

            bob = await App(bob_pc, "", own_server=own(bob_pc)).start()
            apps.append(bob)
            question = await bob_joins(bob, address)
            assert bob.session.login_dialog.findChild(QRadioButton, "server_remote").isChecked()
            assert question.code.text() == code, "bob compares what alice's window shows"
            click(question.findChild(QPushButton, "trust"))
            await until(lambda: bob.session.controller is not None, what="bob signed in")
            await bob.shown()
            pin = load(bob_pc / "settings.json").trusted_certificates[address]
            assert pin == alice.own_server.pin

            sent = await bob.controller.client.chat_manager.send_message(
                ChatMessage.text("alice", "hello over the network")
            )
            alice_manager = alice.controller.client.chat_manager
            await until(
                lambda: alice_manager.get_message(sent.msg_id) is not None, what="it arrives"
            )
            bob_manager = bob.controller.client.chat_manager
            await until(
                lambda: bob_manager.get_message(sent.msg_id).mark >= Mark.DELIVERED,
                what="delivered tick at bob",
            )

            await alice.ctrl_q()
            await bob.ctrl_q()
            apps.clear()

            alice = await App(alice_pc, "", own_server=own(alice_pc)).start()
            apps.append(alice)
            assert alice.controller is not None, "alice's session resumes"
            assert alice.own_server.shared and alice.own_server.url.endswith(address.split(":")[-1])
            assert alice.own_server.pin == pin, "the same certificate: nobody must trust again"
            bob = await App(bob_pc, "", own_server=own(bob_pc)).start()
            apps.append(bob)
            assert bob.controller is not None, "bob's session resumes, trusting the pin"
            await until(lambda: bob.controller.client.is_connected, what="bob connected again")
            again = await bob.controller.client.chat_manager.send_message(
                ChatMessage.text("alice", "still here")
            )
            alice_manager = alice.controller.client.chat_manager
            await until(lambda: alice_manager.get_message(again.msg_id) is not None, what="again")
        finally:
            for app in apps:
                await app.close()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 90))


async def bob_joins(bob: App, address: str, register: bool = True) -> TrustDialog:
    """bob types alice's address and creates his account (or signs in); the trust
    question opens."""
    dialog = bob.session.login_dialog
    assert dialog is not None
    bob.login_field("server_url").setText(address)
    bob.login_field("username").setText("bob")
    bob.login_field("password").setText(PASSWORD)
    click(dialog.findChild(QPushButton, "register" if register else "sign_in"))
    await until(lambda: dialog.findChild(TrustDialog) is not None, what="the trust question")
    question = dialog.findChild(TrustDialog)
    await until(question.isVisible, what="the trust question shown")
    return question


def test_a_server_set_up_again_is_not_trusted_silently(qt_loop, tmp_path):
    """alice's certificate is made anew (her computer set up again): bob's app refuses
    it, says why, and trusts the new one only after bob compared its code."""

    async def scenario():
        alice_pc, bob_pc = tmp_path / "alice-pc", tmp_path / "bob-pc"
        apps: list[App] = []
        try:
            alice = await App(alice_pc, "", own_server=own(alice_pc)).start()
            apps.append(alice)
            address, _code = await share_and_register(alice, "alice")
            bob = await App(bob_pc, "", own_server=own(bob_pc)).start()
            apps.append(bob)
            click((await bob_joins(bob, address)).findChild(QPushButton, "trust"))
            await until(lambda: bob.session.controller is not None, what="bob signed in")
            old_pin = alice.own_server.pin
            await alice.ctrl_q()
            apps.remove(alice)
            for name in ("server.pem", "server.key"):
                (alice_pc / "tls" / name).unlink()

            alice = await App(alice_pc, "", own_server=own(alice_pc)).start()
            apps.append(alice)
            assert alice.own_server.pin != old_pin and address.endswith(str(alice.own_server.port))
            window_errors = bob.controller.errors
            await until(
                lambda: any("another certificate" in e for e in window_errors),
                what="bob's window says the certificate changed",
            )
            assert not bob.controller.client.is_connected
            await bob.session.sign_out()
            question = await bob_joins(bob, address, register=False)
            assert question.code.text() == alice.own_server.code
            assert any("another certificate" in w.text() for w in question.findChildren(QLabel))
            click(question.findChild(QPushButton, "trust"))
            await until(lambda: bob.session.controller is not None, what="bob signed in again")
            pin = load(bob_pc / "settings.json").trusted_certificates[address]
            assert pin == alice.own_server.pin
        finally:
            for app in apps:
                await app.close()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 90))
