"""Logged events the client cannot read are recorded in their place, never skipped
unseen: a canned server (real websockets on 127.0.0.1, frames written here by hand)
sends a `sync_batch` and live pushes with one unreadable event each, and a real
ChatClient applies the rest, tells `on_bad_event` of each with its seq, and moves
its applied seq past them."""

from __future__ import annotations

import json
from typing import Any

import msgspec
from websockets.asyncio.server import ServerConnection, serve

from desktop_chat.client.apply import EventApplier
from desktop_chat.client.events import ChatEventHandler, HandlerRegistry, Notifier
from desktop_chat.client.local_store import LocalStore
from desktop_chat.client.options import ChatOptions
from desktop_chat.protocol import default_limits
from desktop_chat.protocol import frames as f
from desktop_chat.protocol.codec import read_server_frame


def message(seq: int, text: str) -> dict[str, Any]:
    info = {
        "msg_id": f"canned-{seq:04d}",
        "from": "bob",
        "to": "alice",
        "chat_type": "chat",
        "body": {"kind": "text", "text": text},
        "server_time": 1_000 + seq,
        "conv_seq": seq,
    }
    return {"type": "message", "seq": seq, "message": info}


# A body kind this client does not know, and a push type from a newer server.
UNREADABLE = {**message(2, "x"), "message": {**message(2, "x")["message"], "body": {"kind": "x"}}}
FROM_THE_FUTURE = {"type": "poll_closed", "seq": 4, "poll_id": "p1"}


def _reply(frame: dict[str, Any]) -> dict[str, Any]:
    request_id, kind = frame["id"], frame["type"]
    if kind == "hello":
        limits = msgspec.to_builtins(default_limits())
        return {"type": "hello_ok", "id": request_id, "version": 1, "server": "c", "limits": limits}
    if kind == "login":
        return {
            "type": "login_ok",
            "id": request_id,
            "username": "alice",
            "device_id": 1,
            "token": "t" * 32,
            "last_seq": 0,
        }
    if kind == "sync":
        events = [message(1, "one"), UNREADABLE, message(3, "three")]
        if frame["after_seq"] >= 3:
            events = []
        last = 3 if events else frame["after_seq"]
        return {
            "type": "sync_batch",
            "id": request_id,
            "events": events,
            "last_seq": last,
            "more": False,
        }
    if kind == "fetch_groups":
        return {"type": "groups", "id": request_id, "groups": []}
    if kind == "fetch_conversations":
        return {"type": "conversations", "id": request_id, "conversations": []}
    return {"type": "ok", "id": request_id}


async def _canned(ws: ServerConnection) -> None:
    async for data in ws:
        frame = json.loads(data)
        await ws.send(json.dumps(_reply(frame)))
        if frame["type"] == "fetch_conversations":  # caught up: live pushes now
            await ws.send(json.dumps(FROM_THE_FUTURE))
            await ws.send(json.dumps(message(5, "five")))


async def test_unreadable_events_are_recorded_in_their_place(clients):
    async with serve(_canned, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        alice = clients.new(server_url=f"ws://127.0.0.1:{port}", request_timeout_seconds=3)
        await alice.login("alice", "correct horse")
        events = clients.events(alice)
        calls = await events.wait("on_bad_event", lambda r: len(r.calls["on_bad_event"]) == 2)
        assert [(bad.seq, bad.type) for (bad,) in calls] == [(2, "message"), (4, "poll_closed")]
        received = await events.wait(
            "on_messages_received", lambda r: len(r.flat("on_messages_received")) == 3
        )
        texts = [m.body.content for (batch,) in received for m in batch]
        assert texts == ["one", "three", "five"]
        assert alice.store.last_seq == 5
        await alice.close()


async def test_the_applier_moves_past_a_bad_event_only_in_its_place(tmp_path):
    """Canned frames through the client's reader into the applier: each seq is
    applied or told as bad, in order, and the applied seq ends at the last."""
    frames = [message(1, "one"), UNREADABLE, FROM_THE_FUTURE]
    events = [read_server_frame(json.dumps(frame).encode()) for frame in frames]
    assert [type(e) for e in events] == [f.MessagePush, f.BadEvent, f.BadEvent]
    store = LocalStore(tmp_path / "client.db")
    registry = HandlerRegistry(ChatEventHandler)
    bad: list[f.BadEvent] = []
    registry.add("test", ChatEventHandler(on_bad_event=bad.append))
    notifier = Notifier(registry)
    applier = EventApplier(
        store, "alice", ChatOptions(server_url="ws://127.0.0.1:9"), notifier, lambda: None, {}
    )
    applier.apply(events)  # type: ignore[arg-type]
    notifier.flush()
    assert store.last_seq == 4 and store.message("canned-0001") is not None
    assert [event.seq for event in bad] == [2, 4]
    applier.apply(events)  # type: ignore[arg-type]  # a replay: told once
    notifier.flush()
    assert [event.seq for event in bad] == [2, 4]
    store.close()
