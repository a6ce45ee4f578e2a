"""The message fields a client keeps as they come (`MESSAGE_KEPT_FIELDS`, defined
once in the protocol) reach its message value and its local store, each one."""

from __future__ import annotations

import msgspec

from desktop_chat.client.apply import message_from_info
from desktop_chat.client.local_store import LocalStore
from desktop_chat.protocol import frames as f
from desktop_chat.protocol.structs import MESSAGE_KEPT_FIELDS


def test_every_kept_field_goes_from_the_wire_to_the_store_and_back(tmp_path):
    wire = {field.name for field in msgspec.structs.fields(f.MessageInfo)}
    assert set(MESSAGE_KEPT_FIELDS) <= wire
    # A value of its own for each kept field, none a default.
    kept = {
        "server_time": 1_700_000_000_001,
        "conv_seq": 41,
        "need_group_ack": True,
        "need_delivery_ack": True,
        "need_read_ack": True,
        "delivered_at": 1_700_000_000_002,
        "read_at": 1_700_000_000_003,
        "group_member_count": 7,
        "group_ack_count": 5,
        "group_delivered_count": 6,
        "reply_to": "quoted-0001",
        "edited_at": 1_700_000_000_004,
        "group_confirm_count": 3,
        "confirmed_at": 1_700_000_000_005,
        "confirm_note": "收到",
    }
    assert set(kept) == set(MESSAGE_KEPT_FIELDS)
    info = f.MessageInfo(
        msg_id="kept-00001",
        from_="bob",
        to="123",
        chat_type="groupchat",
        body=f.TextBody("fields"),
        **kept,
    )
    message = message_from_info(info, "alice")
    assert {name: getattr(message, name) for name in kept} == kept
    store = LocalStore(tmp_path / "client.db")
    store.save_message(message)
    store.commit()
    again = store.message("kept-00001")
    store.close()
    assert again == message
