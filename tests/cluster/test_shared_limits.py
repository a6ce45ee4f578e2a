"""The limits shared through Redis (`desktop_chat.server.shared_limits`), on the real
Redis of the session: two or three instances, each with its own client, stand for
server nodes. Failed sign-ins spread over nodes count as on one node, with the waits
of the in-process `LoginThrottle`; device budgets are per device whichever node it
uses; every key has a TTL; a Redis that restarts, stops or never answers leaves every
call answering, from the in-process fallback, within the timeout.

Waits are checked against bounds measured around the calls (a busy machine only
widens them), never against a sleep.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
import uuid

import pytest
from redis.asyncio import Redis

from desktop_chat.protocol import frames as f
from desktop_chat.server.config import ServerConfig
from desktop_chat.server.limits import DeviceRates, LoginThrottle
from desktop_chat.server.shared_limits import (
    SharedDeviceRates,
    SharedLimits,
    SharedLoginThrottle,
)

NAME, ADDRESS = "alice", "203.0.113.7"
SEND = f.SendMessage(id="s", msg_id="abcdefgh", chat_type="chat", to="bob", body=f.TextBody("x"))
ACK = f.DeliveryAck(id="a", msg_ids=["abcdefgh"])
HELLO = f.Hello(id="h", version=1)
SLACK = 1e-5  # the scripts round waits up to a microsecond
CALL_BOUND = 1.5  # seconds any call may take with Redis gone (its timeout is 0.25)


def prefix() -> str:
    return f"test:{uuid.uuid4().hex[:12]}:"


def node(url: str, base: str, config: ServerConfig | None = None, **options) -> SharedLimits:
    return SharedLimits.connect(url, config or ServerConfig(), prefix=base, **options)


def throttles(url: str, base: str, count: int, **settings) -> list[SharedLoginThrottle]:
    """`count` nodes' sign-in throttles with `settings`, each on its own client."""
    nodes = []
    for _ in range(count):
        limits = node(url, base)
        nodes.append(SharedLoginThrottle(limits.redis, LoginThrottle(**settings), prefix=base))
    return nodes


async def close(*items) -> None:
    for item in items:
        redis = item.redis if isinstance(item, SharedLimits) else item._link.redis
        await redis.aclose()


async def test_failures_spread_over_two_nodes_get_the_waits_of_one_throttle(redis_engine):
    settings = {"free": 2, "first_wait": 0.1, "max_wait": 300.0}
    a, b = nodes = throttles(redis_engine.url, prefix(), 2, **settings)
    now = [1000.0]
    reference = LoginThrottle(**settings, clock=lambda: now[0])
    try:
        for turn in range(2):  # the free failures, one on each node
            assert reference.reserve(NAME, ADDRESS) == 0
            started = time.monotonic()
            assert await nodes[turn].reserve(NAME, ADDRESS) == 0
        for turn in range(4):  # then each wait doubles, whichever node is asked
            expected = reference.reserve(NAME, ADDRESS)
            wait = await nodes[turn % 2].reserve(NAME, ADDRESS)
            took = time.monotonic() - started  # since the last counted failure began
            assert expected == pytest.approx(settings["first_wait"] * 2**turn)
            assert expected - took <= wait <= expected + SLACK, (turn, wait, expected)
            if turn == 3:
                break
            await asyncio.sleep(wait + 0.02)
            now[0] += expected + 0.02
            assert reference.reserve(NAME, ADDRESS) == 0
            started = time.monotonic()
            assert await nodes[(turn + 1) % 2].reserve(NAME, ADDRESS) == 0
    finally:
        await close(a, b)


