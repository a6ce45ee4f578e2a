"""The session token in the system keyring (`ChatOptions(token_store="keyring")`, the
`keyring` extra), with keyring's own backend interface set programmatically: a
backend that keeps secrets in memory, and keyring's `fail` backend (what it uses
when the system has no keyring), with which the client falls back to the 0600 file.
Skipped only where the `keyring` package is not installed."""

from __future__ import annotations

import pytest
from test_client_files import TOKEN_FILE, assert_private, holds

keyring = pytest.importorskip("keyring")
from keyring.backend import KeyringBackend  # noqa: E402
from keyring.backends import fail  # noqa: E402


class MemoryKeyring(KeyringBackend):
    """A keyring backend (keyring's own plugin interface) that keeps secrets in a dict."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop((service, username), None)


@pytest.fixture
def system_keyring():
    """Swap the process's keyring backend for the test (keyring.set_keyring)."""
    previous = keyring.get_keyring()
    backends: list = []

    def use(backend):
        backends.append(backend)
        keyring.set_keyring(backend)
        return backend

    yield use
    keyring.set_keyring(previous)


async def test_the_token_can_live_in_the_system_keyring(clients, system_keyring):
    memory = system_keyring(MemoryKeyring())
    await clients.harness.start()
    alice = await clients.login("alice", device="alice-laptop", token_store="keyring")
    [token] = memory.secrets.values()
    data_dir = clients.data_dir("alice-laptop")
    assert not (data_dir / "alice" / TOKEN_FILE).exists()
    assert holds(data_dir, token) == []  # not in any file: not the db, not its WAL
    await alice.close()
    again = clients.new("alice-laptop", token_store="keyring")
    await again.resume("alice")
    assert again.is_connected
    assert holds(data_dir, token) == []
    await again.logout()
    assert memory.secrets == {}


async def test_without_a_keyring_backend_the_token_goes_to_the_private_file(
    clients, system_keyring
):
    system_keyring(fail.Keyring())  # what keyring uses when the system has none
    await clients.harness.start()
    alice = await clients.login("alice", device="alice-laptop", token_store="keyring")
    data_dir = clients.data_dir("alice-laptop")
    assert (data_dir / "alice" / TOKEN_FILE).exists()
    assert_private(data_dir)
    await alice.close()
    again = clients.new("alice-laptop", token_store="keyring")
    await again.resume("alice")
    assert again.is_connected
