"""Names for the controls Qt builds inside our widgets, for screen readers.

Owns: `name_clear_button`, which names the "×" a `QLineEdit` shows once
`setClearButtonEnabled(True)` is set (Qt leaves that icon-only button nameless).
The names of our own controls are set where each control is built.

Never: change what a control does, or how it looks.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLineEdit, QToolButton


def name_clear_button(edit: QLineEdit, name: str | None = None) -> None:
    """Give `edit`'s clear button a name ("Clear the search", or just "Clear")."""
    text = name or QCoreApplication.translate("Accessible", "Clear")
    action = edit.findChild(QAction, "_q_qlineeditclearaction")
    if action is not None:
        action.setText(text)
    for button in edit.findChildren(QToolButton):
        if not button.accessibleName():
            button.setAccessibleName(text)
