"""Hypothesis fuzz of the frame decoders (`decode_client_frame`, `decode_server_frame`).

Whatever arrives (random bytes and text, JSON of every shape, wrong JSON types in every
field of every frame, huge numbers, deep nesting, unicode edge cases in every string
field), a decoder never raises: it returns a frame of a known type or a `ProtocolError`
with an `ErrorCode`. Where docs/protocol.md §2 and §11 name the exact code, the test
checks that code too. Every valid frame Hypothesis builds round-trips through
`encode` / decode.

Strategies are derived from the frame classes themselves (`msgspec.inspect`), so a frame
or field added to frames.py is fuzzed without touching this file. Runs are derandomized
(reproducible in CI).
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

import msgspec
import msgspec.inspect as mi
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop_chat.protocol import ErrorCode, ProtocolError, encode
from desktop_chat.protocol import frames as f
from desktop_chat.protocol.codec import decode_client_frame, decode_server_frame

FUZZ = settings(
    max_examples=250,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Per-cell runs (one per frame type or field): fewer examples each, hundreds in all.
FEW = settings(FUZZ, max_examples=20)
CELL = settings(FUZZ, max_examples=12)

REQUEST_CLASSES = list(f.REQUEST_TYPES.values())
PUSH_CLASSES = list(f.PUSH_TYPES.values())
SERVER_CLASSES = list(f.ServerFrame.__args__)  # replies and pushes
EPHEMERAL_CLASSES = list(f.EPHEMERAL_TYPES.values())
REPLY_CLASSES = [
    cls for cls in SERVER_CLASSES if cls not in PUSH_CLASSES and cls not in EPHEMERAL_CLASSES
]
REQUEST_TAGS = set(f.REQUEST_TYPES)
SERVER_TAGS = {cls.__struct_config__.tag for cls in SERVER_CLASSES}
SERVER_FRAME_TYPES = tuple(SERVER_CLASSES)
ALL_TAGS = frozenset(REQUEST_TAGS | SERVER_TAGS)


def _tag(cls: type) -> str:
    return cls.__struct_config__.tag


# --------------------------------------------------------------------------- the property


def check_client(data: bytes | str) -> f.Request | ProtocolError:
    """decode_client_frame never raises, and yields a request or a typed error."""
    result = decode_client_frame(data)
    assert isinstance(result, (f.Request, ProtocolError)), result
    if isinstance(result, ProtocolError):
        assert isinstance(result.code, ErrorCode)
        assert isinstance(result.message, str)
        assert result.request_id is None or (
            isinstance(result.request_id, str) and 1 <= len(result.request_id) <= 64
        )
    else:
        assert type(result) in REQUEST_CLASSES
    return result


def check_server(data: bytes | str) -> f.Reply | f.Push | ProtocolError:
    result = decode_server_frame(data)
    assert isinstance(result, (*SERVER_FRAME_TYPES, ProtocolError)), result
    if isinstance(result, ProtocolError):
        assert isinstance(result.code, ErrorCode)
        assert isinstance(result.message, str)
    return result


def check_both(data: bytes | str) -> None:
    check_client(data)
    check_server(data)


# --------------------------------------------------------------------------- JSON values

EDGE_NUMBERS = [
    2**53,
    2**53 + 1,
    2**63 - 1,
    2**63,
    2**64,
    -(2**63),
    -(2**70),
    10**300,
    -1,
    0,
    1e308,
    -1e308,
    5e-324,
    -0.0,
    0.5,
    1.0,
]
EDGE_TEXT = [
    "",
    "\x00",
    "a\x00b",
    "\u200f",  # RIGHT-TO-LEFT MARK
    "\u202eevil\u202c",  # RTL override
    "\u200b",  # zero width space
    "\ufeff",  # BOM as a character
    "\ufeffalice",
    "e\u0301",  # combining acute
    "a" + "\u0301" * 50,
    "😀",
    "👩\u200d👩\u200d👧",  # ZWJ sequence
    "\U0010ffff",
    "\uffff",
    "alice\n",
    "ALICE",
    " ",
    "\t",
    "١٢٣",  # Arabic-Indic digits: not ASCII digits
    "１２３",  # fullwidth digits
    "ａｌｉｃｅ",  # fullwidth letters
    "x" * 65,
    "0" * 19,
    "9" * 18,
]

unicode_text = st.one_of(
    st.sampled_from(EDGE_TEXT),
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=20),
    st.lists(st.sampled_from(EDGE_TEXT), max_size=4).map("".join),
)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from(EDGE_NUMBERS),
    st.floats(allow_nan=False, allow_infinity=False),
    unicode_text,
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(unicode_text, children, max_size=4),
    ),
    max_leaves=12,
)


def category(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list):
        return "array"
    return "object"


def dumps(doc: Any) -> bytes:
    """JSON bytes; ensure_ascii=False keeps non-ASCII as raw UTF-8 (lone surrogates excluded)."""
    return json.dumps(doc, ensure_ascii=False, allow_nan=False).encode("utf-8")


# --------------------------------------------------------------------------- strategies from types


def accepted_categories(t: mi.Type) -> set[str]:
    """The JSON categories a msgspec type can decode from (patterns and ranges aside)."""
    match t:
        case mi.StrType() | mi.BytesType():  # bytes: a base64 string
            return {"str"}
        case mi.IntType():
            return {"int"}
        case mi.FloatType():
            return {"int", "float"}
        case mi.BoolType():
            return {"bool"}
        case mi.NoneType():
            return {"null"}
        case mi.ListType():
            return {"array"}
        case mi.DictType() | mi.StructType():
            return {"object"}
        case mi.LiteralType():
            return {category(value) for value in t.values}
        case mi.UnionType():
            return set().union(*(accepted_categories(arm) for arm in t.types))
        case mi.AnyType() | mi.RawType():
            return {"null", "bool", "int", "float", "str", "array", "object"}
    raise NotImplementedError(t)


def _string(t: mi.StrType) -> st.SearchStrategy[str]:
    if t.pattern is not None:
        strategy = st.from_regex(t.pattern, fullmatch=True)
    else:
        strategy = st.one_of(
            st.text(min_size=t.min_length or 0, max_size=min(t.max_length or 40, 40)),
            st.sampled_from(EDGE_TEXT),
        )
    low, high = t.min_length or 0, t.max_length
    return strategy.filter(lambda s: len(s) >= low and (high is None or len(s) <= high))


def _integer(t: mi.IntType) -> st.SearchStrategy[int]:
    low = t.ge if t.ge is not None else (t.gt + 1 if t.gt is not None else None)
    high = t.le if t.le is not None else (t.lt - 1 if t.lt is not None else None)
    edges = [low, high] if low is not None and high is not None else [0, 2**53, -(2**63)]
    return st.one_of(
        st.integers(min_value=low, max_value=high), st.sampled_from([e for e in edges if e])
    )


def valid(t: mi.Type) -> st.SearchStrategy[Any]:
    """Python values (structs included) that are valid for the type."""
    match t:
        case mi.StrType():
            return _string(t)
        case mi.BytesType():
            return st.binary(min_size=t.min_length or 0, max_size=min(t.max_length or 40, 40))
        case mi.IntType():
            return _integer(t)
        case mi.FloatType():
            return st.floats(allow_nan=False, allow_infinity=False)
        case mi.BoolType():
            return st.booleans()
        case mi.NoneType():
            return st.none()
        case mi.LiteralType():
            return st.sampled_from(t.values)
        case mi.ListType():
            return st.lists(valid(t.item_type), min_size=t.min_length or 0, max_size=3)
        case mi.DictType():
            return st.dictionaries(valid(t.key_type), valid(t.value_type), max_size=3)
        case mi.UnionType():
            return st.one_of(*(valid(arm) for arm in t.types))
        case mi.AnyType():
            return json_values
        case mi.StructType():
            return st.builds(t.cls, **{field.name: valid(field.type) for field in t.fields})
    raise NotImplementedError(t)


def info(cls: type) -> mi.StructType:
    t = mi.type_info(cls)
    assert isinstance(t, mi.StructType)
    return t


def valid_frames(classes: list[type]) -> st.SearchStrategy[msgspec.Struct]:
    return st.one_of(*(valid(info(cls)) for cls in classes))


def wrong_value(t: mi.Type) -> st.SearchStrategy[Any]:
    """JSON values of a category the type never accepts."""
    accepted = accepted_categories(t)
    return json_values.filter(lambda value: category(value) not in accepted)


def bad_string(t: mi.StrType) -> st.SearchStrategy[str] | None:
    """Strings that break the type's pattern or length, if it has one."""
    if t.pattern is None and t.min_length is None and t.max_length is None:
        return None
    pattern = re.compile(t.pattern) if t.pattern else None

    def breaks(s: str) -> bool:
        if pattern is not None and pattern.search(s) is None:
            return True
        return len(s) < (t.min_length or 0) or (t.max_length is not None and len(s) > t.max_length)

    extra = []
    if t.max_length is not None:
        extra.append(st.just("a" * (t.max_length + 1)))
    return st.one_of(unicode_text, *extra).filter(breaks)


