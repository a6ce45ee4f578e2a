"""The client's handler registry and Notifier (`client/events.py`), on the test's own
loop: handlers are kept under unique ids (a second one under the same id is refused,
a removed one hears nothing more); a callback that raises, plain or a coroutine, is
logged and never stops the others; list callbacks queued in one loop iteration reach
each handler as one merged call (the newest copy of each message kept), the others
keep their order, only the newest unread count of a conversation is told, and only
the newest upload progress of a message (before its status change)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from desktop_chat.client.events import (
    ChatEventHandler,
    ConnectionEventHandler,
    HandlerRegistry,
    Notifier,
)
from desktop_chat.client.models import ChatMessage
from desktop_chat.protocol import Mark


def msg(msg_id: str, mark: Mark = Mark.SENT) -> ChatMessage:
    message = ChatMessage.text("bob", msg_id)
    message.msg_id, message.mark = msg_id, mark
    return message


def test_handlers_are_kept_under_unique_ids():
    registry = HandlerRegistry(ChatEventHandler)
    heard: list[str] = []
    registry.add("list", ChatEventHandler(on_conversation_read=lambda a, b: heard.append("list")))
    registry.add("badge", ChatEventHandler(on_conversation_read=lambda a, b: heard.append("badge")))
    with pytest.raises(ValueError):
        registry.add("list", ChatEventHandler())
    with pytest.raises(TypeError):
        registry.add("other", ConnectionEventHandler())  # type: ignore[arg-type]
    registry.dispatch("on_conversation_read", "bob", "alice")
    registry.remove("list")
    registry.remove("never-added")  # nothing to do, no error
    registry.dispatch("on_conversation_read", "bob", "alice")
    assert heard == ["list", "badge", "badge"] and len(registry) == 1
    registry.add("list", ChatEventHandler())  # the id is free again


async def test_a_raising_callback_is_logged_and_never_stops_the_others(caplog):
    registry = HandlerRegistry(ChatEventHandler)
    heard: list[str] = []
    done = asyncio.get_running_loop().create_future()

    def broken(_items):
        raise RuntimeError("a bug in the app")

    async def broken_later(_items):
        raise RuntimeError("a bug in a coroutine")

    async def fine_later(items):
        done.set_result(items)

    registry.add("broken", ChatEventHandler(on_messages_read=broken))
    registry.add("broken-later", ChatEventHandler(on_messages_read=broken_later))
    registry.add("fine", ChatEventHandler(on_messages_read=lambda items: heard.append("fine")))
    registry.add("fine-later", ChatEventHandler(on_messages_read=fine_later))
    with caplog.at_level(logging.ERROR, logger="desktop_chat.client.events"):
        registry.dispatch("on_messages_read", ["m"])
        assert await done == ["m"]
        await asyncio.gather(*registry._tasks)  # the failed coroutine's task ends, logged
    assert heard == ["fine"]
    failed = sorted(r.getMessage() for r in caplog.records)
    assert failed == [
        "event handler 'broken' failed in on_messages_read",
        "event handler 'broken-later' failed in on_messages_read",
    ]


async def test_what_is_queued_in_one_loop_iteration_is_told_once_merged():
    registry = HandlerRegistry(ChatEventHandler)
    calls: list[tuple] = []
    told = asyncio.Event()

    def record(name):
        return lambda *args: calls.append((name, *args))

    handler = ChatEventHandler(
        on_messages_read=record("read"),
        on_conversation_updated=record("unread"),
        on_conversation_read=record("conversation_read"),
        on_message_status_changed=record("status"),
        on_read_ack_for_group_message_updated=record("group_updated"),
        on_group_ack_reminder=lambda *args: told.set(),
    )
    registry.add("app", handler)
    notifier = Notifier(registry)
    notifier.queue("on_messages_read", [msg("read-0001", Mark.DELIVERED), msg("read-0002")])
    notifier.queue("on_conversation_updated", "bob", 3)
    notifier.queue("on_conversation_read", "bob", "alice")
    notifier.queue("on_read_ack_for_group_message_updated")
    notifier.queue("on_messages_read", [msg("read-0003"), msg("read-0001", Mark.READ)])
    notifier.queue("on_conversation_updated", "carol", 1)
    notifier.queue("on_conversation_updated", "bob", 0)
    notifier.queue("on_read_ack_for_group_message_updated")
    notifier.queue("on_message_status_changed", "first")
    notifier.queue("on_group_ack_reminder", "m", "123", "bob")  # the last one: told last
    assert calls == []  # nothing before the loop's next iteration
    await told.wait()
    (read, *rest) = calls
    assert [(m.msg_id, m.mark) for m in read[1]] == [
        ("read-0002", Mark.SENT),
        ("read-0003", Mark.SENT),
        ("read-0001", Mark.READ),  # the newest copy, once
    ]
    assert rest == [
        ("conversation_read", "bob", "alice"),
        ("status", "first"),
        ("group_updated",),  # twice queued, once told
        ("unread", "carol", 1),
        ("unread", "bob", 0),  # only the newest count
    ]
    # A later iteration is a later call.
    calls.clear()
    told.clear()
    notifier.queue("on_messages_read", [msg("read-0004")])
    notifier.queue("on_group_ack_reminder", "m", "123", "bob")
    await told.wait()
    assert [[m.msg_id for m in items] for _, items in calls] == [["read-0004"]]


async def test_only_the_newest_progress_of_each_message_is_told_once_before_its_status():
    registry = HandlerRegistry(ChatEventHandler)
    calls: list[tuple] = []
    told = asyncio.Event()

    def status(message):
        calls.append(("status", message))
        told.set()

    registry.add(
        "app",
        ChatEventHandler(
            on_message_progress=lambda *args: calls.append(("progress", *args)),
            on_message_status_changed=status,
        ),
    )
    notifier = Notifier(registry)
    gb = 1024**3
    notifier.queue("on_message_progress", "video", 0, 3 * gb)
    notifier.queue("on_message_progress", "photo", 10, 20)
    notifier.queue("on_message_progress", "video", 2 * gb, 3 * gb)
    notifier.queue("on_message_status_changed", "video sent")
    notifier.queue("on_message_progress", "video", 3 * gb, 3 * gb)
    assert calls == []
    await told.wait()
    assert calls == [
        ("progress", "video", 3 * gb, 3 * gb),  # the newest only
        ("progress", "photo", 10, 20),
        ("status", "video sent"),  # after the last progress
    ]
    calls.clear()
    told.clear()
    notifier.queue("on_message_progress", "photo", 20, 20)
    notifier.queue("on_message_status_changed", "photo sent")
    await told.wait()
    assert calls == [("progress", "photo", 20, 20), ("status", "photo sent")]
