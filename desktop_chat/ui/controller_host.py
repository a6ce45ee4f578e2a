"""What the controller's parts may use of the controller they are part of.

Owns: `ControllerHost`, the base of `group_views.GroupViews`,
`message_actions.MessageActions`, `announce_actions.AnnounceActions` and
`attachment_actions.AttachmentActions`, the parts of `controller.ChatController`: it
declares the controller's attributes they use, and, for the type checker only,
the controller's methods they call and the ones each part calls on the other.
`ChatController` sets and defines them all; the type checker holds it to these
types, and the parts to what is declared here.

Never: hold state or behaviour. At run time it is an empty class: its attributes
are bare annotations and its methods exist only under `TYPE_CHECKING`. It never
imports the controller or its parts (that would be an import cycle).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncio
    from abc import abstractmethod
    from collections.abc import Coroutine
    from typing import Any

    from desktop_chat.client import ChatClient, ChatError
    from desktop_chat.client.qt_bridge import ChatSignals
    from desktop_chat.ui.chat.chat_view import ChatView
    from desktop_chat.ui.chat.message_model import MessageListModel
    from desktop_chat.ui.conversations.conversation_model import ConversationListModel
    from desktop_chat.ui.group_info import GroupInfoDialog
    from desktop_chat.ui.main_window import MainWindow
    from desktop_chat.ui.read_by import ReadByDialog
    from desktop_chat.ui.read_tracker import ReadAckController


class ControllerHost:
    """The controller as its parts see it (see the module's docstring)."""

    client: ChatClient
    me: str  # the signed-in username
    signals: ChatSignals
    messages: MessageListModel  # the open chat's rows
    conversations: ConversationListModel
    chat_view: ChatView
    window: MainWindow
    tracker: ReadAckController
    read_by_views: dict[str, ReadByDialog]  # by msg_id, while open
    group_info_view: GroupInfoDialog | None

    if TYPE_CHECKING:
        # ChatController's own.

        @abstractmethod
        def spawn(self, coro: Coroutine[Any, Any, Any], what: str) -> asyncio.Task[Any]: ...

        @abstractmethod
        def show_error(self, text: str) -> None: ...

        @abstractmethod
        def explain(self, error: ChatError) -> str: ...

        @abstractmethod
        def reload_conversations(self) -> None: ...

        @abstractmethod
        def open_conversation(self, conversation_id: str, focus_composer: bool = True) -> None: ...

        @abstractmethod
        def _title(self, conversation_id: str, is_group: bool) -> str: ...

        @abstractmethod
        def _touch_conversation(self, conversation_id: str, is_group: bool) -> None: ...

        @abstractmethod
        def _clear_draft(self, conversation_id: str) -> None: ...

        # AttachmentActions', called by MessageActions (a file's menu).

        @abstractmethod
        def open_attachment(self, msg_id: str) -> None: ...

        @abstractmethod
        def show_in_folder(self, msg_id: str) -> None: ...

        # GroupViews', called by MessageActions.

        @abstractmethod
        def open_read_by(self, msg_id: str) -> None: ...

        # MessageActions', called by AnnounceActions (a click on the pin bar).

        @abstractmethod
        def jump_to_message(self, msg_id: str, max_pages: int = 40) -> bool: ...

        # AnnounceActions', called by MessageActions (the menu) and the controller.

        @abstractmethod
        def pin_message(self, msg_id: str) -> None: ...

        @abstractmethod
        def unpin_message(self, group_id: str) -> None: ...

        @abstractmethod
        def refresh_pin(self) -> None: ...