def bad_integer(t: mi.IntType) -> st.SearchStrategy[int] | None:
    options = []
    if t.ge is not None:
        options.append(st.integers(max_value=t.ge - 1))
    if t.le is not None:
        options.append(st.integers(min_value=t.le + 1))
        options.append(st.sampled_from([2**64, 2**70, 10**300]))
    return st.one_of(*options) if options else None


def invalid_value(t: mi.Type) -> st.SearchStrategy[Any]:
    """A JSON value that the decoder must refuse with INVALID_PARAM for a field of type t."""
    options = [wrong_value(t)] if len(accepted_categories(t)) < 7 else []
    match t:
        case mi.StrType():
            bad = bad_string(t)
            if bad is not None:
                options.append(bad)
        case mi.IntType():
            bad = bad_integer(t)
            if bad is not None:
                options.append(bad)
        case mi.BytesType():
            options.append(st.sampled_from(["not base64!", "abc", "\u00e9=="]))
        case mi.LiteralType():
            options.append(unicode_text.filter(lambda s: s not in t.values))
        case mi.ListType():
            item = t.item_type
            options.append(
                st.tuples(
                    st.lists(valid(item), max_size=2), invalid_value(item), st.integers(0, 2)
                ).map(lambda a: [*_builtins(a[0][: a[2]]), a[1], *_builtins(a[0][a[2] :])])
            )
            if t.min_length:
                options.append(st.just([]))
        case mi.StructType():
            options.append(invalid_doc(t))
        case mi.UnionType():
            structs = [arm for arm in t.types if isinstance(arm, mi.StructType)]
            tags = frozenset(arm.tag for arm in structs if arm.tag is not None)
            if structs and not any(isinstance(a, mi.StrType) for a in t.types):
                options.append(st.one_of(*(invalid_doc(arm, tags) for arm in structs)))
            for arm in t.types:
                if isinstance(arm, mi.StrType) and (bad := bad_string(arm)) is not None:
                    options.append(bad)
    return st.one_of(*options)


