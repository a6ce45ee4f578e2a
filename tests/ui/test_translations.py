"""The zh_CN translation is complete, and it is what the app loads.

Every string `pyside6-lupdate` finds in desktop_chat/ui and the demo (so any new
`tr()` anywhere, by anyone) must have a finished Chinese translation in one of
the committed `resources/translations/*_zh_CN.ts` files, with the same
placeholders (`%n`, `%1`, `{name}`) as its source. Then the compiled catalogue
really translates: `i18n.install_translations` makes the app's strings and
Qt's own standard buttons Chinese, and English again.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QLocale
from PySide6.QtWidgets import QDialogButtonBox

from desktop_chat.appdata import translations_dir
from desktop_chat.ui.i18n import install_translations
from desktop_chat.ui.painting.common import day_label

ROOT = Path(__file__).resolve().parents[2]
LUPDATE = Path(sys.executable).with_name("pyside6-lupdate")
PLACEHOLDER = re.compile(r"%n|%L?\d+|\{[A-Za-z_][A-Za-z0-9_]*\}")

Key = tuple[str, str, str]  # context, source, comment


def messages(ts: Path) -> dict[Key, tuple[bool, list[str]]]:
    """Each message of a .ts file: (finished, the translation's forms)."""
    found: dict[Key, tuple[bool, list[str]]] = {}
    for context in ET.parse(ts).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            key = (name, message.findtext("source") or "", message.findtext("comment") or "")
            translation = message.find("translation")
            assert translation is not None, key
            forms = [f.text or "" for f in translation.iter("numerusform")] or [
                translation.text or ""
            ]
            finished = translation.get("type") not in ("unfinished", "vanished", "obsolete")
            found[key] = (finished and all(forms), forms)
    return found


def committed() -> dict[Key, tuple[bool, list[str]]]:
    found: dict[Key, tuple[bool, list[str]]] = {}
    for ts in sorted(translations_dir().glob("*_zh_CN.ts")):
        for key, value in messages(ts).items():
            if value[0] or key not in found:
                found[key] = value
    return found


def source_strings(tmp_path: Path) -> set[Key]:
    """Every translatable string in the UI code now, as lupdate reads it."""
    ts = tmp_path / "all_zh_CN.ts"
    done = subprocess.run(
        [
            str(LUPDATE),
            "-extensions",
            "py",
            str(ROOT / "desktop_chat" / "ui"),
            str(ROOT / "desktop_chat" / "demo.py"),
            "-ts",
            str(ts),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return set(messages(ts))


def test_every_source_string_has_a_finished_chinese_translation(tmp_path):
    sources = source_strings(tmp_path)
    assert len(sources) > 100, "lupdate found the UI's strings"
    translations = committed()
    missing = sorted(key for key in sources if not translations.get(key, (False, []))[0])
    assert not missing, "untranslated (run pyside6-lupdate, then translate):\n" + "\n".join(
        f"  [{context}] {source!r}" for context, source, _comment in missing
    )


def test_placeholders_match_between_source_and_translation():
    wrong = []
    for (context, source, _comment), (finished, forms) in committed().items():
        if not finished:
            continue
        want = sorted(PLACEHOLDER.findall(source))
        for form in forms:
            if sorted(PLACEHOLDER.findall(form)) != want:
                wrong.append(f"  [{context}] {source!r} -> {form!r}")
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


def test_the_chinese_catalogue_translates_and_english_comes_back(qapp):
    for ts in translations_dir().glob("*_zh_CN.ts"):
        assert ts.with_suffix(".qm").is_file(), f"{ts.name} not compiled (scripts/bootstrap.sh)"
    try:
        locale = install_translations("zh_CN")
        assert locale.language() == QLocale.Language.Chinese
        assert QLocale().language() == QLocale.Language.Chinese, "dates follow the language"
        assert QCoreApplication.translate("MainWindow", "New chat") == "发起聊天"
        assert QCoreApplication.translate("ChatView", "Send") == "发送"
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        cancel = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        assert cancel.text().replace("&", "").startswith("取消"), "Qt's own qtbase_zh_CN.qm"
        now = int(time.time() * 1000)
        assert day_label(now) == "今天"  # painted texts are cached per language
        install_translations("en")
        assert QCoreApplication.translate("MainWindow", "New chat") == "New chat"
        assert day_label(now) == "Today", "the painters' cache goes with the language"
        assert QLocale().language() == QLocale.Language.English
    finally:
        install_translations("")


@pytest.mark.parametrize(
    ("language", "expected"), [("", None), ("en", "English"), ("zh_CN", "Chinese")]
)
def test_the_language_setting_chooses_the_locale(language, expected):
    from desktop_chat.ui.i18n import ui_locale

    locale = ui_locale(language)
    if expected is None:
        assert locale.name() == QLocale.system().name()
    else:
        assert locale.language() == getattr(QLocale.Language, expected)