async def test_ten_failures_over_three_nodes_count_as_ten(redis_engine):
    base = prefix()
    nodes = throttles(redis_engine.url, base, 3, free=5, first_wait=50.0)
    try:
        for turn in range(5):  # one pair: its 5 free failures, wherever they land
            assert await nodes[turn % 3].reserve(NAME, ADDRESS) == 0
        for each in nodes:
            assert 49 < await each.reserve(NAME, ADDRESS) <= 50 + SLACK
        # The name from many places: 10 times the pair's allowance, then every place waits.
        for turn in range(50):
            assert await nodes[turn % 3].reserve("bob", f"198.51.100.{turn}") == 0
        for each in nodes:
            assert 49 < await each.reserve("bob", "198.51.100.200") <= 50 + SLACK
        # A name a node never saw, from a new place, is not held back by the others.
        assert await nodes[0].reserve("carol", "192.0.2.1") == 0
    finally:
        await close(*nodes)


async def test_release_gives_back_and_success_clears_the_pair_and_the_name(redis_engine):
    base = prefix()
    a, b = throttles(redis_engine.url, base, 2, free=2, first_wait=50.0)
    redis = Redis.from_url(redis_engine.url)
    pair, name, address = a.keys(NAME, ADDRESS)
    try:
        assert await a.reserve(NAME, ADDRESS) == 0
        assert await b.reserve(NAME, ADDRESS) == 0
        assert await a.reserve(NAME, ADDRESS) > 49
        await b.release(NAME, ADDRESS)  # the hash pool was busy: the check never ran
        assert [await redis.hget(key, "count") for key in (pair, name, address)] == [b"1"] * 3
        assert await a.reserve(NAME, ADDRESS) == 0
        assert await b.reserve(NAME, ADDRESS) > 49
        await b.succeeded(NAME, ADDRESS)
        assert await redis.exists(pair, name) == 0
        assert await redis.hget(address, "count") == b"1"  # only its attempt back
        assert await a.reserve(NAME, ADDRESS) == 0
        assert await b.reserve(NAME, ADDRESS) == 0
        assert await a.reserve(NAME, ADDRESS) > 49
        # A reserve given back leaves nothing behind, nor does giving back what is not there.
        assert await a.reserve("nobody", "192.0.2.9") == 0
        await b.release("nobody", "192.0.2.9")
        assert await redis.exists(*a.keys("nobody", "192.0.2.9")) == 0
        for _ in range(3):
            await a.release("nobody", "192.0.2.9")
        assert await redis.exists(*a.keys("nobody", "192.0.2.9")) == 0
    finally:
        await close(a, b)
        await redis.aclose()


async def test_every_key_has_a_ttl_and_a_forgotten_failure_counts_no_more(redis_engine):
    base = prefix()
    limits = node(redis_engine.url, base)
    forgetful = SharedLoginThrottle(
        limits.redis, LoginThrottle(free=1, first_wait=50.0, forget_after=0.3), prefix=base
    )
    redis = Redis.from_url(redis_engine.url)
    try:
        assert await limits.login.reserve(NAME, ADDRESS) == 0
        for key in limits.login.keys(NAME, ADDRESS):
            assert 0 < await redis.pttl(key) <= 900_000  # LoginThrottle's forget_after
        assert await limits.rates.check(7, SEND) == 0
        assert await limits.rates.check(7, ACK) == 0
        for kind, rate in (("messages", 30.0), ("acks", 100.0)):  # ServerConfig's rates
            # Until the bucket is full again, and a second more.
            assert 0 < await redis.pttl(limits.rates.key(7, kind)) <= 1000 / rate + 1000 + 1
        assert await forgetful.reserve("dora", ADDRESS) == 0
        assert await forgetful.reserve("dora", ADDRESS) > 49
        keys = forgetful.keys("dora", ADDRESS)
        deadline = time.monotonic() + 5
        while await redis.exists(*keys) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert await redis.exists(*keys) == 0
        assert await forgetful.reserve("dora", ADDRESS) == 0
        assert [await redis.hget(key, "count") for key in keys] == [b"1"] * 3
    finally:
        await close(limits)
        await redis.aclose()