def _builtins(value: Any) -> Any:
    return msgspec.to_builtins(value)


def invalid_doc(t: mi.StructType, known_tags: frozenset = frozenset()) -> st.SearchStrategy[dict]:
    """A valid object of the struct type with exactly one thing wrong, somewhere inside it.

    Wrong: one field of a wrong JSON type, out of its pattern/length/range, missing though
    required, or (recursively) a nested object, list item or tag that is wrong.
    """
    base = valid(t).map(_builtins)
    fields = [field for field in t.fields]

    @st.composite
    def build(draw: st.DrawFn) -> dict:
        doc = dict(draw(base))
        choices = ["field"]
        if any(field.required for field in fields):
            choices.append("missing")
        if t.tag_field is not None:
            choices.append("tag")
        what = draw(st.sampled_from(choices))
        if what == "missing":
            field = draw(st.sampled_from([fl for fl in fields if fl.required]))
            del doc[field.encode_name]
        elif what == "tag":
            doc[t.tag_field] = draw(
                st.one_of(
                    json_values.filter(lambda v: not isinstance(v, str)),
                    unicode_text.filter(lambda s: s != t.tag and s not in known_tags),
                )
            )
        else:
            field = draw(st.sampled_from(fields))
            doc[field.encode_name] = draw(invalid_value(field.type))
        return doc

    return build()


