"""The wheel build's one extra step: compile the Qt Linguist translations.

Everything else about the package is in pyproject.toml. `build_py` here runs
`lrelease` on `desktop_chat/resources/translations/*.ts` before the files are
copied, so the wheel carries a fresh `.qm` for each (package data
`translations/*.qm`). lrelease is found, in this order: `$DESKTOP_CHAT_LRELEASE`;
PySide6's own `lrelease` when PySide6 is importable in the build environment
(`pip wheel --no-build-isolation` from the project's venv); `pyside6-lrelease`
or `lrelease` on PATH (an isolated build started from the venv). Without any of
them, `.qm` files already compiled (by `scripts/bootstrap.sh`) are shipped; a
build that has neither stops with a message rather than making a wheel whose
UI cannot be Chinese. An editable install (`pip install -e`) only warns:
bootstrap compiles the files right after it.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

TRANSLATIONS = Path(__file__).resolve().parent / "desktop_chat" / "resources" / "translations"


def find_lrelease() -> list[str] | None:
    """The lrelease command to run, or None when this build has none."""
    explicit = os.environ.get("DESKTOP_CHAT_LRELEASE")
    if explicit:
        return [explicit]
    spec = importlib.util.find_spec("PySide6")
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            binary = Path(folder) / ("lrelease.exe" if os.name == "nt" else "lrelease")
            if binary.is_file():
                return [str(binary)]
    for name in ("pyside6-lrelease", "lrelease"):
        found = shutil.which(name)
        if found:
            return [found]
    return None


def compile_translations(editable: bool = False) -> None:
    sources = sorted(TRANSLATIONS.glob("*.ts"))
    command = find_lrelease()
    if command is None:
        stale = [ts.name for ts in sources if not _fresh(ts)]
        if not stale:
            return
        message = (
            f"cannot compile {', '.join(stale)}: no lrelease found. Build from the project's "
            "venv (pip wheel --no-build-isolation, or with its bin/ on PATH), or set "
            "DESKTOP_CHAT_LRELEASE to an lrelease binary."
        )
        if editable:
            print(f"warning: {message}")
            return
        raise SystemExit(message)
    # An isolated build's PYTHONPATH would hide PySide6 from a venv's pyside6-lrelease.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    for ts in sources:
        subprocess.run(
            [*command, "-silent", str(ts), "-qm", str(ts.with_suffix(".qm"))], check=True, env=env
        )


def _fresh(ts: Path) -> bool:
    qm = ts.with_suffix(".qm")
    return qm.is_file() and qm.stat().st_mtime >= ts.stat().st_mtime


class BuildPyWithTranslations(build_py):
    def run(self) -> None:
        compile_translations(editable=bool(getattr(self, "editable_mode", False)))
        super().run()


setup(cmdclass={"build_py": BuildPyWithTranslations})
