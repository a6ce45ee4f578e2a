"""Which new usernames are allowed, and when two names are too alike to both exist.

Owns: `username_problem`, the rules a name must meet to be registered (beyond its
length, the `USERNAME_PATTERN` of frames.py, narrowed), each refusal with a `Refusal`
reason and a message that says why and what to do; and `name_key`, the look-alike key:
two accounts whose names have the same key may not both exist. docs/protocol.md §6.8
states these rules; a change here is a change there.

The key follows Unicode TR39's skeleton for the characters a username may hold:
NFKC, case folding, then each character replaced by its prototype in the TR39
confusables table (Unicode 14.0 `confusables.txt`: `0` → `O`, `1` → `l`, `m` → `rn`,
the only entries whose source is one of a–z, 0–9, `.`, `_`, `-`). The table covers that
alphabet only: widening it means adding the new characters' entries.

Names already stored are never judged again: the rules apply to `register` only, so an
account made before a rule existed keeps signing in.

Never: touch storage, or raise.
"""

from __future__ import annotations

import enum
import string
import unicodedata
from typing import NamedTuple

MIN_LENGTH = 2
MAX_LENGTH = 32
ALLOWED = frozenset(string.ascii_lowercase + string.digits + "._-")
# Device names Windows reserves in every folder, also with an extension ("con.txt"):
# a client that keeps a folder or file per account would fail or misbehave there.
RESERVED = frozenset(
    ["con", "prn", "aux", "nul"] + [f"{port}{n}" for port in ("com", "lpt") for n in range(10)]
)
# TR39 prototypes (confusables.txt, Unicode 14.0) of the characters in ALLOWED, after
# case folding ("0 → O" becomes "0 → o"). Every other allowed character is its own.
PROTOTYPES = {"0": "o", "1": "l", "m": "rn"}
RULE = "lowercase Latin letters a–z, digits, '.', '_' or '-', starting with a letter"
# Bump when `fold` or PROTOTYPES change: a server then recomputes every stored key.
KEY_VERSION = 1


class Refusal(enum.StrEnum):
    """Why a name may not be registered: `details.reason` of USERNAME_NOT_ALLOWED."""

    LENGTH = "length"
    START = "start"
    CHARACTERS = "characters"
    SCRIPT = "script"
    MIXED_SCRIPT = "mixed_script"
    NOT_CANONICAL = "not_canonical"
    TRAILING = "trailing"
    RESERVED = "reserved"
    LOOK_ALIKE = "look_alike"


class NameProblem(NamedTuple):
    reason: Refusal
    message: str


def fold(name: str) -> str:
    """NFKC with case folding (Unicode's NFKC_Casefold, closely): the plain form."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold()).casefold()


def name_key(name: str) -> str:
    """The look-alike key: names with the same key cannot both be accounts."""
    decomposed = unicodedata.normalize("NFD", fold(name))
    return unicodedata.normalize("NFD", "".join(PROTOTYPES.get(c, c) for c in decomposed))


def _script(char: str) -> str:
    """The script of a letter, by its Unicode name (LATIN, CYRILLIC, GREEK, CJK, ...)."""
    return unicodedata.name(char, "UNKNOWN").split(" ")[0]


def _described(char: str) -> str:
    return f"{char!r} (U+{ord(char):04X} {unicodedata.name(char, 'an unnamed character')})"


def _script_problem(folded: str) -> NameProblem | None:
    letters = [c for c in folded if unicodedata.category(c).startswith("L")]
    foreign = [c for c in letters if _script(c) != "LATIN"]
    if not foreign:
        return None
    if len(foreign) < len(letters):
        return NameProblem(
            Refusal.MIXED_SCRIPT,
            f"{_described(foreign[0])} is not a Latin letter, though it may look like one,"
            " and a name that mixes scripts can pass for another person's; type the name"
            " with Latin letters a–z only",
        )
    return NameProblem(
        Refusal.SCRIPT,
        f"usernames are written in Latin letters: {RULE}. Names in other scripts"
        f" ({_script(foreign[0]).title()} here) are not supported yet; choose a Latin name",
    )


def _shape_problem(name: str) -> NameProblem | None:
    """The pattern's rules, one at a time, for a name already in its plain form."""
    if not MIN_LENGTH <= len(name) <= MAX_LENGTH:
        return NameProblem(
            Refusal.LENGTH,
            f"a username is {MIN_LENGTH} to {MAX_LENGTH} characters long, not {len(name)}",
        )
    if not name[0].isascii() or not name[0].isalpha():
        return NameProblem(Refusal.START, f"a username starts with a letter a–z, not {name[0]!r}")
    stem = name.split(".")[0]
    if stem in RESERVED:
        return NameProblem(
            Refusal.RESERVED,
            f"{stem!r} is a device name on Windows (CON, PRN, AUX, NUL, COM0–9, LPT0–9, with"
            " or without an extension), which cannot name a file there; choose another name",
        )
    return None


def username_problem(name: str) -> NameProblem | None:
    """Why `name` may not be registered, or None when it may (if no look-alike exists)."""
    folded = fold(name)
    if folded[-1:] == "." or folded[-1:].isspace():
        return NameProblem(
            Refusal.TRAILING,
            "a username cannot end with a dot or a space (Windows drops them from file"
            f" names, so it would read as another name there); remove it: {RULE}",
        )
    problem = _script_problem(folded)
    if problem is not None:
        return problem
    odd = next((c for c in folded if c not in ALLOWED), None)
    if odd is not None:
        return NameProblem(Refusal.CHARACTERS, f"{_described(odd)} cannot be in a username: {RULE}")
    if folded != name:
        return NameProblem(
            Refusal.NOT_CANONICAL,
            f"usernames are written in plain lowercase; register {folded!r} instead",
        )
    return _shape_problem(name)


def look_alike_problem(name: str) -> NameProblem:
    """The refusal of a name whose key is an existing account's."""
    return NameProblem(
        Refusal.LOOK_ALIKE,
        f"{name!r} looks too much like the name of an existing account (names that differ"
        " only by look-alike characters count as the same: 1 and l, 0 and o, rn and m);"
        " choose another name",
    )
