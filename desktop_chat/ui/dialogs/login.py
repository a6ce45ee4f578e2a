"""The sign-in dialog, and the choice of server it starts with.

Owns: `LoginDialog` and `TrustDialog` (whether to trust a server whose
certificate signs itself, by its security code). `LoginDialog`: which server
(this computer's own, for this computer only; the same server shared with
people on this network, with the address they type and the security code they
compare; or a server somewhere else, by address),
the username and password, and the offer to create an account that does not
exist yet. One sentence says what the built-in server is. Every string is
translatable.

It takes plain values and emits signals with plain values, like the other forms
(`dialogs/forms.py`): `server_mode_changed(shared)` when the person switches
between the two uses of this computer's server (the session restarts it and
calls `show_sharing`), `sign_in_requested` and `register_requested` with an
empty URL for this computer's server.

Never: import or call the client or the server, touch the network or the disk.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QCoreApplication, QEvent, Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from desktop_chat.ui.accessible import name_clear_button
from desktop_chat.ui.dialogs.forms import (
    MAX_PASSWORD,
    MIN_PASSWORD,
    _RequestDialog,
    hint_label,
    server_url_problem,
    title_label,
    username_problem,
)


def sharing_html(addresses: list[str], code: str) -> str:
    """The sentence that tells people on this network how to reach this computer's
    server (rich text: the address and the code in bold); the settings show it too."""
    if not addresses:
        return html.escape(
            QCoreApplication.translate(
                "LoginDialog",
                "This computer has no network address others could reach right now."
                " Connect it to a network; the address will show here.",
            )
        )
    shown = QCoreApplication.translate("LoginDialog", " or ").join(
        f"<b>{html.escape(a)}</b>" for a in addresses
    )
    return QCoreApplication.translate(
        "LoginDialog",
        "People on this network type {addresses} as their server,"
        " and check that it shows the security code {code}.",
    ).format(addresses=shown, code=f"<b>{html.escape(code).replace(' ', '&nbsp;')}</b>")


def plain(rich: str) -> str:
    """`sharing_html`'s sentence as plain text."""
    text = html.unescape(rich.replace("<b>", "").replace("</b>", ""))
    return text.replace("\N{NO-BREAK SPACE}", " ")


