"""The group info dialog: who is in a group, their roles, and managing them.

What a person sees, and where it lives:
- `dialog`: `GroupInfoDialog`, the window itself (header, who may ask for read
  receipts, "Add people", the searchable member list, the member actions,
  "Leave group", and the question before removing someone or leaving);
- `model`: the member list as Qt models (`GroupMemberModel`, its
  `GroupMemberRole`s and `GroupMemberRow`, and `GroupMemberOrder`: owner,
  admins, members, each alphabetically);
- `painting`: how one member row looks (`GroupMemberPainter`,
  `GroupMemberDelegate`);
- `rules`: what the viewer's role lets them do, the local checks of "Add", and
  what the buttons say about it.

This package only re-exports those names, so `from desktop_chat.ui.group_info
import GroupInfoDialog` works.
"""

from desktop_chat.ui.group_info.dialog import GroupInfoDialog
from desktop_chat.ui.group_info.model import (
    GroupMemberModel,
    GroupMemberOrder,
    GroupMemberRole,
    GroupMemberRow,
)
from desktop_chat.ui.group_info.painting import GroupMemberDelegate, GroupMemberPainter
from desktop_chat.ui.group_info.rules import ACK_POLICIES

__all__ = [
    "ACK_POLICIES",
    "GroupInfoDialog",
    "GroupMemberDelegate",
    "GroupMemberModel",
    "GroupMemberOrder",
    "GroupMemberPainter",
    "GroupMemberRole",
    "GroupMemberRow",
]
