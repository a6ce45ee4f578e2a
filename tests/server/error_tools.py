"""Helpers of the server's error tests: a refused request, and "nothing else broke"."""

from __future__ import annotations

from desktop_chat.wire_client import WireClient, text_body

PASSWORD = "correct horse"  # the harness's password for every account


async def send(client: WireClient, to: str, msg_id: str, body: str | None = None, **flags) -> dict:
    return await client.request(
        "send", msg_id=msg_id, chat_type="chat", to=to, body=text_body(body or msg_id), **flags
    )


async def refused(client: WireClient, type_: str, **fields) -> dict:
    """The `error` reply to a request; its id must be the request's."""
    reply = await client.call(type_, **fields)
    assert reply["type"] == "error", reply
    assert reply["id"] is not None
    return reply


async def still_fine(harness, client: WireClient, other: WireClient | None = None) -> None:
    """The same connection still serves a valid request, another client too, state is sound."""
    reply = await client.request("fetch_conversations")
    assert reply["type"] == "conversations"
    assert not client.closed
    if other is not None:
        reply = await other.request("fetch_groups")
        assert reply["type"] == "groups"
    assert harness.store.check_invariants() == []
