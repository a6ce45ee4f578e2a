"""The settings dialog: receipts, when a message counts as read, notifications, photos,
starting on login, the language (it takes effect at the next start), and, when
this computer's server is shared, what people on this network type to reach it.

Owns: `SettingsDialog`, which shows an `AppSettings` and emits the edited copy
when the person presses Save (Cancel emits nothing; Restore Defaults only
fills the form).

Never: import or call the client, or write the settings file or the autostart
entry (the session does both). Open it with `open()`, never `exec()`.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop_chat.ui.dialogs.forms import hint_label
from desktop_chat.ui.i18n import LANGUAGES
from desktop_chat.ui.settings import DWELL_RANGE, IDLE_RANGE, AppSettings


class SettingsDialog(QDialog):
    """Receipts, "counts as read" timings and notifications.

    `settings_changed(AppSettings)` is emitted when the person presses Save;
    fields the dialog does not show (server, last username) pass through.
    """

    settings_changed = Signal(object)

    def __init__(
        self,
        settings: AppSettings,
        parent: QWidget | None = None,
        sharing: str | None = None,
    ) -> None:
        """`sharing`: how people on this network reach this computer's server (rich
        text, `login.sharing_html`), when it is shared and in use; None hides it."""
        super().__init__(parent)
        self._original = dataclasses.replace(settings)
        self.setWindowTitle(self.tr("Settings"))
        self.setMinimumWidth(460)

        receipts = self._build_receipts()
        reading = self._build_reading()
        notifications = self._build_notifications()
        photos = self._build_photos()
        language = self._build_language()
        buttons = self._build_buttons()
        server = self._build_server(sharing) if sharing else None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 20, 20, 16)
        layout.setSpacing(14)
        layout.addWidget(receipts)
        layout.addWidget(reading)
        layout.addWidget(notifications)
        layout.addWidget(photos)
        layout.addWidget(language)
        if server is not None:
            layout.addWidget(server)
        layout.addStretch(1)
        layout.addWidget(buttons)
        # Tall enough for the wrapped hints at this width (in every language).
        self.resize(self.minimumWidth(), max(self.sizeHint().height(), self.heightForWidth(460)))
        self._show(settings)

    def _build_server(self, sharing: str) -> QGroupBox:
        """The "Server on this computer" box: what people on this network type."""
        box = QGroupBox(self.tr("Server on this computer"))
        box.setObjectName("own_server")
        text = QLabel(sharing)
        text.setObjectName("sharing")
        text.setTextFormat(Qt.TextFormat.RichText)
        text.setWordWrap(True)
        text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box_layout = QVBoxLayout(box)
        box_layout.addWidget(text)
        box_layout.addWidget(
            hint_label(
                self.tr("To stop sharing, sign out and choose the server for this computer only.")
            )
        )
        return box

    def _build_receipts(self) -> QGroupBox:
        """The "Receipts" box: delivery receipts, read receipts."""
        self._delivery = QCheckBox(self.tr("Send delivery receipts"))
        self._delivery.setObjectName("delivery_receipts")
        self._read = QCheckBox(self.tr("Send and receive read receipts"))
        self._read.setObjectName("read_receipts")
        receipts = QGroupBox(self.tr("Receipts"))
        receipts_layout = QVBoxLayout(receipts)
        receipts_layout.setSpacing(4)
        receipts_layout.addWidget(self._delivery)
        receipts_layout.addWidget(
            hint_label(self.tr("Lets senders see ✓✓ once a message has reached this computer."))
        )
        receipts_layout.addSpacing(8)
        receipts_layout.addWidget(self._read)
        receipts_layout.addWidget(
            hint_label(self.tr("If you turn read receipts off, you won't send or see them."))
        )
        return receipts

    def _build_reading(self) -> QGroupBox:
        """The "When a message counts as read" box: time on screen, away after."""
        self._dwell = QDoubleSpinBox()
        self._dwell.setObjectName("dwell_seconds")
        self._dwell.setRange(*DWELL_RANGE)
        self._dwell.setSingleStep(0.1)
        self._dwell.setDecimals(1)
        self._dwell.setSuffix(self.tr(" s", "seconds"))
        self._idle = QSpinBox()
        self._idle.setObjectName("idle_seconds")
        self._idle.setRange(int(IDLE_RANGE[0]), int(IDLE_RANGE[1]))
        self._idle.setSingleStep(5)
        self._idle.setSuffix(self.tr(" s", "seconds"))
        reading = QGroupBox(self.tr("When a message counts as read"))
        # Each field's form row, then its wrapped hint in the box's column: a QFormLayout
        # under-counts the height of a wrapped spanning row (cut off in English).
        reading_layout = QVBoxLayout(reading)
        reading_layout.setSpacing(4)
        for label, field, hint in (
            (
                self.tr("Time on screen:"),
                self._dwell,
                self.tr(
                    "At least half of the message must stay visible this long, "
                    "in the open chat, with this window active."
                ),
            ),
            (
                self.tr("Away after:"),
                self._idle,
                self.tr("Without keyboard or mouse use for this long, nothing is marked read."),
            ),
        ):
            row = QFormLayout()
            row.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
            row.addRow(label, field)
            reading_layout.addLayout(row)
            reading_layout.addWidget(hint_label(hint))
        return reading

    def _build_notifications(self) -> QGroupBox:
        """The "Notifications" box."""
        self._notifications = QCheckBox(self.tr("Show desktop notifications"))
        self._notifications.setObjectName("notifications")
        notifications = QGroupBox(self.tr("Notifications"))
        notifications_layout = QVBoxLayout(notifications)
        notifications_layout.setSpacing(4)
        notifications_layout.addWidget(self._notifications)
        notifications_layout.addWidget(
            hint_label(self.tr("Notifications never mark messages as read."))
        )
        self._start_on_login = QCheckBox(self.tr("Start desktop_chat when I log in"))
        self._start_on_login.setObjectName("start_on_login")
        notifications_layout.addSpacing(8)
        notifications_layout.addWidget(self._start_on_login)
        return notifications

    def _build_photos(self) -> QGroupBox:
        """The "Photos" box: where a photo was taken stays on this computer."""
        self._strip_location = QCheckBox(self.tr("Remove the location from photos I send"))
        self._strip_location.setObjectName("strip_photo_location")
        photos = QGroupBox(self.tr("Photos"))
        photos_layout = QVBoxLayout(photos)
        photos_layout.setSpacing(4)
        photos_layout.addWidget(self._strip_location)
        photos_layout.addWidget(
            hint_label(
                self.tr("The GPS position a camera or phone wrote into a photo is taken out.")
            )
        )
        return photos

    def _build_language(self) -> QGroupBox:
        """The "Language" box: the system's, or one chosen; used from the next start."""
        self._language = QComboBox()
        self._language.setObjectName("language")
        self._language.setAccessibleName(self.tr("Language"))
        for value, name in LANGUAGES.items():
            self._language.addItem(name or self.tr("System", "the system's language"), value)
        language = QGroupBox(self.tr("Language"))
        language_layout = QVBoxLayout(language)
        language_layout.setSpacing(4)
        language_layout.addWidget(self._language)
        language_layout.addWidget(
            hint_label(self.tr("Takes effect when you restart desktop_chat."))
        )
        return language

    def _build_buttons(self) -> QDialogButtonBox:
        """Save, Cancel and Restore Defaults."""
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.RestoreDefaults
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).clicked.connect(
            self._restore_defaults
        )
        return buttons

    def settings(self) -> AppSettings:
        """The values as they stand in the dialog now."""
        return dataclasses.replace(
            self._original,
            delivery_receipts=self._delivery.isChecked(),
            read_receipts=self._read.isChecked(),
            dwell_seconds=round(self._dwell.value(), 1),
            idle_seconds=float(self._idle.value()),
            notifications=self._notifications.isChecked(),
            strip_photo_location=self._strip_location.isChecked(),
            start_on_login=self._start_on_login.isChecked(),
            language=str(self._language.currentData() or ""),
        )

    def accept(self) -> None:
        self.settings_changed.emit(self.settings())
        super().accept()

    def _show(self, settings: AppSettings) -> None:
        self._delivery.setChecked(settings.delivery_receipts)
        self._read.setChecked(settings.read_receipts)
        self._dwell.setValue(settings.dwell_seconds)
        self._idle.setValue(round(settings.idle_seconds))
        self._notifications.setChecked(settings.notifications)
        self._strip_location.setChecked(settings.strip_photo_location)
        self._start_on_login.setChecked(settings.start_on_login)
        self._language.setCurrentIndex(max(self._language.findData(settings.language), 0))

    def _restore_defaults(self) -> None:
        self._show(AppSettings())
