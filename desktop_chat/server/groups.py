"""Groups: creating them, members and roles, and who may ask for read receipts.

Owns: the group handlers and their permission rules (the pinned notice is
`pins.Pins`, this class's base). Owners and admins manage
members; only the owner manages admins and the ack policy; a member may remove
only itself (leave); the owner cannot be removed. Every change is pushed to the
members as `group_changed`, and a removed member loses access at once.

Never: touch messages or receipts.
"""

from __future__ import annotations

import secrets

from desktop_chat.protocol import ErrorCode
from desktop_chat.protocol import frames as f
from desktop_chat.server.connection import DeviceConnection
from desktop_chat.server.core import ServiceError
from desktop_chat.server.pins import Pins
from desktop_chat.server.store import GroupRow


class Groups(Pins):
    def _user_ids(self, names: list[str]) -> dict[str, int]:
        found = self.store.user_ids(names)
        missing = [name for name in names if name not in found]
        if missing:
            raise ServiceError(
                ErrorCode.USER_NOT_FOUND,
                f"no such user: {', '.join(missing[:10])}",
                {"missing": missing},
            )
        return found

    def _check_size(self, count: int) -> None:
        if count > self.config.max_group_members:
            raise ServiceError(
                ErrorCode.GROUP_FULL,
                f"a group holds at most {self.config.max_group_members} members",
                {"limit": self.config.max_group_members},
            )

    def _managed(
        self, conn: DeviceConnection, group_id: str, *, owner_only: bool = False
    ) -> GroupRow:
        group, role = self.require_member(group_id, self.user_of(conn))
        allowed = ("owner",) if owner_only else ("owner", "admin")
        if role not in allowed:
            who = "the owner" if owner_only else "the owner and admins"
            raise ServiceError(ErrorCode.PERMISSION_DENIED, f"only {who} may do this")
        return group

    def _announce(
        self,
        group: GroupRow,
        change: f.GroupChange,
        members: list[str],
        audience: list[int] | None = None,
    ) -> None:
        group = self.store.group(group.id) or group
        self.hub.emit(
            audience if audience is not None else self.store.member_ids(group.id),
            f.GroupChangedPush(
                seq=0, change=change, group=self.group_info(group, False), members=members
            ),
        )

    def _reply(self, req: f.Request[f.Reply], group: GroupRow, viewer: int) -> f.Reply:
        return f.Group(id=req.id, group=self.group_info(group, True, viewer))

    def create_group(self, conn: DeviceConnection, req: f.CreateGroup) -> f.Reply:
        me, now = self.user_of(conn), self.now()
        names = [name for name in dict.fromkeys(req.members) if name != conn.session.username]
        self._check_size(len(names) + 1)
        ids = self._user_ids(names)
        group_id = secrets.randbelow(9 * 10**14) + 10**14
        while self.store.group_exists(group_id):
            group_id = secrets.randbelow(9 * 10**14) + 10**14
        self.store.create_group(group_id, req.name, me, req.ack_policy, now)
        conv_id = self.store.group_conversation(group_id)
        self.store.add_members(
            group_id, conv_id, [(me, "owner")] + [(ids[name], "member") for name in names], now
        )
        group = self.store.group(group_id)
        assert group is not None
        self._announce(group, "created", [])
        return self._reply(req, group, me)

    def add_members(self, conn: DeviceConnection, req: f.AddMembers) -> f.Reply:
        group = self._managed(conn, req.group_id)
        ids = self._user_ids(list(dict.fromkeys(req.members)))
        current = set(self.store.member_ids(group.id))
        new = [(name, user_id) for name, user_id in ids.items() if user_id not in current]
        self._check_size(len(current) + len(new))
        if new:
            conv_id = self.store.group_conversation(group.id)
            self.store.add_members(
                group.id, conv_id, [(user_id, "member") for _, user_id in new], self.now()
            )
            self._announce(group, "members_added", [name for name, _ in new])
        return self._reply(req, group, self.user_of(conn))

    def remove_members(self, conn: DeviceConnection, req: f.RemoveMembers) -> f.Reply:
        me = self.user_of(conn)
        group, my_role = self.require_member(req.group_id, me)
        ids = self._user_ids(list(dict.fromkeys(req.members)))
        leaving = set(ids.values()) == {me}
        if not leaving and my_role not in ("owner", "admin"):
            raise ServiceError(
                ErrorCode.PERMISSION_DENIED, "only the owner and admins may remove members"
            )
        removed: list[tuple[str, int]] = []
        for name, user_id in ids.items():
            role = self.store.role(group.id, user_id)
            if role is None:
                continue
            if role == "owner":
                raise ServiceError(ErrorCode.PERMISSION_DENIED, "the owner cannot be removed")
            if role == "admin" and my_role != "owner" and user_id != me:
                raise ServiceError(
                    ErrorCode.PERMISSION_DENIED, "only the owner may remove an admin"
                )
            removed.append((name, user_id))
        if removed:
            conv_id = self.store.group_conversation(group.id)
            self.store.remove_members(group.id, conv_id, [user_id for _, user_id in removed])
            names = [name for name, _ in removed]
            self._announce(group, "members_removed", names)
            self._announce(group, "removed", names, [user_id for _, user_id in removed])
        if leaving:
            return f.Ok(id=req.id)
        return self._reply(req, group, me)

    def _set_admin(self, conn: DeviceConnection, group_id: str, member: str, role: str) -> GroupRow:
        group = self._managed(conn, group_id, owner_only=True)
        user_id = self.require_user(member)
        current = self.store.role(group.id, user_id)
        if current is None:
            raise ServiceError(ErrorCode.NOT_GROUP_MEMBER, f"{member} is not in this group")
        if current == "owner":
            raise ServiceError(ErrorCode.PERMISSION_DENIED, "the owner's role cannot change")
        if current != role:
            self.store.set_role(group.id, user_id, role)
            self._announce(group, "admin_added" if role == "admin" else "admin_removed", [member])
        return group

    def add_admin(self, conn: DeviceConnection, req: f.AddAdmin) -> f.Reply:
        group = self._set_admin(conn, req.group_id, req.member, "admin")
        return self._reply(req, group, self.user_of(conn))

    def remove_admin(self, conn: DeviceConnection, req: f.RemoveAdmin) -> f.Reply:
        group = self._set_admin(conn, req.group_id, req.member, "member")
        return self._reply(req, group, self.user_of(conn))

    def set_group_ack_policy(self, conn: DeviceConnection, req: f.SetGroupAckPolicy) -> f.Reply:
        group = self._managed(conn, req.group_id, owner_only=True)
        if group.ack_policy != req.ack_policy:
            self.store.set_ack_policy(group.id, req.ack_policy)
            self._announce(group, "ack_policy_changed", [])
        return self._reply(req, self.store.group(group.id) or group, self.user_of(conn))

    def get_group(self, conn: DeviceConnection, req: f.GetGroup) -> f.Reply:
        me = self.user_of(conn)
        group, _ = self.require_member(req.group_id, me)
        return f.Group(id=req.id, group=self.group_info(group, req.with_members, me))

    def fetch_groups(self, conn: DeviceConnection, req: f.FetchGroups) -> f.Reply:
        groups = []
        me = self.user_of(conn)
        for group_id in self.store.groups_of(me):
            group = self.store.group(group_id)
            if group is not None:
                groups.append(self.group_info(group, False, me))
        return f.Groups(id=req.id, groups=groups)
