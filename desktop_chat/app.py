"""The `desktop-chat` command: the desktop app's entry point.

Owns: the command line, the one QApplication and the one qasync event loop of
the process, the private data directory, one running app per data directory
(`ui.single_instance`: a second launch asks the first to raise its window and
exits 0), where the settings file lives (`settings_location`), Python's garbage
collection on the GUI thread only (`ui.gui_gc`), and the choice between the demo
and the real app (`ui/session.py`: the sign-in flow, the embedded local server
when no server is configured, the orderly shutdown). It sits on top of every
layer: nothing in the package imports it.

The settings file: by default `settings.json` in the XDG config directory
(`platformdirs.user_config_dir("desktop_chat")`, so `$XDG_CONFIG_HOME/desktop_chat`,
usually ~/.config/desktop_chat); a `settings.json` that older versions kept in the
default data directory is moved there on the first start. With `--data-dir`
given explicitly, the settings stay in that directory, so a data directory (a
test's, a second profile) is one self-contained whole.

Never: block the GUI thread, or run a modal dialog inside a coroutine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
from pathlib import Path

import platformdirs

from desktop_chat import __version__
from desktop_chat.client.private_files import private_dir

log = logging.getLogger(__name__)


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("desktop_chat", appauthor=False))


def default_config_dir() -> Path:
    return Path(platformdirs.user_config_dir("desktop_chat", appauthor=False))


def settings_location(explicit_data_dir: Path | None) -> Path:
    """Where the settings file is (see the module docstring); moves an old one there."""
    if explicit_data_dir is not None:
        return explicit_data_dir / "settings.json"
    from desktop_chat.ui.settings import migrate

    path = default_config_dir() / "settings.json"
    old = default_data_dir() / "settings.json"
    private_dir(path.parent)
    try:
        if migrate(old, path):
            log.info("moved the settings from %s to %s", old, path)
    except OSError as exc:
        log.warning("cannot move the settings from %s to %s: %s", old, path, exc)
        return old
    return path


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="desktop-chat", description="The desktop_chat app.")
    parser.add_argument(
        "--server",
        default=None,
        help="server address (ws://host:port); default: the one in settings, else a local server",
    )
    parser.add_argument("--data-dir", type=Path, default=None, help="where the app keeps its data")
    parser.add_argument(
        "--share-host",
        default="0.0.0.0",
        help="when this computer's server is shared with the network (chosen in the"
        " sign-in window): the address it listens on; default every IPv4 address",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="start a local server with demo accounts and open two chat windows side by side",
    )
    parser.add_argument("--log-level", default="WARNING")
    parser.add_argument("--version", action="version", version=f"desktop-chat {__version__}")
    parser.add_argument(
        "--install-desktop-entry",
        action="store_true",
        help="add desktop_chat to the desktop's application menu (XDG data dir), then exit",
    )
    parser.add_argument(
        "--uninstall-desktop-entry",
        action="store_true",
        help="remove what --install-desktop-entry added, then exit",
    )
    return parser.parse_args(argv)


def _desktop_entry(install: bool) -> int:
    from desktop_chat.appdata import install_desktop_entry, uninstall_desktop_entry

    files = install_desktop_entry() if install else uninstall_desktop_entry()
    verb = "installed" if install else "removed"
    for path in files:
        print(f"{verb} {path}")
    if not files:
        print("nothing to remove: the desktop entry was not installed")
    return 0


def _set_app_icon(app) -> None:
    """The project's icon for every window (the sign-in dialog too); the main window
    adds its unread badge on top."""
    from PySide6.QtGui import QIcon

    from desktop_chat.appdata import icon_png

    icon = QIcon()
    for size in (16, 24, 32, 48, 64, 128, 256):
        if icon_png(size).is_file():
            icon.addFile(str(icon_png(size)))
    if not icon.isNull():
        app.setWindowIcon(icon)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.install_desktop_entry or args.uninstall_desktop_entry:
        return _desktop_entry(args.install_desktop_entry)
    logging.basicConfig(level=args.log_level.upper())
    import qasync
    from PySide6.QtCore import Qt  # noqa: F401  (enum-typed signals need Qt loaded first)
    from PySide6.QtWidgets import QApplication

    from desktop_chat.ui.gui_gc import GuiThreadCollector

    existing = QApplication.instance()  # a test's, say; the window needs a QApplication
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("desktop_chat")
    _set_app_icon(app)
    app.setQuitOnLastWindowClosed(False)
    data_dir = args.data_dir or default_data_dir()
    # Everything the app writes (settings, the local server's database, the client's
    # store and token) is the person's alone: 0700 directories, 0600 files.
    os.umask(0o077)
    private_dir(data_dir)
    from desktop_chat.ui.single_instance import SingleInstance

    instance = SingleInstance(data_dir, parent=app)
    if not instance.claim():
        if instance.ask_running_to_raise():
            print(f"desktop_chat is already running on {data_dir}: its window was raised")
            return 0
        print(
            f"desktop_chat is already running on {data_dir} but does not answer. "
            "Wait for it to end, or end it, then start again.",
            file=sys.stderr,
        )
        return 1
    if args.demo:
        from desktop_chat.demo import run_demo

        coro = run_demo(data_dir / "demo")
    else:
        from desktop_chat.ui.session import run_app

        coro = run_app(
            data_dir, args.server, settings_location(args.data_dir), instance, args.share_host
        )
    # Cyclic garbage is collected on the GUI thread only: the embedded server's thread
    # and the loop's worker threads must never run a QObject's destructor (gui_gc).
    collector = GuiThreadCollector(parent=app)
    collector.start()
    try:
        with contextlib.suppress(asyncio.CancelledError):
            qasync.run(coro)
    finally:
        collector.stop()
        instance.release()
    return 0


if __name__ == "__main__":
    sys.exit(main())
