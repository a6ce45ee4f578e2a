"""File names as they cross the wire: what a file message may call its file.

Owns: `safe_filename(name)`, the one rule for the name of a file message, applied by
the server on the way in and by every client on the way out (before any path is
made from it): the last component only (no folder, from either kind of slash), no
control or bidirectional-override characters, no characters Windows forbids, no
trailing dots or spaces, no reserved Windows device name (CON, NUL, COM1, ... with
or without an extension), never empty, "." or "..", and at most `MAX_FILENAME_BYTES`
of UTF-8 with the extension kept. The result is the same on every system, so a
name that is safe on one desktop is safe on all three.

Never: touch the file system (the client joins the result to its download folder
and checks the joined path stays inside it).
"""

from __future__ import annotations

import unicodedata

MAX_FILENAME_BYTES = 200  # below every file system's 255, with room for " (2)"
FALLBACK = "file"
_FORBIDDEN = set('<>:"/\\|?*')
_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    "CONIN$",
    "CONOUT$",
    *(f"COM{n}" for n in "123456789¹²³"),
    *(f"LPT{n}" for n in "123456789¹²³"),
}


def _allowed(ch: str) -> bool:
    if ch in _FORBIDDEN:
        return False
    category = unicodedata.category(ch)
    # Cc: controls (NUL, newline, ESC); Cf: format characters, among them the
    # bidirectional overrides that make "exe.pdf" out of "fdp.exe"; Cs: lone surrogates.
    return category not in ("Cc", "Cf", "Cs", "Co", "Cn")


def safe_filename(name: str) -> str:
    """`name` made safe to save anywhere; `FALLBACK` when nothing of it is left."""
    name = unicodedata.normalize("NFC", name)
    for slash in ("/", "\\"):
        name = name.rsplit(slash, 1)[-1]  # the last component: no folder, no "../"
    name = "".join(ch if _allowed(ch) else "_" for ch in name)
    name = name.strip().rstrip(". ").lstrip(".")  # no hidden file, no trailing dot
    stem = name.split(".", 1)[0].rstrip(" ").upper()
    if stem in _RESERVED:
        name = f"_{name}"
    name = _shortened(name)
    return name if name and name.strip("._ ") else FALLBACK


def _shortened(name: str) -> str:
    """At most MAX_FILENAME_BYTES of UTF-8, cut in the stem so the extension stays."""
    if len(name.encode("utf-8")) <= MAX_FILENAME_BYTES:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or len(extension.encode("utf-8")) > 16:
        stem, extension = name, ""
    suffix = f".{extension}" if extension else ""
    room = MAX_FILENAME_BYTES - len(suffix.encode("utf-8"))
    cut = stem.encode("utf-8")[:room].decode("utf-8", errors="ignore").rstrip(". ")
    return cut + suffix
