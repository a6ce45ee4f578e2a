"""The UI's language: which translations are loaded, and the locale dates follow.

Owns: `LANGUAGES` (the choices Settings offers: "" follows the system, "en",
"zh_CN"), `ui_locale` (the QLocale a choice means), and `install_translations`:
it sets `QLocale.setDefault` (so `QLocale()` formats dates and times in that
language, "今天 18:27") and installs the app's compiled Qt Linguist files
(`resources/translations/*_<locale>.qm`, built by `pyside6-lrelease` from the
`.ts` sources: `scripts/bootstrap.sh`, the wheel build in `setup.py`) and Qt's
own `qtbase_<locale>.qm` (standard buttons: OK, Cancel) on the QApplication.

Called before any window is made (`session.AppSession.start`, the demo); a
second call replaces what the first installed, so a process (a test run) can
switch languages between windows. Windows already open keep their text: a
change in Settings takes effect at the next start.

Never: raise when a `.qm` file is missing: the UI is then English.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from desktop_chat.appdata import translations_dir
from desktop_chat.ui.painting.common import forget_translated_texts

log = logging.getLogger(__name__)

# The setting's value, and the name shown for it (a language's own name is never translated).
LANGUAGES: dict[str, str] = {"": "", "en": "English", "zh_CN": "中文 (简体)"}
# The app's translation catalogues: resources/translations/<name>_<locale>.qm.
CATALOGUES = ("app", "chat", "a11y")

_installed: list[QTranslator] = []


def ui_locale(language: str = "") -> QLocale:
    """The locale that `language` (a setting's value; "" = the system's) means."""
    if not language:
        return QLocale.system()
    if language == "en":
        return QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)
    return QLocale(language)


def install_translations(language: str = "") -> QLocale:
    """Load the translations for `language` into the running QCoreApplication.

    Returns the locale now in use. English (or a language with no `.qm`) loads
    nothing, so the source strings show. The painters' cached texts ("Today",
    "Read 5/9") are dropped, so the next paint is in the new language.
    """
    app = QCoreApplication.instance()
    locale = ui_locale(language)
    QLocale.setDefault(locale)
    forget_translated_texts()
    for old in _installed:
        if app is not None:
            app.removeTranslator(old)
    _installed.clear()
    if app is None or locale.language() == QLocale.Language.English:
        return locale
    folders = [(name, translations_dir()) for name in CATALOGUES]
    folders.append(("qtbase", Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))))
    for name, folder in folders:
        translator = QTranslator(app)
        if translator.load(locale, name, "_", str(folder)):
            app.installTranslator(translator)
            _installed.append(translator)
        else:
            log.info("no %s translation for %s in %s", name, locale.name(), folder)
    return locale