# --------------------------------------------------------------------------- raw input


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes_never_raise(data: bytes) -> None:
    check_both(data)


@FUZZ
@given(st.text(max_size=300))
def test_random_text_never_raises(data: str) -> None:
    check_both(data)


@FUZZ
@given(st.text(alphabet='{}[]":,0123456789.eE+-truefalsn \\u\x00\ud800type', max_size=200))
def test_json_like_text_never_raises(data: str) -> None:
    check_both(data)
    check_both(data.encode("utf-8", "surrogatepass"))


@FUZZ
@given(json_values)
def test_any_json_document_never_raises(doc: Any) -> None:
    data = dumps(doc)
    client = check_client(data)
    server = check_server(data)
    if not isinstance(doc, dict):
        assert isinstance(client, ProtocolError) and client.code is ErrorCode.MALFORMED_FRAME
        assert isinstance(server, ProtocolError) and server.code is ErrorCode.MALFORMED_FRAME
        assert client.request_id is None
    elif "type" not in doc:
        assert isinstance(client, ProtocolError) and client.code is ErrorCode.MALFORMED_FRAME
    elif not isinstance(doc["type"], str):
        assert isinstance(client, ProtocolError) and client.code is ErrorCode.INVALID_PARAM
    elif doc["type"] not in REQUEST_TAGS:
        assert isinstance(client, ProtocolError) and client.code is ErrorCode.UNKNOWN_TYPE


@FUZZ
@given(
    st.dictionaries(
        st.sampled_from(["type", "id", "version", "seq", "msg_ids", "group_id", "x"]),
        json_values,
        max_size=5,
    ).map(lambda d: {"type": "hello", **d} if "type" not in d else d),
    st.sampled_from(sorted(REQUEST_TAGS | SERVER_TAGS | {"bogus", "HELLO", ""})),
)
def test_objects_with_a_known_type_and_random_fields(doc: dict, tag: str) -> None:
    doc = {**doc, "type": tag}
    result = check_client(dumps(doc))
    if tag not in REQUEST_TAGS:
        assert isinstance(result, ProtocolError) and result.code is ErrorCode.UNKNOWN_TYPE
    check_server(dumps(doc))


# --------------------------------------------------------------------------- wrong types everywhere


def _expect_invalid(result: Any, doc: dict, *, echo: bool) -> None:
    assert isinstance(result, ProtocolError), (doc, result)
    assert result.code is ErrorCode.INVALID_PARAM, (doc, result)
    request_id = doc.get("id")
    if echo and isinstance(request_id, str) and 1 <= len(request_id) <= 64:
        assert result.request_id == request_id, (doc, result)
    elif echo:
        assert result.request_id is None


@pytest.mark.parametrize("cls", REQUEST_CLASSES, ids=_tag)
def test_wrong_field_in_every_request_is_invalid_param(cls: type) -> None:
    t = info(cls)

    @FEW
    @given(invalid_doc(t, ALL_TAGS))
    def run(doc: dict) -> None:
        result = check_client(dumps(doc))
        if doc.get("type") != t.tag and isinstance(doc.get("type"), str):
            # A `type` string naming no frame at all.
            assert isinstance(result, ProtocolError) and result.code is ErrorCode.UNKNOWN_TYPE
            assert result.request_id == doc["id"]
            return
        _expect_invalid(result, doc, echo=True)

    run()


