"""What the app says when something goes wrong: what happened, and what to do next.

Owns: `explain(error, server_url, ...)`, the one place a `ChatError` becomes a
sentence for a person, and `offline_text`. Network failures name the server's
address and never show raw exception text ("[Errno 111] Connect call failed");
a failed sign-in never calls the password wrong for a name the server may
simply not know; everything else is the server's own sentence, capitalised and
ended. Every sentence is whole and translatable (`QCoreApplication.translate`,
context "Wording"), never assembled from pieces.

Never: import widgets, or hide what the person can do about it.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from desktop_chat.client import ChatError, ChatErrorCode


def sentence(text: str) -> str:
    """`text` as a sentence: a capital first letter and a full stop."""
    text = text.strip()
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?…。！？" else text + "."


def offline_text(server_url: str = "") -> str:
    """The status line while the connection is down and the client retries."""
    if not server_url:
        return QCoreApplication.translate(
            "Wording", "Offline — can't reach the server; we keep trying."
        )
    return QCoreApplication.translate(
        "Wording", "Offline — can't reach {server}; we keep trying."
    ).format(server=server_url)


def _network(error: ChatError, server_url: str, retrying: bool) -> str:
    if "certificate" in error.description:
        return sentence(error.description)
    if "cannot serve right now" in error.description:
        if retrying:
            text = QCoreApplication.translate(
                "Wording",
                "The server at {server} is up but can't serve right now"
                " (its database may be down). Wait a moment, we keep trying.",
            )
        else:
            text = QCoreApplication.translate(
                "Wording",
                "The server at {server} is up but can't serve right now"
                " (its database may be down). Wait a moment, then try again.",
            )
    elif retrying:
        text = QCoreApplication.translate(
            "Wording",
            "Can't reach the server at {server}. Check the address or your network,"
            " we keep trying.",
        )
    else:
        text = QCoreApplication.translate(
            "Wording",
            "Can't reach the server at {server}. Check the address or your network,"
            " then try again.",
        )
    return text.format(server=server_url)


def _account(error: ChatError, username: str) -> str:
    can_register = (error.details or {}).get("can_register")
    if error.code is ChatErrorCode.INVALID_CREDENTIALS:
        if username:
            text = QCoreApplication.translate(
                "Wording",
                "Wrong password, or there is no account “{name}” on this server yet. "
                "Check the password and try again, or create the account.",
            )
        else:
            text = QCoreApplication.translate(
                "Wording",
                "Wrong password, or there is no account with that name on this server yet. "
                "Check the password and try again, or create the account.",
            )
    elif can_register and username:
        text = QCoreApplication.translate(
            "Wording",
            "There is no account “{name}” on this server yet. Create it, or check the name.",
        )
    else:
        text = QCoreApplication.translate(
            "Wording",
            "There is no account with that name on this server yet. Create it, or check the name.",
        )
    return text.format(name=username)


def _certificate(error: ChatError, server_url: str) -> str:
    """A wss:// server whose certificate is neither verified nor the pinned one."""
    if (error.details or {}).get("pinned"):
        text = QCoreApplication.translate(
            "Wording",
            "The server at {server} now presents another certificate than the one you"
            " trusted, so the app does not connect. If its owner set it up again, sign"
            " out and sign in to compare its new security code.",
        )
    else:
        text = QCoreApplication.translate(
            "Wording",
            "The server at {server} has a certificate no authority vouches for."
            " Ask its owner for its security code, then sign in again to compare it.",
        )
    return text.format(server=server_url)


def explain(
    error: ChatError, server_url: str, *, username: str = "", retrying: bool = False
) -> str:
    """A ChatError as a person should read it.

    `retrying`: the app keeps trying by itself (a signed-in window), rather than
    waiting for the person to try again (the sign-in dialog)."""
    code = error.code
    if code is ChatErrorCode.NETWORK_ERROR:
        return _network(error, server_url, retrying)
    if code is ChatErrorCode.TIMEOUT:
        if retrying:
            text = QCoreApplication.translate(
                "Wording",
                "The server at {server} did not answer in time. Check your network,"
                " we keep trying.",
            )
        else:
            text = QCoreApplication.translate(
                "Wording",
                "The server at {server} did not answer in time. Check your network,"
                " then try again.",
            )
        return text.format(server=server_url)
    if code is ChatErrorCode.INVALID_CREDENTIALS or (
        code is ChatErrorCode.USER_NOT_FOUND and (error.details or {}).get("can_register")
    ):
        return _account(error, username)
    if code is ChatErrorCode.UNTRUSTED_CERTIFICATE:
        return _certificate(error, server_url)
    if code is ChatErrorCode.USER_EXISTS:
        return QCoreApplication.translate(
            "Wording", "That name is taken. Choose another, or sign in if it is yours."
        )
    if code is ChatErrorCode.REGISTRATION_DISABLED:
        return QCoreApplication.translate(
            "Wording",
            "This server does not let people create accounts. "
            "Ask its administrator for one, then sign in.",
        )
    if code is ChatErrorCode.RECALL_TIME_LIMIT:
        reason = sentence(error.description)
        return QCoreApplication.translate(
            "Wording",
            "It is too late to recall this message ({reason}). "
            "You can delete it for yourself instead.",
        ).format(reason=reason.rstrip("."))
    if code is ChatErrorCode.MESSAGE_RECALLED:
        return QCoreApplication.translate(
            "Wording", "That message was recalled, so it can no longer be changed."
        )
    if code is ChatErrorCode.STORAGE_UNAVAILABLE:
        return QCoreApplication.translate(
            "Wording",
            "The server can't save anything right now (its storage is unavailable). "
            "What you send waits on this computer and goes out by itself when it can.",
        )
    if code is ChatErrorCode.TOKEN_INVALID:
        return QCoreApplication.translate(
            "Wording", "Your session on this computer has ended. Sign in again."
        )
    return sentence(error.description) or QCoreApplication.translate(
        "Wording", "Something went wrong. Try again."
    )