class LoginDialog(_RequestDialog):
    """Sign in or create an account.

    Emits `sign_in_requested(server_url, username, password)` or
    `register_requested(...)` after local checks, and stays open: the controller
    calls `set_busy(True)`, then `accept()` on success or `show_error(text)`.
    """

    sign_in_requested = Signal(str, str, str)
    register_requested = Signal(str, str, str)
    server_mode_changed = Signal(bool)  # True: shared with this network

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, self.tr("Signing in…"))
        self.setWindowTitle(self.tr("Sign in"))
        self.setMinimumWidth(480)
        self._build_server_choice()
        self._build_fields()
        self._build_buttons()
        self._lay_out()

    def _build_server_choice(self) -> None:
        """This computer's server (alone or shared), or another one by address."""
        self._own = QRadioButton(self.tr("Use a server on this computer, for this computer only"))
        self._own.setObjectName("server_own")
        self._shared = QRadioButton(
            self.tr("Use a server on this computer for people on this network")
        )
        self._shared.setObjectName("server_shared")
        self._remote = QRadioButton(self.tr("Connect to a server:"))
        self._remote.setObjectName("server_remote")
        self._choice = QButtonGroup(self)
        for button in (self._own, self._shared, self._remote):
            self._choice.addButton(button)
        self._own.setChecked(True)
        self._mode_shared = False
        self._choice.buttonToggled.connect(self._on_choice)
        self._server = QLineEdit()
        self._server.setObjectName("server_url")
        self._server.setPlaceholderText("wss://chat.example.com:8765")
        self._server.setAccessibleName(self.tr("Server address"))
        self._server.setClearButtonEnabled(True)
        name_clear_button(self._server, self.tr("Clear the server address"))
        # Typing an address (or being given one) means that server.
        self._server.textChanged.connect(self._on_address)
        self._sharing = QLabel()
        self._sharing.setObjectName("sharing")
        self._sharing.setWordWrap(True)
        self._sharing.setTextFormat(Qt.TextFormat.RichText)
        self._sharing.setContentsMargins(22, 0, 0, 4)  # under its choice
        self._sharing.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._sharing.hide()

    def _build_fields(self) -> None:
        """The username and password fields."""
        self._username = QLineEdit()
        self._username.setObjectName("username")
        self._username.setPlaceholderText(self.tr("for example alice"))
        self._username.setMaxLength(32)
        self._password = QLineEdit()
        self._password.setObjectName("password")
        self._password.setEchoMode(QLineEdit.EchoMode.Password)
        self._password.setMaxLength(MAX_PASSWORD)
        self._password.setPlaceholderText(
            self.tr("At least %n characters for a new account", "", MIN_PASSWORD)
        )

    def _build_buttons(self) -> None:
        """Sign in, Create account, and the "Create account “name”" offered after a refusal."""
        self._sign_in = QPushButton(self.tr("Sign in"))
        self._sign_in.setObjectName("sign_in")
        self._sign_in.setDefault(True)
        self._sign_in.clicked.connect(self._on_sign_in)
        self._register = QPushButton(self.tr("Create account"))
        self._register.setObjectName("register")
        self._register.setAutoDefault(False)
        self._register.clicked.connect(self._on_register)
        # Offered after a sign-in the server refused: the name may not exist yet.
        self._offer = QPushButton()
        self._offer.setObjectName("offer_register")
        self._offer.setAutoDefault(True)  # focused after a refusal: Enter creates it
        self._offer.clicked.connect(self._on_register)
        self._offer.hide()
        self._watch(
            self._own,
            self._shared,
            self._remote,
            self._server,
            self._username,
            self._password,
            self._sign_in,
            self._register,
        )
        for field in (self._server, self._username):
            field.textEdited.connect(self._offer.hide)

    def _lay_out(self) -> None:
        """The title and hint, the server choice, the form, the error and status
        lines, then the buttons."""
        remote = QHBoxLayout()
        remote.addWidget(self._remote)
        remote.addWidget(self._server, 1)
        servers = QVBoxLayout()
        servers.setSpacing(6)
        servers.addWidget(
            hint_label(
                self.tr(
                    "desktop_chat has a server built in, so you need none to start:"
                    " it keeps the accounts and messages on this computer."
                )
            )
        )
        servers.addWidget(self._own)
        servers.addWidget(self._shared)
        servers.addWidget(self._sharing)
        servers.addLayout(remote)

        form = QFormLayout()
        form.setSpacing(10)
        form.addRow(self.tr("Username:"), self._username)
        form.addRow(self.tr("Password:"), self._password)

        buttons = QHBoxLayout()
        buttons.addWidget(self._register)
        buttons.addStretch(1)
        buttons.addWidget(self._sign_in)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 22, 24, 18)
        layout.setSpacing(12)
        layout.addWidget(title_label(self.tr("Sign in to desktop_chat")))
        layout.addWidget(hint_label(self.tr("Use your account on a server, or create one.")))
        layout.addLayout(servers)
        layout.addSpacing(4)
        layout.addLayout(form)
        layout.addWidget(self._error)
        layout.addWidget(self._offer, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self._status)
        layout.addSpacing(4)
        layout.addLayout(buttons)

    # ------------------------------------------------------------------ the server

    def _on_choice(self, _button, checked: bool) -> None:
        if not checked:
            return
        self._offer.hide()
        if self._remote.isChecked():
            if not self._server.text():
                self._server.setFocus()
            self._sharing.hide()
            return
        shared = self._shared.isChecked()
        self._sharing.setVisible(shared and bool(self._sharing.text()))
        if shared != self._mode_shared:
            self._mode_shared = shared
            self.server_mode_changed.emit(shared)

    def _on_address(self, text: str) -> None:
        if text:
            self._remote.setChecked(True)

    def is_shared(self) -> bool:
        return self._shared.isChecked()

    def show_sharing(self, addresses: list[str], code: str) -> None:
        """What people on this network type, and the code they compare."""
        self._sharing.setText(sharing_html(addresses, code))
        self._sharing.setVisible(self._shared.isChecked())

    def event(self, event: QEvent) -> bool:
        """After any change of what it shows (the address for others, an error, the
        offer to create an account), grow to fit it: wrapped lines are never clipped.
        Before it is shown, Qt sizes it to its contents by itself."""
        handled = super().event(event)
        if event.type() == QEvent.Type.LayoutRequest and self.isVisible():
            needed = self.heightForWidth(self.width()) if self.hasHeightForWidth() else -1
            if needed > self.height():
                self.resize(self.width(), needed)
        return handled

    def sharing_text(self) -> str:
        """What the sharing line says, as plain text."""
        return plain(self._sharing.text())

    # ------------------------------------------------------------------ the rest

    def offer_account(self, username: str) -> None:
        """After a refused sign-in: offer to create `username` with the same password."""
        self._offer.setText(self.tr("Create account “{name}”").format(name=username))
        self._offer.show()
        self._offer.setFocus()

    def set_busy(self, busy: bool, text: str | None = None) -> None:
        if busy:
            self._offer.hide()
        super().set_busy(busy, text)
        if not busy and self.isActiveWindow() and self.focusWidget() is None:
            # What had the focus was disabled meanwhile: the first field still to fill.
            (self._password if self._username.text() else self._username).setFocus()

    def set_values(self, server_url: str, username: str, shared: bool = False) -> None:
        """Fill in what was used last time; the cursor waits in the first empty field."""
        self._mode_shared = shared and not server_url  # what the session runs already
        self._server.setText(server_url)
        if not server_url:
            (self._shared if shared else self._own).setChecked(True)
        self._username.setText(username)
        (self._password if username else self._username).setFocus()

    def _checked_values(self, creating: bool) -> tuple[str, str, str] | None:
        server = self._server.text().strip() if self._remote.isChecked() else ""
        username = self._username.text().strip()
        password = self._password.text()
        if self._remote.isChecked() and not server:
            self._refuse(
                self.tr("Type the server's address, or use the server on this computer."),
                self._server,
            )
            return None
        if problem := server_url_problem(server):
            self._refuse(problem, self._server)
            return None
        if problem := username_problem(username):
            self._refuse(problem, self._username)
            return None
        if not password:
            self._refuse(self.tr("Enter your password."), self._password)
            return None
        if creating and len(password) < MIN_PASSWORD:
            self._refuse(
                self.tr(
                    "Choose a password of at least %n characters (this one has {count}).",
                    "",
                    MIN_PASSWORD,
                ).format(count=len(password)),
                self._password,
            )
            return None
        return server, username, password

    def _on_sign_in(self) -> None:
        values = self._checked_values(creating=False)
        if values is not None:
            self._busy_text = self.tr("Signing in…")
            self.sign_in_requested.emit(*values)

    def _on_register(self) -> None:
        values = self._checked_values(creating=True)
        if values is not None:
            self._busy_text = self.tr("Creating your account…")
            self.register_requested.emit(*values)