async def test_a_device_has_one_budget_whichever_node_it_uses(redis_engine):
    base = prefix()
    config = ServerConfig(
        rate_messages_per_second=1.0,
        rate_message_burst=3.0,
        rate_acks_per_second=1.0,
        rate_ack_burst=2.0,
    )
    a, b = node(redis_engine.url, base, config), node(redis_engine.url, base, config)
    reference = DeviceRates(1.0, 3.0, 1.0, 2.0, clock=lambda: 0.0)
    try:
        started = time.monotonic()
        for turn in range(3):
            assert reference.check(SEND) == 0
            assert await (a, b)[turn % 2].rates.check(7, SEND) == 0
        expected = reference.check(SEND)
        assert expected == 1.0
        for each in (a, b):
            wait = await each.rates.check(7, SEND)
            took = time.monotonic() - started
            assert expected - took <= wait <= expected + SLACK
        assert await a.rates.check(7, HELLO) == 0  # other frames are not counted
        assert await a.rates.check(8, SEND) == 0  # nor other devices
        # Acks have a budget of their own.
        assert await a.rates.check(7, ACK) == 0
        assert await b.rates.check(7, ACK) == 0
        assert 0 < await a.rates.check(7, ACK) <= 1 + SLACK
        # Rates of 0 turn the limit off (benchmarks): nothing is asked of Redis.
        off = SharedDeviceRates(a.redis, 0, 0, 0, 0, prefix=base + "off:")
        assert [await off.check(7, SEND) for _ in range(10)] == [0.0] * 10
        assert await a.redis.exists(off.key(7, "messages")) == 0
    finally:
        await close(a, b)


async def test_a_user_has_one_upload_budget_in_bytes_whichever_node_it_uses(redis_engine):
    base = prefix()
    # 1,000 bytes a second, room for 4,000 bytes (the largest chunk is more than the burst).
    config = ServerConfig(
        upload_bytes_per_second=1000, upload_burst_bytes=1000, max_chunk_bytes=4000
    )
    a, b = node(redis_engine.url, base, config), node(redis_engine.url, base, config)
    try:
        started = time.monotonic()
        assert await a.uploads.take(7, 3000) == 0
        assert await b.uploads.take(7, 1000) == 0  # the same bucket: now empty
        wait = await a.uploads.take(7, 2000)
        took = time.monotonic() - started
        assert 2.0 - took <= wait <= 2.0 + SLACK
        assert await b.uploads.take(8, 4000) == 0  # another user's bucket is full
        assert await a.redis.pttl(a.uploads.key(7)) > 0
        off = node(redis_engine.url, base, ServerConfig(upload_bytes_per_second=0))
        assert [await off.uploads.take(7, 4000) for _ in range(5)] == [0.0] * 5
        await close(off)
        redis_engine.stop()  # the fallback: this node's own bucket, from full
        assert await a.uploads.take(7, 4000) == 0
        assert 0 < await a.uploads.take(7, 1000) <= 1.0 + SLACK
    finally:
        redis_engine.start()
        await close(a, b)


async def test_a_redis_restart_mid_test_leaves_every_call_answering(redis_engine, caplog):
    base = prefix()
    config = ServerConfig(rate_messages_per_second=1000.0, rate_message_burst=1e6)
    a = node(redis_engine.url, base, config, retry_seconds=0.05)
    b = node(redis_engine.url, base, config, retry_seconds=0.05)
    answered: list[float] = []

    async def keep_calling(stop: asyncio.Event) -> None:
        while not stop.is_set():
            for call in (
                a.login.reserve(NAME, ADDRESS),
                b.rates.check(7, SEND),
                b.login.release(NAME, ADDRESS),
            ):
                started = time.monotonic()
                await call
                answered.append(time.monotonic() - started)
            await asyncio.sleep(0.002)

    try:
        assert await a.rates.check(7, SEND) == 0  # both clients hold a connection
        assert await b.login.reserve("erin", ADDRESS) == 0
        stop = asyncio.Event()
        calls = asyncio.create_task(keep_calling(stop))
        await asyncio.sleep(0.05)
        with caplog.at_level(logging.INFO, "desktop_chat.server.shared_limits"):
            await asyncio.to_thread(redis_engine.restart)
            await asyncio.sleep(0.05)
            stop.set()
            await asyncio.wait_for(calls, 10)
        assert len(answered) > 30 and max(answered) < CALL_BOUND
        # Redis again, from both nodes (the restarted one forgot everything).
        probe = Redis.from_url(redis_engine.url)
        try:
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                for each in (a, b):
                    await each.login.reserve("erin", ADDRESS)
                    await each.rates.check(9, SEND)
                if await probe.exists(*a.login.keys("erin", ADDRESS), a.rates.key(9, "messages")):
                    break
                await asyncio.sleep(0.05)
            assert await probe.hget(a.login.keys("erin", ADDRESS)[0], "count") is not None
            assert await probe.exists(a.rates.key(9, "messages")) == 1
        finally:
            await probe.aclose()
        failed = [r for r in caplog.records if "Redis failed" in r.getMessage()]
        back = [r for r in caplog.records if "Redis answers again" in r.getMessage()]
        assert len(back) >= len(failed)  # every node that fell back came back
    finally:
        await close(a, b)


