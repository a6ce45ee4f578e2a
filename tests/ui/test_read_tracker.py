"""RECEIPTS.md §8, rule by rule, on the read-ack controller with injected sources.

The window, the viewport, the person's input and the clock are plain values the
test moves; `evaluate()` is what the app's timer calls.
"""

from __future__ import annotations

import pytest

from desktop_chat.client.chat_manager import EVERYTHING
from desktop_chat.ui.read_tracker import ReadAckController, ReadKind


class World:
    def __init__(self) -> None:
        self.now = 1000.0
        self.active = True
        self.visible: dict[str, float] = {}
        self.last_input = 1000.0
        self.acks: list[tuple] = []

    def controller(self, qapp, dwell: float = 1.0, idle: float = 30.0) -> ReadAckController:
        controller = ReadAckController(
            is_active=lambda: self.active,
            visible_fractions=lambda: dict(self.visible),
            last_input=lambda: self.last_input,
            clock=lambda: self.now,
            dwell_seconds=dwell,
            idle_seconds=idle,
        )
        controller.messages_seen.connect(self.seen)
        return controller

    def seen(self, conversation_id: str, msg_ids: list[str], up_to) -> None:
        """One report, as the acks it asks for: ("conv", id, bound), then ("msg", chat,
        ids) for a one-to-one chat or ("group", group, ids) for a group (digits)."""
        if up_to is not None:
            self.acks.append(("conv", conversation_id, None if up_to == EVERYTHING else up_to))
        if msg_ids:
            kind = "group" if conversation_id.isdigit() else "msg"
            self.acks.append((kind, conversation_id, msg_ids))

    def wait(self, controller: ReadAckController, seconds: float, step: float = 0.2) -> None:
        """Let time pass, evaluating as the app's timer would."""
        steps = round(seconds / step)
        for _ in range(steps):
            self.now += step
            controller.evaluate()


@pytest.fixture
def world() -> World:
    return World()


def chat(*ids: str) -> list[tuple[str, ReadKind, int]]:
    """Unread one-to-one messages m<seq>, oldest first: their conv_seq is in the name."""
    return [(i, ReadKind.CHAT, int(i[1:])) for i in ids]


def test_visible_message_in_active_window_is_acked_after_the_dwell(qapp, world):
    c = world.controller(qapp)
    c.open_chat("bob", [])
    c.message_arrived("bob", "m1", ReadKind.CHAT)
    world.visible = {"m1": 1.0}
    world.wait(c, 0.8)
    assert world.acks == []  # dwell not over yet
    world.wait(c, 0.4)
    assert world.acks == [("msg", "bob", ["m1"])]
    world.wait(c, 5)
    assert len(world.acks) == 1  # once only


def test_inactive_window_sends_no_ack(qapp, world):
    c = world.controller(qapp)
    c.open_chat("bob", [])
    c.message_arrived("bob", "m1", ReadKind.CHAT)
    world.visible = {"m1": 1.0}
    world.active = False
    world.wait(c, 10)
    assert world.acks == []


def test_message_scrolled_out_of_view_or_half_hidden_is_not_acked(qapp, world):
    c = world.controller(qapp)
    c.open_chat("bob", [])
    c.message_arrived("bob", "m1", ReadKind.CHAT)
    c.message_arrived("bob", "m2", ReadKind.CHAT)
    world.visible = {"m2": 0.49}  # m1 out of view, m2 less than half shown
    world.wait(c, 5)
    assert world.acks == []
    world.visible = {"m2": 0.5}
    world.wait(c, 1.2)
    assert world.acks == [("msg", "bob", ["m2"])]


def test_dwell_restarts_when_the_message_leaves_the_view(qapp, world):
    c = world.controller(qapp, dwell=1.0)
    c.open_chat("bob", [])
    c.message_arrived("bob", "m1", ReadKind.CHAT)
    for _ in range(5):  # flicks past: 0.6 s in view, then out
        world.visible = {"m1": 1.0}
        world.wait(c, 0.6)
        world.visible = {}
        world.wait(c, 0.2)
    assert world.acks == []
    world.visible = {"m1": 1.0}
    world.wait(c, 1.2)
    assert world.acks == [("msg", "bob", ["m1"])]


