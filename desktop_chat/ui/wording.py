"""What the app says when something goes wrong: what happened, and what to do next.

Owns: `explain(error, server_url, ...)`, the one place a `ChatError` becomes a
sentence for a person. Network failures name the server's address and never
show raw exception text ("[Errno 111] Connect call failed"); a failed sign-in
never calls the password wrong for a name the server may simply not know;
everything else is the server's own sentence, capitalised and ended.

Never: import Qt or widgets, or hide what the person can do about it.
"""

from __future__ import annotations

from desktop_chat.client import ChatError, ChatErrorCode


def sentence(text: str) -> str:
    """`text` as a sentence: a capital first letter and a full stop."""
    text = text.strip()
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?…" else text + "."


def offline_text(server_url: str) -> str:
    """The status line while the connection is down and the client retries."""
    return f"Offline — can't reach {server_url}; we keep trying."


def explain(
    error: ChatError, server_url: str, *, username: str = "", retrying: bool = False
) -> str:
    """A ChatError as a person should read it.

    `retrying`: the app keeps trying by itself (a signed-in window), rather than
    waiting for the person to try again (the sign-in dialog)."""
    next_step = "we keep trying." if retrying else "then try again."
    code = error.code
    if code is ChatErrorCode.NETWORK_ERROR:
        if "certificate" in error.description:
            return sentence(error.description)
        if "cannot serve right now" in error.description:
            return (
                f"The server at {server_url} is up but can't serve right now"
                f" (its database may be down). Wait a moment, {next_step}"
            )
        return (
            f"Can't reach the server at {server_url}. "
            f"Check the address or your network, {next_step}"
        )
    if code is ChatErrorCode.TIMEOUT:
        return f"The server at {server_url} did not answer in time. Check your network, {next_step}"
    if code is ChatErrorCode.INVALID_CREDENTIALS:
        name = f"“{username}”" if username else "with that name"
        return (
            f"Wrong password, or there is no account {name} on this server yet. "
            "Check the password and try again, or create the account."
        )
    if code is ChatErrorCode.USER_NOT_FOUND and (error.details or {}).get("can_register"):
        name = f"“{username}”" if username else "with that name"
        return f"There is no account {name} on this server yet. Create it, or check the name."
    if code is ChatErrorCode.USER_EXISTS:
        return "That name is taken. Choose another, or sign in if it is yours."
    if code is ChatErrorCode.REGISTRATION_DISABLED:
        return (
            "This server does not let people create accounts. "
            "Ask its administrator for one, then sign in."
        )
    if code is ChatErrorCode.RECALL_TIME_LIMIT:
        reason = sentence(error.description)
        return (
            f"It is too late to recall this message ({reason.rstrip('.')}). "
            "You can delete it for yourself instead."
        )
    if code is ChatErrorCode.MESSAGE_RECALLED:
        return "That message was recalled, so it can no longer be changed."
    if code is ChatErrorCode.STORAGE_UNAVAILABLE:
        return (
            "The server can't save anything right now (its storage is unavailable). "
            "What you send waits on this computer and goes out by itself when it can."
        )
    if code is ChatErrorCode.TOKEN_INVALID:
        return "Your session on this computer has ended. Sign in again."
    return sentence(error.description) or "Something went wrong. Try again."
