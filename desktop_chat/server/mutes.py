"""Per-conversation mute, kept by the server so every device of a user agrees.

Owns: `set_conversation_mute` (mute for good or until a time, or unmute; the
caller's other devices get a logged `conversation_muted` push, so a device that was
away catches up through sync) and `mute_state`, how a stored mute reads at a given
time (a mute whose end has passed is no mute).

A mute is the viewer's own and only silences: messages still arrive and count as
unread; nobody else learns of it.

Never: touch messages, receipts or unread counts.
"""

from __future__ import annotations

from desktop_chat.protocol import ErrorCode
from desktop_chat.protocol import frames as f
from desktop_chat.protocol.validation import is_group_id
from desktop_chat.server.connection import DeviceConnection
from desktop_chat.server.core import Core, ServiceError


def mute_state(muted: bool, until: int | None, now: int) -> tuple[bool, int | None]:
    """(muted, muted_until) as of `now`."""
    if not muted or (until is not None and until <= now):
        return False, None
    return True, until


class Mutes(Core):
    def set_conversation_mute(self, conn: DeviceConnection, req: f.SetConversationMute) -> f.Reply:
        me, now = self.user_of(conn), self.now()
        if req.until is not None and req.until <= now:
            raise ServiceError(
                ErrorCode.INVALID_PARAM,
                "`until` is in the past; leave it out to mute until unmuted",
                {"now": now},
            )
        if is_group_id(req.conversation_id):
            group, _ = self.require_member(req.conversation_id, me)
            conv_id = self.store.group_conversation(group.id)
        else:
            peer_id = self.require_user(req.conversation_id)
            if peer_id == me:
                raise ServiceError(ErrorCode.INVALID_PARAM, "there is no chat with yourself")
            # A chat can be muted before its first message: the mute waits for it.
            conv_id = self.store.chat_conversation(me, peer_id, now)
        self.store.set_mute(conv_id, me, req.muted, req.until)
        muted, until = mute_state(req.muted, req.until, now)
        self.hub.emit(
            [me],
            f.ConversationMutedPush(
                seq=0, conversation_id=req.conversation_id, muted=muted, muted_until=until
            ),
            skip_device=conn.device_id,
        )
        return f.MuteOk(
            id=req.id, conversation_id=req.conversation_id, muted=muted, muted_until=until
        )
