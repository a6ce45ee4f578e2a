"""A directory of blob files: the bytes of uploaded files, beside the SQLite store.

Owns: `BlobFiles`, where the SQLite store keeps a blob's bytes when the server is
given a `blob_dir` (`store_blobs.BlobStore` decides when; its rows stay in SQLite
either way). One file per blob, named by its sha256 (`ab/abcdef…`), written in place
at each chunk's offset, read with `pread`.

- **Durable before it counts.** A chunk is written (`write`) inside the request that
  moves the blob's `received`; every file written since the last commit is synced
  (`fdatasync`, and its directory's entry once) by `sync`, which the store runs on
  the committer thread right before its COMMIT. So a `received` that survives a
  crash never names bytes that did not: the same guarantee as the chunks in SQLite
  with `synchronous=FULL`. Bytes a rolled-back request wrote lie past `received`
  and are written over by the chunk that comes next there.
- **Deleted after the commit that drops its row.** A discarded or collected blob's
  file is a candidate (`maybe_orphan`); after the COMMIT, `orphans_gone` unlinks
  those the store says have no row any more. A request rolled back keeps its row,
  so its file stays; a file made by a request whose row was rolled back with it goes
  at once. A crash between the two leaves a file with no row: `sweep` (when the
  store opens) removes those.

Never: decide which bytes count (the store's `received` does), hash, or touch
anything outside its directory.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterable
from pathlib import Path

log = logging.getLogger(__name__)

_HEX = frozenset("0123456789abcdef")
_BINARY = getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)  # O_BINARY: Windows


class BlobFiles:
    def __init__(self, root: str | Path, *, durable: bool = True) -> None:
        """`durable`: sync before each commit (False as the store's synchronous=OFF)."""
        self.root = Path(root)
        self.durable = durable
        self.root.mkdir(parents=True, exist_ok=True)
        self._dirty: dict[str, int] = {}  # path → a descriptor written since the last sync
        self._new_dirs: set[str] = set()  # directories with an entry made since then
        self._candidates: set[str] = set()  # sha256s whose rows may be gone
        self._created: set[str] = set()  # files made since the last commit

    def path(self, sha256: str) -> str:
        if len(sha256) != 64 or not _HEX.issuperset(sha256):
            raise ValueError(f"not a sha256 in lowercase hex: {sha256!r}")
        return os.path.join(self.root, sha256[:2], sha256)

    def exists(self, sha256: str) -> bool:
        return os.path.exists(self.path(sha256))

    # ------------------------------------------------------------------ writing

    def write(self, sha256: str, offset: int, data: bytes) -> None:
        """`data` at `offset` of the blob's file (made if missing; cut to nothing
        first when `offset` is 0, so an earlier attempt's bytes do not linger)."""
        path = self.path(sha256)
        fd = self._dirty.get(path)
        if fd is None:
            fd = self._open_for_writing(path)
            self._dirty[path] = fd
        if offset == 0:
            os.ftruncate(fd, 0)
        written = _pwrite(fd, data, offset)
        if written != len(data):  # a full disk, usually: pwrite writes all or fails
            raise OSError(f"wrote {written} of {len(data)} bytes to {path}")

    def _open_for_writing(self, path: str) -> int:
        flags = os.O_WRONLY | os.O_CREAT | _BINARY
        folder = os.path.dirname(path)
        try:
            fd = os.open(path, flags | os.O_EXCL, 0o600)
        except FileExistsError:
            return os.open(path, flags, 0o600)
        except FileNotFoundError:  # its folder is new too
            os.makedirs(folder, exist_ok=True)
            self._new_dirs.add(str(self.root))
            fd = os.open(path, flags | os.O_EXCL, 0o600)
        self._new_dirs.add(folder)  # a new entry: synced with the file
        self._created.add(os.path.basename(path))
        return fd

    def sync(self) -> None:
        """Make every write since the last sync durable (on the committer thread, before
        the COMMIT that counts them); raises OSError if the disk could not."""
        try:
            if not self.durable:
                return
            for fd in self._dirty.values():
                _sync_data(fd)
            for folder in sorted(self._new_dirs, key=len, reverse=True):
                _sync_dir(folder)
        finally:
            self._close_all()

    def forget_writes(self) -> None:
        """The batch is rolled back: nothing it wrote will count."""
        self._close_all()

    def _close_all(self) -> None:
        dirty, self._dirty, self._new_dirs = self._dirty, {}, set()
        for fd in dirty.values():
            with contextlib.suppress(OSError):
                os.close(fd)

    # ------------------------------------------------------------------ reading

    def read(self, sha256: str, offset: int, length: int) -> bytes | None:
        """Up to `length` bytes at `offset`; None if the blob has no file here."""
        try:
            fd = os.open(self.path(sha256), os.O_RDONLY | _BINARY)
        except FileNotFoundError:
            return None
        try:
            return _pread(fd, length, offset)
        finally:
            os.close(fd)

    # ------------------------------------------------------------------ deleting

    def maybe_orphan(self, sha256s: Iterable[str]) -> None:
        self._candidates.update(sha256s)

    def orphans_gone(self, has_row: Callable[[str], bool], *, committed: bool = True) -> int:
        """Unlink the files of candidates whose rows are gone; how many. After a COMMIT
        (`committed`): the discarded and collected ones, and the files made since. After
        a request is rolled back, only the files made since: a row an earlier request
        of the batch deleted comes back if the batch fails, so its file must stay. A
        file that cannot be unlinked now stays, for the next `sweep`."""
        candidates, self._created = self._created, set()
        if committed:
            candidates |= self._candidates
            self._candidates = set()
        gone = 0
        for sha256 in candidates:
            if not has_row(sha256):
                try:
                    os.unlink(self.path(sha256))
                    gone += 1
                except OSError as exc:
                    if not isinstance(exc, FileNotFoundError):
                        log.warning("could not delete a file no row refers to: %s", exc)
        return gone

    def sweep(self, has_row: Callable[[str], bool]) -> int:
        """Unlink every blob file with no row (a crash between a commit and its unlink);
        files that are not blobs are left alone. How many went."""
        gone = 0
        for folder in self.root.iterdir():
            if not (folder.is_dir() and len(folder.name) == 2):
                continue
            for file in folder.iterdir():
                name = file.name
                if len(name) == 64 and _HEX.issuperset(name) and not has_row(name):
                    with contextlib.suppress(FileNotFoundError):
                        file.unlink()
                        gone += 1
        return gone


def _pwrite(fd: int, data: bytes, offset: int) -> int:
    if hasattr(os, "pwrite"):
        return os.pwrite(fd, data, offset)
    os.lseek(fd, offset, os.SEEK_SET)  # Windows: one writer, so seek then write is safe
    return os.write(fd, data)


def _pread(fd: int, length: int, offset: int) -> bytes:
    if hasattr(os, "pread"):
        return os.pread(fd, length, offset)
    os.lseek(fd, offset, os.SEEK_SET)  # a descriptor of its own: nobody else moves it
    return os.read(fd, length)


def _sync_data(fd: int) -> None:
    if hasattr(os, "fdatasync"):  # not on macOS or Windows
        os.fdatasync(fd)
    else:
        os.fsync(fd)


def _sync_dir(folder: str) -> None:
    """fsync a directory, so a file made in it survives a crash (not on Windows,
    which has no such call and keeps the entry with the file)."""
    if os.name == "nt":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
