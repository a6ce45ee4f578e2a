"""A device whose program stops reading its socket: the server drops it and frees what
it held, and the device loses nothing.

The server's memory is read from its own process (a `desktop-chat-server` subprocess,
psutil), while other users flood the stuck device with 24 KB messages.
"""

from __future__ import annotations

import asyncio
import itertools
import time

from hostile_tools import MiB, RawClient, ServerProcess, wait_until

from desktop_chat.bench.common import bulk_accounts
from desktop_chat.wire_client import WireClient, text_body

BIG_TEXT = "汉" * 8000  # the longest text a message may carry: 24,000 UTF-8 bytes
FLOOD_MESSAGES = 8000  # 192 MB of message text, all addressed to the stuck device
WINDOW = 32  # sends in flight per flooding device
MEMORY_BOUND = 100 * MiB  # over the server's baseline, at any time during the flood
SETTLED_BOUND = 40 * MiB  # over the baseline, once the flood is over


async def flood(client: WireClient, to: str, msg_ids: list[str]) -> list[str]:
    """Send every id to `to`, WINDOW at a time; the ids the server confirmed."""
    confirmed: list[str] = []
    ids = iter(msg_ids)

    async def worker() -> None:
        for msg_id in ids:
            reply = await client.call(
                "send", msg_id=msg_id, chat_type="chat", to=to, body=text_body(BIG_TEXT)
            )
            assert reply["type"] == "send_ok", reply
            confirmed.append(msg_id)

    await asyncio.gather(*(worker() for _ in range(WINDOW)))
    return confirmed


async def test_a_device_that_stops_reading_is_dropped_and_its_memory_freed(tmp_path):
    db = tmp_path / "server.db"
    tokens = bulk_accounts(db, ["stuck", "flood1", "flood2"])
    server = ServerProcess(db, tmp_path / "server.log", "--no-rate-limits")
    clients: list[WireClient] = []
    stuck: RawClient | None = None
    try:
        await server.start()
        stuck = await RawClient.connect(server.port, rcvbuf=4096)
        await stuck.request("resume", token=tokens["stuck"])
        await stuck.request("sync", after_seq=0)  # live: pushes come as they happen
        # From here on the stuck device's program never reads again.
        for name in ("flood1", "flood2"):
            client = await WireClient.connect(server.url)
            await client.request("resume", token=tokens[name])
            clients.append(client)
        await asyncio.sleep(0.5)
        baseline = server.rss()

        peak = baseline
        sampling = True

        async def sample() -> None:
            nonlocal peak
            while sampling:
                peak = max(peak, server.rss())
                await asyncio.sleep(0.05)

        sampler = asyncio.create_task(sample())
        counter = itertools.count()
        batches = [
            [f"flood-{n:07d}" for n in itertools.islice(counter, FLOOD_MESSAGES // 2)]
            for _ in clients
        ]
        started = time.monotonic()
        confirmed = await asyncio.wait_for(
            asyncio.gather(
                *(flood(c, "stuck", ids) for c, ids in zip(clients, batches, strict=True))
            ),
            120,
        )
        flood_seconds = time.monotonic() - started
        # The server ended the stuck device's connection (it did not wait for its reads).
        await wait_until(lambda: stuck.port not in server.peer_ports(), 10, "stuck dropped")
        sampling = False
        await sampler
        assert peak - baseline < MEMORY_BOUND, (
            f"server grew {(peak - baseline) / MiB:.0f} MB during the flood"
        )
        settled = await wait_until(
            lambda: server.rss() - baseline < SETTLED_BOUND, 15, "memory back near baseline"
        )
        after = server.rss()

        # Nothing is lost: the device comes back, resumes and syncs every message.
        back = await WireClient.connect(server.url)
        clients.append(back)
        await back.request("resume", token=tokens["stuck"])
        received = {event["message"]["msg_id"] for event in await back.sync(after_seq=0)}
        sent = {msg_id for batch in confirmed for msg_id in batch}
        assert len(sent) == FLOOD_MESSAGES
        assert sent <= received
        print(
            f"\nslow reader: baseline {baseline / MiB:.0f} MB, peak +{(peak - baseline) / MiB:.1f}"
            f" MB, after +{(after - baseline) / MiB:.1f} MB (settled in {settled:.1f} s);"
            f" {FLOOD_MESSAGES} x 24 KB in {flood_seconds:.1f} s"
        )
    finally:
        if stuck is not None:
            stuck.close()
        for client in clients:
            await client.close()
        await server.aclose_for_test()


async def test_a_device_that_stops_reading_below_the_bound_is_dropped_when_it_stalls(
    harness, caplog
):
    # Keepalive pings wait behind the unread frames, so they cannot notice this device:
    # the server notices that its socket stopped taking bytes.
    await harness.start(write_stall_seconds=1.0)
    bob = await harness.device("bob")
    await harness.register("stuck")
    stuck = await RawClient.connect(harness.server.port, rcvbuf=4096)
    try:
        await stuck.sign_in("stuck", "correct horse")
        await stuck.request("sync", after_seq=0)
        # 6 MB: under the bound of 8 MiB waiting, once the kernel's buffers (about 4 MB
        # on loopback) are full.
        for n in range(250):
            await bob.request(
                "send", msg_id=f"stall-{n:04d}", chat_type="chat", to="stuck",
                body=text_body(BIG_TEXT),
            )  # fmt: skip
        user_id = harness.store.user_id("stuck")
        took = await wait_until(
            lambda: not harness.server.hub.devices_of(user_id), 6, "stalled device dropped"
        )
        assert took < 4
        assert "its socket took nothing for 1 s" in caplog.text
        # bob is unaffected.
        await bob.request("fetch_conversations")
    finally:
        stuck.close()
