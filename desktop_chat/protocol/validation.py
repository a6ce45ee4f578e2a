"""Checks on a decoded request that need more than one field, or a configured limit.

Owns: `validate_request`, which returns a `ProtocolError` (with its own code for
each limit: batch size, lookup size, note length, page size, group size; and the
name rules of `names` for `register`) or None, the fixed limits (page sizes, names
per lookup, the default recall limit), and the helpers that tell usernames from
group ids.

Field types, patterns and lengths are already enforced by `frames` during
decoding; this module only adds what the type system cannot express, and one
field rule said more plainly than a pattern would: no free text the server stores
(a message or edit text, a group name, a device name, an ack note) may hold NUL
(U+0000), which PostgreSQL's text cannot hold (`INVALID_PARAM`, `details.field`).

Never: touch storage or sockets, or raise.
"""

from __future__ import annotations

import itertools
import re

from desktop_chat.protocol import frames as f
from desktop_chat.protocol.announce_frames import MAX_EDGE_SECONDS, MAX_STAT_EDGES
from desktop_chat.protocol.errors import ErrorCode, ProtocolError
from desktop_chat.protocol.names import username_problem

_USERNAME = re.compile(f.USERNAME_PATTERN)
_GROUP_ID = re.compile(f.GROUP_ID_PATTERN)

MAX_FETCH_ACKS_PAGE = 50
MAX_UNREAD_PAGE = 1000
MAX_HISTORY_PAGE = 200
MAX_USER_LOOKUP = 20  # names per fetch_users: a lookup, not a directory
DEFAULT_RECALL_SECONDS = 120


def is_username(value: str) -> bool:
    return _USERNAME.match(value) is not None


def is_group_id(value: str) -> bool:
    return _GROUP_ID.match(value) is not None


def default_limits() -> f.Limits:
    return f.Limits(
        max_frame_bytes=1024 * 1024,
        max_ack_batch=500,
        max_group_members=10_000,
        max_note_bytes=1024,
        max_page_size=MAX_FETCH_ACKS_PAGE,
        ack_retention_seconds=30 * 24 * 3600,
        recall_seconds=DEFAULT_RECALL_SECONDS,
    )


def _error(
    request: f.Request[f.Reply], code: ErrorCode, message: str, **details: object
) -> ProtocolError:
    return ProtocolError(code, message, request.id, details or None)


def _page(request: f.Request[f.Reply], page_size: int, maximum: int) -> ProtocolError | None:
    if 1 <= page_size <= maximum:
        return None
    return _error(
        request,
        ErrorCode.PAGE_SIZE_OUT_OF_RANGE,
        f"page_size must be between 1 and {maximum}, got {page_size}",
        minimum=1,
        maximum=maximum,
    )


def _members(
    request: f.Request[f.Reply], members: list[str], limits: f.Limits
) -> ProtocolError | None:
    if len(set(members)) > limits.max_group_members:
        return _error(
            request,
            ErrorCode.GROUP_FULL,
            f"a group holds at most {limits.max_group_members} members",
            limit=limits.max_group_members,
        )
    return None


def _edges(request: f.FetchGroupAckStats) -> ProtocolError | None:
    """1..MAX_STAT_EDGES edges, non-decreasing, each 0..MAX_EDGE_SECONDS."""
    edges = request.edges
    problem = None
    if not 1 <= len(edges) <= MAX_STAT_EDGES:
        problem = f"`edges` holds 1 to {MAX_STAT_EDGES} times, not {len(edges)}"
    elif any(not 0 <= edge <= MAX_EDGE_SECONDS for edge in edges):
        problem = f"each edge is 0 to {MAX_EDGE_SECONDS} seconds after the send"
    elif any(later < earlier for earlier, later in itertools.pairwise(edges)):
        problem = "`edges` must not decrease"
    if problem is None:
        return None
    return _error(request, ErrorCode.INVALID_PARAM, problem, field="edges")


