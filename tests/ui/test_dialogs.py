"""Settings file, the small dialogs and the read-by view, driven through their real
widgets: typing with qtbot.keyClicks, clicking with qtbot.mouseClick."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QWidget,
)

from desktop_chat.client.models import GroupMessageAck
from desktop_chat.ui.dialogs.forms import (
    NewChatDialog,
    NewGroupDialog,
    parse_members,
)
from desktop_chat.ui.dialogs.login import LoginDialog, TrustDialog
from desktop_chat.ui.dialogs.settings import SettingsDialog
from desktop_chat.ui.read_by import ReadByDialog, format_read_time
from desktop_chat.ui.settings import AppSettings, load, save

MSG = "m0123456789abcdef"
GROUP = "42"
# 2024-03-12 10:32:05 UTC
T0 = 1_710_239_525_000


def shown(qtbot, dialog: QDialog) -> QDialog:
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def child(parent: QWidget, kind: type, name: str):
    widget = parent.findChild(kind, name)
    assert widget is not None, f"no {kind.__name__} named {name!r}"
    return widget


def button(parent: QWidget, text: str) -> QPushButton:
    for candidate in parent.findChildren(QPushButton):
        if candidate.text().replace("&", "") == text:
            return candidate
    raise AssertionError(f"no button {text!r}")


def click(qtbot, widget: QWidget) -> None:
    if isinstance(widget, QCheckBox | QRadioButton):
        # Their hit area is the box and its label, not the whole (stretched) widget.
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=QPoint(8, widget.height() // 2))
    else:
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def type_into(qtbot, widget: QWidget, text: str) -> None:
    widget.setFocus()
    qtbot.keyClicks(widget, text)


def ack(name: str, at: int, note: str | None = None, ack_id: str = "") -> GroupMessageAck:
    return GroupMessageAck(MSG, ack_id or f"a-{name}-{at}", name, note, 1, at)


@pytest.fixture
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


# --- AppSettings -------------------------------------------------------------------


def test_settings_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "settings.json"
    settings = AppSettings(
        delivery_receipts=False,
        read_receipts=False,
        dwell_seconds=2.5,
        idle_seconds=120.0,
        notifications=False,
        server_url="ws://chat.example.com:8765",
        last_username="王小明",
    )
    save(settings, path)
    assert load(path) == settings
    assert AppSettings.load(path) == settings
    assert [p.name for p in path.parent.iterdir()] == ["settings.json"], "temp file left"


def test_missing_or_corrupt_settings_give_defaults(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    assert load(path) == AppSettings()
    path.write_text('{"read_receipts": fal', encoding="utf-8")
    assert load(path) == AppSettings()
    path.write_bytes(b"\xff\xfe\x00garbage")
    assert load(path) == AppSettings()
    path.write_text("[1, 2, 3]", encoding="utf-8")
    assert load(path) == AppSettings()


def test_bad_fields_fall_back_one_by_one(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps(
            {
                "read_receipts": "no",  # wrong type: default
                "delivery_receipts": False,
                "dwell_seconds": 99,  # clamped to 10 s
                "idle_seconds": True,  # a bool is not a number
                "server_url": 5,
                "last_username": "bob",
                "unknown": 1,
            }
        ),
        encoding="utf-8",
    )
    assert load(path) == AppSettings(
        delivery_receipts=False, dwell_seconds=10.0, last_username="bob"
    )


def test_save_replaces_the_old_file_whole(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    AppSettings(last_username="alice").save(path)
    AppSettings(last_username="bob").save(path)
    assert json.loads(path.read_text(encoding="utf-8"))["last_username"] == "bob"


# --- SettingsDialog ----------------------------------------------------------------


def test_settings_dialog_returns_edited_values_and_emits_on_save(qtbot) -> None:
    original = AppSettings(server_url="ws://h:1", last_username="alice")
    dialog = shown(qtbot, SettingsDialog(original))
    assert dialog.settings() == original

    click(qtbot, child(dialog, QCheckBox, "read_receipts"))
    click(qtbot, child(dialog, QCheckBox, "notifications"))
    dwell = child(dialog, QDoubleSpinBox, "dwell_seconds")
    dwell.selectAll()
    type_into(qtbot, dwell, f"2{dwell.locale().decimalPoint()}5")
    idle = child(dialog, QSpinBox, "idle_seconds")
    idle.selectAll()
    type_into(qtbot, idle, "120")

    expected = AppSettings(
        read_receipts=False,
        notifications=False,
        dwell_seconds=2.5,
        idle_seconds=120.0,
        server_url="ws://h:1",
        last_username="alice",
    )
    assert dialog.settings() == expected
    with qtbot.waitSignal(dialog.settings_changed) as signal:
        click(qtbot, button(dialog, "Save"))
    assert signal.args == [expected]
    assert dialog.result() == QDialog.DialogCode.Accepted


def test_settings_dialog_cancel_emits_nothing(qtbot) -> None:
    dialog = shown(qtbot, SettingsDialog(AppSettings()))
    click(qtbot, child(dialog, QCheckBox, "delivery_receipts"))
    with qtbot.assertNotEmitted(dialog.settings_changed):
        click(qtbot, button(dialog, "Cancel"))
    assert dialog.result() == QDialog.DialogCode.Rejected


def test_settings_dialog_explains_the_switches(qtbot) -> None:
    dialog = shown(qtbot, SettingsDialog(AppSettings()))
    texts = [label.text() for label in dialog.findChildren(QLabel)]
    assert "If you turn read receipts off, you won't send or see them." in texts
    assert "Notifications never mark messages as read." in texts


# --- LoginDialog -------------------------------------------------------------------


def test_login_emits_typed_values(qtbot) -> None:
    dialog = shown(qtbot, LoginDialog())
    type_into(qtbot, child(dialog, QLineEdit, "server_url"), "ws://127.0.0.1:8765")
    type_into(qtbot, child(dialog, QLineEdit, "username"), "alice")
    type_into(qtbot, child(dialog, QLineEdit, "password"), "secret")
    with qtbot.waitSignal(dialog.sign_in_requested) as signal:
        click(qtbot, button(dialog, "Sign in"))
    assert signal.args == ["ws://127.0.0.1:8765", "alice", "secret"]
    assert dialog.isVisible(), "stays open until the controller answers"


def test_login_refuses_invalid_username_visibly(qtbot) -> None:
    dialog = shown(qtbot, LoginDialog())
    username = child(dialog, QLineEdit, "username")
    type_into(qtbot, username, "Alice!")
    type_into(qtbot, child(dialog, QLineEdit, "password"), "secret123")
    with (
        qtbot.assertNotEmitted(dialog.sign_in_requested),
        qtbot.assertNotEmitted(dialog.register_requested),
    ):
        click(qtbot, button(dialog, "Sign in"))
        click(qtbot, button(dialog, "Create account"))
    error = child(dialog, QLabel, "error")
    assert error.isVisible()
    assert "lowercase" in error.text() and "2–32" in error.text()

    qtbot.keyClick(username, Qt.Key.Key_Backspace)
    assert not error.isVisible(), "editing clears the error"


def test_login_register_needs_eight_characters(qtbot) -> None:
    dialog = shown(qtbot, LoginDialog())
    type_into(qtbot, child(dialog, QLineEdit, "username"), "alice")
    password = child(dialog, QLineEdit, "password")
    type_into(qtbot, password, "short")
    with qtbot.assertNotEmitted(dialog.register_requested):
        click(qtbot, button(dialog, "Create account"))
    assert "at least 8 characters" in dialog.error_text()
    assert password.selectedText() == "short", "the field to fix is selected"
    type_into(qtbot, password, "long enough")
    with qtbot.waitSignal(dialog.register_requested) as signal:
        click(qtbot, button(dialog, "Create account"))
    assert signal.args == ["", "alice", "long enough"]


def test_login_refuses_a_malformed_server_address(qtbot) -> None:
    dialog = shown(qtbot, LoginDialog())
    type_into(qtbot, child(dialog, QLineEdit, "server_url"), "chat.example.com")
    type_into(qtbot, child(dialog, QLineEdit, "username"), "alice")
    type_into(qtbot, child(dialog, QLineEdit, "password"), "secret123")
    with qtbot.assertNotEmitted(dialog.sign_in_requested):
        click(qtbot, button(dialog, "Sign in"))
    assert "wss://" in dialog.error_text()


def test_login_offers_this_computers_server_alone_or_for_the_network(qtbot) -> None:
    dialog = shown(qtbot, LoginDialog())
    own, shared, remote = (
        child(dialog, QRadioButton, n) for n in ("server_own", "server_shared", "server_remote")
    )
    assert own.isChecked(), "the default stays this computer only"
    texts = [label.text() for label in dialog.findChildren(QLabel)]
    assert any("has a server built in" in t for t in texts), "one sentence says what it is"
    with qtbot.waitSignal(dialog.server_mode_changed) as switched:
        click(qtbot, shared)
    assert switched.args == [True]
    dialog.show_sharing(["wss://192.168.1.5:40123"], "1A2B 3C4D 5E6F 7A8B 9C0D 1E2F")
    sharing = child(dialog, QLabel, "sharing")
    assert sharing.isVisible()
    text = dialog.sharing_text()
    assert "wss://192.168.1.5:40123" in text and "1A2B 3C4D" in text
    type_into(qtbot, child(dialog, QLineEdit, "username"), "alice")
    type_into(qtbot, child(dialog, QLineEdit, "password"), "secret123")
    with qtbot.waitSignal(dialog.sign_in_requested) as signal:
        click(qtbot, button(dialog, "Sign in"))
    assert signal.args == ["", "alice", "secret123"], "this computer's server: no address"
    dialog.set_busy(False)
    with qtbot.waitSignal(dialog.server_mode_changed) as switched:
        click(qtbot, own)
    assert switched.args == [False]
    assert not sharing.isVisible()
    click(qtbot, remote)
    with qtbot.assertNotEmitted(dialog.sign_in_requested):
        click(qtbot, button(dialog, "Sign in"))
    assert "Type the server's address" in dialog.error_text()


def test_a_given_address_means_that_server_and_shared_comes_back_as_it_was(qtbot) -> None:
    dialog = shown(qtbot, LoginDialog())
    dialog.set_values("wss://chat.example.com:8765", "alice")
    assert child(dialog, QRadioButton, "server_remote").isChecked()
    again = shown(qtbot, LoginDialog())
    with qtbot.assertNotEmitted(again.server_mode_changed):
        again.set_values("", "alice", shared=True)  # what the session runs already
    assert child(again, QRadioButton, "server_shared").isChecked()


def test_the_trust_question_shows_the_code_and_enter_does_not_trust(qtbot) -> None:
    question = shown(
        qtbot, TrustDialog("wss://10.0.0.7:40123", "1A2B 3C4D 5E6F 7A8B 9C0D 1E2F", False)
    )
    assert child(question, QLabel, "security_code").text() == "1A2B 3C4D 5E6F 7A8B 9C0D 1E2F"
    assert any("10.0.0.7" in label.text() for label in question.findChildren(QLabel))
    with qtbot.waitSignal(question.rejected):
        qtbot.keyClick(question, Qt.Key.Key_Return)
    changed = shown(qtbot, TrustDialog("wss://10.0.0.7:40123", "FFFF", True))
    assert any("another certificate" in label.text() for label in changed.findChildren(QLabel))
    with qtbot.waitSignal(changed.accepted):
        click(qtbot, button(changed, "The codes match: trust this server"))


def test_login_busy_disables_inputs_and_error_reenables(qtbot) -> None:
    dialog = shown(qtbot, LoginDialog())
    dialog.set_values("ws://h:1", "alice")
    assert child(dialog, QLineEdit, "server_url").text() == "ws://h:1"
    assert child(dialog, QLineEdit, "username").text() == "alice"

    dialog.set_busy(True)
    sign_in = button(dialog, "Sign in")
    assert not sign_in.isEnabled()
    assert not child(dialog, QLineEdit, "username").isEnabled()
    status = child(dialog, QLabel, "status")
    assert status.isVisible() and status.text() == "Signing in…"
    with qtbot.assertNotEmitted(dialog.sign_in_requested):
        click(qtbot, sign_in)

    dialog.show_error("Wrong username or password. Check both and try again.")
    assert sign_in.isEnabled() and not status.isVisible()
    assert dialog.error_text().startswith("Wrong username or password")


# --- NewChatDialog / NewGroupDialog ------------------------------------------------


def test_new_chat_emits_username_and_waits_for_the_check(qtbot) -> None:
    dialog = shown(qtbot, NewChatDialog(own_username="alice"))
    field = child(dialog, QLineEdit, "username")
    type_into(qtbot, field, "alice")
    with qtbot.assertNotEmitted(dialog.chat_requested):
        click(qtbot, button(dialog, "Start chat"))
    assert "your own username" in dialog.error_text()

    field.selectAll()
    type_into(qtbot, field, "Bob")
    with qtbot.assertNotEmitted(dialog.chat_requested):
        click(qtbot, button(dialog, "Start chat"))
    assert "Try “bob”" in dialog.error_text()

    field.selectAll()
    type_into(qtbot, field, " @bob ")
    with qtbot.waitSignal(dialog.chat_requested) as signal:
        click(qtbot, button(dialog, "Start chat"))
    assert signal.args == ["bob"]
    assert dialog.isVisible()  # until the controller knows "bob" exists
    dialog.show_error("There is no account “bob” on this server.")
    assert "no account" in dialog.error_text()
    dialog.accept()
    assert dialog.result() == QDialog.DialogCode.Accepted


def test_parse_members_splits_and_dedupes() -> None:
    assert parse_members(" bob, carol\n\ndave;bob  @erin,,\t") == ["bob", "carol", "dave", "erin"]
    assert parse_members("  \n ") == []


def test_new_group_emits_parsed_values(qtbot) -> None:
    dialog = shown(qtbot, NewGroupDialog(own_username="alice"))
    type_into(qtbot, child(dialog, QLineEdit, "group_name"), "Release team")
    members = child(dialog, QPlainTextEdit, "members")
    type_into(qtbot, members, "bob, carol dave")
    qtbot.keyClick(members, Qt.Key.Key_Return)
    type_into(qtbot, members, "bob,alice  erin")
    click(qtbot, child(dialog, QRadioButton, "policy_all"))
    with qtbot.waitSignal(dialog.group_requested) as signal:
        click(qtbot, button(dialog, "Create group"))
    assert signal.args == ["Release team", ["bob", "carol", "dave", "erin"], "all"]


def test_new_group_default_policy_is_admins(qtbot) -> None:
    dialog = shown(qtbot, NewGroupDialog())
    type_into(qtbot, child(dialog, QLineEdit, "group_name"), "Ops")
    type_into(qtbot, child(dialog, QPlainTextEdit, "members"), "bob")
    with qtbot.waitSignal(dialog.group_requested) as signal:
        click(qtbot, button(dialog, "Create group"))
    assert signal.args == ["Ops", ["bob"], "admins"]


def test_new_group_refuses_bad_names_clearly(qtbot) -> None:
    dialog = shown(qtbot, NewGroupDialog())
    with qtbot.assertNotEmitted(dialog.group_requested):
        click(qtbot, button(dialog, "Create group"))
    assert dialog.error_text() == "Give the group a name."

    type_into(qtbot, child(dialog, QLineEdit, "group_name"), "Ops")
    type_into(qtbot, child(dialog, QPlainTextEdit, "members"), "bob, Carol, 9lives")
    with qtbot.assertNotEmitted(dialog.group_requested):
        click(qtbot, button(dialog, "Create group"))
    assert "“Carol”, “9lives”" in dialog.error_text()
    assert "lowercase letters" in dialog.error_text()


# --- ReadByDialog ------------------------------------------------------------------


def read_by(qtbot, member_count: int = 6) -> ReadByDialog:
    return shown(qtbot, ReadByDialog(MSG, GROUP, "Release moves to Friday", member_count))


def test_read_by_counts_in_header_and_tabs(qtbot) -> None:
    dialog = read_by(qtbot)
    assert dialog.header_text() == "Read by 0 of 6"
    assert dialog.tab_titles() == ("Read (0)", "Not read yet")

    dialog.set_acks([ack("alice", T0), ack("bob", T0 + 5000, "Got it"), ack("carol", T0 + 1)])
    dialog.set_unread(["dave", "erin", "frank"])
    assert dialog.header_text() == "Read by 3 of 6"
    assert dialog.tab_titles() == ("Read (3)", "Not read yet (3)")
    assert dialog.read_names() == ["bob", "carol", "alice"], "newest first"
    assert dialog.unread_names() == ["dave", "erin", "frank"]

    dialog.set_acks([ack("alice", T0)])
    assert dialog.header_text() == "Read by 1 of 6", "set_acks replaces"


def test_read_by_live_update_moves_member_and_ignores_duplicates(qtbot) -> None:
    dialog = read_by(qtbot)
    dialog.set_acks([ack("alice", T0)])
    dialog.set_unread(["bob", "carol", "dave"])

    dialog.add_acks([ack("carol", T0 + 60_000, "On it")])
    assert dialog.read_names() == ["carol", "alice"]
    assert dialog.unread_names() == ["bob", "dave"]
    assert dialog.header_text() == "Read by 2 of 6"
    assert dialog.tab_titles() == ("Read (2)", "Not read yet (2)")

    dialog.add_acks([ack("carol", T0 + 90_000, "again", ack_id="other"), ack("alice", T0 + 1)])
    dialog.add_acks([GroupMessageAck("another-message", "x", "bob", None, 1, T0)])
    assert dialog.read_names() == ["carol", "alice"]
    assert dialog.unread_names() == ["bob", "dave"]
    assert dialog.tab_titles() == ("Read (2)", "Not read yet (2)")

    dialog.add_acks([ack("dave", T0 + 30_000)])
    assert dialog.read_names() == ["carol", "dave", "alice"], "merged in time order"


def test_set_unread_leaves_out_members_already_read(qtbot) -> None:
    dialog = read_by(qtbot)
    dialog.set_acks([ack("alice", T0)])
    dialog.set_unread(["alice", "bob", "bob"])
    assert dialog.unread_names() == ["bob"]


def test_remind_emits_once_and_is_disabled_when_nobody_is_unread(qtbot) -> None:
    dialog = read_by(qtbot, member_count=2)
    remind = child(dialog, QPushButton, "remind")
    assert not remind.isEnabled(), "unread list not known yet"

    dialog.set_unread(["bob"])
    assert remind.isEnabled()
    with qtbot.waitSignal(dialog.remind_requested) as signal:
        click(qtbot, remind)
    assert signal.args == [MSG, GROUP]
    assert not remind.isEnabled(), "one click reminds once"

    dialog.show_reminded(["bob"])
    assert dialog.status_text() == "Reminded 1 member."
    assert remind.isEnabled()

    dialog.add_acks([ack("bob", T0)])
    assert dialog.tab_titles() == ("Read (1)", "Not read yet (0)")
    assert not remind.isEnabled()
    with qtbot.assertNotEmitted(dialog.remind_requested):
        click(qtbot, remind)


def test_reminded_count_is_plural(qtbot) -> None:
    dialog = read_by(qtbot)
    dialog.show_reminded(["a", "b", "c", "d", "e", "f", "g"])
    assert dialog.status_text() == "Reminded 7 members."


def test_export_csv_writes_exact_rows(qtbot, tmp_path: Path, utc) -> None:
    dialog = read_by(qtbot)
    dialog.set_acks(
        [
            ack("alice", T0, "Got it, see you Friday"),
            ack("王小明", T0 + 65_000, "收到"),
            ack("bob", T0 + 3_600_000),
        ]
    )
    dialog.set_unread(["carol", "dave"])
    dialog.add_acks([ack("erin", T0 + 7_200_000, "=1+1")])
    path = tmp_path / "read-by.csv"
    dialog.export_csv(path)

    assert path.read_bytes().startswith(b"\xef\xbb\xbf"), "BOM, so Excel reads UTF-8"
    with path.open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.reader(file))
    assert rows == [
        ["member", "status", "read_at_iso", "note", "confirmed_at_iso"],
        ["erin", "read", "2024-03-12T12:32:05+00:00", "'=1+1", ""],
        ["bob", "read", "2024-03-12T11:32:05+00:00", "", ""],
        ["王小明", "read", "2024-03-12T10:33:10+00:00", "收到", ""],
        ["alice", "read", "2024-03-12T10:32:05+00:00", "Got it, see you Friday", ""],
        ["carol", "unread", "", "", ""],
        ["dave", "unread", "", "", ""],
    ]


def test_export_button_uses_a_non_blocking_file_dialog(qtbot, tmp_path: Path) -> None:
    dialog = read_by(qtbot)
    dialog.set_acks([ack("alice", T0)])
    dialog.set_unread(["bob"])
    click(qtbot, child(dialog, QPushButton, "export"))
    file_dialog = dialog.findChild(QFileDialog)
    assert file_dialog is not None and file_dialog.isVisible()

    target = tmp_path / "out.csv"
    file_dialog.setDirectory(str(tmp_path))
    file_dialog.selectFile(str(target))
    file_dialog.accept()
    with target.open(encoding="utf-8-sig", newline="") as file:
        assert [row[0] for row in csv.reader(file)] == ["member", "alice", "bob"]
    assert dialog.status_text() == "Saved 2 members to out.csv."


def test_export_failure_says_what_to_do(qtbot, tmp_path: Path) -> None:
    dialog = read_by(qtbot)
    click(qtbot, child(dialog, QPushButton, "export"))
    file_dialog = dialog.findChild(QFileDialog)
    file_dialog.fileSelected.emit(str(tmp_path / "missing-folder" / "out.csv"))
    file_dialog.reject()
    assert dialog.status_text().startswith("Couldn't save out.csv")
    assert "Choose another folder" in dialog.status_text()


def test_search_filters_both_lists(qtbot) -> None:
    dialog = read_by(qtbot)
    dialog.set_acks([ack("alice", T0), ack("albert", T0 + 1)])
    dialog.set_unread(["bob", "alfred"])
    type_into(qtbot, child(dialog, QLineEdit, "search"), "AL")
    tabs = dialog.findChildren(QWidget, "tabs")[0]
    read_view = tabs.widget(0).view
    unread_view = tabs.widget(1).view
    assert read_view.model().rowCount() == 2
    assert unread_view.model().rowCount() == 1


def test_read_time_reads_like_a_person_says_it() -> None:
    from datetime import datetime

    now = datetime(2024, 3, 12, 18, 0)
    at = int(datetime(2024, 3, 12, 10, 32).timestamp() * 1000)
    assert format_read_time(at, now) == "Today 10:32"
    assert format_read_time(at - 86_400_000, now) == "Yesterday 10:32"
    assert format_read_time(int(datetime(2024, 1, 5, 9, 7).timestamp() * 1000), now) == (
        "5 Jan 09:07"
    )
    assert format_read_time(int(datetime(2023, 1, 5, 9, 7).timestamp() * 1000), now) == (
        "5 Jan 2023 09:07"
    )


def test_the_sign_in_window_grows_so_no_wrapped_line_is_clipped(qtbot) -> None:
    dialog = shown(qtbot, LoginDialog())
    click(qtbot, child(dialog, QRadioButton, "server_shared"))
    dialog.show_sharing(["wss://192.168.100.105:40123"], "1A2B 3C4D 5E6F 7A8B 9C0D 1E2F")
    dialog.show_error(
        "There is no account “alice” on this server yet. Create it, or check the name."
    )
    dialog.offer_account("alice")

    def clipped() -> list[str]:
        return [
            label.text()
            for label in dialog.findChildren(QLabel)
            if label.isVisible()
            and label.wordWrap()
            and label.height() < label.heightForWidth(label.width())
        ]

    qtbot.waitUntil(lambda: not clipped(), timeout=2000)