async def test_with_redis_stopped_the_fallback_answers_within_the_timeout(redis_engine, caplog):
    base = prefix()
    config = ServerConfig(
        login_free_failures=2, rate_messages_per_second=1.0, rate_message_burst=2.0
    )
    used = node(redis_engine.url, base, config, retry_seconds=0.0)  # a stale connection
    fresh = node(redis_engine.url, base, config, retry_seconds=0.0)
    assert await used.login.reserve("frank", ADDRESS) == 0
    try:
        with caplog.at_level(logging.WARNING, "desktop_chat.server.shared_limits"):
            redis_engine.stop()
            for limits in (used, fresh):
                started = time.monotonic()
                # The in-process throttle counts from zero: 2 free failures, then a wait.
                assert await limits.login.reserve(NAME, ADDRESS) == 0
                assert await limits.login.reserve(NAME, ADDRESS) == 0
                assert 0.9 < await limits.login.reserve(NAME, ADDRESS) <= 1.0
                await limits.login.release(NAME, ADDRESS)
                assert await limits.login.reserve(NAME, ADDRESS) == 0
                await limits.login.succeeded(NAME, ADDRESS)
                assert await limits.login.reserve(NAME, ADDRESS) == 0
                assert await limits.rates.check(7, SEND) == 0
                assert await limits.rates.check(7, SEND) == 0
                assert 0 < await limits.rates.check(7, SEND) <= 1.0
                assert time.monotonic() - started < CALL_BOUND
        warnings = [r for r in caplog.records if "Redis failed" in r.getMessage()]
        assert len(warnings) == 4  # once a minute for each client's two limits
    finally:
        redis_engine.start()
        await close(used, fresh)


async def test_a_redis_that_never_answers_costs_one_timeout_then_nothing(caplog):
    """A black hole (the connection is accepted and nothing ever comes back): the call
    answers from the fallback after the timeout; the next ones skip Redis meanwhile."""
    with socket.socket() as hole:
        hole.bind(("127.0.0.1", 0))
        hole.listen(64)  # never accepted: the kernel completes the handshakes
        url = f"redis://127.0.0.1:{hole.getsockname()[1]}/0"
        limits = node(url, prefix(), timeout=0.25, retry_seconds=60.0)
        try:
            with caplog.at_level(logging.WARNING, "desktop_chat.server.shared_limits"):
                started = time.monotonic()
                assert await limits.login.reserve(NAME, ADDRESS) == 0
                first = time.monotonic() - started
                assert 0.2 < first < CALL_BOUND
                started = time.monotonic()
                for _ in range(4):
                    assert await limits.login.reserve(NAME, ADDRESS) == 0
                assert await limits.login.reserve(NAME, ADDRESS) > 0  # 5 free, in-process
                await limits.login.succeeded(NAME, ADDRESS)
                assert time.monotonic() - started < 0.2  # Redis left alone meanwhile
            warnings = [r for r in caplog.records if "Redis failed" in r.getMessage()]
            assert len(warnings) == 1
        finally:
            with contextlib.suppress(Exception):
                await limits.close()