def _stored_text(request: f.Request[f.Reply]) -> tuple[str, str | None] | None:
    """The free text of `request` that the server stores, with its field's path."""
    match request:
        case f.SendMessage(body=f.TextBody(text=text)) | f.Edit(body=f.TextBody(text=text)):
            return "body.text", text
        case f.SendMessage(body=f.ImageBody() | f.FileBody() as body):
            return (
                ("body.name", body.name) if "\x00" in body.name else ("body.caption", body.caption)
            )
        case f.CreateGroup(name=name):
            return "name", name
        case f.Login(device_name=name):
            return "device_name", name
        case f.GroupReadAck(content=note):
            return "content", note
    return None


def _nul(request: f.Request[f.Reply]) -> ProtocolError | None:
    stored = _stored_text(request)
    if stored is None or stored[1] is None or "\x00" not in stored[1]:
        return None
    field = stored[0]
    return _error(
        request,
        ErrorCode.INVALID_PARAM,
        f"`{field}` cannot contain the NUL character (U+0000); remove it",
        field=field,
    )


def validate_request(request: f.Request[f.Reply], limits: f.Limits) -> ProtocolError | None:
    """Return why `request` breaks a rule or a limit, or None when it is fine."""
    if (error := _nul(request)) is not None:
        return error
    match request:
        case f.Register(username=name) if (problem := username_problem(name)) is not None:
            return _error(
                request, ErrorCode.USERNAME_NOT_ALLOWED, problem.message, reason=problem.reason
            )
        case f.SendMessage(chat_type="chat", to=to) if not is_username(to):
            return _error(request, ErrorCode.INVALID_PARAM, "`to` of a chat message is a username")
        case f.SendMessage(chat_type="groupchat", to=to) if not is_group_id(to):
            return _error(
                request, ErrorCode.INVALID_PARAM, "`to` of a groupchat message is a group id"
            )
        case f.SendMessage(chat_type="chat", need_group_ack=True):
            return _error(
                request, ErrorCode.INVALID_PARAM, "need_group_ack is for groupchat messages only"
            )
        case f.DeliveryAck(msg_ids=ids) | f.ReadAck(msg_ids=ids) if len(ids) > limits.max_ack_batch:
            return _error(
                request,
                ErrorCode.BATCH_TOO_LARGE,
                f"at most {limits.max_ack_batch} message ids per ack frame",
                limit=limits.max_ack_batch,
            )
        case f.GroupReadAck(content=str(note)) if len(note.encode()) > limits.max_note_bytes:
            return _error(
                request,
                ErrorCode.NOTE_TOO_LONG,
                f"an ack note is at most {limits.max_note_bytes} bytes",
                limit=limits.max_note_bytes,
            )
        case f.FetchGroupAcks(page_size=size):
            return _page(request, size, limits.max_page_size)
        case f.FetchGroupUnread(page_size=size):
            return _page(request, size, MAX_UNREAD_PAGE)
        case f.FetchGroupAckStats():
            return _edges(request)
        case f.FetchHistory(page_size=size):
            return _page(request, size, MAX_HISTORY_PAGE)
        case f.CreateGroup(members=members) | f.AddMembers(members=members):
            return _members(request, members, limits)
        case f.FetchUsers(usernames=names) if len(names) > MAX_USER_LOOKUP:
            return _error(
                request,
                ErrorCode.BATCH_TOO_LARGE,
                f"at most {MAX_USER_LOOKUP} names per lookup",
                limit=MAX_USER_LOOKUP,
            )
        case f.Typing(conversation_id=conversation_id) if not is_username(conversation_id):
            return _error(
                request, ErrorCode.INVALID_PARAM, "typing is shown in one-to-one chats only"
            )
        case f.SetConversationMute(muted=False, until=int()):
            return _error(request, ErrorCode.INVALID_PARAM, "`until` goes with muted: true only")
    return None
