"""The app's own settings, as a plain value, and how they live on disk.

Owns: `AppSettings` (the receipt switches of RECEIPTS.md §2, the "counts as
read" timings of §8, notifications, starting on login, the last server address
and username, the UI language, whether this computer's own server is shared on the
network and on which port, the wss:// servers trusted by their certificate, and
where each person's main window was: `MainWindow.layout_state` by username),
its limits (`DWELL_RANGE`, `IDLE_RANGE`), `load`/`save` as a JSON
file, and `migrate` (moving the file from where older versions kept it). Where
the file lives is `desktop_chat.app`'s choice (`settings_location`).

Never: import Qt or the client, or raise from `load`. A missing, unreadable or
corrupt file gives defaults, and a bad field gives that field's default, so a
broken settings file can never keep the app from starting. `save` replaces the
file atomically, so a crash mid-write leaves the old file whole.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DWELL_RANGE = (0.2, 10.0)
IDLE_RANGE = (5.0, 600.0)


@dataclass
class AppSettings:
    """What the person chose. `server_url` empty means this computer's own server."""

    delivery_receipts: bool = True
    read_receipts: bool = True
    dwell_seconds: float = 1.0
    idle_seconds: float = 30.0
    notifications: bool = True
    strip_photo_location: bool = True  # a photo's GPS position is taken out before it is sent
    start_on_login: bool = False  # the XDG autostart entry (appdata.set_autostart)
    server_url: str = ""
    last_username: str = ""
    language: str = ""  # "" follows the system locale; else a locale name such as "zh_CN"
    # This computer's own server also serves people on this network (TLS), on the
    # port it had last time, so the address others typed stays right.
    share_on_network: bool = False
    share_port: int = 0
    # wss:// servers trusted by their certificate's SHA-256 (client.pinning): url -> pin.
    trusted_certificates: dict[str, str] = dataclasses.field(default_factory=dict)
    # username -> the main window's place, size, maximized state and splitter ("" the
    # last window's); MainWindow.keep_layout_in reads and writes it.
    window_layouts: dict[str, str] = dataclasses.field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> AppSettings:
        """The settings stored at `path`; defaults for anything missing or wrong."""
        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        if not isinstance(raw, dict):
            return cls()
        return cls(**_valid_fields(raw))

    def save(self, path: Path) -> None:
        """Write to `path` atomically (temp file, fsync, `os.replace`).

        Raises OSError when the folder cannot be written; the caller tells the
        person where and why.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = json.dumps(dataclasses.asdict(self), indent=2, ensure_ascii=False) + "\n"
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as tmp:
                tmp.write(data)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.replace(tmp_name, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
            raise


def load(path: Path) -> AppSettings:
    """The settings stored at `path`; never raises."""
    return AppSettings.load(path)


def save(settings: AppSettings, path: Path) -> None:
    """Store `settings` at `path` atomically; raises OSError if it cannot."""
    settings.save(path)


def migrate(old: Path, new: Path) -> bool:
    """Move the settings file from `old` to `new` if only `old` exists; True if moved.

    A move, not a copy: nothing is lost and no stale second copy stays behind.
    Raises OSError when it cannot (the caller keeps using `old` then).
    """
    old, new = Path(old), Path(new)
    if new.exists() or not old.is_file():
        return False
    new.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(old), str(new))
    return True


def _valid_fields(raw: dict[str, Any]) -> dict[str, Any]:
    """The fields of `raw` that have the right type, clamped to their limits."""
    values: dict[str, Any] = {}
    for item in dataclasses.fields(AppSettings):
        value = raw.get(item.name)
        if value is None:
            continue
        if item.default_factory is dict:  # type: ignore[comparison-overlap]
            if isinstance(value, dict):
                values[item.name] = {
                    k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)
                }
            continue
        default = item.default
        if default is dataclasses.MISSING:
            continue
        if isinstance(default, bool):
            if isinstance(value, bool):
                values[item.name] = value
        elif isinstance(default, float):
            if (
                isinstance(value, int | float)
                and not isinstance(value, bool)
                and math.isfinite(value)
            ):
                values[item.name] = float(value)
        elif isinstance(default, str) and isinstance(value, str):
            values[item.name] = value
        elif isinstance(default, int) and isinstance(value, int) and 0 <= value <= 65535:
            values[item.name] = value  # the only int field is a port (bools were taken above)
    if "dwell_seconds" in values:
        values["dwell_seconds"] = _clamp(values["dwell_seconds"], DWELL_RANGE)
    if "idle_seconds" in values:
        values["idle_seconds"] = _clamp(values["idle_seconds"], IDLE_RANGE)
    return values


def _clamp(value: float, limits: tuple[float, float]) -> float:
    low, high = limits
    return min(max(value, low), high)
