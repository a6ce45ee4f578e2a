"""The question the group info dialog asks before removing someone or leaving.

Owns: `Confirmation`, one yes/no message box at a time ("Remove bob from
Release team?" with its consequence, the action's own button and Cancel, the
default): opened with `open()`, so nothing waits for the answer; the action
runs only if the person pressed its button. Asking again while a question is
open brings that one to the front instead.

Never: block in a nested event loop (`exec()`), or run the action on Cancel,
Escape or the dialog closing.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QAbstractButton, QMessageBox, QWidget


class Confirmation:
    """Asks over `parent`; `cancel()` closes an open question without its action."""

    def __init__(self, parent: QWidget) -> None:
        self._parent = parent
        self._box: QMessageBox | None = None
        self._yes: QAbstractButton | None = None
        self._on_yes: Callable[[], None] | None = None

    def ask(self, question: str, detail: str, action: str, on_yes: Callable[[], None]) -> None:
        """Ask without blocking: `on_yes()` runs only if the person presses `action`."""
        if self._box is not None:
            self._box.raise_()
            return
        box = QMessageBox(self._parent)
        box.setObjectName("confirm")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(action)
        box.setText(question)
        box.setInformativeText(detail)
        yes = box.addButton(action, QMessageBox.ButtonRole.DestructiveRole)
        yes.setObjectName("confirm_yes")
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        cancel.setObjectName("confirm_cancel")
        box.setDefaultButton(cancel)
        box.finished.connect(self._on_finished)
        self._box = box
        self._yes = yes
        self._on_yes = on_yes
        box.open()

    def cancel(self) -> None:
        if self._box is not None:
            self._box.reject()

    def _on_finished(self, _result: int) -> None:
        box, on_yes = self._box, self._on_yes
        confirmed = box is not None and box.clickedButton() is self._yes
        self._box = self._yes = self._on_yes = None
        if box is not None:
            box.deleteLater()
        if confirmed and on_yes is not None:
            on_yes()
