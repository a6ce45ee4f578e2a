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
`remove_tip`). Every sentence is translatable (context "GroupRules"); the
policies' texts are kept in English in `ACK_POLICIES` and translated where shown.

Never: touch a widget, talk to the client, or decide what the server decides:
the checks only keep a request that would surely fail from being sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from desktop_chat.client.models import GroupRole
from desktop_chat.ui.dialogs.forms import USERNAME_RULE, username_problem
from desktop_chat.ui.painting.common import fill

ACK_POLICIES = (
    ("admins", str(QT_TRANSLATE_NOOP("GroupRules", "Owner and admins"))),
    ("all", str(QT_TRANSLATE_NOOP("GroupRules", "Everyone"))),
)


def _tr(text: str) -> str:
    return QCoreApplication.translate("GroupRules", text)


def policy_text(policy: str) -> str:
    """Who may ask for read receipts under `policy`, in the app's language."""
    return _tr(dict(ACK_POLICIES).get(policy, ACK_POLICIES[0][1]))


def quoted(names: list[str], limit: int = 5) -> str:
    shown = QCoreApplication.translate("GroupRules", ", ", "between names").join(
        fill(QCoreApplication.translate("GroupRules", "“%1”"), name) for name in names[:limit]
    )
    if len(names) <= limit:
        return shown
    more = len(names) - limit
    return fill(QCoreApplication.translate("GroupRules", "%1 and %n more", "", more), shown)


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
        return QCoreApplication.translate(
            "GroupRules", "Enter the usernames to add, separated by commas or spaces."
        )
    invalid = [name for name in names if username_problem(name)]
    if len(invalid) == 1 and len(names) == 1:
        template = QCoreApplication.translate("GroupRules", "“%1” isn't a valid username. %2")
        return fill(template, invalid[0], username_problem(invalid[0]))
    if invalid:
        template = QCoreApplication.translate("GroupRules", "Not a valid username: %1. %2")
        return fill(template, quoted(invalid), USERNAME_RULE)
    if all(is_member(name) for name in names):
        if len(names) == 1:
            template = QCoreApplication.translate(
                "GroupRules", "%1 is already a member. Enter someone who isn't in the group yet."
            )
        else:
            template = QCoreApplication.translate(
                "GroupRules", "%1 are already members. Enter someone who isn't in the group yet."
            )
        return fill(template, quoted(names))
    return ""


def admin_tip(name: str | None, role: GroupRole | None) -> str:
    """The tooltip of "Make admin" / "Remove admin" for the member selected."""
    if role is None:
        return QCoreApplication.translate("GroupRules", "Select a member first.")
    if role is GroupRole.OWNER:
        return QCoreApplication.translate("GroupRules", "The owner already manages the group.")
    if role is GroupRole.ADMIN:
        return fill(
            QCoreApplication.translate("GroupRules", "%1 will become a plain member."), name
        )
    template = QCoreApplication.translate(
        "GroupRules", "%1 will be able to add and remove members and ask for read receipts."
    )
    return fill(template, name)


def remove_tip(name: str | None, role: GroupRole | None, removable: bool, group_name: str) -> str:
    """The tooltip of "Remove from group" for the member selected."""
    if role is None:
        return QCoreApplication.translate("GroupRules", "Select a member first.")
    if role is GroupRole.OWNER:
        return QCoreApplication.translate("GroupRules", "The owner can't be removed.")
    if not removable:
        return QCoreApplication.translate("GroupRules", "Only the owner can remove admins.")
    return fill(QCoreApplication.translate("GroupRules", "Remove %1 from %2."), name, group_name)