class TrustDialog(QDialog):
    """Asks whether to trust a server whose certificate signs itself: the person
    compares its security code with the one the server's own computer shows.
    Accepted: trust it; rejected: do not connect."""

    def __init__(self, url: str, code: str, changed: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trust_server")
        self.setWindowTitle(self.tr("Check this server"))
        self.setMinimumWidth(440)
        if changed:
            text = self.tr(
                "The server at {url} now presents another certificate than the one you"
                " trusted. If its owner set it up again, compare the new security code"
                " with the one on their screen. If they did not, do not connect."
            ).format(url=url)
        else:
            text = self.tr(
                "The server at {url} uses a certificate of its own, which no authority"
                " vouches for. Ask the person whose computer runs it to read out the"
                " security code their sign-in window or Settings show, and compare it"
                " with this one."
            ).format(url=url)
        explanation = QLabel(text)
        explanation.setWordWrap(True)
        self.code = QLabel(code)
        self.code.setObjectName("security_code")
        self.code.setAccessibleName(self.tr("Security code"))
        self.code.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSizeF(font.pointSizeF() * 1.4)
        self.code.setFont(font)
        trust = QPushButton(self.tr("The codes match: trust this server"))
        trust.setObjectName("trust")
        trust.clicked.connect(self.accept)
        cancel = QPushButton(self.tr("Cancel"))
        cancel.setObjectName("cancel")
        cancel.setDefault(True)  # Enter never trusts by accident
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(trust)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 22, 24, 18)
        layout.setSpacing(12)
        layout.addWidget(explanation)
        layout.addWidget(self.code, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addLayout(buttons)
