"""desktop-chat-server's event loop: uvloop where it is installed (the `fast` extra),
asyncio's own otherwise or when DESKTOP_CHAT_EVENT_LOOP=asyncio says so."""

from __future__ import annotations

import importlib.util

from desktop_chat.server.cli import event_loop_factory


def test_asyncio_s_own_loop_when_asked_for(monkeypatch):
    monkeypatch.setenv("DESKTOP_CHAT_EVENT_LOOP", "asyncio")
    assert event_loop_factory() is None


def test_uvloop_exactly_when_it_is_installed(monkeypatch):
    monkeypatch.delenv("DESKTOP_CHAT_EVENT_LOOP", raising=False)
    factory = event_loop_factory()
    if importlib.util.find_spec("uvloop") is None:
        assert factory is None
    else:
        assert factory is not None
        loop = factory()
        try:
            assert type(loop).__module__.startswith("uvloop")
        finally:
            loop.close()
