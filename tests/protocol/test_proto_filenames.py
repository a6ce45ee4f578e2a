"""File names from file messages: safe on every desktop, and never a way out of the
download folder (protocol.filenames, client.download_paths)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop_chat.client.download_paths import download_path
from desktop_chat.protocol.filenames import FALLBACK, MAX_FILENAME_BYTES, safe_filename


@pytest.mark.parametrize(
    ("given_name", "safe"),
    [
        ("report.pdf", "report.pdf"),
        ("季度报告 2026.xlsx", "季度报告 2026.xlsx"),
        ("../../.ssh/authorized_keys", "authorized_keys"),
        ("..\\..\\Windows\\system32\\evil.dll", "evil.dll"),
        ("/etc/passwd", "passwd"),
        ("a\nb\x00c\x1b[31m.txt", "a_b_c_[31m.txt"),
        ("invoice\u202efdp.exe", "invoice_fdp.exe"),  # the right-to-left override
        ("CON", "_CON"),
        ("nul.txt", "_nul.txt"),
        ("com1.tar.gz", "_com1.tar.gz"),
        ("LPT9 .log", "_LPT9 .log"),
        ("console.txt", "console.txt"),
        ('what?:*<>|".txt', "what_______.txt"),
        ("name. . .", "name"),
        (".bashrc", "bashrc"),
        ("..", FALLBACK),
        (".", FALLBACK),
        ("", FALLBACK),
        ("   ", FALLBACK),
        ("\x00\x01", FALLBACK),
    ],
)
def test_names_are_made_safe(given_name, safe):
    assert safe_filename(given_name) == safe


def test_a_long_name_is_cut_in_its_stem_and_keeps_its_extension():
    long = "长" * 300 + ".pdf"
    safe = safe_filename(long)
    assert safe.endswith(".pdf")
    assert len(safe.encode("utf-8")) <= MAX_FILENAME_BYTES
    assert safe.startswith("长")


@given(st.text(max_size=400))
def test_any_name_is_safe_and_stays_the_same_when_made_safe_again(name):
    safe = safe_filename(name)
    assert safe and safe not in (".", "..")
    assert "/" not in safe and "\\" not in safe
    assert not any(unicodedata.category(ch) in ("Cc", "Cf", "Cs") for ch in safe)
    assert len(safe.encode("utf-8")) <= MAX_FILENAME_BYTES
    assert not safe.endswith((".", " ")) and not safe.startswith(".")
    assert safe_filename(safe) == safe


@given(st.text(max_size=120))
def test_a_download_never_leaves_its_folder(tmp_path_factory, name):
    folder = tmp_path_factory.mktemp("downloads")
    path = download_path(folder, name)
    assert path.parent == folder.resolve()
    assert not path.exists()


def test_twins_get_a_number_and_a_symlink_is_never_followed(tmp_path: Path):
    (tmp_path / "report.pdf").write_text("first")
    assert download_path(tmp_path, "report.pdf").name == "report (2).pdf"
    outside = tmp_path.parent / "outside-target"
    (tmp_path / "link.txt").symlink_to(outside)  # a dangling link, pointing out
    assert download_path(tmp_path, "link.txt").name == "link (2).txt"
    assert not outside.exists()
