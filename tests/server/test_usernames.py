"""Registering names: reserved, malformed and look-alike names are refused with
USERNAME_NOT_ALLOWED and a reason; nothing is created; accounts made before the rules
(a database written without them) keep signing in and working."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest

from desktop_chat.server.auth import Passwords
from desktop_chat.server.schema import SCHEMA_V1
from desktop_chat.wire_client import WireClient, text_body

PASSWORD = "correct horse"  # the harness's password for every account


async def refused_name(client: WireClient, name: str) -> dict:
    reply = await client.call("register", username=name, password=PASSWORD)
    assert (reply["type"], reply.get("code")) == ("error", "USERNAME_NOT_ALLOWED"), (name, reply)
    return reply


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("con", "reserved"),
        ("nul", "reserved"),
        ("aux", "reserved"),
        ("con.txt", "reserved"),
        ("com1", "reserved"),
        ("alice.", "trailing"),
        ("\u0430lice", "mixed_script"),
        ("Alice", "not_canonical"),
        ("\uff41\uff4c\uff49\uff43\uff45", "not_canonical"),
        ("张伟", "script"),
    ],
)
async def test_names_that_are_not_allowed_are_refused(harness, name: str, reason: str):
    await harness.start()
    client = await harness.connect()
    reply = await refused_name(client, name)
    assert reply["details"] == {"reason": reason}
    assert harness.store.user_id(name) is None
    # The connection is fine, and a plain name still registers.
    assert (await client.request("register", username="carol", password=PASSWORD))["type"] == "ok"


@pytest.mark.parametrize(
    ("first", "look_alike"),
    [("alice", "a1ice"), ("a1ice", "alice"), ("bob", "b0b"), ("modern", "rnodern"), ("lll", "l1l")],
)
async def test_a_look_alike_of_an_existing_name_is_refused(harness, first: str, look_alike: str):
    await harness.start()
    client = await harness.connect()
    await client.request("register", username=first, password=PASSWORD)
    reply = await refused_name(client, look_alike)
    assert reply["details"] == {"reason": "look_alike"}
    assert first not in reply["message"]  # the rule is said, not who has the name
    assert harness.store.user_id(look_alike) is None
    # The exact name is still USER_EXISTS, and the first account works.
    again = await client.call("register", username=first, password=PASSWORD)
    assert again["code"] == "USER_EXISTS"
    await client.login(first, PASSWORD)


async def test_look_alikes_are_known_after_a_restart(harness):
    await harness.start()
    await harness.register("alice")
    await harness.restart()
    client = await harness.connect()
    assert (await refused_name(client, "a1ice"))["details"] == {"reason": "look_alike"}


def _database_made_before_the_name_rules(path, config, names: list[str]) -> None:
    """Users written straight into the tables, as a server without the rules left them:
    no look-alike keys, and names the rules would now refuse."""
    password_hash = Passwords(config).hash_now(PASSWORD)
    with closing(sqlite3.connect(path)) as db, db:
        db.executescript(SCHEMA_V1)  # schema version 1: before user_name_keys
        for n, name in enumerate(names):
            db.execute(
                "INSERT INTO users(username, password_hash, created_at) VALUES (?, ?, ?)",
                (name, password_hash, 1_700_000_000_000 + n),
            )


@pytest.mark.sqlite_only
async def test_accounts_made_before_the_rules_keep_working(harness):
    old_names = ["con", "a1ice", "al1ce", "bob."]  # reserved, two look-alikes, a trailing dot
    _database_made_before_the_name_rules(harness.config.db_path, harness.config, old_names)
    await harness.start()
    devices = {name: await harness.device(name) for name in old_names}
    for name, device in devices.items():
        assert device.username == name
    sent = await devices["con"].request(
        "send", msg_id="old-name-01", chat_type="chat", to="a1ice", body=text_body("hi")
    )
    assert sent["conv_seq"] == 1
    pushed = await devices["a1ice"].wait_push("message")
    assert pushed["message"]["from"] == "con"
    group = await devices["bob."].request("create_group", name="old", members=["con", "al1ce"])
    assert group["group"]["member_count"] == 3
    # Their names were given look-alike keys when the server opened the database.
    client = await harness.connect()
    assert (await refused_name(client, "alice"))["details"] == {"reason": "look_alike"}
    assert (await client.request("register", username="alicia", password=PASSWORD))["type"] == "ok"
