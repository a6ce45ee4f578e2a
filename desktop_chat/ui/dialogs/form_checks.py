"""The sign-in and new-chat forms' local checks, said to a person in the UI's language.

Owns: `USERNAME_RULE` (the English source, marked for translation) and
`username_rule()`, `username_problem`, `parse_members`, `server_url_problem`.
Every sentence goes through `QCoreApplication.translate` (context "Forms").
`dialogs.forms` re-exports them.

Never: import widgets, the client, or touch the network.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from desktop_chat.protocol.frames import USERNAME_PATTERN
from desktop_chat.protocol.structs import (
    MAX_GROUP_NAME_CHARS,
    MAX_PASSWORD_CHARS,
    MIN_PASSWORD_CHARS,
)

_USERNAME = re.compile(USERNAME_PATTERN)
# The English source; `username_rule()` is the translated sentence to show.
USERNAME_RULE = QT_TRANSLATE_NOOP(
    "Forms",
    "Usernames are 2–32 characters: lowercase letters a–z, digits, '.', '_' or '-', "
    "starting with a letter.",
)
_MEMBER_SEPARATORS = re.compile(r"[\s,;]+")
MIN_PASSWORD = MIN_PASSWORD_CHARS
MAX_PASSWORD = MAX_PASSWORD_CHARS
MAX_GROUP_NAME = MAX_GROUP_NAME_CHARS


def username_rule() -> str:
    """The rule a username meets, in the UI's language."""
    return QCoreApplication.translate("Forms", str(USERNAME_RULE))


def username_problem(name: str) -> str | None:
    """What is wrong with `name` as a username, said to a person; None if nothing."""
    if not name:
        return QCoreApplication.translate("Forms", "Enter a username.")
    if _USERNAME.match(name):
        return None
    if _USERNAME.match(name.lower()):
        return QCoreApplication.translate("Forms", "Usernames are lowercase. Try “{name}”.").format(
            name=name.lower()
        )
    if not 2 <= len(name) <= 32:
        return QCoreApplication.translate(
            "Forms", "Usernames are 2 to 32 characters long. {rule}"
        ).format(rule=username_rule())
    return username_rule()


def parse_members(text: str) -> list[str]:
    """Names separated by commas, semicolons, spaces or new lines; a leading '@'
    is dropped, and a name given twice counts once (first place kept)."""
    names = (part.removeprefix("@") for part in _MEMBER_SEPARATORS.split(text))
    return list(dict.fromkeys(name for name in names if name))


def server_url_problem(url: str) -> str | None:
    """What is wrong with `url` as a server address; None if fine or empty."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme in ("ws", "wss") and parts.hostname:
        try:
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError:
            pass
        else:
            return None
    return QCoreApplication.translate(
        "Forms",
        "Server addresses look like wss://chat.example.com:8765. Check the address, "
        "or use the server on this computer.",
    )