@pytest.mark.parametrize("cls", SERVER_CLASSES, ids=_tag)
def test_wrong_field_in_every_reply_and_push_is_invalid_param(cls: type) -> None:
    t = info(cls)

    @FEW
    @given(invalid_doc(t, ALL_TAGS))
    def run(doc: dict) -> None:
        result = check_server(dumps(doc))
        if doc.get("type") != t.tag and isinstance(doc.get("type"), str):
            assert isinstance(result, ProtocolError) and result.code is ErrorCode.UNKNOWN_TYPE
            return
        _expect_invalid(result, doc, echo=False)

    run()


# --------------------------------------------------------------------------- huge numbers


def _int_fields(classes: list[type]) -> list[tuple[type, str, mi.Type]]:
    out = []
    for cls in classes:
        for field in info(cls).fields:
            if "int" in accepted_categories(field.type):
                out.append((cls, field.encode_name, field.type))
    return out


REQUEST_INT_FIELDS = _int_fields(REQUEST_CLASSES)


@pytest.mark.parametrize(
    ("cls", "name", "ftype"),
    REQUEST_INT_FIELDS,
    ids=[f"{_tag(c)}.{n}" for c, n, _ in REQUEST_INT_FIELDS],
)
def test_huge_numbers_in_integer_fields(cls: type, name: str, ftype: mi.Type) -> None:
    t = info(cls)

    @FEW
    @given(
        valid(t).map(_builtins),
        st.one_of(
            st.sampled_from(EDGE_NUMBERS),
            st.integers(min_value=-(10**400), max_value=10**400),
            st.just(10**5000 - 1),
        ),
    )
    def run(doc: dict, number: int | float) -> None:
        doc = {**doc, name: number}
        data = dumps(doc) if abs(number) < 10**4000 else _big(doc, name, number)
        result = check_client(data)
        ints = [a for a in getattr(ftype, "types", [ftype]) if isinstance(a, mi.IntType)]
        bounded = any(a.ge is not None or a.le is not None for a in ints)
        in_range = isinstance(number, int) and any(
            (a.ge is None or number >= a.ge) and (a.le is None or number <= a.le) for a in ints
        )
        # Past Python's 4300-digit int limit neither msgspec nor the loose decoder reads the
        # number, so the id cannot be echoed (INVALID_PARAM, id null).
        echo = abs(number) < 10**4000
        if isinstance(number, float):
            # Floats, 1.0 and -0.0 included, are never accepted where an integer is expected.
            _expect_invalid(result, doc, echo=True)
        elif bounded and in_range:
            assert isinstance(result, cls), (doc, result)
            assert getattr(result, _attr(cls, name)) == number
        elif bounded:
            _expect_invalid(result, doc, echo=echo)
        elif isinstance(result, cls):
            # Unbounded (version, page_size): the value is kept exactly; the server's
            # phase and limit checks refuse it later with their own codes.
            assert getattr(result, _attr(cls, name)) == number
        else:
            _expect_invalid(result, doc, echo=echo)
            assert not echo, "msgspec reads every integer below Python's str limit"

    run()


def _big(doc: dict, name: str, number: int) -> bytes:
    """JSON with an integer too long for str() (Python's 4300-digit limit)."""
    placeholder = "__BIG__"
    text = json.dumps({**doc, name: placeholder}, ensure_ascii=False)
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        digits = str(number)
    finally:
        sys.set_int_max_str_digits(old)
    return text.replace(json.dumps(placeholder), digits).encode()


def _attr(cls: type, encode_name: str) -> str:
    for field in info(cls).fields:
        if field.encode_name == encode_name:
            return field.name
    raise KeyError(encode_name)


# --------------------------------------------------------------------------- deep nesting


