"""Store contract, on every backend: users, look-alike name keys, credentials and
devices, and that a rolled-back user leaves no trace (not even in a cache)."""

from __future__ import annotations

import pytest
from contract_tools import NOW, committed, typed, users

from desktop_chat.server.storage.interface import (
    Credentials,
    DeviceRow,
    DeviceState,
    UserExistsError,
)


def test_users_get_distinct_ids_and_are_found_by_name_and_id(store):
    alice, bob = users(store, "alice", "bob")
    assert alice != bob
    assert store.user_id("alice") == alice
    assert store.user_id("nobody") is None
    assert store.username(bob) == "bob"
    assert store.user_ids(["bob", "nobody", "alice", "bob"]) == {"alice": alice, "bob": bob}
    assert store.user_ids([]) == {}
    with pytest.raises(KeyError):
        store.username(max(alice, bob) + 1000)


def test_a_taken_name_raises_user_exists_and_the_request_goes_on(store):
    (alice,) = users(store, "alice")
    with committed(store):
        with pytest.raises(UserExistsError):
            store.create_user("alice", "other", NOW)
        bob = store.create_user("bob", "hash-bob", NOW)
    assert store.user_id("bob") == bob
    assert typed(Credentials, store.user_credentials("alice")) == Credentials(alice, "hash-alice")


def test_credentials_and_a_new_password_hash(store):
    (alice,) = users(store, "alice")
    assert store.user_credentials("nobody") is None
    with committed(store):
        store.set_password_hash(alice, "rehashed")
    assert typed(Credentials, store.user_credentials("alice")) == Credentials(alice, "rehashed")


@pytest.mark.parametrize(
    ("stored", "asked"),
    [("alice", "a1ice"), ("mary", "rnary"), ("bob0", "bobo"), ("li.na", "li.na")],
)
def test_look_alike_names_share_a_key(store, stored, asked):
    users(store, stored)
    with committed(store):
        assert store.look_alike_of(asked) == stored


def test_distinct_names_have_no_look_alike(store):
    users(store, "alice")
    assert store.look_alike_of("alicia") is None
    assert store.look_alike_of("bob") is None


def test_devices_are_found_by_token_touched_and_revoked(store):
    (alice,) = users(store, "alice")
    with committed(store):
        laptop = store.create_device(alice, "laptop", b"\x00token-1\xff", NOW)
        phone = store.create_device(alice, "phone", b"token-2", NOW)
    assert laptop != phone
    assert store.device_by_token(b"\x00token-1\xff") == DeviceRow(
        laptop, alice, "alice", "laptop", NOW, False
    )
    assert store.device_by_token(b"no such token") is None
    with committed(store):
        store.touch_device(laptop, NOW + 60_000)
        store.revoke_device(phone)
    assert store.device_by_token(b"\x00token-1\xff").last_seen_at == NOW + 60_000
    revoked = store.device_by_token(b"token-2")
    assert revoked.revoked is True
    assert store.device_by_token(b"\x00token-1\xff").revoked is False


def test_device_states_of_many_devices_at_once(store):
    (alice,) = users(store, "alice")
    with committed(store):
        laptop = store.create_device(alice, "laptop", b"token-1", NOW)
        phone = store.create_device(alice, "phone", b"token-2", NOW)
        store.touch_device(laptop, NOW + 5)
        store.revoke_device(phone)
    missing = max(laptop, phone) + 1000
    assert typed(DeviceState, store.device_states([phone, missing, laptop])) == {
        laptop: DeviceState(last_seen_at=NOW + 5, revoked=False),
        phone: DeviceState(last_seen_at=NOW, revoked=True),
    }
    assert store.device_states([]) == {}
    many = [laptop, *range(missing, missing + 1200)]  # more than one SQLite chunk
    assert typed(DeviceState, store.device_states(many)) == {laptop: DeviceState(NOW + 5, False)}


def test_a_rolled_back_user_is_gone_and_its_name_free_again(store):
    with pytest.raises(RuntimeError), store.request():
        carol = store.create_user("carol", "hash", NOW)
        assert store.user_id("carol") == carol  # now in the caches, provisionally
        assert store.username(carol) == "carol"
        raise RuntimeError("the request fails")
    store.commit()
    assert store.user_id("carol") is None
    assert store.user_ids(["carol"]) == {}
    assert store.look_alike_of("carol") is None
    (again,) = users(store, "carol")
    assert store.user_id("carol") == again
    assert store.username(again) == "carol"


def test_names_are_exact_and_case_sensitive_bytes(store):
    # Usernames are validated lowercase ASCII; the store itself compares them exactly.
    users(store, "zed", "émile")
    assert store.user_id("Zed") is None
    assert store.user_id("émile") is not None
