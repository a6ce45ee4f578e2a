"""The sign-up and sign-in throttles against hostile clients, and which address they see.

Sign-ups are limited per address. Failed sign-ins are counted per (name, address)
first, so an attacker cannot lock out an account's owner or anyone else; a per-name
limit catches guessing from many addresses, and never stops a device with a session.
Each attempt is reserved before its password is checked, so parallel guesses get no
more checks than sequential ones; a connection told to wait is not read from until
then, so a refused attempt is retried on a new connection here. A forwarded client
address counts only from a configured proxy. Other loopback addresses (127.0.0.2 and
up) stand for other people.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections import Counter

import pytest
from hostile_tools import SERVER

from desktop_chat.wire_client import WireClient

PASSWORD = "correct horse"  # the harness's password for every account


async def connect(harness, source: str = "127.0.0.1", forwarded: str | None = None) -> WireClient:
    headers = {"X-Forwarded-For": forwarded} if forwarded else None
    client = await WireClient.connect(
        harness.url, local_addr=(source, 0), additional_headers=headers
    )
    harness.clients.append(client)
    return client


def code(reply: dict) -> str:
    return reply["code"] if reply["type"] == "error" else reply["type"]


async def test_a_connection_told_to_wait_is_not_read_from_meanwhile(harness):
    await harness.start(registration_burst=1)
    spammer = await connect(harness, "127.0.0.2")
    await spammer.request("register", username="spam001", password=PASSWORD)
    refused = await spammer.call("register", username="spam002", password=PASSWORD)
    assert code(refused) == "RATE_LIMITED"
    started = time.monotonic()
    with pytest.raises(TimeoutError):  # not even a refusal: the frame is not read yet
        await asyncio.wait_for(spammer.call("hello", version=1), 0.5)
    assert time.monotonic() - started >= 0.5
    # Others are served meanwhile.
    other = await connect(harness, "127.0.0.3")
    await other.request("register", username="real", password=PASSWORD)


async def test_sign_ups_are_throttled_per_address(harness):
    await harness.start(registration_burst=5)
    replies = []
    for n in range(20):
        spammer = await connect(harness, "127.0.0.2")
        replies.append(await spammer.call("register", username=f"spam{n:03d}", password=PASSWORD))
    codes = [code(reply) for reply in replies]
    assert codes[0] == "ok"
    assert codes.count("ok") <= 10
    assert set(codes) == {"ok", "RATE_LIMITED"}
    refusal = next(reply for reply in replies if reply["type"] == "error")
    assert refusal["details"]["retry_after_ms"] > 0
    assert "sign-ups" in refusal["message"]
    # Only the accepted ones exist, and someone at another address still signs up.
    created = sum(harness.store.user_id(f"spam{n:03d}") is not None for n in range(20))
    assert created == codes.count("ok")
    other = await connect(harness, "127.0.0.3")
    await other.request("register", username="real", password=PASSWORD)


async def test_parallel_wrong_passwords_get_no_more_checks_than_the_allowance(harness):
    await harness.start(
        login_free_failures=3, hash_waiting_per_address=100, max_unauthenticated_per_address=100
    )
    await harness.register("alice")
    guessers = [await harness.connect() for _ in range(40)]
    replies = await asyncio.gather(
        *(g.call("login", username="alice", password="wrong guess") for g in guessers)
    )
    codes = Counter(code(reply) for reply in replies)
    assert codes["INVALID_CREDENTIALS"] <= 3, codes
    assert codes["INVALID_CREDENTIALS"] + codes["RATE_LIMITED"] == 40, codes


async def test_guesses_from_one_address_lock_out_neither_the_owner_nor_anyone_else(harness):
    await harness.start(login_free_failures=3)
    await harness.register("alice", "carol")
    codes = []
    for _ in range(20):
        attacker = await connect(harness, "127.0.0.2")
        codes.append(code(await attacker.call("login", username="alice", password="wrong guess")))
    assert codes[:3] == ["INVALID_CREDENTIALS"] * 3
    assert codes[-1] == "RATE_LIMITED"  # the attacker is slowed down
    # alice, from her own address, signs in at once.
    owner = await connect(harness, "127.0.0.1")
    started = time.monotonic()
    await owner.login("alice", PASSWORD)
    assert time.monotonic() - started < 1.0
    # Made-up names from the attacker's address lock out nobody, even at that address:
    # behind a proxy (or a NAT) it is everyone's.
    attacker = await connect(harness, "127.0.0.2")
    for n in range(60):
        wrong = await attacker.call("login", username=f"nobody{n:03d}", password="wrong guess")
        assert code(wrong) == "USER_NOT_FOUND"  # registration is open here
    neighbour = await connect(harness, "127.0.0.2")
    await neighbour.login("carol", PASSWORD)


async def test_a_device_with_a_session_resumes_whatever_the_failed_guesses(harness):
    await harness.start(login_free_failures=2, trusted_proxies=("127.0.0.1",))
    phone = await harness.device("alice")
    # Guesses from many addresses: each pair is within its allowance, the name is not.
    for n in range(30):
        guesser = await connect(harness, forwarded=f"203.0.113.{n // 2 + 1}")
        await guesser.call("login", username="alice", password="wrong guess")
    fresh = await connect(harness, forwarded="198.51.100.7")
    refused = await fresh.call("login", username="alice", password=PASSWORD)
    assert code(refused) == "RATE_LIMITED"
    # The device that has a session is not affected.
    back = await harness.resume(phone.token)
    await back.request("fetch_conversations")


async def test_a_forwarded_address_counts_only_from_a_trusted_proxy(harness):
    await harness.start(login_free_failures=2)
    await harness.register("alice")
    # Not a trusted proxy: the header is ignored, both connections are 127.0.0.1.
    for forwarded in ("203.0.113.9", "203.0.113.9"):
        guesser = await connect(harness, forwarded=forwarded)
        await guesser.call("login", username="alice", password="wrong guess")
    other = await connect(harness, forwarded="198.51.100.7")
    assert code(await other.call("login", username="alice", password=PASSWORD)) == "RATE_LIMITED"

    await harness.stop()
    await harness.start(trusted_proxies=("127.0.0.0/8",))
    for _ in range(2):
        guesser = await connect(harness, forwarded="192.0.2.1, 203.0.113.9")
        await guesser.call("login", username="alice", password="wrong guess")
    locked = await connect(harness, forwarded="203.0.113.9")
    assert code(await locked.call("login", username="alice", password=PASSWORD)) == "RATE_LIMITED"
    # Someone else behind the same proxy is someone else.
    other = await connect(harness, forwarded="198.51.100.7")
    await other.login("alice", PASSWORD)
    # The standard Forwarded header works too.
    client = await WireClient.connect(
        harness.url, additional_headers={"Forwarded": 'for="[2001:db8::7]:4711";proto=https'}
    )
    harness.clients.append(client)
    await client.login("alice", PASSWORD)


def test_a_trusted_proxy_that_is_not_an_address_is_refused_at_start(tmp_path):
    done = subprocess.run(
        [SERVER, "--port", "0", "--db", str(tmp_path / "x.db"), "--trusted-proxy", "nginx"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "--trusted-proxy" in done.stderr and "IPv4 or IPv6" in done.stderr
