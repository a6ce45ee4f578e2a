"""What the viewer may do in a group, and what the group info dialog says about it.

Owns: the ack policies and their wording (`ACK_POLICIES`, `policy_text`),
`Allowed`, what a role may do (from `group.role_of(me)`):
- owner: add members, remove anyone but the owner, make or remove admins,
  change the ack policy;
- admin: add members, remove plain members, leave;
- member: leave;
- someone no longer in the group: nothing.
Also the local checks of "Add" (`add_refusal`: why adding those names would
surely fail, in words) and the tooltips of the "Make admin" / "Remove admin"
and "Remove from group" buttons for the member selected (`admin_tip`,
`remove_tip`).

Never: touch a widget, talk to the client, or decide what the server decides:
the checks only keep a request that would surely fail from being sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from desktop_chat.client.models import GroupRole
from desktop_chat.ui.dialogs.forms import USERNAME_RULE, username_problem

ACK_POLICIES = (("admins", "Owner and admins"), ("all", "Everyone"))


def policy_text(policy: str) -> str:
    return dict(ACK_POLICIES).get(policy, "Owner and admins")


def quoted(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(f"“{name}”" for name in names[:limit])
    return f"{shown} and {len(names) - limit} more" if len(names) > limit else shown


@dataclass(frozen=True)
class Allowed:
    """What a role may do in a group."""

    add: bool = False
    remove_admins: bool = False
    remove_members: bool = False
    set_admins: bool = False
    set_policy: bool = False
    leave: bool = False

    @classmethod
    def for_role(cls, role: GroupRole | None) -> Allowed:
        if role is GroupRole.OWNER:
            return cls(True, True, True, True, True, False)
        if role is GroupRole.ADMIN:
            return cls(add=True, remove_members=True, leave=True)
        if role is GroupRole.MEMBER:
            return cls(leave=True)
        return cls()

    def may_toggle_admin(self, role: GroupRole | None) -> bool:
        """Whether the member with `role` can be made an admin or a plain member."""
        return self.set_admins and role in (GroupRole.ADMIN, GroupRole.MEMBER)

    def may_remove(self, name: str | None, role: GroupRole | None, me: str) -> bool:
        """Whether the member `name` (with `role`) can be removed by the viewer `me`."""
        return name != me and (
            (role is GroupRole.MEMBER and self.remove_members)
            or (role is GroupRole.ADMIN and self.remove_admins)
        )


def add_refusal(names: list[str], is_member: Callable[[str], bool]) -> str:
    """Why asking to add `names` would surely fail, or "" when it may be asked."""
    if not names:
        return "Enter the usernames to add, separated by commas or spaces."
    invalid = [name for name in names if username_problem(name)]
    if len(invalid) == 1 and len(names) == 1:
        return f"“{invalid[0]}” isn't a valid username. {username_problem(invalid[0])}"
    if invalid:
        return f"Not a valid username: {quoted(invalid)}. {USERNAME_RULE}"
    if all(is_member(name) for name in names):
        already = "is already a member" if len(names) == 1 else "are already members"
        return f"{quoted(names)} {already}. Enter someone who isn't in the group yet."
    return ""


def admin_tip(name: str | None, role: GroupRole | None) -> str:
    """The tooltip of "Make admin" / "Remove admin" for the member selected."""
    if role is None:
        return "Select a member first."
    if role is GroupRole.OWNER:
        return "The owner already manages the group."
    if role is GroupRole.ADMIN:
        return f"{name} will become a plain member."
    return f"{name} will be able to add and remove members and ask for read receipts."


def remove_tip(name: str | None, role: GroupRole | None, removable: bool, group_name: str) -> str:
    """The tooltip of "Remove from group" for the member selected."""
    if role is None:
        return "Select a member first."
    if role is GroupRole.OWNER:
        return "The owner can't be removed."
    if not removable:
        return "Only the owner can remove admins."
    return f"Remove {name} from {group_name}."
