"""The group info dialog, driven through its real widgets: what each role sees,
and which signal each action emits (confirmations included)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QAbstractItemModelTester
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QLineEdit,
    QListView,
    QMessageBox,
    QPushButton,
    QWidget,
)

from desktop_chat.client.models import Group, GroupRole
from desktop_chat.ui.group_info import GroupInfoDialog, GroupMemberModel, GroupMemberOrder

GID = "g42"


def group(
    members: dict[str, GroupRole] | None = None,
    *,
    policy: str = "admins",
    count: int | None = None,
) -> Group:
    if members is None:
        members = {
            "olivia": GroupRole.OWNER,
            "adam": GroupRole.ADMIN,
            "zoe": GroupRole.ADMIN,
            "mike": GroupRole.MEMBER,
            "bella": GroupRole.MEMBER,
            "carl": GroupRole.MEMBER,
        }
    count = len(members) if count is None else count
    return Group(GID, "Release team", "olivia", policy, count, members)


def opened(qtbot, me: str, g: Group | None = None) -> GroupInfoDialog:
    dialog = GroupInfoDialog(g or group(), me)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def child(parent: QWidget, kind: type, name: str):
    widget = parent.findChild(kind, name)
    assert widget is not None, f"no {kind.__name__} named {name!r}"
    return widget


def click(qtbot, widget: QWidget) -> None:
    assert widget.isVisible() and widget.isEnabled(), widget.objectName()
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def select(qtbot, dialog: GroupInfoDialog, name: str) -> None:
    view = child(dialog, QListView, "members")
    index = view.model().index(dialog.member_names().index(name), 0)
    view.scrollTo(index)
    rect = view.visualRect(index)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert view.selectionModel().selectedIndexes()[0].data() == name


def confirm_box(qtbot, dialog: GroupInfoDialog) -> QMessageBox:
    def open_boxes() -> list[QMessageBox]:
        return [box for box in dialog.findChildren(QMessageBox, "confirm") if box.isVisible()]

    qtbot.waitUntil(lambda: len(open_boxes()) == 1)
    box = open_boxes()[0]
    qtbot.waitExposed(box)
    return box


def answer(qtbot, box: QMessageBox, button_name: str) -> None:
    qtbot.mouseClick(child(box, QPushButton, button_name), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not box.isVisible())


def visible(dialog: GroupInfoDialog, name: str) -> bool:
    widget = dialog.findChild(QWidget, name)
    assert widget is not None, name
    return widget.isVisible()


# --- what each role sees -------------------------------------------------------------


def test_owner_sees_every_management_action_but_not_leave(qtbot) -> None:
    dialog = opened(qtbot, "olivia")
    assert visible(dialog, "add_members") and visible(dialog, "add")
    assert visible(dialog, "toggle_admin") and visible(dialog, "remove")
    assert visible(dialog, "ack_policy") and not visible(dialog, "ack_policy_text")
    assert not visible(dialog, "leave")


def test_admin_adds_and_removes_but_cannot_manage_admins_or_policy(qtbot) -> None:
    dialog = opened(qtbot, "adam")
    assert visible(dialog, "add_members") and visible(dialog, "remove")
    assert not visible(dialog, "toggle_admin")
    assert not visible(dialog, "ack_policy")
    assert child(dialog, QLabel, "ack_policy_text").text() == "Owner and admins"
    assert visible(dialog, "leave")


def test_member_can_only_leave(qtbot) -> None:
    dialog = opened(qtbot, "mike", group(policy="all"))
    for name in ("add_members", "add", "toggle_admin", "remove", "ack_policy"):
        assert not visible(dialog, name), name
    assert child(dialog, QLabel, "ack_policy_text").text() == "Everyone"
    assert visible(dialog, "leave")


def test_admin_may_remove_plain_members_only(qtbot) -> None:
    dialog = opened(qtbot, "adam")
    remove = child(dialog, QPushButton, "remove")
    assert not remove.isEnabled()  # nothing selected yet
    select(qtbot, dialog, "zoe")
    assert not remove.isEnabled()
    assert "owner" in remove.toolTip()
    select(qtbot, dialog, "olivia")
    assert not remove.isEnabled()
    select(qtbot, dialog, "bella")
    assert remove.isEnabled()


def test_owner_cannot_act_on_their_own_row(qtbot) -> None:
    dialog = opened(qtbot, "olivia")
    select(qtbot, dialog, "olivia")
    assert not child(dialog, QPushButton, "toggle_admin").isEnabled()
    assert not child(dialog, QPushButton, "remove").isEnabled()


# --- the list ------------------------------------------------------------------------


def test_owner_first_then_admins_then_members_alphabetically(qtbot) -> None:
    dialog = opened(qtbot, "mike")
    assert dialog.member_names() == ["olivia", "adam", "zoe", "bella", "carl", "mike"]
    assert child(dialog, QLabel, "group_name").text() == "Release team"
    assert child(dialog, QLabel, "member_count").text() == "6 members"


def test_search_filters_the_list(qtbot) -> None:
    dialog = opened(qtbot, "olivia")
    search = child(dialog, QLineEdit, "search")
    search.setFocus()
    qtbot.keyClicks(search, "A")
    assert dialog.member_names() == ["olivia", "adam", "bella", "carl"]  # order kept
    qtbot.keyClicks(search, "r")
    assert dialog.member_names() == ["carl"]
    qtbot.keyClicks(search, "zzz")
    assert dialog.member_names() == []
    empty = child(dialog, QLabel, "empty")
    assert empty.isVisible() and empty.text() == "No member matches your search."
    search.clear()
    assert len(dialog.member_names()) == 6


def test_set_group_refreshes_counts_roles_and_actions(qtbot) -> None:
    dialog = opened(qtbot, "adam")
    select(qtbot, dialog, "carl")
    changed = dict(dialog.group.members or {})
    del changed["bella"]
    changed["carl"] = GroupRole.ADMIN
    changed["nina"] = GroupRole.MEMBER
    changed["adam"] = GroupRole.MEMBER  # the viewer lost admin
    dialog.set_group(group(changed, policy="all"))

    assert child(dialog, QLabel, "member_count").text() == "6 members"
    assert dialog.member_names() == ["olivia", "carl", "zoe", "adam", "mike", "nina"]
    assert child(dialog, QLabel, "ack_policy_text").text() == "Everyone"
    assert not visible(dialog, "add_members") and not visible(dialog, "remove")
    assert visible(dialog, "leave")
    # the selection followed carl to his new place
    view = child(dialog, QListView, "members")
    assert [i.data() for i in view.selectionModel().selectedIndexes()] == ["carl"]

    dialog.set_group(group({"olivia": GroupRole.OWNER, "mike": GroupRole.MEMBER}, count=2))
    assert dialog.member_names() == ["olivia", "mike"]
    assert "no longer a member" in dialog.status_text()
    assert not visible(dialog, "leave")


def test_one_member_is_singular_and_unknown_members_say_loading(qtbot) -> None:
    dialog = opened(qtbot, "olivia", Group(GID, "Solo", "olivia", "admins", 1, None))
    assert child(dialog, QLabel, "member_count").text() == "1 member"
    assert child(dialog, QLabel, "empty").text() == "Loading members…"
    assert visible(dialog, "add_members")  # the owner is known without the list


def test_models_pass_qt_model_tester(qtbot) -> None:
    model = GroupMemberModel()
    order = GroupMemberOrder()
    order.setSourceModel(model)
    order.sort(0)
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    QAbstractItemModelTester(order, QAbstractItemModelTester.FailureReportingMode.Fatal)
    model.set_members({"b": GroupRole.MEMBER, "a": GroupRole.OWNER, "c": GroupRole.ADMIN}, "b")
    model.set_members({"b": GroupRole.ADMIN, "d": GroupRole.MEMBER, "e": GroupRole.MEMBER}, "b")
    order.setFilterFixedString("d")
    order.setFilterFixedString("")
    names = [order.index(i, 0).data() for i in range(order.rowCount())]
    assert names == ["b", "d", "e"]


# --- requests ------------------------------------------------------------------------


def test_add_members_emits_the_parsed_new_names(qtbot) -> None:
    dialog = opened(qtbot, "adam")
    field = child(dialog, QLineEdit, "add_members")
    field.setFocus()
    qtbot.keyClicks(field, "@nina, oscar  mike;nina")
    with qtbot.waitSignal(dialog.add_members_requested) as emitted:
        click(qtbot, child(dialog, QPushButton, "add"))
    assert emitted.args == [GID, ["nina", "oscar"]]  # mike is already in, nina once
    assert dialog.is_busy() and dialog.status_text() == "Adding 2 members…"
    assert not field.isEnabled()

    members = dict(dialog.group.members or {}, nina=GroupRole.MEMBER, oscar=GroupRole.MEMBER)
    dialog.set_group(group(members))
    assert not dialog.is_busy() and field.text() == "" and field.isEnabled()
    assert child(dialog, QLabel, "member_count").text() == "8 members"


def test_add_refuses_an_invalid_name_with_a_visible_error(qtbot) -> None:
    dialog = opened(qtbot, "olivia")
    field = child(dialog, QLineEdit, "add_members")
    field.setFocus()
    qtbot.keyClicks(field, "nina, Bad Name!")
    with qtbot.assertNotEmitted(dialog.add_members_requested):
        click(qtbot, child(dialog, QPushButton, "add"))
    error = dialog.findChild(QLabel, "error")
    assert error.isVisible()
    assert "Not a valid username: “Bad”, “Name!”" in dialog.error_text()
    assert "lowercase letters" in dialog.error_text()
    qtbot.keyClicks(field, "x")  # editing clears the error
    assert dialog.error_text() == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "Enter the usernames to add"),
        ("Nina", "Usernames are lowercase. Try “nina”."),
        ("mike", "“mike” is already a member"),
    ],
)
def test_add_explains_what_to_fix(qtbot, text: str, expected: str) -> None:
    dialog = opened(qtbot, "olivia")
    field = child(dialog, QLineEdit, "add_members")
    field.setFocus()
    qtbot.keyClicks(field, text)
    with qtbot.assertNotEmitted(dialog.add_members_requested):
        qtbot.keyClick(field, Qt.Key.Key_Return)
    assert expected in dialog.error_text()


def test_owner_makes_and_removes_admins(qtbot) -> None:
    dialog = opened(qtbot, "olivia")
    toggle = child(dialog, QPushButton, "toggle_admin")
    select(qtbot, dialog, "mike")
    assert toggle.text() == "Make admin"
    with qtbot.waitSignal(dialog.set_admin_requested) as emitted:
        click(qtbot, toggle)
    assert emitted.args == [GID, "mike", True]
    assert not toggle.isEnabled()  # busy until the controller answers

    dialog.set_group(group(dict(dialog.group.members or {}, mike=GroupRole.ADMIN)))
    assert toggle.text() == "Remove admin" and toggle.isEnabled()
    with qtbot.waitSignal(dialog.set_admin_requested) as emitted:
        click(qtbot, toggle)
    assert emitted.args == [GID, "mike", False]


def test_remove_asks_first_and_cancel_sends_nothing(qtbot) -> None:
    dialog = opened(qtbot, "olivia")
    select(qtbot, dialog, "zoe")
    click(qtbot, child(dialog, QPushButton, "remove"))
    box = confirm_box(qtbot, dialog)
    assert box.text() == "Remove zoe from Release team?"
    assert not dialog.is_busy()
    with qtbot.assertNotEmitted(dialog.remove_member_requested):
        answer(qtbot, box, "confirm_cancel")

    click(qtbot, child(dialog, QPushButton, "remove"))
    box = confirm_box(qtbot, dialog)
    with qtbot.waitSignal(dialog.remove_member_requested) as emitted:
        answer(qtbot, box, "confirm_yes")
    assert emitted.args == [GID, "zoe"]
    assert dialog.status_text() == "Removing zoe…"


def test_error_is_shown_and_the_dialog_works_again(qtbot) -> None:
    dialog = opened(qtbot, "olivia")
    select(qtbot, dialog, "carl")
    click(qtbot, child(dialog, QPushButton, "remove"))
    with qtbot.waitSignal(dialog.remove_member_requested):
        answer(qtbot, confirm_box(qtbot, dialog), "confirm_yes")
    dialog.show_error("Couldn't remove carl: the server is busy. Try again in a minute.")
    assert not dialog.is_busy() and dialog.status_text() == ""
    assert dialog.error_text().startswith("Couldn't remove carl")
    assert child(dialog, QPushButton, "remove").isEnabled()


def test_ack_policy_change_emits_and_reverts_on_error(qtbot) -> None:
    dialog = opened(qtbot, "olivia")
    combo = child(dialog, QComboBox, "ack_policy")
    assert combo.currentText() == "Owner and admins"
    combo.setFocus()
    with qtbot.assertNotEmitted(dialog.ack_policy_requested):
        combo.activated.emit(combo.currentIndex())  # choosing the same policy again
    with qtbot.waitSignal(dialog.ack_policy_requested) as emitted:
        qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert emitted.args == [GID, "all"]
    dialog.show_error("Couldn't change the setting: you're offline. Reconnect and try again.")
    assert combo.currentText() == "Owner and admins"

    dialog.set_group(group(policy="all"))
    assert combo.currentText() == "Everyone"


def test_leave_asks_first_then_emits(qtbot) -> None:
    dialog = opened(qtbot, "mike")
    click(qtbot, child(dialog, QPushButton, "leave"))
    box = confirm_box(qtbot, dialog)
    assert box.text() == "Leave Release team?"
    with qtbot.waitSignal(dialog.leave_requested) as emitted:
        answer(qtbot, box, "confirm_yes")
    assert emitted.args == [GID]
    assert dialog.status_text() == "Leaving the group…"


def test_confirming_a_member_already_gone_sends_nothing(qtbot) -> None:
    dialog = opened(qtbot, "olivia")
    select(qtbot, dialog, "bella")
    click(qtbot, child(dialog, QPushButton, "remove"))
    box = confirm_box(qtbot, dialog)
    members = dict(dialog.group.members or {})
    del members["bella"]
    dialog.set_group(group(members))  # someone else removed her meanwhile
    with qtbot.assertNotEmitted(dialog.remove_member_requested):
        answer(qtbot, box, "confirm_yes")
