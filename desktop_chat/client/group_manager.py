"""`client.group_manager`: creating groups, members, admins and the ack policy.

Owns: the SDK's group calls, each one request to the server (with the pinned
notice: `pin_message`, `unpin_message`), and the cache of
groups this device knows (`client.groups`): kept in the local store, so a
restart starts with every group's name, members and roles, refreshed from the
server on every (re)connect (`joined`) and kept current by `group_changed`
events.

Refused before they are sent (INVALID_PARAM, as the server would refuse them or
answer with no group): an `ack_policy` other than "admins" or "all", and
`remove_members` of only yourself (leaving: `leave_group`).

Never: change group state locally before the server confirms it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from desktop_chat.client.apply import group_from_info
from desktop_chat.client.errors import ChatError, ChatErrorCode, RemoteProtocolError
from desktop_chat.client.models import Group
from desktop_chat.protocol import frames as f

if TYPE_CHECKING:
    from desktop_chat.client.shared import SharedClient

_ACK_POLICIES: dict[str, f.AckPolicy] = {"admins": "admins", "all": "all"}


def _ack_policy(ack_policy: str) -> f.AckPolicy:
    known = _ACK_POLICIES.get(ack_policy)
    if known is None:
        raise ChatError(
            ChatErrorCode.INVALID_PARAM, f"ack_policy is 'admins' or 'all', not {ack_policy!r}"
        )
    return known


class GroupManager:
    def __init__(self, client: SharedClient) -> None:
        self._client = client

    async def _group(self, frame: f.Request[f.Group]) -> Group:
        reply: f.Group = await self._client.request(frame)
        return self._remembered(reply)

    def _remembered(self, reply: f.Group) -> Group:
        group = group_from_info(reply.group, self._client.username or "", self._client.store)
        self.remember(group)
        return group

    def remember(self, group: Group) -> None:
        """Cache a group as the server confirmed it, here and in the local store."""
        self._client.groups[group.group_id] = group
        store = self._client.store
        if store is not None:
            store.save_group(group)
            store.commit()

    def joined(self, groups: list[Group]) -> None:
        """The server's list of this user's groups (without members): update the cache,
        keeping known members while the count still matches, and forget the rest."""
        client = self._client
        store = client.require_store()
        known = {g.group_id for g in groups}
        for group_id in [g for g in client.groups if g not in known]:
            client.groups.pop(group_id, None)
            store.remove_group(group_id)
        for group in groups:
            cached = client.groups.get(group.group_id)
            if (
                group.members is None
                and cached is not None
                and cached.members is not None
                and len(cached.members) == group.member_count
            ):
                group = Group(**{**group.__dict__, "members": cached.members})
            client.groups[group.group_id] = group
            store.save_group(group)
        store.commit()

    async def create_group(
        self, name: str, members: list[str], ack_policy: str = "admins"
    ) -> Group:
        """Create a group owned by this user. `ack_policy` "all" lets every member
        ask for read receipts; "admins" (the default) only the owner and admins."""
        return await self._group(
            f.CreateGroup(
                id="", name=name, members=list(members), ack_policy=_ack_policy(ack_policy)
            )
        )

    async def add_members(self, group_id: str, members: list[str]) -> Group:
        return await self._group(f.AddMembers(id="", group_id=group_id, members=list(members)))

    async def remove_members(self, group_id: str, members: list[str]) -> Group:
        """Remove others (the owner and admins may). Removing only yourself is leaving,
        which returns no group: that is `leave_group`, and is refused here."""
        if set(members) == {self._client.username}:
            raise ChatError(ChatErrorCode.INVALID_PARAM, "to leave a group, call leave_group")
        frame = f.RemoveMembers(id="", group_id=group_id, members=list(members))
        reply: f.Group | f.Ok = await self._client.request(frame)
        if not isinstance(reply, f.Group):
            raise RemoteProtocolError(
                ChatErrorCode.PROTOCOL_ERROR, "the server answered remove_members with ok"
            )
        return self._remembered(reply)

    async def leave_group(self, group_id: str) -> None:
        await self._client.request(
            f.RemoveMembers(id="", group_id=group_id, members=[self._client.username or ""])
        )
        self._client.groups.pop(group_id, None)
        store = self._client.store
        if store is not None:
            store.remove_group(group_id)
            store.commit()

    async def add_admin(self, group_id: str, member: str) -> Group:
        return await self._group(f.AddAdmin(id="", group_id=group_id, member=member))

    async def remove_admin(self, group_id: str, member: str) -> Group:
        return await self._group(f.RemoveAdmin(id="", group_id=group_id, member=member))

    async def set_ack_policy(self, group_id: str, ack_policy: str) -> Group:
        return await self._group(
            f.SetGroupAckPolicy(id="", group_id=group_id, ack_policy=_ack_policy(ack_policy))
        )

    async def get_group(self, group_id: str, with_members: bool = True) -> Group:
        """The group as the server has it now (and cache it)."""
        return await self._group(f.GetGroup(id="", group_id=group_id, with_members=with_members))

    async def pin_message(self, group_id: str, msg_id: str) -> Group:
        """Pin a message of the group at its top (owner and admins; one pin per group, so
        this replaces any other). Every member's devices are told (`on_group_changed`
        with "pinned"). ChatError: PERMISSION_DENIED for a plain member,
        MESSAGE_NOT_FOUND, MESSAGE_RECALLED."""
        return await self._group(f.PinGroupMessage(id="", group_id=group_id, msg_id=msg_id))

    async def unpin_message(self, group_id: str) -> Group:
        """Take the group's pin down (owner and admins); "unpinned" to every member."""
        return await self._group(f.UnpinGroupMessage(id="", group_id=group_id))

    def get_group_from_cache(self, group_id: str) -> Group | None:
        return self._client.groups.get(group_id)

    async def fetch_joined_groups(self) -> list[Group]:
        reply: f.Groups = await self._client.request(f.FetchGroups(id=""))
        me, store = self._client.username or "", self._client.store
        groups = [group_from_info(info, me, store) for info in reply.groups]
        self.joined(groups)
        return groups
