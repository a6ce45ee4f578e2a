"""Limits with their own codes, and the security of passwords, tokens and logs.

Rate limits per device (RATE_LIMITED with a retry time), failed sign-ins
throttled, argon2 password hashes, random, expiring and revocable tokens, and no
password or token in any log line, even at DEBUG.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3

import pytest

from desktop_chat.wire_client import WireClient, text_body

PASSWORD = "correct horse"  # what the harness registers its users with


async def test_messages_past_the_rate_limit_get_rate_limited_and_the_device_recovers(harness):
    await harness.start(rate_messages_per_second=5, rate_message_burst=5)
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    codes = []
    for n in range(8):
        reply = await alice.call(
            "send", msg_id=f"rate-{n:06d}", chat_type="chat", to="bob", body=text_body(str(n))
        )
        codes.append(reply["type"] if reply["type"] != "error" else reply["code"])
    assert codes[:5] == ["send_ok"] * 5
    assert "RATE_LIMITED" in codes[5:]
    refused = await alice.call(
        "send", msg_id="rate-extra1", chat_type="chat", to="bob", body=text_body("x")
    )
    assert refused["code"] == "RATE_LIMITED"
    wait_ms = refused["details"]["retry_after_ms"]
    assert 0 < wait_ms <= 1000
    assert "wait" in refused["message"]
    # Reads are not limited, and the connection is fine.
    await alice.request("fetch_conversations")
    await asyncio.sleep(wait_ms / 1000 + 0.05)
    again = await alice.call(
        "send", msg_id="rate-extra1", chat_type="chat", to="bob", body=text_body("x")
    )
    assert again["type"] == "send_ok"
    delivered = [p["message"]["msg_id"] for p in await bob.sync(after_seq=0)]
    assert len(delivered) == len(set(delivered))  # nothing refused was stored
    assert "rate-extra1" in delivered


async def test_acks_have_their_own_rate_limit(harness):
    await harness.start(rate_acks_per_second=2, rate_ack_burst=3)
    alice = await harness.device("alice")
    bob = await harness.device("bob")
    await alice.request(
        "send", msg_id="ackrate-001", chat_type="chat", to="bob", body=text_body("x")
    )
    codes = []
    for _ in range(5):
        reply = await bob.call("read_ack", msg_ids=["ackrate-001"])
        codes.append(reply["type"] if reply["type"] != "error" else reply["code"])
    assert codes[:3] == ["acks_ok"] * 3
    assert codes[3:] == ["RATE_LIMITED"] * 2
    # Sending is a different budget.
    await bob.request(
        "send", msg_id="ackrate-002", chat_type="chat", to="alice", body=text_body("y")
    )


async def test_failed_sign_ins_are_throttled_per_name_and_address(harness):
    await harness.start(login_free_failures=3)
    await harness.register("alice")
    client = await harness.connect()
    for _ in range(3):
        wrong = await client.call("login", username="alice", password="not the password")
        assert wrong["code"] == "INVALID_CREDENTIALS"
    locked = await client.call("login", username="alice", password=PASSWORD)
    assert locked["code"] == "RATE_LIMITED"
    assert locked["details"]["retry_after_ms"] > 0
    # Another account from the same place is not locked out by alice's failures.
    other = await harness.connect()
    await other.request("register", username="bob", password=PASSWORD)
    await other.request("login", username="bob", password=PASSWORD)
    await asyncio.sleep(locked["details"]["retry_after_ms"] / 1000 + 0.05)
    ok = await client.call("login", username="alice", password=PASSWORD)
    assert ok["type"] == "login_ok"


@pytest.mark.sqlite_only
async def test_passwords_are_argon2_hashes_and_tokens_random_expiring_revocable(harness):
    now = [1_700_000_000_000]
    await harness.start(clock=lambda: now[0], token_ttl_seconds=3600)
    phone = await harness.device("alice")
    laptop = await harness.device("alice")
    assert phone.token != laptop.token and len(phone.token) >= 43
    with sqlite3.connect(harness.config.db_path) as db:
        (stored,) = db.execute(
            "SELECT password_hash FROM users WHERE username = 'alice'"
        ).fetchone()
        tokens = [row[0] for row in db.execute("SELECT token_hash FROM devices")]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert all(len(t) == 32 and phone.token.encode() not in t for t in tokens)  # digests only
    # Revocable: logging out ends that device only.
    await phone.request("logout")
    gone = await harness.connect()
    assert (await gone.call("resume", token=phone.token))["code"] == "TOKEN_INVALID"
    still = await harness.connect()
    await still.request("resume", token=laptop.token)
    # Expiring: a device unused for longer than the lifetime must sign in again.
    now[0] += 3601 * 1000
    late = await harness.connect()
    assert (await late.call("resume", token=laptop.token))["code"] == "TOKEN_INVALID"


async def test_no_password_or_token_in_any_log_line(harness, caplog):
    caplog.set_level(logging.DEBUG)
    await harness.start()
    secret = "tr0ub4dor&3-secret"
    client = await harness.connect()
    await client.request("register", username="alice", password=secret)
    await client.request("register", username="bob", password=secret)
    reply = await client.request("login", username="alice", password=secret)
    token = reply["token"]
    await client.call("login", username="alice", password=secret + "-wrong")
    again = await harness.connect()
    await again.request("resume", token=token)
    await again.request(
        "send", msg_id="logs-00001", chat_type="chat", to="bob", body=text_body("x")
    )
    bad = await WireClient.connect(harness.url)
    await bad.call("resume", token="x" * 43)
    await bad.close()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert caplog.records, "DEBUG logging was on; something should have been logged"
    assert secret not in logged
    assert token not in logged


@pytest.mark.sqlite_only
async def test_a_password_hash_made_with_older_settings_is_upgraded_at_sign_in(harness):
    await harness.start(argon2_time_cost=1, argon2_memory_kib=8192)
    await harness.register("alice")
    with sqlite3.connect(harness.config.db_path) as db:
        (old,) = db.execute("SELECT password_hash FROM users").fetchone()
    await harness.stop()
    await harness.start(argon2_time_cost=2, argon2_memory_kib=16384)  # stronger settings
    client = await harness.connect()
    await client.login("alice", PASSWORD)
    with sqlite3.connect(harness.config.db_path) as db:
        (new,) = db.execute("SELECT password_hash FROM users").fetchone()
    assert "m=8192,t=1" in old and "m=16384,t=2" in new
    again = await harness.connect()
    await again.login("alice", PASSWORD)  # the upgraded hash verifies
    wrong = await (await harness.connect()).call("login", username="alice", password="nope")
    assert wrong["code"] == "INVALID_CREDENTIALS"
