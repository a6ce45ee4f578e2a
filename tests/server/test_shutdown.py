"""SIGTERM ends `desktop-chat-server` within 2 s, whatever its clients do: it commits
what it confirmed, closes every connection with 1001 (going away) and aborts the ones
that do not answer. 200 signed-in connections, 50 of them programs that stopped reading.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sqlite3
import time

from hostile_tools import RawClient, ServerProcess
from websockets.exceptions import ConnectionClosed

from desktop_chat.bench.common import bulk_accounts
from desktop_chat.wire_client import WireClient, text_body

RESPONSIVE = 150
UNRESPONSIVE = 50
SENDERS = 20  # responsive clients sending while the signal comes
EXIT_BOUND = 2.0
SLACK = 0.3  # for noticing the exit from this process (a thread's wait), not the server's


async def test_sigterm_exits_within_2_s_and_keeps_everything_confirmed(tmp_path):
    db = tmp_path / "server.db"
    names = [f"user{n:02d}" for n in range(20)]
    tokens = bulk_accounts(db, names)
    server = ServerProcess(db, tmp_path / "server.log", "--no-rate-limits")
    responsive: list[WireClient] = []
    stuck: list[RawClient] = []
    try:
        await server.start()
        for n in range(RESPONSIVE):
            client = await WireClient.connect(server.url)
            await client.request("resume", token=tokens[names[n % len(names)]])
            responsive.append(client)
        for n in range(UNRESPONSIVE):
            raw = await RawClient.connect(server.port, rcvbuf=4096)
            await raw.request("resume", token=tokens[names[n % len(names)]])
            await raw.request("sync", after_seq=0)
            stuck.append(raw)  # from here on, it reads nothing and answers nothing

        confirmed: set[str] = set()
        sending = True

        async def sender(n: int, client: WireClient) -> None:
            for k in range(10_000):
                if not sending:
                    return
                msg_id = f"bye-{n:02d}-{k:05d}"
                try:
                    reply = await client.call(
                        "send", msg_id=msg_id, chat_type="chat",
                        to=names[(n + 1) % len(names)], body=text_body(msg_id),
                    )  # fmt: skip
                except (ConnectionError, ConnectionClosed, TimeoutError):
                    return  # the server went away
                if reply["type"] == "send_ok":
                    confirmed.add(msg_id)

        senders = [asyncio.create_task(sender(n, c)) for n, c in enumerate(responsive[:SENDERS])]
        await asyncio.sleep(1.0)
        assert confirmed, "the senders are under way"
        assert server.proc is not None
        signalled = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        code = await server.wait_exit(30)
        took = time.monotonic() - signalled
        sending = False
        await asyncio.wait_for(asyncio.gather(*senders), 30)
        assert code == 0, server.log_text()[-2000:]
        assert took < EXIT_BOUND + SLACK, f"exit took {took:.2f} s"
        # Every responsive client was told the server is going away.
        closes = [client.ws.close_code for client in responsive]
        assert closes.count(1001) == RESPONSIVE, closes
        with contextlib.closing(sqlite3.connect(db)) as check:
            stored = {row[0] for row in check.execute("SELECT msg_id FROM messages")}
        assert confirmed <= stored, f"{len(confirmed - stored)} confirmed messages missing"
        print(f"\nSIGTERM with {UNRESPONSIVE} unresponsive of 200: exit in {took:.2f} s")
    finally:
        for raw in stuck:
            raw.close()
        for client in responsive:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.close(), 1)
        await server.aclose_for_test()
