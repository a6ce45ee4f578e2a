"""A person's first minutes: a new name, a wrong address, a server that goes away.

The real app (`AppSession`) and its real sign-in dialog, on a real server with
sign-ups allowed (as the built-in one is). Every error must say what happened
and what to do next, in words, never as raw exception text.
"""

from __future__ import annotations

import asyncio

from app_driver import App, until
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QPushButton

RAW = ("Errno", "Connect call failed", "[", "Traceback", "ws://127.0.0.1:1 (")


def test_a_new_name_is_offered_an_account_not_told_its_password_is_wrong(
    qt_loop, clients, tmp_path
):
    async def scenario():
        await clients.harness.start()
        app = await App(tmp_path / "pc", clients.harness.url).start()
        dialog = app.session.login_dialog
        app.login_field("username").setText("newcomer")
        app.login_field("password").setText("a good long password")
        QTest.mouseClick(dialog.findChild(QPushButton, "sign_in"), Qt.MouseButton.LeftButton)
        await until(lambda: dialog.error_text() != "", what="an answer")
        text = dialog.error_text()
        assert "password" not in text.lower(), (
            f"a new name is never told its password is wrong: {text}"
        )
        assert "newcomer" in text and "create" in text.lower(), text
        offer = dialog.findChild(QPushButton, "offer_register")
        assert offer is not None and offer.isVisible(), "a clear way to create the account"
        assert "newcomer" in offer.text()
        QTest.mouseClick(offer, Qt.MouseButton.LeftButton)
        await until(lambda: app.session.controller is not None, what="signed in as newcomer")
        assert app.controller.me == "newcomer"
        await app.close()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_an_unreachable_server_is_explained_in_words(qt_loop, clients, tmp_path):
    async def scenario():
        await clients.harness.start()
        app = await App(tmp_path / "pc", clients.harness.url).start()
        dialog = app.session.login_dialog
        app.login_field("server_url").setText("ws://127.0.0.1:1")
        app.login_field("username").setText("alice")
        app.login_field("password").setText("a good long password")
        QTest.mouseClick(dialog.findChild(QPushButton, "sign_in"), Qt.MouseButton.LeftButton)
        await until(lambda: dialog.error_text() != "", what="an answer")
        text = dialog.error_text()
        assert text.startswith("Can't reach the server at ws://127.0.0.1:1."), text
        assert "Check the address or your network" in text
        assert not any(raw in text for raw in RAW), text
        await app.close()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_a_lost_server_is_shown_as_offline_and_retrying_in_words(qt_loop, clients, tmp_path):
    async def scenario():
        harness = clients.harness
        await harness.start()
        app = await App(tmp_path / "pc", harness.url).start()
        await app.sign_in("alice", register=True)
        label = app.window.connection_label
        await until(lambda: label.text() == "Connected")
        url = harness.url
        await harness.stop()
        await until(lambda: label.text() != "Connected", what="offline shown")
        text = label.text()
        assert "Offline" in text and "we keep trying" in text, text
        assert url in text
        app.controller.chat_view.composer.setPlainText("sent while offline")
        app.controller.start_chat("bob")
        app.controller.chat_view.composer.setPlainText("sent while offline")
        app.controller.chat_view.send_button.click()
        await asyncio.sleep(0.5)
        for shown in app.controller.errors:
            assert not any(raw in shown for raw in RAW), shown
        await harness.start()
        await until(lambda: label.text() == "Connected", timeout=20, what="back online")
        await app.close()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


def test_wording_of_each_kind_of_error_says_what_to_do():
    from desktop_chat.client import ChatError, ChatErrorCode
    from desktop_chat.ui.wording import explain

    url = "ws://chat.example.com:8765"
    raw = ChatError(
        ChatErrorCode.NETWORK_ERROR,
        "cannot reach the server at ws://x ([Errno 111] Connect call failed ('127.0.0.1', 1))",
    )
    assert explain(raw, url) == (
        f"Can't reach the server at {url}. Check the address or your network, then try again."
    )
    timeout = explain(ChatError(ChatErrorCode.TIMEOUT, "the server did not answer"), url)
    assert "did not answer" in timeout and "try again" in timeout
    disabled = explain(ChatError(ChatErrorCode.REGISTRATION_DISABLED, "no sign-ups"), url)
    assert "administrator" in disabled
    taken = explain(ChatError(ChatErrorCode.USER_EXISTS, "taken"), url)
    assert "taken" in taken and "sign in" in taken
