"""Render the app icon's PNG sizes from resources/icons/desktop-chat.svg.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/render_icons.py

Writes resources/icons/hicolor/<N>x<N>/apps/desktop-chat.png for the sizes a
freedesktop icon theme, the tray and the window use. The PNGs are committed, so
the app and the wheel need no SVG renderer at run time; a test checks they are
up to date with the SVG.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "desktop_chat" / "resources" / "icons" / "desktop-chat.svg"
SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)


def render(size: int) -> QImage:
    renderer = QSvgRenderer(str(SVG))
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image


def png_path(size: int) -> Path:
    return (
        ROOT
        / "desktop_chat"
        / "resources"
        / "icons"
        / "hicolor"
        / f"{size}x{size}"
        / "apps"
        / "desktop-chat.png"
    )


def main() -> int:
    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    for size in SIZES:
        path = png_path(size)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not render(size).save(str(path)):
            print(f"could not write {path}", file=sys.stderr)
            return 1
        print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
