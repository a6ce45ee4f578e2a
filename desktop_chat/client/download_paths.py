"""Where a received file is saved: inside the download folder, under a safe name.

Owns: `download_path(folder, name)`: the file message's name made safe
(`protocol.filenames.safe_filename`, again on the way out, whatever the server
did), joined to `folder`, made unique ("report (2).pdf") against what is there
already, and checked to stay inside `folder` once resolved (a symlinked name
cannot lead out).

Never: create, open or write the file (the download does, with O_EXCL).
"""

from __future__ import annotations

from pathlib import Path

from desktop_chat.protocol.filenames import safe_filename

MAX_TWINS = 10_000  # "name (2)" ... beyond this the folder is not a person's


def download_path(folder: Path, name: str) -> Path:
    root = folder.resolve()
    safe = safe_filename(name)
    stem, dot, extension = safe.rpartition(".")
    if not dot or not stem:
        stem, extension = safe, ""
    suffix = f".{extension}" if extension else ""
    for n in range(1, MAX_TWINS + 1):
        candidate = root / (safe if n == 1 else f"{stem} ({n}){suffix}")
        if candidate.exists() or candidate.is_symlink():
            continue
        if candidate.resolve().parent != root:
            raise ValueError(f"{name!r} would be saved outside {root}")
        return candidate
    raise FileExistsError(f"{MAX_TWINS} files named like {safe!r} in {root} already")
