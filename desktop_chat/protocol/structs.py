"""The values frames carry: identifier formats, constrained field types, the shared
structures (message bodies, `MessageInfo` with its reply preview, group and
conversation info, limits, user lookups), and `Frame`, the base every frame builds on.

Owns: every pattern and length the decoder enforces on a field, the structures
that appear inside several frames, and `MESSAGE_KEPT_FIELDS`, the message fields a
client keeps as they come. `frames` builds the frames from these and
re-exports them (`frames.MessageInfo` is the same class); docs/protocol.md §6
describes each one.

Never: import asyncio, websockets, sqlite or Qt, or do I/O of any kind.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

# `\Z`, not `$`: Python's `$` also matches before a trailing newline.
USERNAME_PATTERN = r"^[a-z][a-z0-9_.-]{1,31}\Z"
# Group ids are server-made and fit SQLite's signed 64-bit integers.
GROUP_ID_PATTERN = r"^[0-9]{1,18}\Z"
MSG_ID_PATTERN = r"^[A-Za-z0-9_-]{8,64}\Z"
CONVERSATION_ID_PATTERN = r"^([a-z][a-z0-9_.-]{1,31}|[0-9]{1,18})\Z"
MAX_TEXT_CHARS = 8000
MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_CHARS = 256
MAX_GROUP_NAME_CHARS = 64
# Files and images (`FileBody`, `ImageBody`): the name as sent (made safe by the
# server), the inline thumbnail, a picture's sides in pixels.
MAX_RAW_FILENAME_CHARS = 1024
MAX_THUMBNAIL_BYTES = 16 * 1024
MAX_IMAGE_SIDE = 100_000
SHA256_PATTERN = r"^[0-9a-f]{64}\Z"
# How much of a quoted message a reply carries (`ReplyPreview.text`).
REPLY_PREVIEW_CHARS = 200

RequestId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Username = Annotated[str, msgspec.Meta(pattern=USERNAME_PATTERN)]
# A name asked for in `register`: only bounded here, so that `validation` can refuse it
# with USERNAME_NOT_ALLOWED and say why (names.py); what passes matches USERNAME_PATTERN.
NewUsername = Annotated[str, msgspec.Meta(max_length=64)]
GroupId = Annotated[str, msgspec.Meta(pattern=GROUP_ID_PATTERN)]
MsgId = Annotated[str, msgspec.Meta(pattern=MSG_ID_PATTERN)]
ConversationId = Annotated[str, msgspec.Meta(pattern=CONVERSATION_ID_PATTERN)]
Password = Annotated[
    str, msgspec.Meta(min_length=MIN_PASSWORD_CHARS, max_length=MAX_PASSWORD_CHARS)
]
Token = Annotated[str, msgspec.Meta(min_length=16, max_length=128)]
ShortText = Annotated[str, msgspec.Meta(max_length=64)]
Sha256 = Annotated[str, msgspec.Meta(pattern=SHA256_PATTERN)]
Sha256OrNone = Annotated[str, msgspec.Meta(pattern=r"^(?:[0-9a-f]{64})?\Z")]  # "": not given
Mime = Annotated[
    str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\Z")
]
Caption = Annotated[str, msgspec.Meta(max_length=MAX_TEXT_CHARS)]
GroupName = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_GROUP_NAME_CHARS)]
NonNegative = Annotated[int, msgspec.Meta(ge=0, le=2**53)]
# Every number the server sends fits a 64-bit integer (what SQLite, PostgreSQL and a
# client's store can hold): a push with a larger one is unreadable (a BadEvent).
Int64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
# Lists and notes have no upper bound here: the frame size bounds them, and
# `validation` refuses what is over a limit with that limit's own code.
MsgIdList = Annotated[list[MsgId], msgspec.Meta(min_length=1)]
UsernameList = list[Username]
NonEmptyUsernameList = Annotated[list[Username], msgspec.Meta(min_length=1)]
ChatType = Literal["chat", "groupchat"]
AckPolicy = Literal["admins", "all"]
GroupRole = Literal["owner", "admin", "member"]


class Frame(msgspec.Struct, frozen=True, tag_field="type", omit_defaults=False):
    """Base of every frame: the `type` field is the tag."""


# --------------------------------------------------------------------------- bodies


class TextBody(msgspec.Struct, frozen=True, tag="text", tag_field="kind"):
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_TEXT_CHARS)]


class FileBody(msgspec.Struct, frozen=True, tag="file", tag_field="kind", kw_only=True):
    """A file, uploaded before the send (`upload_begin`, `upload_chunk`) and named by
    its sha256. `name` is what the sender called it: the server stores and sends it
    as `filenames.safe_filename` makes it, and every client applies that rule again
    before it makes a path of it."""

    sha256: Sha256
    size: NonNegative
    name: Annotated[str, msgspec.Meta(max_length=MAX_RAW_FILENAME_CHARS)]
    mime: Mime = "application/octet-stream"
    caption: Caption = ""


class ImageBody(msgspec.Struct, frozen=True, tag="image", tag_field="kind", kw_only=True):
    """A picture: a file (as `FileBody`) with its size in pixels and a small JPEG or
    PNG thumbnail inline (base64 in JSON), shown before the picture is downloaded."""

    sha256: Sha256
    size: NonNegative
    name: Annotated[str, msgspec.Meta(max_length=MAX_RAW_FILENAME_CHARS)]
    mime: Mime = "image/jpeg"
    caption: Caption = ""
    width: Annotated[int, msgspec.Meta(ge=1, le=MAX_IMAGE_SIDE)]
    height: Annotated[int, msgspec.Meta(ge=1, le=MAX_IMAGE_SIDE)]
    thumbnail: Annotated[bytes, msgspec.Meta(max_length=MAX_THUMBNAIL_BYTES)] = b""


MessageBody = TextBody | ImageBody | FileBody
AttachmentBody = ImageBody | FileBody


def body_text(body: MessageBody) -> str:
    """The words of a body: a text's text, a file's or picture's caption ("" if none)."""
    return body.text if isinstance(body, TextBody) else body.caption


