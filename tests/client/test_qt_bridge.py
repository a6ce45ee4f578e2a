"""The Qt bridge under qasync: a real receipt arrives as a Qt signal on the GUI thread;
every callback has its signal, and byte counts over 4 GB cross it exact.

These tests run a qasync loop on pytest-qt's QApplication (see PLATFORM.md) and
never block on qtbot.waitSignal inside a coroutine: a signal resolves a future.
"""

from __future__ import annotations

import asyncio

from PySide6.QtCore import QObject, QThread, Signal

from desktop_chat.client import ChatMessage
from desktop_chat.client.qt_bridge import ChatSignals


def test_receipt_signals_arrive_on_the_gui_thread(qapp, qt_loop, clients):
    async def scenario():
        await clients.harness.start()
        alice = await clients.login("alice")
        bob = await clients.login("bob")
        signals = ChatSignals(alice)
        delivered: asyncio.Future = qt_loop.create_future()
        read: asyncio.Future = qt_loop.create_future()
        threads = []

        def on_delivered(msgs):
            threads.append(QThread.currentThread())
            if not delivered.done():
                delivered.set_result(msgs)

        signals.messages_delivered.connect(on_delivered)
        signals.conversation_read.connect(
            lambda from_, to: read.done() or read.set_result((from_, to))
        )
        sent = await alice.chat_manager.send_message(ChatMessage.text("bob", "over Qt"))
        msgs = await asyncio.wait_for(delivered, 10)
        assert [m.msg_id for m in msgs] == [sent.msg_id] and msgs[0].has_deliver_ack
        await clients.events(bob).wait("on_messages_received")
        await bob.chat_manager.send_conversation_read_ack("alice")
        assert await asyncio.wait_for(read, 10) == ("bob", "alice")
        assert threads == [qapp.thread()]
        signals.detach()
        await clients.aclose_for_test()

    qt_loop.run_until_complete(asyncio.wait_for(scenario(), 60))


class _Emitter(QObject):
    flag = Signal(bool)
    pair = Signal(str, int)


def test_ten_thousand_signal_emits_do_not_crash(qapp):
    """PySide6 6.12.0 on Python 3.11 drops a reference to True per emit and aborts
    after a few hundred; this fails loudly if such a build is installed."""
    emitter = _Emitter()
    seen = []
    emitter.flag.connect(lambda value: seen.append(value))
    emitter.pair.connect(lambda name, count: seen.append(count))
    for n in range(10_000):
        emitter.flag.emit(True)
        emitter.pair.emit("conversation", n)
    assert len(seen) == 20_000 and seen[-1] == 9_999


_SAMPLES = {list: ["item"], str: "text", int: 2**40, bool: True, object: object()}


def test_every_callback_has_its_signal_and_every_signal_its_callback(qapp, tmp_path):
    """The bridge is built from the handlers: each callback, called as its handler
    says, comes out of its own signal with the same values (a time in ms, over
    Qt's 32-bit int, included), and the bridge has no signal of its own."""
    from dataclasses import fields

    from desktop_chat.client import ChatClient, ChatEventHandler, ChatOptions
    from desktop_chat.client.events import ConnectionEventHandler, callback_args
    from desktop_chat.client.qt_bridge import signal_name

    client = ChatClient(ChatOptions(server_url="ws://127.0.0.1:9"), tmp_path)
    signals = ChatSignals(client)
    declared = {
        name
        for cls in type(signals).__mro__
        for name, value in vars(cls).items()
        if isinstance(value, Signal) and cls is not QObject
    }
    callbacks = {
        field.name: (registry, kind)
        for kind, registry in (
            (ChatEventHandler, client.chat_handlers),
            (ConnectionEventHandler, client.connection_handlers),
        )
        for field in fields(kind)
    }
    assert declared == {signal_name(name) for name in callbacks}
    for name, (registry, kind) in callbacks.items():
        args = tuple(_SAMPLES[t] for t in callback_args(kind)[name])
        seen: list[tuple] = []
        getattr(signals, signal_name(name)).connect(lambda *values, seen=seen: seen.append(values))
        registry.dispatch(name, *args)
        assert seen == [args], name
    signals.detach()


def test_upload_progress_of_a_file_over_4_gb_survives_the_bridge(qapp, tmp_path):
    """`on_message_progress` is the signal `message_progress(QString, qlonglong,
    qlonglong)`: byte counts of a 3 GB file (over Qt's 32-bit int) arrive exact."""
    from desktop_chat.client import ChatClient, ChatOptions

    client = ChatClient(ChatOptions(server_url="ws://127.0.0.1:9"), tmp_path)
    signals = ChatSignals(client)
    meta = type(signals).staticMetaObject
    signatures = {
        bytes(meta.method(i).methodSignature()).decode() for i in range(meta.methodCount())
    }
    assert "message_progress(QString,qlonglong,qlonglong)" in signatures
    seen: list[tuple] = []
    signals.message_progress.connect(lambda *values: seen.append(values))
    three_gb = 3 * 1024**3
    client.chat_handlers.dispatch("on_message_progress", "m1", three_gb - 1, three_gb)
    client.chat_handlers.dispatch("on_message_progress", "m2", 2**33 + 5, 2**40)
    assert seen == [("m1", three_gb - 1, three_gb), ("m2", 2**33 + 5, 2**40)]
    signals.detach()
