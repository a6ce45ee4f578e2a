"""names.py: which new usernames are refused and why, and the look-alike key."""

from __future__ import annotations

import unicodedata

import pytest

from desktop_chat.protocol import names
from desktop_chat.protocol.names import Refusal, name_key, username_problem
from desktop_chat.protocol.validation import is_username


def reason_of(name: str) -> Refusal:
    problem = username_problem(name)
    assert problem is not None, f"{name!r} was accepted"
    assert problem.message.strip()
    return problem.reason


# --------------------------------------------------------------------------- accepted


PLAIN = ["ab", "alice", "a" * 32, "a.b-c_d", "z9", "console", "nullable", "auxiliary"]
PLAIN += ["com10", "lpt", "con1", "prn-2", "alice.smith", "bob_", "carol-", "comx"]


@pytest.mark.parametrize("name", PLAIN)
def test_plain_names_are_accepted(name: str) -> None:
    assert username_problem(name) is None
    assert is_username(name)


# --------------------------------------------------------------------------- refused


@pytest.mark.parametrize(
    "name",
    ["con", "prn", "aux", "nul", "con.txt", "nul.tar.gz", "aux.c", "prn.x-y"]
    + [f"com{n}" for n in range(10)]
    + [f"lpt{n}" for n in range(10)]
    + ["com1.log", "lpt9.txt"],
)
def test_windows_device_names_are_reserved(name: str) -> None:
    assert reason_of(name) is Refusal.RESERVED
    assert name.split(".")[0] in username_problem(name).message  # type: ignore[union-attr]


@pytest.mark.parametrize("name", ["alice.", "alice..", "con.", "alice ", "alice\t", "bob\u00a0"])
def test_a_trailing_dot_or_space_is_refused(name: str) -> None:
    assert reason_of(name) is Refusal.TRAILING


@pytest.mark.parametrize(
    ("name", "script"),
    [
        ("\u0430lice", "CYRILLIC"),  # Cyrillic а first
        ("alic\u0435", "CYRILLIC"),  # Cyrillic е last
        ("b\u03bfb", "GREEK"),  # Greek omicron
        ("\u0410lice", "CYRILLIC"),  # capital: folds to Cyrillic а
    ],
    ids=["cyrillic-a", "cyrillic-e", "greek-omicron", "cyrillic-capital"],
)
def test_a_latin_name_with_a_letter_of_another_script_is_refused(name: str, script: str) -> None:
    assert reason_of(name) is Refusal.MIXED_SCRIPT
    message = username_problem(name).message  # type: ignore[union-attr]
    assert script in message and "Latin" in message


@pytest.mark.parametrize("name", ["张伟", "иван", "ελένη", "さくら"])
def test_names_in_other_scripts_are_refused_as_such(name: str) -> None:
    # Usernames stay a-z for now (docs/protocol.md §6.8 says why); the message says so.
    assert reason_of(name) is Refusal.SCRIPT
    assert "a–z" in username_problem(name).message  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("Alice", "alice"),
        ("ALICE", "alice"),
        ("\uff41\uff4c\uff49\uff43\uff45", "alice"),  # fullwidth
        ("\ufb01le", "file"),  # the ligature ﬁ
        ("\U0001d41a\U0001d41b", "ab"),  # mathematical bold
        ("stra\u00dfe", "strasse"),  # ß folds to ss
    ],
    ids=["capital", "all-capitals", "fullwidth", "ligature", "math-bold", "sharp-s"],
)
def test_a_name_not_in_its_plain_form_is_refused_with_that_form(name: str, canonical: str) -> None:
    assert reason_of(name) is Refusal.NOT_CANONICAL
    assert repr(canonical) in username_problem(name).message  # type: ignore[union-attr]
    assert username_problem(canonical) is None


@pytest.mark.parametrize("name", ["al ice", "alice!", "ren\u00e9", "a@b", "a/b", "a\\b", "a\x00b"])
def test_other_characters_are_refused(name: str) -> None:
    assert reason_of(name) is Refusal.CHARACTERS


@pytest.mark.parametrize("name", ["", "a", "a" * 33, "a" * 64])
def test_length_is_2_to_32(name: str) -> None:
    assert reason_of(name) is Refusal.LENGTH


@pytest.mark.parametrize("name", ["1alice", "_alice", ".alice", "-alice", "42"])
def test_a_name_starts_with_a_letter(name: str) -> None:
    assert reason_of(name) is Refusal.START


def test_every_accepted_name_matches_the_wire_pattern() -> None:
    """The rules only narrow the username pattern: an accepted name is usable everywhere."""
    candidates = ["ab", "a1", "con", "con.txt", "a.", "Ab", "a b", "ab" * 17, "a-b.c_d9"]
    candidates += [chr(c) + "b" for c in range(0x20, 0x250)]
    for name in candidates:
        if username_problem(name) is None:
            assert is_username(name), name


# --------------------------------------------------------------------------- look-alikes


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("alice", "a1ice"),  # digit one for l (UTS #39 confusables)
        ("bob", "b0b"),  # digit zero for o
        ("modern", "rnodern"),  # rn for m
        ("lll", "1l1"),
        ("alice", "ALICE"),  # case
        ("alice", "\uff41lice"),  # fullwidth a
        ("file", "\ufb01le"),  # ligature
    ],
)
def test_look_alikes_have_the_same_key(one: str, other: str) -> None:
    assert name_key(one) == name_key(other)


@pytest.mark.parametrize(
    ("one", "other"),
    [("alice", "alicia"), ("bob", "bab"), ("a.b", "a_b"), ("a-b", "a_b"), ("rn", "n")],
)
def test_different_names_have_different_keys(one: str, other: str) -> None:
    assert name_key(one) != name_key(other)


def test_the_key_is_its_own_key() -> None:
    for name in ["alice", "a1ice", "modern", "b0b", "Mixed.Case-1"]:
        key = name_key(name)
        assert name_key(key) == key
        assert unicodedata.is_normalized("NFD", key)


def test_a_look_alike_refusal_names_the_rule_not_the_account() -> None:
    problem = names.look_alike_problem("a1ice")
    assert problem.reason is Refusal.LOOK_ALIKE
    assert "a1ice" in problem.message and "choose" in problem.message