def preview_text(body: MessageBody) -> str:
    """What a quote or a list shows of a body: its words, or a file's name."""
    return body_text(body) or ("" if isinstance(body, TextBody) else body.name)


class ReplyPreview(msgspec.Struct, frozen=True, kw_only=True):
    """What a reply shows of the message it quotes, as that message is now: its
    sender and the start of its text, or only that it was recalled."""

    msg_id: str
    from_: str = msgspec.field(name="from")
    text: str | None
    recalled: bool = False


class MessageInfo(msgspec.Struct, frozen=True, kw_only=True):
    """A stored message with the receipt marks the server knows of.

    `body` is null once the message was recalled (`recalled_at`): its text is gone."""

    msg_id: str
    from_: str = msgspec.field(name="from")
    to: str
    chat_type: ChatType
    body: MessageBody | None
    server_time: Int64
    local_time: Int64 = 0
    conv_seq: Int64 = 0
    need_delivery_ack: bool = False
    need_read_ack: bool = False
    need_group_ack: bool = False
    delivered_at: Int64 | None = None
    read_at: Int64 | None = None
    group_member_count: Int64 | None = None
    group_ack_count: Int64 = 0
    group_delivered_count: Int64 = 0
    reply_to: str | None = None
    reply_preview: ReplyPreview | None = None
    edited_at: Int64 | None = None
    recalled_at: Int64 | None = None
    # Group: how many members confirmed it (a confirm with a note, beyond a read).
    group_confirm_count: Int64 = 0
    # Group, for the viewer only: when it confirmed this message and with which note
    # (null when it did not; always null in pushes that go to several members).
    confirmed_at: Int64 | None = None
    confirm_note: str | None = None


# The fields of a `MessageInfo` a client keeps as they come, under the same name (its
# message value and its store have each of them): the one list of them, so a field
# added here reaches the client's message and its local store by this line alone.
MESSAGE_KEPT_FIELDS: tuple[str, ...] = (
    "server_time",
    "conv_seq",
    "need_group_ack",
    "need_delivery_ack",
    "need_read_ack",
    "delivered_at",
    "read_at",
    "group_member_count",
    "group_ack_count",
    "group_delivered_count",
    "reply_to",
    "edited_at",
    "group_confirm_count",
    "confirmed_at",
    "confirm_note",
)


class GroupAckInfo(msgspec.Struct, frozen=True, kw_only=True):
    """One member's read ack on a group message (the SDK's GroupMessageAck)."""

    message_id: str
    ack_id: str
    from_: str = msgspec.field(name="from")
    content: str | None = None
    read_count: Int64
    timestamp: Int64
    # When the member confirmed it (an explicit act, beyond reading); null: read only.
    confirmed_at: Int64 | None = None
    # In `group_read` pushes: the message's confirm count right after this ack; null
    # in `fetch_group_acks` pages.
    confirm_count: Int64 | None = None


class GroupMember(msgspec.Struct, frozen=True):
    username: str
    role: GroupRole


class PinnedInfo(msgspec.Struct, frozen=True, kw_only=True):
    """The group's pinned notice: which message, who pinned it and when, and the
    message itself as the viewer sees it (so it shows without its history)."""

    msg_id: str
    by: str
    at: Int64
    message: MessageInfo


class GroupInfo(msgspec.Struct, frozen=True, kw_only=True):
    group_id: str
    name: str
    owner: str
    ack_policy: AckPolicy
    member_count: Int64
    members: list[GroupMember] | None = None
    pinned: PinnedInfo | None = None


class ConversationInfo(msgspec.Struct, frozen=True, kw_only=True):
    conversation_id: str
    chat_type: ChatType
    unread_count: Int64
    last_message: MessageInfo | None = None
    # The viewer's own mute of this conversation (the same on all its devices).
    muted: bool = False
    muted_until: Int64 | None = None


class UserInfo(msgspec.Struct, frozen=True, kw_only=True):
    """Whether an account of that name exists (user lookup)."""

    username: str
    exists: bool


# The default largest chunk: 1 MiB less 4 KiB, so a data frame of it, with its JSON
# header (a few hundred bytes), stays within the default 1 MiB `max_frame_bytes`.
DEFAULT_MAX_CHUNK_BYTES = 1024 * 1024 - 4096


class Limits(msgspec.Struct, frozen=True, kw_only=True):
    max_frame_bytes: Int64
    max_ack_batch: Int64
    max_group_members: Int64
    max_note_bytes: Int64
    max_page_size: Int64
    ack_retention_seconds: Int64
    # How long after sending the sender may recall a message.
    recall_seconds: Int64 = 120
    # Files: the largest file, the largest `upload_chunk` (and `download` length).
    max_file_bytes: Int64 = 100 * 1024 * 1024
    max_chunk_bytes: Int64 = DEFAULT_MAX_CHUNK_BYTES
    # `upload_chunk` takes `prefix_sha256` (the sha256 of the file up to the chunk's end)
    # instead of `chunk_sha256`: one hash of each byte each side instead of two.
    upload_prefix_sha256: bool = False
