"""session.py: which requests each connection phase accepts, and with which code it refuses."""

from __future__ import annotations

import pytest

from desktop_chat.protocol import ConnectionSession, ErrorCode, Phase
from desktop_chat.protocol import frames as f

AUTH_TAGS = {"register", "login", "resume"}


def fresh() -> ConnectionSession:
    return ConnectionSession()


def after_hello() -> ConnectionSession:
    session = ConnectionSession()
    assert session.check(f.Hello(id="h", version=1)) is None
    session.hello_done()
    return session


def signed_in() -> ConnectionSession:
    session = after_hello()
    session.logged_in("alice", 7)
    return session


def test_a_new_connection_awaits_hello() -> None:
    session = fresh()
    assert session.phase is Phase.AWAIT_HELLO
    assert (session.username, session.device_id) == (None, None)


def test_hello_required_first(request_frame: f.Request) -> None:
    error = fresh().check(request_frame)
    if isinstance(request_frame, f.Hello):
        assert error is None
    else:
        assert error is not None
        assert error.code is ErrorCode.HELLO_REQUIRED
        assert error.request_id == request_frame.id


@pytest.mark.parametrize("version", [0, 2, -1, 2**70])
def test_wrong_version_is_unsupported_and_hello_can_be_retried(version: int) -> None:
    session = fresh()
    error = session.check(f.Hello(id="h1", version=version))
    assert error is not None
    assert error.code is ErrorCode.UNSUPPORTED_VERSION
    assert error.request_id == "h1"
    assert error.details == {"supported": [1]}
    assert session.phase is Phase.AWAIT_HELLO
    assert session.check(f.Hello(id="h2", version=1)) is None


def test_hello_done_moves_to_auth() -> None:
    session = fresh()
    session.hello_done()
    assert session.phase is Phase.AWAIT_AUTH


def test_before_login_only_auth_requests_pass(request_frame: f.Request) -> None:
    error = after_hello().check(request_frame)
    tag = type(request_frame).__struct_config__.tag
    if tag in AUTH_TAGS or tag == "hello":
        assert error is None
    else:
        assert error is not None
        assert error.code is ErrorCode.NOT_LOGGED_IN
        assert error.request_id == request_frame.id


def test_logged_in_records_who_and_moves_to_ready() -> None:
    session = signed_in()
    assert session.phase is Phase.READY
    assert (session.username, session.device_id) == ("alice", 7)


def test_after_login_auth_requests_are_already_logged_in(request_frame: f.Request) -> None:
    error = signed_in().check(request_frame)
    tag = type(request_frame).__struct_config__.tag
    if tag in AUTH_TAGS:
        assert error is not None
        assert error.code is ErrorCode.ALREADY_LOGGED_IN
        assert error.request_id == request_frame.id
        assert "alice" in error.message
    else:
        assert error is None


def test_hello_again_after_login_is_accepted_and_keeps_the_phase() -> None:
    session = signed_in()
    assert session.check(f.Hello(id="h3", version=1)) is None
    session.hello_done()
    assert session.phase is Phase.READY
    error = session.check(f.Hello(id="h4", version=9))
    assert error is not None
    assert error.code is ErrorCode.UNSUPPORTED_VERSION


def test_logout_returns_to_auth() -> None:
    session = signed_in()
    assert session.check(f.Logout(id="o1")) is None
    session.logged_out()
    assert session.phase is Phase.AWAIT_AUTH
    assert (session.username, session.device_id) == (None, None)
    error = session.check(f.Sync(id="s1"))
    assert error is not None
    assert error.code is ErrorCode.NOT_LOGGED_IN
    assert session.check(f.Login(id="l1", username="bob", password="p")) is None


def test_logout_before_login_is_not_logged_in() -> None:
    error = after_hello().check(f.Logout(id="o2"))
    assert error is not None
    assert error.code is ErrorCode.NOT_LOGGED_IN


def test_check_does_not_change_the_phase() -> None:
    session = fresh()
    session.check(f.Hello(id="h", version=1))
    assert session.phase is Phase.AWAIT_HELLO
    session.hello_done()
    session.check(f.Login(id="l", username="alice", password="p"))
    assert session.phase is Phase.AWAIT_AUTH
