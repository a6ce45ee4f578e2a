"""Presence and conversation settings: typing, user lookup, and per-chat mute.

Owns: `Presence`, a part of `chat_manager.ChatManager`:
- `send_typing(conversation_id)`: tells a one-to-one peer you are typing, at most
  once per `TYPING_INTERVAL_SECONDS` per conversation (the server throttles too).
  It is a hint: offline, or too soon, nothing is sent and nothing is queued (False);
- `fetch_user_info(usernames)` / `user_exists(name)`: whether accounts exist (for
  "New chat"); names that are not valid usernames are False without asking;
- `set_conversation_muted(conversation_id, muted, until=None)`: kept by the
  server, so it holds on every device; `on_conversation_muted` fires here and on
  the user's other devices.

Never: queue a typing hint, or change a mute locally before the server confirmed it.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from desktop_chat.client.errors import ChatError, ChatErrorCode
from desktop_chat.client.models import ChatType
from desktop_chat.client.outbox import TRANSIENT
from desktop_chat.protocol import frames as f
from desktop_chat.protocol.validation import MAX_USER_LOOKUP, is_group_id, is_username

if TYPE_CHECKING:
    from desktop_chat.client.shared import SharedClient

TYPING_INTERVAL_SECONDS = 3.0


class Presence:
    _client: SharedClient
    _typing_sent: dict[str, float]

    async def send_typing(self, conversation_id: str) -> bool:
        """True when the hint went out; False when it was too soon or offline."""
        if not is_username(conversation_id):
            raise ChatError(ChatErrorCode.INVALID_PARAM, "typing is shown in one-to-one chats only")
        client = self._client
        client.require_store()
        now = time.monotonic()
        last = self._typing_sent.get(conversation_id)
        if last is not None and now - last < TYPING_INTERVAL_SECONDS:
            return False
        if not client.is_connected:
            return False
        self._typing_sent[conversation_id] = now
        try:
            await client.request(f.Typing(id="", conversation_id=conversation_id))
        except ChatError as exc:
            if exc.code in TRANSIENT:
                return False
            raise
        return True

    async def fetch_user_info(self, usernames: list[str]) -> dict[str, bool]:
        """Whether each name is an account, at most 20 names a call."""
        names = list(dict.fromkeys(usernames))
        valid = [name for name in names if is_username(name)]
        if len(valid) > MAX_USER_LOOKUP:
            raise ChatError(
                ChatErrorCode.BATCH_TOO_LARGE,
                f"at most {MAX_USER_LOOKUP} names per lookup",
                {"limit": MAX_USER_LOOKUP},
            )
        found = dict.fromkeys(names, False)
        if valid:
            reply: f.Users = await self._client.request(f.FetchUsers(id="", usernames=valid))
            found.update({user.username: user.exists for user in reply.users})
        return found

    async def user_exists(self, username: str) -> bool:
        return (await self.fetch_user_info([username]))[username]

    async def set_conversation_muted(
        self, conversation_id: str, muted: bool, until: int | None = None
    ) -> None:
        """Mute (until `until`, ms since the epoch, or for good) or unmute a conversation
        on all of this user's devices. A muted chat still receives and counts unread."""
        client = self._client
        reply: f.MuteOk = await client.request(
            f.SetConversationMute(id="", conversation_id=conversation_id, muted=muted, until=until)
        )
        store = client.require_store()
        chat_type = ChatType.GROUP_CHAT if is_group_id(conversation_id) else ChatType.CHAT
        store.touch_conversation(conversation_id, chat_type, 0)
        store.set_mute(conversation_id, reply.muted, reply.muted_until)
        store.commit()
        client.notifier.queue("on_conversation_muted", conversation_id, reply.muted)
