"""Where a signed-in user's files live under the client's data directory, and who
may read them.

Owns: `check_username` (the server's own rule, `USERNAME_PATTERN`, applied before
any path is built from a name, so `../x`, `a/b` or a NUL can never name a
directory), `user_dir` (`<data_dir>/<username>`, made and kept private),
`private_dir` (a directory the app keeps its own files in: 0700, its files 0600),
`private_file` (a file created 0600 before anyone writes to it), and
`sent_photos_dir` (`<data_dir>/<username>/sent_photos`, where the copies of photos
sent without their location are kept) and `forget_sent_photo` (a copy removed when
its message is deleted on this device or recalled: nothing else refers to it).

Modes: every directory the client makes, the data directory itself included, is
0700, and every file in a user's directory (the SQLite store, its -wal and -shm,
the session-token file) is 0600; looser modes left by an older version are
tightened each time a user's directory is opened. SQLite gives the -wal and -shm
files the mode of the database file, so creating that file 0600 first covers them.
This keeps other local users out; it does nothing against programs running as the
same user, nor against whoever copies the disk (see `token_store` for the keyring).

Never: follow a username into a path before checking it, or change the mode of
anything but the data directory and what the client keeps in it.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from pathlib import Path

from desktop_chat.client.errors import ChatError, ChatErrorCode
from desktop_chat.protocol.frames import USERNAME_PATTERN

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
SENT_PHOTOS = "sent_photos"
_USERNAME = re.compile(USERNAME_PATTERN)


def check_username(username: object) -> str:
    """`username` if the server would take it; ChatError(INVALID_PARAM) if not."""
    if not isinstance(username, str) or _USERNAME.match(username) is None:
        raise ChatError(
            ChatErrorCode.INVALID_PARAM,
            f"{username!r} is not a valid username: 2 to 32 characters, a lowercase"
            " letter first, then lowercase letters, digits, '_', '.' or '-'",
        )
    return username


def user_dir(data_dir: Path, username: str) -> Path:
    """`<data_dir>/<username>`, made if missing, with private modes throughout."""
    path = data_dir / check_username(username)
    _private_dirs(path)
    _tighten(data_dir, PRIVATE_DIR)
    _tighten(path, PRIVATE_DIR)
    for entry in path.iterdir():
        _tighten(entry, PRIVATE_DIR if entry.is_dir() else PRIVATE_FILE)
    return path


def sent_photos_dir(data_dir: Path, username: str) -> Path:
    """Where a user's photos sent without their location are kept (made when the first
    one is, by `private_dir`)."""
    return data_dir / check_username(username) / SENT_PHOTOS


def forget_sent_photo(data_dir: Path, username: str, local_path: str) -> bool:
    """Remove `local_path` if it is one of `username`'s copies in `sent_photos_dir`
    (never any other file: a photo sent with its location is the person's own file).
    True if a copy was removed."""
    if not local_path:
        return False
    folder = sent_photos_dir(data_dir, username).resolve()
    path = Path(local_path).resolve()
    if path.parent != folder:
        return False
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def private_dir(path: Path) -> Path:
    """`path` as a directory only its owner can enter (0700, parents made 0700 too), with
    looser modes on it and on the files directly in it tightened (0700 / 0600)."""
    _private_dirs(path)
    _tighten(path, PRIVATE_DIR)
    for entry in path.iterdir():
        _tighten(entry, PRIVATE_DIR if entry.is_dir() else PRIVATE_FILE)
    return path


def private_file(path: Path) -> Path:
    """`path`, created empty with mode 0600 when missing (0600 made sure when not)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, PRIVATE_FILE)
    except FileExistsError:
        _tighten(path, PRIVATE_FILE)
    else:
        os.close(fd)
    return path


def _private_dirs(path: Path) -> None:
    """Make `path` and its missing parents, each 0700 (mkdir's `mode` skips parents)."""
    missing = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):  # made meanwhile by someone else
            directory.mkdir(mode=PRIVATE_DIR)


def _tighten(path: Path, mode: int) -> None:
    """Set `mode` on a directory or regular file that has looser bits; never through a
    symlink (a link planted in the data directory must not redirect a chmod)."""
    info = path.lstat()
    if not (stat.S_ISDIR(info.st_mode) or stat.S_ISREG(info.st_mode)):
        return
    if stat.S_IMODE(info.st_mode) & ~mode:
        os.chmod(path, stat.S_IMODE(info.st_mode) & mode)
