"""The two bases every reply and request builds on, and reading a request's reply type.

Owns: `Reply` (a frame that answers a request, by its `id`), `Request[R]` (a frame
whose reply is an `R`), and `reply_type`, which reads R back at run time. Here, not
in `frames`, so that the frames of one feature can live in a module of their own
(`file_frames`) that `frames` gathers into its unions.

Never: import asyncio, websockets, sqlite or Qt, or do I/O of any kind.
"""

from __future__ import annotations

import functools
from typing import Any, Generic, TypeVar, get_args

from desktop_chat.protocol.structs import Frame, RequestId


class Reply(Frame, frozen=True, kw_only=True):
    id: str | None


R = TypeVar("R", bound=Reply, covariant=True)


class Request(Frame, Generic[R], frozen=True, kw_only=True):
    """A request whose reply is an `R` (or an `error`): `Request[SendOk]` is answered
    `send_ok`. `reply_type` reads R back at run time."""

    id: RequestId


@functools.cache
def reply_type(request: type[Request[R]]) -> Any:
    """The reply type R of a request class (`Request[R]`): a class, or a union of them."""
    for base in getattr(request, "__orig_bases__", ()):
        if getattr(base, "__origin__", None) is Request:
            return get_args(base)[0]
    raise TypeError(f"{request.__name__} names no reply type")