def test_configured_dwell_is_respected(qapp, world):
    c = world.controller(qapp, dwell=3.0)
    c.open_chat("bob", [])
    c.message_arrived("bob", "m1", ReadKind.CHAT)
    world.visible = {"m1": 1.0}
    world.wait(c, 2.8)
    assert world.acks == []
    world.wait(c, 0.4)
    assert world.acks == [("msg", "bob", ["m1"])]


def test_idle_person_sends_no_ack_until_they_are_back(qapp, world):
    c = world.controller(qapp, idle=30.0)
    c.open_chat("bob", [])
    world.last_input = world.now - 31  # away from the keyboard
    c.message_arrived("bob", "m1", ReadKind.CHAT)
    world.visible = {"m1": 1.0}
    world.wait(c, 60)
    assert world.acks == []
    world.last_input = world.now  # a key press: back
    world.wait(c, 0.6)
    assert world.acks == []  # the dwell starts again when the person is back
    world.wait(c, 0.6)
    assert world.acks == [("msg", "bob", ["m1"])]


def test_opening_a_chat_reads_only_what_is_seen_and_never_an_unseen_older_message(qapp, world):
    c = world.controller(qapp)
    c.open_chat("bob", chat("m1", "m2", "m3"))
    world.visible = {"m2": 1.0, "m3": 1.0}  # the newest is on screen; m1 scrolled above
    world.wait(c, 1.2)
    assert world.acks == [("msg", "bob", ["m2", "m3"])]  # m1 was never seen
    world.visible = {"m1": 1.0}
    world.wait(c, 1.2)
    # Now every unread message at open was seen: one bounded ack covers the last of them.
    assert world.acks == [("msg", "bob", ["m2", "m3"]), ("conv", "bob", 1)]


def test_a_chat_whose_unread_messages_are_all_on_screen_gets_one_bounded_conversation_ack(
    qapp, world
):
    c = world.controller(qapp)
    c.open_chat("bob", chat("m4", "m5", "m6"))
    world.visible = {"m4": 1.0, "m5": 1.0, "m6": 0.9}
    world.wait(c, 1.2)
    assert world.acks == [("conv", "bob", 6)]
    world.wait(c, 3)
    assert len(world.acks) == 1


def test_an_incomplete_unread_list_is_never_covered_by_a_conversation_ack(qapp, world):
    c = world.controller(qapp)
    # The chat has more unread messages than the view holds: older ones are not loaded.
    c.open_chat("bob", chat("m8", "m9"), complete=False)
    world.visible = {"m8": 1.0, "m9": 1.0}
    world.wait(c, 1.2)
    assert world.acks == [("msg", "bob", ["m8", "m9"])]


def test_scrolling_through_old_unread_acks_what_is_seen_as_it_is_seen(qapp, world):
    c = world.controller(qapp)
    c.open_chat("bob", chat("m1", "m2", "m3"))
    world.visible = {"m1": 1.0}
    world.wait(c, 1.2)
    assert world.acks == [("msg", "bob", ["m1"])]
    world.visible = {"m3": 1.0}  # scrolled past m2 too fast to read it
    world.wait(c, 1.2)
    assert world.acks == [("msg", "bob", ["m1"]), ("msg", "bob", ["m3"])]
    assert c.pending == ["m2"]
    world.visible = {"m2": 1.0}
    world.wait(c, 1.2)
    assert world.acks[-1] == ("conv", "bob", 2)


def test_messages_arriving_in_an_open_focused_chat_are_acked_in_batches(qapp, world):
    c = world.controller(qapp)
    c.open_chat("bob", [])
    for n in range(5):
        c.message_arrived("bob", f"m{n}", ReadKind.CHAT)
    world.visible = {f"m{n}": 1.0 for n in range(5)}
    world.wait(c, 1.2)
    assert world.acks == [("msg", "bob", ["m0", "m1", "m2", "m3", "m4"])]


