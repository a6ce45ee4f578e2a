"""Whether an X11 window is fully covered by other windows: the X server's own answer.

Owns: `X11Obscured`, which watches one top-level window for the X server's
VisibilityNotify events on a connection of its own (libxcb through ctypes: event
masks are per client, so Qt's connection and its event handling stay untouched)
and says whether the window is fully obscured.

Why: Qt's xcb platform selects no visibility events, and `QWindow.isExposed()`
stays true under a window that covers ours completely, so a chat hidden behind
another application would still be "visible". The X server knows better: it
reports Unobscured, PartiallyObscured or FullyObscured for every window that
asks. A compositing window manager makes every window Unobscured (it draws them
all offscreen); then, and on Wayland, Windows and macOS, nothing here applies and
`fully_obscured` stays False (the README's "When a message counts as read" says so).

Never: raise out of the constructor or a callback (no X, no libxcb: it stays
inactive), or change anything about the window.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from ctypes import POINTER, c_char_p, c_int, c_uint8, c_uint32, c_void_p

from PySide6.QtCore import QObject, QSocketNotifier, Signal

log = logging.getLogger(__name__)

_XCB_CW_EVENT_MASK = 2048
_XCB_EVENT_MASK_VISIBILITY_CHANGE = 0x10000
_XCB_VISIBILITY_NOTIFY = 15
_VISIBILITY_FULLY_OBSCURED = 2
_STATE_OFFSET = 8  # xcb_visibility_notify_event_t: type, pad, sequence, window, state


def _load_xcb() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("xcb") or "libxcb.so.1"
    try:
        xcb = ctypes.CDLL(name)
    except OSError:
        return None
    xcb.xcb_connect.restype = c_void_p
    xcb.xcb_connect.argtypes = [c_char_p, POINTER(c_int)]
    xcb.xcb_connection_has_error.argtypes = [c_void_p]
    xcb.xcb_disconnect.argtypes = [c_void_p]
    xcb.xcb_change_window_attributes.argtypes = [c_void_p, c_uint32, c_uint32, c_void_p]
    xcb.xcb_change_window_attributes.restype = c_uint32
    xcb.xcb_flush.argtypes = [c_void_p]
    xcb.xcb_get_file_descriptor.argtypes = [c_void_p]
    xcb.xcb_poll_for_event.argtypes = [c_void_p]
    xcb.xcb_poll_for_event.restype = c_void_p
    return xcb


class X11Obscured(QObject):
    """Tracks whether one X11 window is fully covered. Inactive where X is not there."""

    changed = Signal(bool)  # fully obscured

    def __init__(self, window_id: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.fully_obscured = False
        self.active = False
        self._conn: int | None = None
        self._notifier: QSocketNotifier | None = None
        self._xcb = _load_xcb()
        self._free = ctypes.CDLL(None).free
        self._free.argtypes = [c_void_p]
        if self._xcb is None:
            return
        try:
            self._start(window_id)
        except Exception:  # an X server that refuses: stay inactive, never crash the app
            log.debug("X11 visibility watch unavailable", exc_info=True)
            self.close()

    def _start(self, window_id: int) -> None:
        xcb = self._xcb
        assert xcb is not None
        conn = xcb.xcb_connect(None, None)
        if not conn or xcb.xcb_connection_has_error(conn):
            if conn:
                xcb.xcb_disconnect(conn)
            return
        self._conn = conn
        mask = (c_uint32 * 1)(_XCB_EVENT_MASK_VISIBILITY_CHANGE)
        xcb.xcb_change_window_attributes(conn, window_id, _XCB_CW_EVENT_MASK, mask)
        xcb.xcb_flush(conn)
        fd = xcb.xcb_get_file_descriptor(conn)
        self._notifier = QSocketNotifier(fd, QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._read)
        self.active = True

    def _read(self, *_args: object) -> None:
        xcb, conn = self._xcb, self._conn
        if xcb is None or conn is None:
            return
        obscured = self.fully_obscured
        while event := xcb.xcb_poll_for_event(conn):
            try:
                if c_uint8.from_address(event).value & 0x7F == _XCB_VISIBILITY_NOTIFY:
                    state = c_uint8.from_address(event + _STATE_OFFSET).value
                    obscured = state == _VISIBILITY_FULLY_OBSCURED
            finally:
                self._free(event)
        if xcb.xcb_connection_has_error(conn):
            self.close()
            obscured = False
        if obscured != self.fully_obscured:
            self.fully_obscured = obscured
            self.changed.emit(obscured)

    def close(self) -> None:
        if self._notifier is not None:
            self._notifier.setEnabled(False)
            self._notifier = None
        if self._conn is not None and self._xcb is not None:
            self._xcb.xcb_disconnect(self._conn)
        self._conn = None
        self.active = False
