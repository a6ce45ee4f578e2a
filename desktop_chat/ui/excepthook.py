"""The app's last resort for errors nobody caught: log them and tell the person.

Owns `install_excepthook`: errors raised in async slots (qasync hands them to
`sys.excepthook`) are logged with their traceback and shown in words, and the app
keeps running.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable
from types import TracebackType

from PySide6.QtCore import QCoreApplication

log = logging.getLogger("desktop_chat.app")


def install_excepthook(show: Callable[[str], None]) -> None:
    """Errors in async slots reach sys.excepthook: log them and tell the person."""

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        log.error("unexpected error:\n%s", "".join(traceback.format_exception(kind, value, tb)))
        show(
            QCoreApplication.translate(
                "Excepthook",
                "Something went wrong: {error}. The app keeps running; please try again.",
            ).format(error=value)
        )

    sys.excepthook = hook