@FEW
@given(
    st.integers(min_value=1, max_value=20_000),
    st.sampled_from(["[", '{"a":']),
    st.sampled_from(["top", "id", "field", "details", "body", "events"]),
    st.booleans(),
)
def test_deep_nesting_never_raises(depth: int, opener: str, where: str, closed: bool) -> None:
    closer = "]" if opener == "[" else "}"
    nested = opener * depth + "1" + (closer * depth if closed else "")
    frames = {
        "top": nested,
        "id": '{"type":"hello","version":1,"id":@}'.replace("@", nested),
        "field": '{"type":"hello","id":"x","version":@}'.replace("@", nested),
        "details": '{"type":"error","id":"x","code":"C","message":"m","details":{"d":@}}'.replace(
            "@", nested
        ),
        "body": (
            '{"type":"send","id":"x","msg_id":"abcdefgh","chat_type":"chat","to":"bob",'
            '"body":{"kind":"text","text":@}}'
        ).replace("@", nested),
        "events": '{"type":"sync_batch","id":"x","last_seq":1,"more":false,"events":[@]}'.replace(
            "@", nested
        ),
    }
    data = frames[where]
    client = check_client(data)
    server = check_server(data)
    assert isinstance(client, ProtocolError)
    if where == "details" and closed:
        # Error.details is dict[str, Any]: deep but valid JSON may decode or be refused.
        return
    assert isinstance(server, ProtocolError)
    readable = depth < 500  # shallower than any decoder's recursion limit
    if where == "top" or (not closed and readable):
        # Not a frame at all, or not JSON (unclosed), whatever type error comes first.
        assert client.code is ErrorCode.MALFORMED_FRAME
    elif where in ("details", "events") and readable:
        # Valid JSON of a server frame: the client decoder refuses its type.
        assert client.code is ErrorCode.UNKNOWN_TYPE
    else:
        # Past the recursion limit the syntax cannot be read to its end: whichever
        # the typed decoder meets first, a wrong field or the depth, is reported.
        assert client.code in (
            ErrorCode.INVALID_PARAM,
            ErrorCode.MALFORMED_FRAME,
            ErrorCode.UNKNOWN_TYPE,
        )


@pytest.mark.parametrize("tag", ["a\nb", "\n", "hello\n", "x\r\ny"])
def test_unknown_type_with_a_line_break_is_unknown_type(tag: str) -> None:
    for decode in (decode_client_frame, decode_server_frame):
        result = decode(json.dumps({"type": tag, "id": "x"}))
        assert isinstance(result, ProtocolError)
        assert result.code is ErrorCode.UNKNOWN_TYPE, (tag, result)


TRUNCATED_OR_TRAILING = {
    "unknown-type-truncated": '{"type":"nope","id":"x",',
    "unknown-type-then-garbage": '{"type":"nope","id":"x"} garbage',
    "wrong-field-type-truncated": '{"type":"hello","id":"x","version":"1",',
    "wrong-id-type-truncated": '{"type":"hello","id":5,"version":1',
    "wrong-field-then-unclosed-nesting": '{"type":"hello","id":"x","version":1,"client":'
    + "[" * 50,
    "reply-name-truncated": '{"type":"send_ok","id":"x"',
    "type-not-string-truncated": '{"type":5,"id":"x"',
}


@pytest.mark.parametrize("name", sorted(TRUNCATED_OR_TRAILING))
def test_invalid_json_is_malformed_even_when_a_field_is_wrong_first(name: str) -> None:
    data = TRUNCATED_OR_TRAILING[name]
    for variant in (data, data.encode()):
        result = check_client(variant)
        assert isinstance(result, ProtocolError)
        assert result.code is ErrorCode.MALFORMED_FRAME, (name, result)
        assert result.request_id is None


def test_very_deep_nesting_far_past_the_recursion_limit() -> None:
    for depth in (1_000, 10_000, 100_000, 1_000_000):
        for data in ("[" * depth + "]" * depth, '{"a":' * depth + "null" + "}" * depth):
            result = decode_client_frame(data, max_bytes=len(data))
            assert isinstance(result, ProtocolError)
            assert result.code is ErrorCode.MALFORMED_FRAME
            check_server(data)
            check_server(
                '{"type":"error","id":null,"code":"X","message":"m","details":{"a":@}}'.replace(
                    "@", data
                )
            )


# ------------------------------------------------------------------ unicode in every string field


