"""The permission matrix: every request type x {owner, admin, member, non-member, other
user, signed-out}, each cell its own test with the exact outcome docs/protocol.md gives
(a reply type, or an error code).

The world is built once per module into a SQLite file (registration hashes passwords,
so it is the slow part); every cell starts a fresh server on its own copy of that file
and signs its actor in with `resume`, so cells are independent and fast.

The world:
- group G (ack_policy "admins"): owner olivia; admins adam and ada; members mia and mo.
  In G: A, an announcement by olivia with need_group_ack; P, a plain message by adam.
- group H: owner otto, member pia (otto is an owner elsewhere, never in G).
- nora: a signed-up user in no group and no conversation.
- a one-to-one chat pia -> quinn: C (need_delivery_ack, need_read_ack).
- for recall and edit, each actor has three messages of its own to mo: OWN (fresh),
  OLD (sent two days before, so past any recall limit) and GONE (already recalled);
  in G, GONE_G is an announcement by olivia that she recalled.
Cells run with a recall limit of one hour, so OWN stays recallable however long the
module runs, and OLD never is.
Roles: owner = olivia, admin = adam, member = mia, nonmember = nora, other = otto,
signed_out = a connection after hello that never signed in.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from desktop_chat.server import ChatServer, ServerConfig
from desktop_chat.server.config import wall_clock_ms
from desktop_chat.wire_client import WireClient, text_body

PASSWORD = "correct horse"  # the harness's password for every account
ROLES = ["owner", "admin", "member", "nonmember", "other", "signed_out"]
ACTOR = {"owner": "olivia", "admin": "adam", "member": "mia", "nonmember": "nora", "other": "otto"}
USERS = ["olivia", "adam", "ada", "mia", "mo", "nora", "otto", "pia", "quinn"]
MSG_A = "A-announce-0001"
MSG_P = "P-plain-000001"
MSG_C = "C-pia-quinn-01"
MSG_GONE_G = "G-recalled-001"
RECALL_SECONDS = 3600  # the cells' recall limit
DAY_MS = 24 * 3600 * 1000

# Builds and opens SQLite files of its own.
pytestmark = pytest.mark.sqlite_only


def own(name: str) -> str:
    return f"own-{name}-0001"


def old(name: str) -> str:
    return f"old-{name}-0001"


def gone(name: str) -> str:
    return f"gone-{name}-001"


_fresh = itertools.count(1)


@dataclasses.dataclass
class World:
    db_files: list[Path]
    group: str
    other_group: str
    tokens: dict[str, str]


def _config(db_path: Path, **overrides: Any) -> ServerConfig:
    # As tests/conftest.py's `server_config`: cheap hashes, registration allowed.
    return ServerConfig(
        **overrides,
        host="127.0.0.1",
        port=0,
        db_path=db_path,
        allow_registration=True,
        argon2_time_cost=1,
        argon2_memory_kib=8192,
        argon2_parallelism=1,
        registration_burst=10_000,
    )


async def _build_world(db_path: Path) -> tuple[str, str, dict[str, str]]:
    server = ChatServer(_config(db_path))
    await server.start()
    clients: dict[str, WireClient] = {}
    try:
        setup = await WireClient.connect(server.url)
        for name in USERS:
            await setup.request("register", username=name, password=PASSWORD)
        await setup.close()
        for name in USERS:
            client = await WireClient.connect(server.url)
            await client.login(name, PASSWORD, device_name=f"{name}-matrix")
            clients[name] = client
        olivia, otto, pia = clients["olivia"], clients["otto"], clients["pia"]
        reply = await olivia.request(
            "create_group", name="G", members=["adam", "ada", "mia", "mo"], ack_policy="admins"
        )
        group = reply["group"]["group_id"]
        for admin in ("adam", "ada"):
            await olivia.request("add_admin", group_id=group, member=admin)
        reply = await otto.request("create_group", name="H", members=["pia"])
        other_group = reply["group"]["group_id"]
        await olivia.request(
            "send",
            msg_id=MSG_A,
            chat_type="groupchat",
            to=group,
            body=text_body("all hands at 10"),
            need_group_ack=True,
        )
        await clients["adam"].request(
            "send", msg_id=MSG_P, chat_type="groupchat", to=group, body=text_body("plain")
        )
        await pia.request(
            "send",
            msg_id=MSG_C,
            chat_type="chat",
            to="quinn",
            body=text_body("just for quinn"),
            need_delivery_ack=True,
            need_read_ack=True,
        )
        await olivia.request(
            "send",
            msg_id=MSG_GONE_G,
            chat_type="groupchat",
            to=group,
            body=text_body("wrong room"),
            need_group_ack=True,
        )
        await olivia.request("recall", msg_id=MSG_GONE_G)
        for name in ACTOR.values():
            for msg_id in (own(name), gone(name)):
                await clients[name].request(
                    "send", msg_id=msg_id, chat_type="chat", to="mo", body=text_body(msg_id)
                )
            await clients[name].request("recall", msg_id=gone(name))
        tokens = {name: client.token or "" for name, client in clients.items()}
    finally:
        for client in clients.values():
            await client.close()
        await server.stop()
    await _send_old_messages(db_path, tokens)
    return group, other_group, tokens


async def _send_old_messages(db_path: Path, tokens: dict[str, str]) -> None:
    """Each actor's OLD message, sent by a server whose clock reads two days ago."""
    server = ChatServer(_config(db_path, clock=lambda: wall_clock_ms() - 2 * DAY_MS))
    await server.start()
    try:
        for name in ACTOR.values():
            client = await WireClient.connect(server.url)
            try:
                await client.request("resume", token=tokens[name])
                await client.request(
                    "send", msg_id=old(name), chat_type="chat", to="mo", body=text_body("old")
                )
            finally:
                await client.close()
    finally:
        await server.stop()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    root = tmp_path_factory.mktemp("permission-world")
    db_path = root / "server.db"
    group, other_group, tokens = asyncio.run(_build_world(db_path))
    files = sorted(root.glob("server.db*"))
    return World(files, group, other_group, tokens)


