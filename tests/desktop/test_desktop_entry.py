"""desktop_chat as a Linux desktop treats an application: a valid menu entry and
AppStream metainfo, an icon whose PNG sizes match its SVG, `--version`, a desktop
entry that installs into the XDG data dir and goes away again, and a wheel that
carries all of it into a fresh virtual environment."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from desktop_chat import __version__
from desktop_chat.appdata import APP_ID, ICON_SIZES, icon_png, icon_svg, resource_dir

ROOT = Path(__file__).resolve().parents[2]
COMMAND = str(Path(sys.executable).with_name("desktop-chat"))


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        message = (
            f"{name} is missing: ./scripts/test installs it as root (desktop-file-utils, appstream)"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def run(*command: str, env: dict | None = None, cwd: Path | None = None) -> str:
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env, cwd=cwd)
    assert done.returncode == 0, f"{' '.join(command)}: {done.stdout}{done.stderr}"
    return done.stdout + done.stderr


def test_the_menu_entry_is_valid():
    run(tool("desktop-file-validate"), str(resource_dir() / f"{APP_ID}.desktop"))


def test_the_appstream_metainfo_is_valid():
    out = run(
        tool("appstreamcli"), "validate", "--no-net", str(resource_dir() / f"{APP_ID}.metainfo.xml")
    )
    assert "Validation was successful" in out


def test_every_png_size_is_the_svg_rendered(qapp):
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(icon_svg()))
    assert renderer.isValid()
    for size in ICON_SIZES:
        stored = QImage(str(icon_png(size))).convertToFormat(QImage.Format.Format_ARGB32)
        assert (stored.width(), stored.height()) == (size, size), size
        fresh = QImage(size, size, QImage.Format.Format_ARGB32)
        fresh.fill(Qt.GlobalColor.transparent)
        painter = QPainter(fresh)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter, QRectF(0, 0, size, size))
        painter.end()
        off = sum(
            1
            for y in range(size)
            for x in range(size)
            if abs(stored.pixelColor(x, y).alpha() - fresh.pixelColor(x, y).alpha()) > 8
        )
        assert off <= size, f"{size}px PNG is out of date: run scripts/render_icons.py"


def test_version():
    assert run(COMMAND, "--version").strip() == f"desktop-chat {__version__}"


def test_the_desktop_entry_installs_into_the_xdg_data_dir_and_goes_away(tmp_path):
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "share")}
    out = run(COMMAND, "--install-desktop-entry", env=env)
    entry = tmp_path / "share" / "applications" / f"{APP_ID}.desktop"
    assert f"installed {entry}" in out
    text = entry.read_text()
    exec_line = next(line for line in text.splitlines() if line.startswith("Exec="))
    launcher = exec_line.removeprefix("Exec=").removesuffix(" %u")
    assert os.path.samefile(launcher, COMMAND)  # this installation's own launcher
    run(tool("desktop-file-validate"), str(entry))
    for size in ICON_SIZES:
        assert (
            tmp_path
            / "share"
            / "icons"
            / "hicolor"
            / f"{size}x{size}"
            / "apps"
            / "desktop-chat.png"
        ).is_file()
    assert (tmp_path / "share" / "metainfo" / f"{APP_ID}.metainfo.xml").is_file()
    run(COMMAND, "--uninstall-desktop-entry", env=env)
    left = [p for p in (tmp_path / "share").rglob("*") if p.is_file()]
    assert left == []


def test_a_wheel_carries_the_resources_into_a_fresh_venv(tmp_path):
    wheels = tmp_path / "wheels"
    # The build compiles the translations (setup.py) with this venv's pyside6-lrelease:
    # the isolated build environment has no PySide6, so lrelease is found on PATH.
    build_env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "-q",
        "--no-deps",
        "-w",
        str(wheels),
        str(ROOT),
        env=build_env,
    )
    (wheel,) = wheels.glob("desktop_chat-*.whl")
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", str(venv))
    python = venv / "bin" / "python"
    # The dependencies come from this venv (no network, no 270 MB reinstall); the
    # project itself only from the wheel.
    site = Path(
        run(str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))").strip()
    )
    (site / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    # Without PYTHONPATH: a checkout on it would count as desktop_chat installed already.
    clean_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        str(python),
        "install",
        "-q",
        "--no-deps",
        str(wheel),
        env=clean_env,
    )
    assert run(
        str(venv / "bin" / "desktop-chat"), "--version", env=clean_env, cwd=tmp_path
    ).strip() == (f"desktop-chat {__version__}")
    probe = (
        "import desktop_chat.appdata as a, pathlib;"
        "print(a.__file__); print(a.icon_png(64).is_file(), a.icon_svg().is_file())"
    )
    out = run(str(python), "-c", probe, env=clean_env, cwd=tmp_path).split()
    assert out[0].startswith(str(venv)), "the wheel's copy, not the checkout's"
    assert out[1:] == ["True", "True"]
    # PEP 561: the installed package says it ships its types.
    assert (Path(out[0]).parent / "py.typed").is_file()
    # The compiled Chinese translation came along, and it translates.
    probe = (
        "from PySide6.QtCore import QCoreApplication;"
        "from desktop_chat.ui.i18n import install_translations;"
        "import desktop_chat.appdata as a;"
        "app = QCoreApplication([]); install_translations('zh_CN');"
        "print(sorted(p.name for p in a.translations_dir().glob('*.qm')));"
        "print(QCoreApplication.translate('MainWindow', 'New chat'))"
    )
    lines = run(
        str(python), "-c", probe, env={**clean_env, "QT_QPA_PLATFORM": "offscreen"}, cwd=tmp_path
    ).splitlines()
    assert "app_zh_CN.qm" in lines[-2] and "chat_zh_CN.qm" in lines[-2], lines
    assert lines[-1] == "发起聊天", lines


def test_the_apps_data_directory_and_its_files_are_private(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    (data / "settings.json").write_text("{}")
    (data / "settings.json").chmod(0o644)
    # What desktop-chat's main() does with its data directory before anything else
    # (the test of a user's own directory, with the client, is in tests/client).
    from desktop_chat.client.private_files import private_dir

    private_dir(data)
    assert data.stat().st_mode & 0o777 == 0o700
    assert (data / "settings.json").stat().st_mode & 0o777 == 0o600