def _string_fields(classes: list[type]) -> list[tuple[type, str, mi.Type]]:
    out = []
    for cls in classes:
        for field in info(cls).fields:
            if "str" in accepted_categories(field.type) and not isinstance(
                field.type, mi.BytesType
            ):
                out.append((cls, field.encode_name, field.type))
    return out


REQUEST_STR_FIELDS = _string_fields(REQUEST_CLASSES)


def _accepts(t: mi.Type, value: str) -> bool:
    arms = getattr(t, "types", [t])
    for arm in arms:
        if isinstance(arm, mi.StrType):
            if arm.pattern is not None and re.search(arm.pattern, value) is None:
                continue
            if len(value) < (arm.min_length or 0):
                continue
            if arm.max_length is not None and len(value) > arm.max_length:
                continue
            return True
        if isinstance(arm, mi.LiteralType) and value in arm.values:
            return True
    return False


@pytest.mark.parametrize(
    ("cls", "name", "ftype"),
    REQUEST_STR_FIELDS,
    ids=[f"{_tag(c)}.{n}" for c, n, _ in REQUEST_STR_FIELDS],
)
def test_unicode_edge_cases_in_every_request_string_field(
    cls: type, name: str, ftype: mi.Type
) -> None:
    t = info(cls)

    @CELL
    @given(valid(t).map(_builtins), unicode_text, st.booleans())
    def run(doc: dict, value: str, as_text: bool) -> None:
        doc = {**doc, name: value}
        data: bytes | str = dumps(doc)
        if as_text:
            data = data.decode("utf-8")
        result = check_client(data)
        if _accepts(ftype, value):
            assert isinstance(result, cls), (doc, result)
            assert getattr(result, _attr(cls, name)) == value  # kept exactly, NUL/RTL/BOM too
        else:
            _expect_invalid(result, doc, echo=True)

    run()


# One fixed frame per kind of string field: free text, pattern, note, id.
SURROGATE_TARGETS = {
    "send.body.text": (
        {"type": "send", "id": "r1", "msg_id": "abcdefgh", "chat_type": "chat", "to": "bob"},
        ("body", "text"),
    ),
    "send.msg_id": (
        {
            "type": "send",
            "id": "r1",
            "chat_type": "chat",
            "to": "bob",
            "body": {"kind": "text", "text": "hi"},
        },
        ("msg_id",),
    ),
    "hello.client": ({"type": "hello", "id": "r1", "version": 1}, ("client",)),
    "hello.id": ({"type": "hello", "version": 1}, ("id",)),
    "login.device_name": (
        {"type": "login", "id": "r1", "username": "alice", "password": "pw"},
        ("device_name",),
    ),
    "login.password": (
        {"type": "login", "id": "r1", "username": "alice"},
        ("password",),
    ),
    "group_read_ack.content": (
        {"type": "group_read_ack", "id": "r1", "group_id": "1", "msg_id": "abcdefgh"},
        ("content",),
    ),
    "create_group.name": ({"type": "create_group", "id": "r1"}, ("name",)),
}


def _with(doc: dict, path: tuple[str, ...], value: str) -> dict:
    doc = json.loads(json.dumps(doc))
    target = doc
    for key in path[:-1]:
        target = target.setdefault(key, {"kind": "text"})
    target[path[-1]] = value
    return doc


@pytest.mark.parametrize(
    "escaped",
    ["\\ud800", "\\udfff", "\\ud83d", "\\ude00\\ud83d", "a\\ud800b", "\\ud800\\u0041"],
)
@pytest.mark.parametrize("target", sorted(SURROGATE_TARGETS))
def test_lone_surrogates_are_malformed(target: str, escaped: str) -> None:
    doc, path = SURROGATE_TARGETS[target]
    placeholder = "__S__"
    text = json.dumps(_with(doc, path, placeholder))
    for data in (text.replace(placeholder, escaped), text.replace(placeholder, escaped).encode()):
        result = check_client(data)
        assert isinstance(result, ProtocolError) and result.code is ErrorCode.MALFORMED_FRAME
        check_server(data)
    # Raw, not escaped: a str holding a lone surrogate, and its surrogatepass bytes.
    raw = text.replace(placeholder, "\ud800")
    for data in (raw, raw.encode("utf-8", "surrogatepass")):
        result = check_client(data)
        assert isinstance(result, ProtocolError) and result.code is ErrorCode.MALFORMED_FRAME
        check_server(data)
    # The same frame with a proper value decodes (the target really is the only fault).
    assert not isinstance(check_client(json.dumps(_with(doc, path, "abcdefghij"))), ProtocolError)


