"""Helpers of the store contract suite: rows as the interface types them, and the
store calls the handlers make for the common steps (users, a chat message, a
group and its messages), so each test states only what it checks.

`typed` checks that a row (or each row of a list, or each value of a dict) is the
interface's row dataclass, and hands it back: both backends must return the
dataclasses themselves, never bare tuples.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from desktop_chat.protocol import Mark
from desktop_chat.server.storage.interface import MessageRow

NOW = 1_700_000_000_000


def typed(kind: type, value: Any) -> Any:
    """`value` itself, once checked to be a `kind` (or None), a list of them, or a dict
    whose values are."""
    items = value.values() if isinstance(value, dict) else value
    if isinstance(value, list | dict):
        wrong = [item for item in items if not isinstance(item, kind)]
        assert not wrong, f"not {kind.__name__}: {wrong[:3]}"
    else:
        assert value is None or isinstance(value, kind), f"not {kind.__name__}: {value!r}"
    return value


@contextlib.contextmanager
def committed(store) -> Iterator[None]:
    """One request, committed."""
    with store.request():
        yield
    store.commit()


def users(store, *names: str) -> list[int]:
    with committed(store):
        return [store.create_user(name, f"hash-{name}", NOW) for name in names]


def send_chat(
    store,
    sender: int,
    recipient: int,
    msg_id: str,
    *,
    now: int = NOW,
    need_read_ack: bool = True,
    body: bytes | None = None,
    reply_to: str | None = None,
) -> MessageRow:
    """What `Messages.send` writes for a one-to-one message, committed."""
    with committed(store):
        conv_id = store.chat_conversation(sender, recipient, now)
        conv_seq = store.next_conv_seq(conv_id)
        store.insert_message(
            msg_id=msg_id,
            conv_id=conv_id,
            conv_seq=conv_seq,
            chat_type="chat",
            sender_id=sender,
            recipient_id=recipient,
            group_id=None,
            body=body if body is not None else msg_id.encode(),
            server_time=now,
            local_time=now - 5,
            need_delivery_ack=True,
            need_read_ack=need_read_ack,
            need_group_ack=False,
            mark=Mark.SENT,
            group_member_count=None,
            reply_to=reply_to,
        )
        store.count_new_message(conv_id, sender, now)
    message = store.message(msg_id)
    assert message is not None
    return message


def make_group(store, group_id: int, owner: int, members: list[int], *, policy: str = "all") -> int:
    """What `Groups.create_group` writes; returns the group's conversation id."""
    with committed(store):
        store.create_group(group_id, f"group {group_id}", owner, policy, NOW)
        conv_id = store.group_conversation(group_id)
        store.add_members(
            group_id, conv_id, [(owner, "owner")] + [(m, "member") for m in members], NOW
        )
    return conv_id


def send_group(
    store,
    group_id: int,
    sender: int,
    msg_id: str,
    *,
    need_group_ack: bool = True,
    reply_to: str | None = None,
) -> MessageRow:
    """What `Messages.send` writes for a group message, committed."""
    with committed(store):
        conv_id = store.group_conversation(group_id)
        audience = store.member_ids(group_id)
        conv_seq = store.next_conv_seq(conv_id)
        store.insert_message(
            msg_id=msg_id,
            conv_id=conv_id,
            conv_seq=conv_seq,
            chat_type="groupchat",
            sender_id=sender,
            recipient_id=None,
            group_id=group_id,
            body=msg_id.encode(),
            server_time=NOW,
            local_time=NOW,
            need_delivery_ack=False,
            need_read_ack=False,
            need_group_ack=need_group_ack,
            mark=Mark.SENT,
            group_member_count=len(audience) - 1,
            reply_to=reply_to,
        )
        store.count_new_message(conv_id, sender, NOW)
    message = store.message(msg_id)
    assert message is not None
    return message
