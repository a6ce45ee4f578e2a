"""Where the app's resources are, installed from a wheel or run from a checkout, and
how they are put where a Linux desktop finds them.

Owns: `resource_dir()` (icons, the .desktop file, AppStream metainfo, translations),
the app id, and `install_desktop_entry` / `uninstall_desktop_entry`, which copy the
.desktop file, the metainfo and the icons into the user's XDG data directory
(`$XDG_DATA_HOME`, usually ~/.local/share) and take them away again. Also the
"start on login" entry: `set_autostart` writes or removes
`$XDG_CONFIG_HOME/autostart/<app id>.desktop` (the XDG autostart spec; its Exec is
this installation's `desktop-chat`), or on macOS the launch agent
`~/Library/LaunchAgents/<app id>.plist`, and `autostart_enabled` says whether it is
there. (Windows has no start-on-login entry yet.)

Never: import Qt (the command line uses this before any window exists), or touch a
file outside the XDG data or config directory it was given (on macOS, the home
folder's LaunchAgents).
"""

from __future__ import annotations

import os
import plistlib
import shutil
import sys
from importlib import resources
from pathlib import Path

APP_ID = "io.github.desktop_chat.DesktopChat"
ICON_NAME = "desktop-chat"
ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)


def resource_dir() -> Path:
    """The `desktop_chat.resources` package folder (package data in a wheel)."""
    return Path(str(resources.files("desktop_chat.resources")))


def icon_png(size: int) -> Path:
    return resource_dir() / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{ICON_NAME}.png"


def icon_svg() -> Path:
    return resource_dir() / "icons" / f"{ICON_NAME}.svg"


def translations_dir() -> Path:
    return resource_dir() / "translations"


def xdg_data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def xdg_config_home() -> Path:
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")


def autostart_path(config_home: Path | None = None, platform: str = sys.platform) -> Path:
    """Where the start-on-login entry lives: on macOS a launch agent in
    ~/Library/LaunchAgents (`config_home` stands for the home folder there), elsewhere
    the XDG autostart folder."""
    if platform == "darwin":
        return (config_home or Path.home()) / "Library" / "LaunchAgents" / f"{APP_ID}.plist"
    return (config_home or xdg_config_home()) / "autostart" / f"{APP_ID}.desktop"


def autostart_enabled(config_home: Path | None = None, platform: str = sys.platform) -> bool:
    return autostart_path(config_home, platform).is_file()


def set_autostart(
    enabled: bool, config_home: Path | None = None, platform: str = sys.platform
) -> Path:
    """Write (or remove) the entry that starts the app on login; its path.

    The XDG entry is the menu entry with Exec pointing at this installation, no file
    argument, and `X-GNOME-Autostart-enabled=true`; on macOS, a launch agent that
    runs this installation's `desktop-chat` at load. Raises OSError if the folder
    cannot be written.
    """
    path = autostart_path(config_home, platform)
    if not enabled:
        path.unlink(missing_ok=True)
        return path
    launcher = _launcher()
    if platform == "darwin":
        agent = {"Label": APP_ID, "ProgramArguments": [launcher], "RunAtLoad": True}
        _replace(path, plistlib.dumps(agent))
        return path
    exec_line = f'"{launcher}"' if " " in launcher else launcher  # the spec's quoting
    lines = []
    for line in (resource_dir() / f"{APP_ID}.desktop").read_text(encoding="utf-8").splitlines():
        if line.startswith("Exec="):
            line = f"Exec={exec_line}"
        elif line.startswith("TryExec="):
            line = f"TryExec={launcher}"
        lines.append(line)
    lines.append("X-GNOME-Autostart-enabled=true")
    _replace(path, ("\n".join(lines) + "\n").encode("utf-8"))
    return path


def _replace(path: Path, data: bytes) -> None:
    """Write `path` whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _installed_files(data_home: Path) -> list[Path]:
    icons = data_home / "icons" / "hicolor"
    return [
        data_home / "applications" / f"{APP_ID}.desktop",
        data_home / "metainfo" / f"{APP_ID}.metainfo.xml",
        icons / "scalable" / "apps" / f"{ICON_NAME}.svg",
        *(icons / f"{n}x{n}" / "apps" / f"{ICON_NAME}.png" for n in ICON_SIZES),
    ]


def _launcher() -> str:
    """The command the menu entry runs: this very installation's `desktop-chat`."""
    beside = Path(sys.executable).with_name("desktop-chat")
    if beside.exists():
        return str(beside)
    return shutil.which("desktop-chat") or "desktop-chat"


def install_desktop_entry(data_home: Path | None = None) -> list[Path]:
    """Put the menu entry, metainfo and icons where the desktop finds them; the files."""
    home = data_home or xdg_data_home()
    source = resource_dir()
    entry, metainfo, svg, *pngs = _installed_files(home)
    for path in (entry, metainfo, svg, *pngs):
        path.parent.mkdir(parents=True, exist_ok=True)
    text = (source / f"{APP_ID}.desktop").read_text(encoding="utf-8")
    launcher = _launcher()
    text = text.replace("Exec=desktop-chat", f"Exec={launcher}").replace(
        "TryExec=desktop-chat", f"TryExec={launcher}"
    )
    entry.write_text(text, encoding="utf-8")
    shutil.copyfile(source / f"{APP_ID}.metainfo.xml", metainfo)
    shutil.copyfile(icon_svg(), svg)
    for size, target in zip(ICON_SIZES, pngs, strict=True):
        shutil.copyfile(icon_png(size), target)
    return [entry, metainfo, svg, *pngs]


def uninstall_desktop_entry(data_home: Path | None = None) -> list[Path]:
    """Remove what `install_desktop_entry` put there; the files removed."""
    removed = []
    for path in _installed_files(data_home or xdg_data_home()):
        if path.exists():
            path.unlink()
            removed.append(path)
    return removed