def test_escaped_surrogate_pair_is_accepted() -> None:
    data = (
        '{"type":"send","id":"\\ud83d\\ude00","msg_id":"abcdefgh","chat_type":"chat",'
        '"to":"bob","body":{"kind":"text","text":"\\ud83d\\ude00\\u0000\\u200f"}}'
    )
    result = check_client(data)
    assert isinstance(result, f.SendMessage)
    assert result.id == "😀" and result.body.text == "😀\x00\u200f"


@pytest.mark.parametrize(
    "data",
    [
        b"\xef\xbb\xbf" + b'{"type":"logout","id":"x"}',
        b'{"type":"logout","id":"x"}\x00',
        b'{"type":"logout","id":"x"}{"type":"logout","id":"y"}',
        b'{"type":"logout","id":"x"',
        b"",
        b"\x00",
        b'{"type":"logout","id":"\xff"}',
        b'{"type":"logout","id":"\xed\xa0\x80"}',
        b"{'type':'logout','id':'x'}",
        b'{"type":"hello","id":"x","version":NaN}',
        b'{"type":"hello","id":"x","version":Infinity}',
        b'{"type":"logout","id":"x"} // comment',
    ],
)
def test_not_json_is_malformed(data: bytes) -> None:
    result = check_client(data)
    assert isinstance(result, ProtocolError), (data, result)
    assert result.code is ErrorCode.MALFORMED_FRAME, result
    assert result.request_id is None
    check_server(data)


# --------------------------------------------------------------------------- round trips


@FUZZ
@given(valid_frames(REQUEST_CLASSES))
def test_every_valid_request_round_trips(frame: f.Request) -> None:
    data = encode(frame)
    assert decode_client_frame(data) == frame
    if isinstance(frame, f.DATA_FRAMES):
        return  # binary: a data frame has no text form (test_proto_frames' data frame tests)
    assert decode_client_frame(data.decode("utf-8")) == frame
    # Key order and extra (unknown) keys do not matter.
    doc = json.loads(data)
    shuffled = dict(reversed(list(doc.items())))
    shuffled["unknown_future_field"] = [1, {"x": None}]
    assert decode_client_frame(dumps(shuffled)) == frame


@FUZZ
@given(valid_frames(SERVER_CLASSES))
def test_every_valid_reply_and_push_round_trips(frame: msgspec.Struct) -> None:
    data = encode(frame)
    decoded = decode_server_frame(data)
    assert not isinstance(decoded, ProtocolError), decoded
    assert msgspec.to_builtins(decoded) == msgspec.to_builtins(frame)
    assert encode(decoded) == data


@FEW
@given(valid_frames(PUSH_CLASSES), st.integers(min_value=1, max_value=2**53))
def test_pushes_encoded_once_get_their_seq(push: f.Push, seq: int) -> None:
    from desktop_chat.protocol import encode_push_body, frame_with_seq

    body = encode_push_body(msgspec.structs.replace(push, seq=0))
    decoded = decode_server_frame(frame_with_seq(body, seq))
    assert decoded == msgspec.structs.replace(push, seq=seq)


def test_every_frame_type_is_fuzzed() -> None:
    assert {_tag(cls) for cls in REQUEST_CLASSES} == set(f.REQUEST_TYPES)
    assert set(f.PUSH_TYPES) <= SERVER_TAGS
    assert len(REPLY_CLASSES) + len(PUSH_CLASSES) + len(EPHEMERAL_CLASSES) == len(SERVER_CLASSES)
