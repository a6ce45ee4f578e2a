"""docs/protocol.md against the code: every request, reply and push has its section with
a row for each of its fields, every shared structure's field is in its table, and every
error code is in the error table. A frame, field or code added without its
documentation fails here."""

from __future__ import annotations

import re
from pathlib import Path

import msgspec
import pytest

from desktop_chat.protocol import ErrorCode, structs
from desktop_chat.protocol import frames as f

DOC = (Path(__file__).parents[2] / "docs" / "protocol.md").read_text()
REPLY_CLASSES = [
    cls
    for cls in f.ServerFrame.__args__  # type: ignore[attr-defined]
    if issubclass(cls, f.Reply)
]
STRUCTS = {
    "6.2 MessageInfo": structs.MessageInfo,
    "6.3 GroupAckInfo": structs.GroupAckInfo,
    "6.5 GroupInfo": structs.GroupInfo,
    "6.6 ConversationInfo": structs.ConversationInfo,
    "6.7 Limits": structs.Limits,
    "6.10 ReplyPreview": structs.ReplyPreview,
    "6.11 UserInfo": structs.UserInfo,
    "6.12 FileBody": structs.FileBody,
    "6.13 ImageBody": structs.ImageBody,
}


def section(heading: str) -> str:
    """The text under a `### ` heading, up to the next heading."""
    match = re.search(rf"^### {re.escape(heading)}\n(.*?)(?=^#{{2,3}} )", DOC, re.M | re.S)
    assert match, f"docs/protocol.md has no section `### {heading}`"
    return match.group(1)


def frame_section(chapter: int, tag: str) -> str:
    match = re.search(rf"^### {chapter}\.\d+ `{re.escape(tag)}`$", DOC, re.M)
    assert match, f"docs/protocol.md §{chapter} has no section for `{tag}`"
    return section(match.group(0)[4:])


def wire_fields(cls: type, skip: set[str]) -> list[str]:
    return [
        field.encode_name for field in msgspec.structs.fields(cls) if field.encode_name not in skip
    ]


def _tag(cls: type) -> str:
    return cls.__struct_config__.tag  # type: ignore[attr-defined]


@pytest.mark.parametrize("cls", list(f.REQUEST_TYPES.values()), ids=_tag)
def test_every_request_is_documented_with_its_fields(cls: type) -> None:
    text = frame_section(7, _tag(cls))
    for name in wire_fields(cls, {"id"}):
        assert f"| `{name}` |" in text, f"§7 `{_tag(cls)}` lacks a row for `{name}`"


@pytest.mark.parametrize("cls", list(f.REQUEST_TYPES.values()), ids=_tag)
def test_every_request_names_the_reply_its_section_says(cls: type) -> None:
    """`class Sync(Request[SyncBatch])` is what §7's `Reply:` says, so a client's
    typed `request(Sync(...))` gets the reply the server sends."""
    text = frame_section(7, _tag(cls))
    said = text[text.index("Reply:") :].split("\n\n")[0]
    documented = set(re.findall(r"\[`(\w+)`\]\(#8", said))
    declared = f.reply_type(cls)
    classes = getattr(declared, "__args__", (declared,))
    assert {_tag(reply) for reply in classes} == documented


@pytest.mark.parametrize("cls", REPLY_CLASSES, ids=_tag)
def test_every_reply_is_documented_with_its_fields(cls: type) -> None:
    text = frame_section(8, _tag(cls))
    for name in wire_fields(cls, {"id"}):
        assert f"| `{name}` |" in text, f"§8 `{_tag(cls)}` lacks a row for `{name}`"


PUSHES = list(f.PUSH_TYPES.values()) + list(f.EPHEMERAL_TYPES.values())


@pytest.mark.parametrize("cls", PUSHES, ids=_tag)
def test_every_push_is_documented_with_its_fields(cls: type) -> None:
    text = frame_section(9, _tag(cls))
    for name in wire_fields(cls, {"seq"}):
        assert f"| `{name}` |" in text, f"§9 `{_tag(cls)}` lacks a row for `{name}`"


@pytest.mark.parametrize("heading", list(STRUCTS))
def test_every_shared_structure_field_is_documented(heading: str) -> None:
    text = section(heading)
    for name in wire_fields(STRUCTS[heading], set()):
        assert f"| `{name}` |" in text, f"§{heading} lacks a row for `{name}`"


@pytest.mark.parametrize("code", list(ErrorCode), ids=str)
def test_every_error_code_is_in_the_error_table(code: ErrorCode) -> None:
    table = DOC.split("## 11. Error codes", 1)[1].split("## 12. Limits", 1)[0]
    assert f"| `{code.value}` |" in table
