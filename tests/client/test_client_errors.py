"""The client's error tree (client/errors.py): its codes come from the protocol's
ErrorCode plus its own, and each failure lands on the branch that says whose fault
it was. A real server refuses a frame the client should never have sent."""

from __future__ import annotations

import pytest

from desktop_chat.client import (
    ChatError,
    ChatErrorCode,
    LocalProtocolError,
    RemoteProtocolError,
)
from desktop_chat.client.errors import ALL_CODES, LocalCode, code_of
from desktop_chat.protocol import ErrorCode
from desktop_chat.protocol import frames as f
from desktop_chat.protocol.errors import PROTOCOL_MISUSE


def test_the_codes_are_the_protocols_and_the_clients_own():
    # ChatErrorCode names every code of both enums, once, as the members themselves.
    named = {name: code for name, code in vars(ChatErrorCode).items() if name.isupper()}
    assert list(named.values()) == list(ALL_CODES) == [*ErrorCode, *LocalCode]
    assert all(named[code.name] is code for code in ALL_CODES)
    assert len({code.value for code in ALL_CODES}) == len(ALL_CODES)  # none twice
    assert code_of(ErrorCode.TOKEN_INVALID) is ChatErrorCode.TOKEN_INVALID
    assert code_of("TIMEOUT") is ChatErrorCode.TIMEOUT is LocalCode.TIMEOUT


def test_each_code_makes_its_branch():
    for code in ErrorCode:
        error = ChatError(code, "said")
        wanted = LocalProtocolError if code in PROTOCOL_MISUSE else ChatError
        assert type(error) is wanted and error.code.value == code.value
    assert type(ChatError(ChatErrorCode.PROTOCOL_ERROR, "garbage")) is RemoteProtocolError
    assert type(ChatError(ChatErrorCode.TIMEOUT, "slow")) is ChatError
    assert ChatError("NOT_A_CODE", "new server").code is ChatErrorCode.UNKNOWN


async def test_a_frame_the_server_refuses_as_misuse_is_a_local_protocol_error(clients):
    await clients.harness.start()
    alice = await clients.login("alice")
    with pytest.raises(LocalProtocolError) as refused:
        await alice.request(f.FetchHistory(id="", conversation_id="bob", page_size=5000))
    assert refused.value.code is ChatErrorCode.PAGE_SIZE_OUT_OF_RANGE
