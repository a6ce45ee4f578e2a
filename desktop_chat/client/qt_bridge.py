"""The Qt bridge: the client core's callbacks as Qt signals.

Owns: `ChatSignals`, one QObject with a Signal for every `ChatEventHandler` and
`ConnectionEventHandler` callback, built from the handlers themselves: the
callback `on_messages_read(list)` is the signal `messages_read(list)` (`signal_name`;
ints are 64-bit, times in ms do not fit Qt's int). Adding a callback to a handler
adds its signal. It is the only Qt-aware module of the client. Under qasync the
client core runs on the GUI thread's event loop, so the signals are emitted on the
GUI thread and slots may touch widgets directly.

Never: hold state of its own, or call back into the client (widgets go through
a controller).
"""

from __future__ import annotations

import itertools
import types
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal, SignalInstance

from desktop_chat.client.client import ChatClient
from desktop_chat.client.events import ChatEventHandler, ConnectionEventHandler, callback_args

_ids = itertools.count(1)
HANDLERS = (ChatEventHandler, ConnectionEventHandler)
# The signal names that are not the callback's name without `on_`.
_RENAMED = {"on_token_did_expire": "token_expired"}


def signal_name(callback: str) -> str:
    """The signal that relays `callback`: `on_typing` -> `typing`."""
    return _RENAMED.get(callback, callback.removeprefix("on_"))


def _qt_type(kind: type) -> Any:
    return "qint64" if kind is int else kind


def _signals() -> dict[str, Any]:
    return {
        signal_name(name): Signal(*(_qt_type(kind) for kind in args))
        for handler in HANDLERS
        for name, args in callback_args(handler).items()
    }


# The signals are class attributes, as Qt needs them when the class is made.
# (`types.new_class` makes it with QObject's own metaclass, as a class statement would.)
_SignalsBase: Any = types.new_class(
    "_SignalsBase", (QObject,), exec_body=lambda namespace: namespace.update(_signals())
)


# Its base is made at run time (its signals come from the handlers), so the type
# checker sees it as Any: hence the ignore, and `__getattr__` for the signals.
class ChatSignals(_SignalsBase):  # type: ignore[misc]
    if TYPE_CHECKING:

        def __getattr__(self, name: str) -> SignalInstance: ...

    def __init__(self, client: ChatClient, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._client = client
        self._handler_id = f"qt-bridge-{next(_ids)}"
        client.chat_manager.add_event_handler(self._handler_id, self._relay(ChatEventHandler))
        client.add_connection_event_handler(self._handler_id, self._relay(ConnectionEventHandler))

    def _relay(self, handler: Any) -> Any:
        """A handler of that class whose every callback emits its signal."""
        return handler(
            **{name: getattr(self, signal_name(name)).emit for name in callback_args(handler)}
        )

    def detach(self) -> None:
        """Stop relaying (call before the client or this object goes away)."""
        self._client.chat_manager.remove_event_handler(self._handler_id)
        self._client.remove_connection_event_handler(self._handler_id)