def test_regaining_focus_acks_what_is_visible(qapp, world):
    c = world.controller(qapp)
    c.open_chat("bob", [])
    world.active = False
    c.message_arrived("bob", "m1", ReadKind.CHAT)
    world.visible = {"m1": 1.0}
    world.wait(c, 10)
    assert world.acks == []
    world.active = True
    world.wait(c, 0.6)
    assert world.acks == []  # the dwell counts from the moment of focus
    world.wait(c, 0.6)
    assert world.acks == [("msg", "bob", ["m1"])]


def test_losing_focus_during_the_dwell_resets_it(qapp, world):
    c = world.controller(qapp)
    c.open_chat("bob", [])
    c.message_arrived("bob", "m1", ReadKind.CHAT)
    world.visible = {"m1": 1.0}
    world.wait(c, 0.8)
    world.active = False
    world.wait(c, 0.2)
    world.active = True
    world.wait(c, 0.8)
    assert world.acks == []
    world.wait(c, 0.4)
    assert world.acks == [("msg", "bob", ["m1"])]


def test_group_announcements_get_group_acks_and_plain_group_messages_a_conversation_ack(
    qapp, world
):
    c = world.controller(qapp)
    c.open_chat("4242", [])
    c.message_arrived("4242", "notice", ReadKind.GROUP_ACK, 7)
    c.message_arrived("4242", "chatter", ReadKind.GROUP_PLAIN, 8)
    world.visible = {"notice": 1.0, "chatter": 1.0}
    world.wait(c, 1.2)
    assert world.acks == [("conv", "4242", 8), ("group", "4242", ["notice"])]


def test_a_group_is_read_as_a_conversation_only_up_to_its_first_unseen_message(qapp, world):
    c = world.controller(qapp)
    c.open_chat(
        "4242",
        [
            ("notice", ReadKind.GROUP_ACK, 1),
            ("chatter", ReadKind.GROUP_PLAIN, 2),
            ("more", ReadKind.GROUP_PLAIN, 3),
        ],
    )
    world.visible = {"chatter": 1.0, "more": 1.0}  # the announcement is above, unseen
    world.wait(c, 1.2)
    assert world.acks == []  # no bound can pass the unseen announcement
    world.visible = {"notice": 1.0}
    world.wait(c, 1.2)
    assert world.acks == [("conv", "4242", 3), ("group", "4242", ["notice"])]


def test_a_group_bound_stops_below_an_unseen_plain_message(qapp, world):
    c = world.controller(qapp)
    c.open_chat(
        "4242",
        [(f"g{n}", ReadKind.GROUP_PLAIN, n) for n in range(1, 5)],
    )
    world.visible = {"g1": 1.0, "g2": 1.0, "g4": 1.0}
    world.wait(c, 1.2)
    assert world.acks == [("conv", "4242", 2)]
    world.visible = {"g3": 1.0}
    world.wait(c, 1.2)
    assert world.acks == [("conv", "4242", 2), ("conv", "4242", 4)]


def test_messages_of_another_chat_or_read_elsewhere_are_not_acked(qapp, world):
    c = world.controller(qapp)
    c.open_chat("bob", [])
    c.message_arrived("carol", "c1", ReadKind.CHAT)  # not the open chat: a notification only
    c.message_arrived("bob", "m1", ReadKind.CHAT)
    c.forget(["m1"])  # read on another device meanwhile
    world.visible = {"c1": 1.0, "m1": 1.0}
    world.wait(c, 3)
    assert world.acks == []


def test_closed_chat_sends_nothing(qapp, world):
    c = world.controller(qapp)
    c.open_chat("bob", chat("m1"))
    c.close_chat()
    world.visible = {"m1": 1.0}
    world.wait(c, 3)
    assert world.acks == []
