"""A group's pinned notice: one message an owner or admin pins at the group's top.

Owns: `pin_group_message` and `unpin_group_message` (owner and admins; one pin per
group, a new pin replaces the old; the message must be one of the group's that the
pinner can see, and not recalled), `GroupInfo.pinned` as each viewer sees it (the
message with the viewer's own confirm of it, so a member who joined later, or whose
history is not loaded, can show it), `group_pinned` to every member's devices, and
`unpin_recalled`, which the recall of a pinned message calls.

Never: touch receipts, or pin a message its sender recalled.
"""

from __future__ import annotations

import msgspec

from desktop_chat.protocol import ErrorCode
from desktop_chat.protocol import frames as f
from desktop_chat.server.connection import DeviceConnection
from desktop_chat.server.core import Core, ServiceError
from desktop_chat.server.group_receipts import viewer_infos
from desktop_chat.server.store import GroupRow, MessageRow


def pinned_info(core: Core, group_id: int, viewer: int | None) -> f.PinnedInfo | None:
    """The group's pin as `viewer` sees it (None: as a member with no ack of it)."""
    pin = core.store.group_pin(group_id)
    message = None if pin is None else core.store.message(pin.msg_id)
    if pin is None or message is None:
        return None
    if viewer is None:
        info = core.message_info(message)
    else:
        (info,) = viewer_infos(core, viewer, [message])
    by = core.store.username(pin.by_id)
    return f.PinnedInfo(msg_id=message.msg_id, by=by, at=pin.at, message=info)


def tell_pin(core: Core, group: GroupRow, by: str) -> None:
    """Every member's devices: the group's pin now (`group_pinned`)."""
    pinned = pinned_info(core, group.id, None)
    info = msgspec.structs.replace(core.group_info(group, False), pinned=pinned)
    core.hub.emit(
        core.store.member_ids(group.id),
        f.GroupPinnedPush(seq=0, group_id=str(group.id), pinned=pinned, by=by, group=info),
    )


def unpin_recalled(core: Core, message: MessageRow, by: str) -> None:
    """A recalled message is no longer pinned: unpin it and tell the members."""
    if message.group_id is None:
        return
    pin = core.store.group_pin(message.group_id)
    if pin is None or pin.msg_id != message.msg_id:
        return
    core.store.clear_group_pin(message.group_id)
    group = core.store.group(message.group_id)
    if group is not None:
        tell_pin(core, group, by)


class Pins(Core):
    def group_info(
        self, group: GroupRow, with_members: bool, viewer: int | None = None
    ) -> f.GroupInfo:
        """The group with its pin, the pinned message as `viewer` sees it."""
        info = super().group_info(group, with_members)
        pinned = pinned_info(self, group.id, viewer)
        return info if pinned is None else msgspec.structs.replace(info, pinned=pinned)

    def _pinner(self, conn: DeviceConnection, group_id: str) -> GroupRow:
        group, role = self.require_member(group_id, self.user_of(conn))
        if role not in ("owner", "admin"):
            raise ServiceError(
                ErrorCode.PERMISSION_DENIED, "only the owner and admins may pin a message"
            )
        return group

    def pin_group_message(self, conn: DeviceConnection, req: f.PinGroupMessage) -> f.Reply:
        me = self.user_of(conn)
        group = self._pinner(conn, req.group_id)
        message = self.store.message(req.msg_id)
        if (
            message is None
            or message.group_id != group.id
            or message.conv_seq <= self.store.joined_seq(group.id, me)
        ):
            raise ServiceError(
                ErrorCode.MESSAGE_NOT_FOUND, f"no message {req.msg_id} in this group that you see"
            )
        if message.recalled:
            raise ServiceError(ErrorCode.MESSAGE_RECALLED, "a recalled message cannot be pinned")
        pin = self.store.group_pin(group.id)
        if pin is None or pin.msg_id != message.msg_id:
            self.store.set_group_pin(group.id, message.msg_id, me, self.now())
            tell_pin(self, group, conn.session.username or "")
        return f.Group(id=req.id, group=self.group_info(group, True, me))

    def unpin_group_message(self, conn: DeviceConnection, req: f.UnpinGroupMessage) -> f.Reply:
        group = self._pinner(conn, req.group_id)
        if self.store.clear_group_pin(group.id):
            tell_pin(self, group, conn.session.username or "")
        return f.Group(id=req.id, group=self.group_info(group, True, self.user_of(conn)))
