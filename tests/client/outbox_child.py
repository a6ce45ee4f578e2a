"""A client process for the crash test: signs in, waits, queues work offline, and
is then killed with SIGKILL by the test while its outbox is full.

Protocol on stdout, one line each: `ready`, then `queued N` (N = outbox size).
It reads `go` on stdin once the test has stopped the server.
"""

from __future__ import annotations

import asyncio
import sys

from desktop_chat.client import ChatClient, ChatMessage, ChatOptions


async def main(url: str, data_dir: str) -> None:
    options = ChatOptions(
        server_url=url,
        require_delivery_ack=True,
        send_timeout_seconds=0.2,
        reconnect_initial_seconds=5.0,
    )
    client = ChatClient(options, data_dir)
    await client.login("alice", "correct horse")
    incoming = client.chat_manager.get_conversation("bob").messages
    for _ in range(200):  # let the delivery ack for bob's message go out first
        if client.store.outbox_size() == 0:
            break
        await asyncio.sleep(0.02)
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)  # "go": the server is down now
    for n in range(3):
        message = await client.chat_manager.send_message(ChatMessage.text("bob", f"offline {n}"))
        assert message.status.value == "PENDING", message.status
    await client.chat_manager.send_message_read_ack(incoming[0])
    await asyncio.sleep(0.2)
    print(f"queued {client.store.outbox_size()}", flush=True)
    await asyncio.sleep(3600)  # killed here


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
