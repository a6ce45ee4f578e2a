"""What the managers need of the signed-in client: `SharedClient`, a Protocol.

Owns: the one view of `ChatClient` that `ChatManager` (with its parts
`MessageActions` and `Presence`) and `GroupManager` are handed: the options, the
data directory, the store, the outbox, the notifier, the chat handler registry, the
group cache, and `request`. `ChatClient` is one (the type checker says so where it hands itself
over); the managers name this Protocol, never `ChatClient`, so they sit below it
and the client's modules form floors even for the type checker.

Never: hold anything, or import the managers or `client.py`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, TypeVar

from desktop_chat.client.events import ChatEventHandler, HandlerRegistry, Notifier
from desktop_chat.client.local_store import LocalStore
from desktop_chat.client.models import Group
from desktop_chat.client.options import ChatOptions
from desktop_chat.client.outbox import OutboxSender
from desktop_chat.protocol import frames as f

R = TypeVar("R", bound=f.Reply)


class SharedClient(Protocol):
    """The signed-in client as its managers see it (see `ChatClient`)."""

    @property
    def options(self) -> ChatOptions: ...
    @property
    def data_dir(self) -> Path: ...
    @property
    def username(self) -> str | None: ...
    @property
    def store(self) -> LocalStore | None: ...
    @property
    def groups(self) -> dict[str, Group]: ...
    @property
    def limits(self) -> f.Limits: ...
    @property
    def notifier(self) -> Notifier: ...
    @property
    def chat_handlers(self) -> HandlerRegistry[ChatEventHandler]: ...
    @property
    def is_connected(self) -> bool: ...
    @property
    def outbox(self) -> OutboxSender: ...

    def require_store(self) -> LocalStore: ...

    async def request(self, frame: f.Request[R]) -> R: ...