async def start_world(harness, world: World) -> None:
    target = Path(harness.config.db_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    for source in world.db_files:
        shutil.copyfile(source, target.parent / source.name.replace("server.db", target.name))
    await harness.start(recall_seconds=RECALL_SECONDS)


async def actor(harness, world: World, role: str) -> WireClient:
    """A live connection for the role: signed in by token, or signed out after hello."""
    client = await harness.connect()
    if role != "signed_out":
        name = ACTOR[role]
        reply = await client.request("resume", token=world.tokens[name])
        assert reply["username"] == name
        client.username, client.token = name, world.tokens[name]
    return client


# --------------------------------------------------------------------------- the matrix

Fields = Callable[[World, str], tuple[str, dict[str, Any]]]


def _new_name() -> str:
    return f"fresh{next(_fresh)}"


def _msg_id() -> str:
    return f"perm-{next(_fresh):08d}"


OWNER_ADMIN = {"owner": None, "admin": None}
NOT_MEMBER = {"nonmember": "NOT_GROUP_MEMBER", "other": "NOT_GROUP_MEMBER"}


def _matrix(
    reply: str, *, signed_in: dict[str, str | None] | None = None, signed_out: str | None = None
) -> dict[str, str]:
    """Expected outcome per role: `reply` unless overridden; signed-out: NOT_LOGGED_IN."""
    out = {role: reply for role in ROLES}
    out["signed_out"] = signed_out or "NOT_LOGGED_IN"
    for role, outcome in (signed_in or {}).items():
        out[role] = outcome or reply
    return out


def _group_only(reply: str, **roles: str) -> dict[str, str]:
    return _matrix(reply, signed_in={**NOT_MEMBER, **roles})


READ_LIST = {"member": "PERMISSION_DENIED"}  # sender (olivia), owner and admins may see it
OWNER_ONLY = {"admin": "PERMISSION_DENIED", "member": "PERMISSION_DENIED"}

# name -> (builder of (type, fields) for the actor, expected outcome per role)
CASES: dict[str, tuple[Fields, dict[str, str]]] = {
    "hello": (lambda w, me: ("hello", {"version": 1}), _matrix("hello_ok", signed_out="hello_ok")),
    "register": (
        lambda w, me: ("register", {"username": _new_name(), "password": PASSWORD}),
        _matrix("ALREADY_LOGGED_IN", signed_out="ok"),
    ),
    "login": (
        lambda w, me: ("login", {"username": "nora", "password": PASSWORD}),
        _matrix("ALREADY_LOGGED_IN", signed_out="login_ok"),
    ),
    "resume": (
        lambda w, me: ("resume", {"token": w.tokens["nora"]}),
        _matrix("ALREADY_LOGGED_IN", signed_out="login_ok"),
    ),
    "logout": (lambda w, me: ("logout", {}), _matrix("ok")),
    "sync": (lambda w, me: ("sync", {"after_seq": 0}), _matrix("sync_batch")),
    "fetch_conversations": (lambda w, me: ("fetch_conversations", {}), _matrix("conversations")),
    "fetch_groups": (lambda w, me: ("fetch_groups", {}), _matrix("groups")),
    "send-chat": (
        lambda w, me: (
            "send",
            {"msg_id": _msg_id(), "chat_type": "chat", "to": "pia", "body": text_body("hi")},
        ),
        _matrix("send_ok"),
    ),
    "send-group": (
        lambda w, me: (
            "send",
            {"msg_id": _msg_id(), "chat_type": "groupchat", "to": w.group, "body": text_body("hi")},
        ),
        _group_only("send_ok"),
    ),
    "send-group-need_group_ack": (
        lambda w, me: (
            "send",
            {
                "msg_id": _msg_id(),
                "chat_type": "groupchat",
                "to": w.group,
                "body": text_body("ack please"),
                "need_group_ack": True,
            },
        ),
        _group_only("send_ok", member="GROUP_ACK_NOT_ALLOWED"),
    ),
    # Nobody acks a message that was not sent to them: C went from pia to quinn.
    "delivery_ack-others_chat": (
        lambda w, me: ("delivery_ack", {"msg_ids": [MSG_C]}),
        _matrix("PERMISSION_DENIED"),
    ),
    "read_ack-others_chat": (
        lambda w, me: ("read_ack", {"msg_ids": [MSG_C]}),
        _matrix("PERMISSION_DENIED"),
    ),
    "read_ack-others_chat-notify_false": (
        lambda w, me: ("read_ack", {"msg_ids": [MSG_C], "notify": False}),
        _matrix("PERMISSION_DENIED"),
    ),
    "delivery_ack-group_announcement": (
        lambda w, me: ("delivery_ack", {"msg_ids": [MSG_A]}),
        _group_only("acks_ok", owner="CANNOT_ACK_OWN_MESSAGE"),
    ),
    "read_ack-group_announcement": (
        lambda w, me: ("read_ack", {"msg_ids": [MSG_A]}),
        _group_only("INVALID_PARAM", owner="CANNOT_ACK_OWN_MESSAGE"),
    ),
    "group_read_ack": (
        lambda w, me: ("group_read_ack", {"group_id": w.group, "msg_id": MSG_A, "content": "ok"}),
        _group_only("group_ack_ok", owner="CANNOT_ACK_OWN_MESSAGE"),
    ),
    "group_read_ack-plain_message": (
        lambda w, me: ("group_read_ack", {"group_id": w.group, "msg_id": MSG_P}),
        _group_only("ACK_NOT_REQUESTED", admin="CANNOT_ACK_OWN_MESSAGE"),
    ),
    "group_read_ack-wrong_group": (
        # A's id with the other group: MESSAGE_NOT_FOUND for everyone, members of H or not.
        lambda w, me: ("group_read_ack", {"group_id": w.other_group, "msg_id": MSG_A}),
        _matrix("MESSAGE_NOT_FOUND"),
    ),
    "conversation_read_ack-group": (
        lambda w, me: ("conversation_read_ack", {"conversation_id": w.group}),
        _group_only("conversation_acked"),
    ),
    "conversation_read_ack-chat": (
        lambda w, me: ("conversation_read_ack", {"conversation_id": "quinn"}),
        _matrix("conversation_acked"),
    ),
    "fetch_group_acks": (
        lambda w, me: ("fetch_group_acks", {"group_id": w.group, "msg_id": MSG_A}),
        _group_only("group_acks", **READ_LIST),
    ),
    "fetch_group_unread": (
        lambda w, me: ("fetch_group_unread", {"group_id": w.group, "msg_id": MSG_A}),
        _group_only("group_unread", **READ_LIST),
    ),
    "remind_group_unread": (
        lambda w, me: ("remind_group_unread", {"group_id": w.group, "msg_id": MSG_A}),
        _group_only("reminded", **READ_LIST),
    ),
    "fetch_group_ack_stats": (
        lambda w, me: (
            "fetch_group_ack_stats",
            {"group_id": w.group, "msg_id": MSG_A, "edges": [300, 3600, 86400]},
        ),
        _group_only("group_ack_stats", **READ_LIST),
    ),
    # The pinned notice: owner and admins pin and unpin; a recalled message is not pinned.
    "pin_group_message": (
        lambda w, me: ("pin_group_message", {"group_id": w.group, "msg_id": MSG_A}),
        _group_only("group", member="PERMISSION_DENIED"),
    ),
    "pin_group_message-recalled": (
        lambda w, me: ("pin_group_message", {"group_id": w.group, "msg_id": MSG_GONE_G}),
        _group_only("MESSAGE_RECALLED", member="PERMISSION_DENIED"),
    ),
    "pin_group_message-other_group": (
        lambda w, me: ("pin_group_message", {"group_id": w.group, "msg_id": MSG_C}),
        _group_only("MESSAGE_NOT_FOUND", member="PERMISSION_DENIED"),
    ),
    "unpin_group_message": (
        lambda w, me: ("unpin_group_message", {"group_id": w.group}),
        _group_only("group", member="PERMISSION_DENIED"),
    ),
    "fetch_group_acks-plain_message": (
        # Permission is checked before "no acks requested": a member learns nothing more.
        lambda w, me: ("fetch_group_acks", {"group_id": w.group, "msg_id": MSG_P}),
        _group_only("ACK_NOT_REQUESTED", **READ_LIST),
    ),
    "fetch_history-group": (
        lambda w, me: ("fetch_history", {"conversation_id": w.group}),
        _group_only("history"),
    ),
    "fetch_history-others_peer": (
        # Everyone may read their own (empty) conversation with quinn, never pia's.
        lambda w, me: ("fetch_history", {"conversation_id": "quinn"}),
        _matrix("history"),
    ),
    "create_group": (
        lambda w, me: ("create_group", {"name": "new", "members": ["nora"]}),
        _matrix("group"),
    ),
    "get_group": (
        lambda w, me: ("get_group", {"group_id": w.group}),
        _group_only("group"),
    ),
    "add_members": (
        lambda w, me: ("add_members", {"group_id": w.group, "members": ["quinn"]}),
        _group_only("group", member="PERMISSION_DENIED"),
    ),
    "remove_members-plain_member": (
        lambda w, me: ("remove_members", {"group_id": w.group, "members": ["mo"]}),
        _group_only("group", member="PERMISSION_DENIED"),
    ),
    "remove_members-admin": (
        # Admins may remove plain members, never another admin.
        lambda w, me: ("remove_members", {"group_id": w.group, "members": ["ada"]}),
        _group_only("group", admin="PERMISSION_DENIED", member="PERMISSION_DENIED"),
    ),
    "remove_members-owner": (
        lambda w, me: ("remove_members", {"group_id": w.group, "members": ["olivia"]}),
        _group_only("PERMISSION_DENIED"),
    ),
    "remove_members-self": (
        # Leaving: a member (or admin) may remove itself; the owner cannot leave.
        lambda w, me: ("remove_members", {"group_id": w.group, "members": [me]}),
        _group_only("ok", owner="PERMISSION_DENIED"),
    ),
    "remove_members-self_and_other": (
        lambda w, me: ("remove_members", {"group_id": w.group, "members": [me, "mo"]}),
        _group_only("group", owner="PERMISSION_DENIED", member="PERMISSION_DENIED"),
    ),
    "add_admin": (
        lambda w, me: ("add_admin", {"group_id": w.group, "member": "mo"}),
        _group_only("group", **OWNER_ONLY),
    ),
    "remove_admin": (
        lambda w, me: ("remove_admin", {"group_id": w.group, "member": "ada"}),
        _group_only("group", **OWNER_ONLY),
    ),
    "add_admin-owner": (
        lambda w, me: ("add_admin", {"group_id": w.group, "member": "olivia"}),
        _group_only("PERMISSION_DENIED"),
    ),
    "remove_admin-owner": (
        lambda w, me: ("remove_admin", {"group_id": w.group, "member": "olivia"}),
        _group_only("PERMISSION_DENIED"),
    ),
    "add_admin-not_in_group": (
        lambda w, me: ("add_admin", {"group_id": w.group, "member": "nora"}),
        _group_only("PERMISSION_DENIED", owner="NOT_GROUP_MEMBER"),
    ),
    "add_members-unknown_user": (
        # Permission first: a plain member cannot probe which names exist this way.
        lambda w, me: ("add_members", {"group_id": w.group, "members": ["ghost"]}),
        _group_only("USER_NOT_FOUND", member="PERMISSION_DENIED"),
    ),
    "remove_members-not_in_group": (
        lambda w, me: ("remove_members", {"group_id": w.group, "members": ["nora"]}),
        _group_only("group", member="PERMISSION_DENIED"),
    ),
    "get_group-unknown_group": (
        lambda w, me: ("get_group", {"group_id": "1"}),
        _matrix("GROUP_NOT_FOUND"),
    ),
    "set_group_ack_policy": (
        lambda w, me: ("set_group_ack_policy", {"group_id": w.group, "ack_policy": "all"}),
        _group_only("group", **OWNER_ONLY),
    ),
    # Recall and edit: only the sender, whatever its role; recall within the limit.
    "recall-own": (lambda w, me: ("recall", {"msg_id": own(me)}), _matrix("recall_ok")),
    "recall-others_chat": (
        lambda w, me: ("recall", {"msg_id": MSG_C}),
        _matrix("PERMISSION_DENIED"),
    ),
    "recall-group_announcement": (
        # Not its sender: refused before membership is looked at, member or not.
        lambda w, me: ("recall", {"msg_id": MSG_A}),
        _matrix("PERMISSION_DENIED", signed_in={"owner": "recall_ok"}),
    ),
    "recall-after_limit": (
        lambda w, me: ("recall", {"msg_id": old(me)}),
        _matrix("RECALL_TIME_LIMIT"),
    ),
    "recall-already_recalled": (
        # Answered again (a retry), not refused.
        lambda w, me: ("recall", {"msg_id": gone(me)}),
        _matrix("recall_ok"),
    ),
    "recall-unknown": (
        lambda w, me: ("recall", {"msg_id": "no-such-message"}),
        _matrix("MESSAGE_NOT_FOUND"),
    ),
    "edit-own": (
        lambda w, me: ("edit", {"msg_id": own(me), "body": text_body("edited")}),
        _matrix("edit_ok"),
    ),
    "edit-old": (
        # Edits have no time limit.
        lambda w, me: ("edit", {"msg_id": old(me), "body": text_body("edited")}),
        _matrix("edit_ok"),
    ),
    "edit-others_chat": (
        lambda w, me: ("edit", {"msg_id": MSG_C, "body": text_body("edited")}),
        _matrix("PERMISSION_DENIED"),
    ),
    "edit-group_announcement": (
        lambda w, me: ("edit", {"msg_id": MSG_A, "body": text_body("edited")}),
        _matrix("PERMISSION_DENIED", signed_in={"owner": "edit_ok"}),
    ),
    "edit-recalled": (
        lambda w, me: ("edit", {"msg_id": gone(me), "body": text_body("edited")}),
        _matrix("MESSAGE_RECALLED"),
    ),
    # Receipts of a recalled message are refused; a private read may name group messages.
    "delivery_ack-recalled_group_message": (
        lambda w, me: ("delivery_ack", {"msg_ids": [MSG_GONE_G]}),
        _group_only("MESSAGE_RECALLED", owner="CANNOT_ACK_OWN_MESSAGE"),
    ),
    "group_read_ack-recalled": (
        lambda w, me: ("group_read_ack", {"group_id": w.group, "msg_id": MSG_GONE_G}),
        _group_only("MESSAGE_RECALLED", owner="CANNOT_ACK_OWN_MESSAGE"),
    ),
    "read_ack-group_announcement-notify_false": (
        lambda w, me: ("read_ack", {"msg_ids": [MSG_A], "notify": False}),
        _group_only("acks_ok", owner="CANNOT_ACK_OWN_MESSAGE"),
    ),
    # Replies quote only what the sender can see in that same conversation.
    "send-reply_to-group": (
        lambda w, me: (
            "send",
            {
                "msg_id": _msg_id(),
                "chat_type": "groupchat",
                "to": w.group,
                "body": text_body("re"),
                "reply_to": MSG_A,
            },
        ),
        _group_only("send_ok"),
    ),
    "send-reply_to-others_chat": (
        lambda w, me: (
            "send",
            {
                "msg_id": _msg_id(),
                "chat_type": "chat",
                "to": "pia",
                "body": text_body("re"),
                "reply_to": MSG_C,
            },
        ),
        _matrix("MESSAGE_NOT_FOUND"),
    ),
    "send-reply_to-group_message_in_a_chat": (
        lambda w, me: (
            "send",
            {
                "msg_id": _msg_id(),
                "chat_type": "chat",
                "to": "quinn",
                "body": text_body("re"),
                "reply_to": MSG_A,
            },
        ),
        _matrix("MESSAGE_NOT_FOUND"),
    ),
    "set_conversation_mute-chat": (
        lambda w, me: ("set_conversation_mute", {"conversation_id": "quinn", "muted": True}),
        _matrix("mute_ok"),
    ),
    "set_conversation_mute-group": (
        lambda w, me: ("set_conversation_mute", {"conversation_id": w.group, "muted": True}),
        _group_only("mute_ok"),
    ),
    "set_conversation_mute-unknown_user": (
        lambda w, me: ("set_conversation_mute", {"conversation_id": "ghost", "muted": True}),
        _matrix("USER_NOT_FOUND"),
    ),
    "typing-chat": (lambda w, me: ("typing", {"conversation_id": "quinn"}), _matrix("ok")),
    "typing-group": (
        lambda w, me: ("typing", {"conversation_id": w.group}),
        _matrix("INVALID_PARAM"),
    ),
    "typing-self": (lambda w, me: ("typing", {"conversation_id": me}), _matrix("INVALID_PARAM")),
    "fetch_users": (
        lambda w, me: ("fetch_users", {"usernames": ["quinn", "ghost"]}),
        _matrix("users"),
    ),
    # Files: who may download a message's file is in test_files.py (sender, recipient,
    # members at send time; not a non-member, a removed member or a later one).
    "upload_begin": (
        lambda w, me: ("upload_begin", {"sha256": "ab" * 32, "size": 10}),
        _matrix("upload_state"),
    ),
    "upload_chunk-not_begun": (
        lambda w, me: (
            "upload_chunk",
            {
                "sha256": "cd" * 32,
                "offset": 0,
                "chunk_sha256": "b413f47d13ee2fe6c845b2ee141af81de858df4ec549a58b7970bb96645bc8d2",
                "data": "AAE=",
            },
        ),
        _matrix("FILE_NOT_FOUND"),
    ),
    "download-unknown": (
        lambda w, me: ("download", {"msg_id": "no-such-msg-01", "sha256": "ab" * 32}),
        _matrix("MESSAGE_NOT_FOUND"),
    ),
    "fetch_users-too_many": (
        lambda w, me: ("fetch_users", {"usernames": [f"name{n}" for n in range(21)]}),
        _matrix("BATCH_TOO_LARGE"),
    ),
}

CELLS = [(name, role) for name in CASES for role in ROLES]


def test_every_request_type_is_in_the_matrix() -> None:
    from desktop_chat.protocol.frames import REQUEST_TYPES

    covered = {name.split("-")[0] for name in CASES}
    assert covered == set(REQUEST_TYPES)


async def check_cell(harness, world: World, name: str, role: str) -> dict[str, Any]:
    build, expected = CASES[name]
    client = await actor(harness, world, role)
    type_, fields = build(world, ACTOR.get(role, "nora"))
    reply = await client.call(type_, **fields)
    outcome = expected[role]
    if outcome.isupper():
        assert reply["type"] == "error", (name, role, reply)
        assert reply["code"] == outcome, (name, role, reply)
        assert reply["id"] is not None
        if type_ in ("delivery_ack", "read_ack") and reply.get("details") is not None:
            # Batch rule: the refused id is listed, nothing was applied.
            assert reply["details"]["applied"] == []
            assert [r["code"] for r in reply["details"]["rejected"]] == [outcome]
    else:
        assert reply["type"] == outcome, (name, role, reply)
    # The connection stays open and keeps answering; the store is sound.
    check = "fetch_groups" if role != "signed_out" and type_ != "logout" else "hello"
    follow = await client.call(check, **({"version": 1} if check == "hello" else {}))
    assert follow["type"] in ("groups", "hello_ok"), follow
    assert not client.closed
    assert harness.store.check_invariants() == []
    return reply


@pytest.mark.parametrize(("name", "role"), CELLS, ids=[f"{n}-{r}" for n, r in CELLS])
async def test_permission_matrix(harness, world: World, name: str, role: str) -> None:
    await start_world(harness, world)
    reply = await check_cell(harness, world, name, role)
    if name == "fetch_history-others_peer" and reply["type"] == "history":
        assert reply["messages"] == []  # pia's message to quinn is seen by nobody else
    if name == "fetch_history-group" and reply["type"] == "history":
        assert [m["msg_id"] for m in reply["messages"]] == [MSG_A, MSG_P, MSG_GONE_G]
        assert reply["messages"][2]["body"] is None  # recalled: its text is gone
    if name == "fetch_groups" and reply["type"] == "groups":
        visible = {g["group_id"] for g in reply["groups"]}
        assert (world.group in visible) == (role in ("owner", "admin", "member"))
        assert (world.other_group in visible) == (role == "other")
    if name == "sync" and reply["type"] == "sync_batch" and role in ("nonmember", "other"):
        # Nothing of G reaches a user who was never in it.
        for event in reply["events"]:
            assert world.group not in str(event), event


# --------------------------------------------------------------------------- beyond the grid


async def test_only_the_recipient_acks_a_one_to_one_message(harness, world: World) -> None:
    await start_world(harness, world)
    pia = await harness.resume(world.tokens["pia"])
    quinn = await harness.resume(world.tokens["quinn"])
    reply = await pia.call("delivery_ack", msg_ids=[MSG_C])
    assert reply["code"] == "CANNOT_ACK_OWN_MESSAGE"
    reply = await quinn.call("delivery_ack", msg_ids=[MSG_C])
    assert reply == {"type": "acks_ok", "id": reply["id"], "applied": [MSG_C]}
    reply = await quinn.call("read_ack", msg_ids=[MSG_C])
    assert reply["type"] == "acks_ok"
    # A mixed batch from an outsider: every id refused, nothing applied.
    nora = await harness.resume(world.tokens["nora"])
    reply = await nora.call("read_ack", msg_ids=[MSG_C, "no-such-message"])
    assert reply["code"] == "PERMISSION_DENIED"
    assert reply["details"]["applied"] == []
    assert [r["code"] for r in reply["details"]["rejected"]] == [
        "PERMISSION_DENIED",
        "MESSAGE_NOT_FOUND",
    ]
    history = await pia.request("fetch_history", conversation_id="quinn")
    (message,) = history["messages"]
    assert message["delivered_at"] is not None and message["read_at"] is not None


async def test_a_sender_who_is_a_plain_member_sees_its_own_read_list(harness, world) -> None:
    await start_world(harness, world)
    olivia = await harness.resume(world.tokens["olivia"])
    await olivia.request("set_group_ack_policy", group_id=world.group, ack_policy="all")
    mia = await harness.resume(world.tokens["mia"])
    mo = await harness.resume(world.tokens["mo"])
    await mia.request(
        "send",
        msg_id="mia-asks-0001",
        chat_type="groupchat",
        to=world.group,
        body=text_body("read me"),
        need_group_ack=True,
    )
    for request in ("fetch_group_acks", "fetch_group_unread", "remind_group_unread"):
        reply = await mia.call(request, group_id=world.group, msg_id="mia-asks-0001")
        assert reply["type"] != "error", reply
        reply = await mo.call(request, group_id=world.group, msg_id="mia-asks-0001")
        assert reply["code"] == "PERMISSION_DENIED", reply
        # ...and mo still may not see the owner's announcement's list either.
        reply = await mo.call(request, group_id=world.group, msg_id=MSG_A)
        assert reply["code"] == "PERMISSION_DENIED", reply
        reply = await olivia.call(request, group_id=world.group, msg_id="mia-asks-0001")
        assert reply["type"] != "error", reply


LOST_ACCESS = [
    ("get_group", lambda g: {"group_id": g}),
    ("fetch_history", lambda g: {"conversation_id": g}),
    (
        "send",
        lambda g: {
            "msg_id": _msg_id(),
            "chat_type": "groupchat",
            "to": g,
            "body": text_body("still here?"),
        },
    ),
    ("group_read_ack", lambda g: {"group_id": g, "msg_id": MSG_A}),
    ("conversation_read_ack", lambda g: {"conversation_id": g}),
    ("fetch_group_acks", lambda g: {"group_id": g, "msg_id": MSG_A}),
    ("fetch_group_unread", lambda g: {"group_id": g, "msg_id": MSG_A}),
    ("remind_group_unread", lambda g: {"group_id": g, "msg_id": MSG_A}),
    ("add_members", lambda g: {"group_id": g, "members": ["nora"]}),
    ("remove_members", lambda g: {"group_id": g, "members": ["mo"]}),
    ("add_admin", lambda g: {"group_id": g, "member": "mo"}),
    ("set_group_ack_policy", lambda g: {"group_id": g, "ack_policy": "all"}),
    ("delivery_ack", lambda g: {"msg_ids": [MSG_A]}),
]


@pytest.mark.parametrize(
    ("removed", "by", "how"),
    [
        ("mia", "olivia", "removed_by_owner"),
        ("mo", "adam", "removed_by_admin"),
        ("ada", "olivia", "admin_removed_by_owner"),
        ("mia", "mia", "left"),
    ],
    ids=["member-by-owner", "member-by-admin", "admin-by-owner", "member-left"],
)
async def test_a_removed_member_loses_access_at_once(harness, world, removed, by, how) -> None:
    await start_world(harness, world)
    gone = await harness.resume(world.tokens[removed])
    await gone.sync(after_seq=0)  # live, so the removal push arrives on this connection
    remover = gone if by == removed else await harness.resume(world.tokens[by])
    # Before: full access on this same connection.
    assert (await gone.call("get_group", group_id=world.group))["type"] == "group"
    reply = await remover.call("remove_members", group_id=world.group, members=[removed])
    assert reply["type"] == ("ok" if by == removed else "group"), reply
    for type_, fields in LOST_ACCESS:
        reply = await gone.call(type_, **fields(world.group))
        assert reply["type"] == "error", (type_, reply)
        assert reply["code"] == "NOT_GROUP_MEMBER", (type_, reply)
    assert not gone.closed
    push = await gone.wait_push("group_changed", lambda p: p["change"] == "removed")
    assert push["group"]["group_id"] == world.group
    groups = await gone.request("fetch_groups")
    assert world.group not in {g["group_id"] for g in groups["groups"]}
    # The group's history of the time it was a member stays unreadable too, and the rest
    # of the group is unaffected.
    owner = await harness.resume(world.tokens["olivia"])
    info = await owner.request("get_group", group_id=world.group)
    assert removed not in {m["username"] for m in info["group"]["members"]}
    assert harness.store.check_invariants() == []


async def test_signed_out_after_logout_is_refused_everything(harness, world) -> None:
    await start_world(harness, world)
    mia = await harness.resume(world.tokens["mia"])
    assert (await mia.call("logout"))["type"] == "ok"
    for name, (build, _) in CASES.items():
        type_, fields = build(world, "mia")
        if type_ in ("hello", "register", "login", "resume"):
            continue
        reply = await mia.call(type_, **fields)
        assert reply["type"] == "error" and reply["code"] == "NOT_LOGGED_IN", (name, reply)
    # The revoked token no longer signs in; a password login does.
    assert (await mia.call("resume", token=world.tokens["mia"]))["code"] == "TOKEN_INVALID"
    assert (await mia.call("login", username="mia", password=PASSWORD))["type"] == "login_ok"


async def test_before_hello_everything_but_hello_is_refused(harness, world) -> None:
    await start_world(harness, world)
    client = await harness.connect(hello=False)
    for name, (build, _) in CASES.items():
        type_, fields = build(world, "nora")
        if type_ == "hello":
            continue
        reply = await client.call(type_, **fields)
        assert reply["code"] == "HELLO_REQUIRED", (name, reply)
    assert (await client.call("hello", version=1))["type"] == "hello_ok"
