"""The floor of the `receipts` scenario: a bare websockets relay.

Owns: a websockets server that pairs connections by path (`/PAIR/a` and
`/PAIR/b`) and forwards every frame one peer sends to the other, unchanged.
Frames sent before the peer is connected wait for it. It does no validation, no
storage, no auth and no JSON; it runs with the same websockets settings as the
chat server (no compression), so the same workload measures the cost of
websockets alone.

Run: `python -m desktop_chat.bench.relay --port 0`; it prints
`listening on ws://127.0.0.1:PORT` and stops on SIGINT or SIGTERM.

Never: listen on anything but 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from collections import defaultdict

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

_peers: dict[str, dict[str, ServerConnection]] = defaultdict(dict)
_waiting: dict[tuple[str, str], list[bytes | str]] = defaultdict(list)


async def _handle(ws: ServerConnection) -> None:
    parts = ws.request.path.strip("/").split("/") if ws.request else []
    if len(parts) != 2 or parts[1] not in ("a", "b"):
        await ws.close(1008, "path must be /PAIR/a or /PAIR/b")
        return
    pair, side = parts
    other = "b" if side == "a" else "a"
    _peers[pair][side] = ws
    for data in _waiting.pop((pair, side), []):
        await ws.send(data)
    try:
        async for data in ws:
            peer = _peers[pair].get(other)
            if peer is None:
                _waiting[(pair, other)].append(data)
                continue
            with contextlib.suppress(ConnectionClosed):
                await peer.send(data)
    except ConnectionClosed:
        pass
    finally:
        if _peers[pair].get(side) is ws:
            del _peers[pair][side]


async def _main(port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with serve(_handle, "127.0.0.1", port, compression=None, max_size=4 * 2**20) as server:
        bound = server.sockets[0].getsockname()[1]
        print(f"listening on ws://127.0.0.1:{bound}", flush=True)
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description="bare websockets relay (benchmark floor)")
    parser.add_argument("--port", type=int, default=0)
    asyncio.run(_main(parser.parse_args().port))


if __name__ == "__main__":
    main()
