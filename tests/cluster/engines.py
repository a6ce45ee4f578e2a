"""The engines of the cluster tests: `desktop_chat.bench.engines`, made pytest-aware.

The engine classes live in the installed package (the benches start them too);
this module re-exports them under the names the tests import, and adds
`require(name)`: a missing program fails the test under CI=true (the test command
installs the packages as root), and skips it otherwise. Each engine here checks its
programs with `require` before it starts, so a machine without PostgreSQL, Redis or
HAProxy skips the cluster tests rather than erroring in a fixture.
"""

from __future__ import annotations

import os

import pytest

from desktop_chat.bench import engines as _engines
from desktop_chat.bench.engines import START_SECONDS, MissingProgram, find_program, free_port

__all__ = [
    "START_SECONDS",
    "HAProxy",
    "MissingProgram",
    "PostgresEngine",
    "RedisEngine",
    "find_program",
    "free_port",
    "require",
]


def require(name: str) -> str:
    """The path of `name`; fails under CI (where setup installs it), else skips."""
    path = find_program(name)
    if path is None:
        message = str(MissingProgram(name))
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def _require_all(programs: tuple[str, ...]) -> None:
    for name in programs:
        require(name)


class PostgresEngine(_engines.PostgresEngine):
    def start(self) -> None:
        _require_all(self.programs)
        super().start()


class RedisEngine(_engines.RedisEngine):
    def start(self) -> None:
        _require_all(self.programs)
        super().start()


class HAProxy(_engines.HAProxy):
    def start(self) -> None:
        _require_all(self.programs)
        super().start()
