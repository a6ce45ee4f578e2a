"""One person's use of the app: sign in, the main window, dialogs, sign out, quit.

Owns: `AppSession` and `run_app`: the sign-in dialog (or resuming the saved
session), creating the `ChatClient` and its `ChatController`, the dialogs
opened from the window (new chat, new group, settings), the UI language
(`i18n.install_translations`, before the first window), persisting settings
(at the path `desktop_chat.app` chose), writing or removing the autostart entry
when "Start on login" changes (`appdata.set_autostart`), raising the window when
another launch asks (`single_instance`), and the orderly shutdown. Dialogs are
opened with `open()`, never `exec()`.

Never: block the GUI thread: network calls run as asyncio tasks.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QDialog, QSystemTrayIcon

from desktop_chat.appdata import autostart_enabled, autostart_path, set_autostart
from desktop_chat.client import ChatClient, ChatError, ChatErrorCode, ChatOptions
from desktop_chat.client.pinning import security_code
from desktop_chat.ui.chat.message_delegate import MessageDelegate
from desktop_chat.ui.controller import ChatController
from desktop_chat.ui.conversations.conversation_delegate import ConversationDelegate
from desktop_chat.ui.dialogs.forms import NewChatDialog, NewGroupDialog
from desktop_chat.ui.dialogs.login import LoginDialog, TrustDialog, sharing_html
from desktop_chat.ui.dialogs.settings import SettingsDialog
from desktop_chat.ui.excepthook import install_excepthook
from desktop_chat.ui.i18n import install_translations
from desktop_chat.ui.own_server import OwnServer
from desktop_chat.ui.settings import AppSettings, load, save
from desktop_chat.ui.single_instance import SingleInstance
from desktop_chat.ui.wording import explain

log = logging.getLogger(__name__)


def make_options(server_url: str, settings: AppSettings, pin: str | None = None) -> ChatOptions:
    return ChatOptions(
        server_url=server_url,
        require_ack=settings.read_receipts,
        require_delivery_ack=settings.delivery_receipts,
        strip_photo_location=settings.strip_photo_location,
        tls_pin_sha256=pin or settings.trusted_certificates.get(server_url),
    )


def make_controller(
    client: ChatClient, settings: AppSettings, tray: bool | None = None
) -> ChatController:
    controller = ChatController(
        client,
        message_delegate=MessageDelegate(),
        conversation_delegate=ConversationDelegate(),
        dwell_seconds=settings.dwell_seconds,
        idle_seconds=settings.idle_seconds,
        notifications=settings.notifications,
    )
    controller.window.enable_tray(tray)
    return controller


class AppSession(QObject):
    def __init__(
        self,
        data_dir: Path,
        server_url: str,
        settings: AppSettings,
        settings_path: Path | None = None,
        own_server: OwnServer | None = None,
    ) -> None:
        super().__init__()
        self.data_dir = data_dir
        # None: the caller gave the server (a test, the demo): an empty address is it.
        self.own_server = own_server
        self.settings_path = settings_path or data_dir / "settings.json"
        self.server_url = server_url
        self.settings = settings
        self.client: ChatClient | None = None
        self.controller: ChatController | None = None
        self.login_dialog: LoginDialog | None = None
        self.quit = asyncio.Event()
        self._dialogs: list = []
        self._tasks: set[asyncio.Future] = set()  # sign-ins retried after a trust answer
        self.tray_available = QSystemTrayIcon.isSystemTrayAvailable

    def _client(self, server_url: str) -> ChatClient:
        own = self.own_server
        pin = own.pin if own is not None and own.running and server_url == own.url else None
        return ChatClient(make_options(server_url, self.settings, pin), self.data_dir / "accounts")

    def show_error(self, text: str) -> None:
        """Tell the person, wherever they are now: the window, or the sign-in dialog."""
        if self.controller is not None:
            self.controller.show_error(text)
        elif self.login_dialog is not None:
            self.login_dialog.show_error(text)

    async def start(self) -> None:
        install_translations(self.settings.language)  # before any window is made
        install_excepthook(self.show_error)
        username = self.settings.last_username
        if username and (self.data_dir / "accounts" / username / "client.db").exists():
            client = self._client(self.server_url)
            try:
                # Offline (or the server cannot serve yet): the window opens anyway, with
                # this computer's history, and reconnects by itself.
                await client.resume(username, offline_ok=True)
            except ChatError as exc:
                log.info("could not resume %s: %s", username, exc.description)
                await client.close()
            else:
                self._signed_in(client)
                return
        self.show_login()

    def show_login(self, error: str = "") -> None:
        dialog = LoginDialog()
        own = self.own_server
        shared = own is not None and (own.shared if own.running else self.settings.share_on_network)
        dialog.set_values(self.settings.server_url, self.settings.last_username, shared)
        if own is not None and own.shared:
            dialog.show_sharing(own.addresses, own.code)
        dialog.server_mode_changed.connect(
            lambda shared: asyncio.ensure_future(self._use_own_server(shared))
        )
        dialog.sign_in_requested.connect(
            lambda url, user, pw: asyncio.ensure_future(self._sign_in(url, user, pw, False))
        )
        dialog.register_requested.connect(
            lambda url, user, pw: asyncio.ensure_future(self._sign_in(url, user, pw, True))
        )

        def rejected() -> None:
            if self.client is None:
                self.quit.set()

        dialog.rejected.connect(rejected)
        if error:
            dialog.show_error(error)
        self.login_dialog = dialog
        dialog.open()

    async def _use_own_server(self, shared: bool) -> bool:
        """Run this computer's server for it alone, or for this network too; False
        (and the person told) when it cannot start that way."""
        dialog = self.login_dialog
        own = self.own_server
        if own is None or (own.running and own.shared == shared):
            return True
        if dialog is not None:
            dialog.set_busy(
                True,
                self.tr("Starting the server for your network…")
                if shared
                else self.tr("Starting the server for this computer…"),
            )
        try:
            self.server_url = await own.start(shared, self.settings.share_port)
        except (OSError, RuntimeError) as exc:
            log.warning("could not start this computer's server (shared=%s): %s", shared, exc)
            if dialog is not None:
                dialog.show_error(
                    self.tr(
                        "Could not start the server on this computer ({error})."
                        " Try again, or connect to a server somewhere else."
                    ).format(error=exc)
                )
            return False
        self.settings.share_on_network = shared
        if shared:
            self.settings.share_port = own.port  # others' address stays right next time
        self._save_settings()
        if dialog is not None:
            dialog.set_busy(False)
            if shared:
                dialog.show_sharing(own.addresses, own.code)
        return True

    def _save_settings(self) -> None:
        try:
            save(self.settings, self.settings_path)
        except OSError as exc:
            self.show_error(
                self.tr("Could not save the settings to {path}: {error}").format(
                    path=self.settings_path, error=exc.strerror or exc
                )
            )

    async def _sign_in(self, url: str, username: str, password: str, register: bool) -> None:
        dialog = self.login_dialog
        assert dialog is not None
        if not url and not await self._use_own_server(dialog.is_shared()):
            return
        dialog.set_busy(True)
        client = self._client(url or self.server_url)
        try:
            if register:
                await client.register(username, password)
            await client.login(username, password)
        except ChatError as exc:
            await client.close()
            dialog.set_busy(False)
            if exc.code is ChatErrorCode.UNTRUSTED_CERTIFICATE and url:
                self._ask_trust(url, exc, lambda: self._sign_in(url, username, password, register))
                return
            dialog.show_error(explain(exc, url or self.server_url, username=username))
            if not register and (
                exc.code is ChatErrorCode.INVALID_CREDENTIALS
                or (
                    exc.code is ChatErrorCode.USER_NOT_FOUND
                    and (exc.details or {}).get("can_register")
                )
            ):
                dialog.offer_account(username)
            return
        self.settings.last_username = username
        self.settings.server_url = url
        save(self.settings, self.settings_path)
        self.login_dialog = None
        dialog.accept()
        self._signed_in(client)

    def _ask_trust(self, url: str, refused: ChatError, retry) -> None:
        """A server whose certificate no authority signed: trust it if the person
        says its security code is the one its computer shows."""
        dialog = self.login_dialog
        details = refused.details or {}
        presented = details.get("fingerprint")
        if dialog is None or not presented:
            if dialog is not None:
                dialog.show_error(explain(refused, url))
            return
        question = TrustDialog(url, security_code(presented), bool(details.get("pinned")))
        question.setParent(dialog, question.windowFlags())

        def answered(result: int) -> None:
            if result != QDialog.DialogCode.Accepted:
                dialog.show_error(
                    self.tr("Not connected: the server at {url} was not trusted.").format(url=url)
                )
                return
            self.settings.trusted_certificates[url] = presented
            self._save_settings()
            task = asyncio.ensure_future(retry())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        question.finished.connect(answered)
        question.open()

    def _signed_in(self, client: ChatClient) -> None:
        self.client = client
        controller = make_controller(client, self.settings, self.tray_available())
        self.controller = controller
        window = controller.window
        window.keep_layout_in(self.settings.window_layouts, self._save_settings)
        window.close_requested.connect(self.quit.set)
        window.sign_out_requested.connect(lambda: asyncio.ensure_future(self.sign_out()))
        window.settings_requested.connect(self.open_settings)
        window.new_chat_requested.connect(self.open_new_chat)
        window.new_group_requested.connect(self.open_new_group)
        window.show()
        window.activateWindow()

    def raise_window(self) -> None:
        """Another launch asked: show the window (from the tray or minimized too), or
        the sign-in dialog while nobody is signed in."""
        if self.controller is not None:
            log.info("raising the main window")
            self.controller.window.show_and_raise()
        elif self.login_dialog is not None:
            log.info("raising the sign-in dialog")
            self.login_dialog.show()
            self.login_dialog.raise_()
            self.login_dialog.activateWindow()

    def _keep(self, dialog) -> None:
        self._dialogs.append(dialog)
        dialog.finished.connect(lambda _r: self._dialogs.remove(dialog))
        dialog.open()

    def open_settings(self) -> None:
        self.settings.start_on_login = autostart_enabled()  # the entry is the truth
        own = self.own_server
        sharing = None
        client = self.client
        if own is not None and own.shared and client and client.options.server_url == own.url:
            sharing = sharing_html(own.addresses, own.code)
        window = self.controller.window if self.controller else None
        dialog = SettingsDialog(self.settings, window, sharing)
        dialog.settings_changed.connect(self.apply_settings)
        self._keep(dialog)

    def apply_settings(self, settings: AppSettings) -> None:
        self.settings = settings
        save(settings, self.settings_path)
        if settings.start_on_login != autostart_enabled():
            try:
                set_autostart(settings.start_on_login)
            except OSError as exc:
                self.show_error(
                    self.tr("Could not change starting on login ({path}): {error}").format(
                        path=autostart_path(), error=exc.strerror or exc
                    )
                )
        if self.controller is not None:
            self.controller.apply_settings(settings)

    def open_new_chat(self) -> None:
        assert self.controller is not None
        controller = self.controller
        dialog = NewChatDialog(controller.window, own_username=controller.me)

        async def start(name: str) -> None:
            dialog.set_busy(True, self.tr("Looking for “{name}”…").format(name=name))
            problem = await controller.start_chat_if_exists(name)
            if problem is not None:
                dialog.show_error(problem)
                return
            dialog.accept()

        dialog.chat_requested.connect(lambda name: asyncio.ensure_future(start(name)))
        self._keep(dialog)

    def open_new_group(self) -> None:
        assert self.controller is not None
        controller = self.controller
        dialog = NewGroupDialog(controller.window, own_username=controller.me)

        async def create(name: str, members: list[str], ack_policy: str) -> None:
            dialog.set_busy(True)
            try:
                await controller.create_group(name, members, ack_policy)
            except ChatError as exc:
                dialog.show_error(
                    self.tr("{reason}. Check the names and try again.").format(
                        reason=exc.description
                    )
                )
                return
            dialog.accept()

        dialog.group_requested.connect(
            lambda name, members, policy: asyncio.ensure_future(create(name, members, policy))
        )
        self._keep(dialog)

    async def sign_out(self) -> None:
        await self._close_client(logout=True)
        self.show_login()

    async def _close_client(self, logout: bool) -> None:
        if self.controller is not None:
            await self.controller.shutdown()
            self.controller = None
        if self.client is not None:
            if logout:
                await self.client.logout()
            else:
                await self.client.close()
            self.client = None

    async def shutdown(self) -> None:
        await self._close_client(logout=False)

    async def run(self) -> None:
        """The session from start to quit: sign in (or resume), wait for Quit, shut down."""
        try:
            await self.start()
            await self.quit.wait()
        finally:
            await self.shutdown()


def settings_for(
    data_dir: Path, server_url: str | None, settings_path: Path | None = None
) -> AppSettings:
    """The saved settings (at `settings_path`, else in `data_dir`); `--server` names
    the server from now on: the sign-in dialog shows it, and the next start without
    the flag goes to it too (not to this computer's own server)."""
    path = settings_path or data_dir / "settings.json"
    settings = load(path)
    if server_url and server_url != settings.server_url:
        settings.server_url = server_url
        save(settings, path)
    return settings


async def start_own_server(own: OwnServer, settings: AppSettings) -> str:
    """Start this computer's server as it ran last time (shared, on the same port,
    or for this computer only); its URL."""
    try:
        return await own.start(settings.share_on_network, settings.share_port)
    except (OSError, RuntimeError) as exc:
        if not settings.share_on_network:
            raise
        # The network cannot be served now: this computer only, and the sign-in
        # dialog offers to share again.
        log.warning("could not share this computer's server: %s", exc)
        return await own.start(False)


async def run_app(
    data_dir: Path,
    server_url: str | None,
    settings_path: Path | None = None,
    instance: SingleInstance | None = None,
    share_host: str = "0.0.0.0",
) -> None:
    settings_path = settings_path or data_dir / "settings.json"
    settings = settings_for(data_dir, server_url, settings_path)
    log.info("settings from %s; server %s", settings_path, settings.server_url or "local")
    url = settings.server_url
    own = OwnServer(data_dir, share_host)
    if not url:
        url = await start_own_server(own, settings)
    try:
        session = AppSession(data_dir, url, settings, settings_path, own)
        if instance is not None:
            instance.raise_requested.connect(session.raise_window)
        await session.run()
    finally:
        await own.stop()
