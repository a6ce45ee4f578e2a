"""One valid instance of every request, push and reply, for the protocol tests.

Tests take `request_frame`, `push_frame`, `reply_frame` or `ephemeral_frame` to run
once per sample, or the `*_by_tag` fixtures to see them all at once.

The sample lists are keyed by wire tag so a test can check that every tag in
`frames.REQUEST_TYPES` / `frames.PUSH_TYPES` has a sample: a frame added to
frames.py without a sample here makes those tests fail.
"""

from __future__ import annotations

import pytest

from desktop_chat.protocol import frames as f
from desktop_chat.protocol.validation import default_limits

MSG_A = "msg-0001-aaaa"
MSG_B = "msg-0002-bbbb"
GROUP = "100000000000042"


def message_info(**overrides: object) -> f.MessageInfo:
    fields: dict[str, object] = {
        "msg_id": MSG_A,
        "from_": "alice",
        "to": GROUP,
        "chat_type": "groupchat",
        "body": f.TextBody("hello, 世界"),
        "server_time": 1_700_000_000_123,
        "local_time": 1_700_000_000_100,
        "conv_seq": 7,
        "need_read_ack": True,
        "need_group_ack": True,
        "delivered_at": 1_700_000_000_200,
        "read_at": None,
        "group_member_count": 10,
        "group_ack_count": 3,
        "group_delivered_count": 5,
    }
    fields.update(overrides)
    return f.MessageInfo(**fields)  # type: ignore[arg-type]


def group_ack_info(**overrides: object) -> f.GroupAckInfo:
    fields: dict[str, object] = {
        "message_id": MSG_A,
        "ack_id": "ack-17",
        "from_": "bob",
        "content": "Got it",
        "read_count": 4,
        "timestamp": 1_700_000_000_300,
    }
    fields.update(overrides)
    return f.GroupAckInfo(**fields)  # type: ignore[arg-type]


def group_info() -> f.GroupInfo:
    return f.GroupInfo(
        group_id=GROUP,
        name="Team",
        owner="alice",
        ack_policy="admins",
        member_count=2,
        members=[f.GroupMember("alice", "owner"), f.GroupMember("bob", "member")],
    )


def build_requests() -> dict[str, f.Request]:
    samples: list[f.Request] = [
        f.Hello(id="r1", version=1, client="desktop_chat-test/1"),
        f.Register(id="r2", username="alice", password="correct horse"),
        f.Login(id="r3", username="alice", password="x", device_name="laptop"),
        f.Resume(id="r4", token="t" * 43),
        f.Logout(id="r5"),
        f.Sync(id="r6", after_seq=41, limit=100),
        f.SendMessage(
            id="r7",
            msg_id=MSG_A,
            chat_type="chat",
            to="bob",
            body=f.TextBody("hi 👋"),
            local_time=1_700_000_000_000,
            need_delivery_ack=True,
            need_read_ack=True,
        ),
        f.DeliveryAck(id="r8", msg_ids=[MSG_A, MSG_B]),
        f.ReadAck(id="r9", msg_ids=[MSG_A], notify=False),
        f.ConversationReadAck(id="r10", conversation_id="bob", notify=True),
        f.GroupReadAck(id="r11", group_id=GROUP, msg_id=MSG_A, content="Got it"),
        f.FetchGroupAcks(id="r12", group_id=GROUP, msg_id=MSG_A, cursor="ack-17", page_size=10),
        f.FetchGroupUnread(id="r13", group_id=GROUP, msg_id=MSG_A, cursor="bob", page_size=100),
        f.RemindGroupUnread(id="r14", group_id=GROUP, msg_id=MSG_A),
        f.FetchGroupAckStats(id="r14s", group_id=GROUP, msg_id=MSG_A, edges=[300, 3600, 86400]),
        f.FetchConversations(id="r15"),
        f.FetchHistory(id="r16", conversation_id=GROUP, before_seq=9, page_size=20),
        f.CreateGroup(id="r17", name="Team", members=["bob", "carol"], ack_policy="all"),
        f.AddMembers(id="r18", group_id=GROUP, members=["dave"]),
        f.RemoveMembers(id="r19", group_id=GROUP, members=["dave"]),
        f.AddAdmin(id="r20", group_id=GROUP, member="bob"),
        f.RemoveAdmin(id="r21", group_id=GROUP, member="bob"),
        f.SetGroupAckPolicy(id="r22", group_id=GROUP, ack_policy="all"),
        f.GetGroup(id="r23", group_id=GROUP, with_members=False),
        f.FetchGroups(id="r24"),
        f.PinGroupMessage(id="r24p", group_id=GROUP, msg_id=MSG_A),
        f.UnpinGroupMessage(id="r24u", group_id=GROUP),
        f.Recall(id="r25", msg_id=MSG_A),
        f.Edit(id="r26", msg_id=MSG_A, body=f.TextBody("fixed, 世界")),
        f.SetConversationMute(id="r27", conversation_id="bob", muted=True, until=1_800_000_000),
        f.Typing(id="r28", conversation_id="bob"),
        f.FetchUsers(id="r29", usernames=["bob", "carol"]),
        f.UploadBegin(id="r30", sha256="ab" * 32, size=48213),
        f.UploadChunk(
            id="r31", sha256="ab" * 32, offset=0, chunk_sha256="cd" * 32, data=b"\x00\xffbytes"
        ),
        f.Download(id="r32", msg_id="m-0000000001", sha256="ab" * 32, offset=0, length=1024),
    ]
    return {type(s).__struct_config__.tag: s for s in samples}


def build_pushes(seq: int = 0) -> dict[str, f.Push]:
    samples: list[f.Push] = [
        f.MessagePush(seq=seq, message=message_info()),
        f.DeliveredPush(
            seq=seq, conversation_id="bob", msg_ids=[MSG_A, MSG_B], by="bob", time=1_700_000_001
        ),
        f.ReadPush(seq=seq, conversation_id="bob", msg_ids=[MSG_A], by="bob", time=1_700_000_002),
        f.ConversationReadPush(
            seq=seq,
            from_="bob",
            to="alice",
            conversation_id="bob",
            read_upto=12,
            time=1_700_000_003,
            unread_count=None,
        ),
        f.SelfReadPush(seq=seq, conversation_id="bob", msg_ids=[MSG_A], unread_count=2),
        f.GroupReadPush(seq=seq, group_id=GROUP, acks=[group_ack_info(), group_ack_info()]),
        f.GroupDeliveredPush(
            seq=seq, group_id=GROUP, msg_id=MSG_A, delivered_count=6, member_count=10
        ),
        f.GroupChangedPush(seq=seq, change="members_added", group=group_info(), members=["bob"]),
        f.GroupAckReminderPush(seq=seq, group_id=GROUP, msg_id=MSG_A, from_="alice"),
        f.MessageRecalledPush(
            seq=seq,
            msg_id=MSG_A,
            from_="alice",
            to="bob",
            chat_type="chat",
            conv_seq=7,
            time=1_700_000_004,
            unread_count=0,
        ),
        f.MessageEditedPush(
            seq=seq,
            message=message_info(
                edited_at=1_700_000_005,
                reply_to=MSG_B,
                reply_preview=f.ReplyPreview(msg_id=MSG_B, from_="bob", text="quoted"),
            ),
            by="alice",
            time=1_700_000_005,
        ),
        f.ConversationMutedPush(seq=seq, conversation_id=GROUP, muted=True, muted_until=None),
        f.SelfConfirmedPush(
            seq=seq, group_id=GROUP, msg_id=MSG_A, confirmed_at=1_700_000_000_400, confirm_note="OK"
        ),
        f.GroupPinnedPush(
            seq=seq,
            group_id=GROUP,
            pinned=f.PinnedInfo(
                msg_id=MSG_A, by="alice", at=1_700_000_000_500, message=message_info()
            ),
            by="alice",
            group=group_info(),
        ),
    ]
    return {type(s).__struct_config__.tag: s for s in samples}


def build_replies() -> dict[str, f.Reply]:
    samples: list[f.Reply] = [
        f.HelloOk(id="r1", version=1, server="desktop_chat/0.1.0", limits=default_limits()),
        f.Ok(id="r2"),
        f.LoginOk(id="r3", username="alice", device_id=3, token="t" * 43, last_seq=41),
        f.SyncBatch(id="r6", events=list(build_pushes(seq=5).values()), last_seq=5, more=True),
        f.SendOk(id="r7", msg_id=MSG_A, server_time=1, conv_seq=2, group_member_count=None),
        f.AcksOk(id="r8", applied=[MSG_A]),
        f.ConversationAcked(id="r10", conversation_id="bob", read_upto=12, unread_count=0),
        f.GroupAckOk(id="r11", msg_id=MSG_A, ack_id="ack-17", read_count=4),
        f.GroupAcks(id="r12", acks=[group_ack_info()], cursor=None, read_count=4, member_count=10),
        f.GroupUnread(id="r13", members=["carol"], cursor="carol", unread_count=6),
        f.Reminded(id="r14", members=["carol"], at=1_700_000_000_600),
        f.GroupAckStats(
            id="r14s",
            msg_id=MSG_A,
            sent_at=1_700_000_000_123,
            member_count=10,
            read_count=4,
            confirm_count=2,
            edges=[300, 3600],
            reads=[1, 4],
            confirms=[0, 2],
            reminders=[1_700_000_000_600],
        ),
        f.Conversations(
            id="r15",
            conversations=[
                f.ConversationInfo(
                    conversation_id=GROUP,
                    chat_type="groupchat",
                    unread_count=1,
                    last_message=message_info(),
                )
            ],
        ),
        f.History(id="r16", messages=[message_info()], more=False),
        f.Group(id="r17", group=group_info()),
        f.Groups(id="r24", groups=[group_info()]),
        f.RecallOk(id="r25", msg_id=MSG_A, recalled_at=1_700_000_004),
        f.EditOk(id="r26", msg_id=MSG_A, edited_at=1_700_000_005),
        f.MuteOk(id="r27", conversation_id="bob", muted=True, muted_until=1_800_000_000),
        f.Users(id="r29", users=[f.UserInfo(username="bob", exists=True)]),
        f.UploadState(id="r30", sha256="ab" * 32, size=10, received=4, complete=False),
        f.Chunk(id="r32", sha256="ab" * 32, offset=0, size=10, data=b"\x00\x01"),
        f.Error(id=None, code="MALFORMED_FRAME", message="bad", details={"limit": 1}),
    ]
    return {type(s).__struct_config__.tag: s for s in samples}


def build_ephemeral() -> dict[str, f.Ephemeral]:
    samples: list[f.Ephemeral] = [
        f.PeerTypingPush(from_="alice", conversation_id="alice", time=1_700_000_006),
    ]
    return {type(s).__struct_config__.tag: s for s in samples}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize `request_frame`, `push_frame` and `reply_frame` over every sample."""
    for name, build in (
        ("request_frame", build_requests),
        ("push_frame", build_pushes),
        ("reply_frame", build_replies),
        ("ephemeral_frame", build_ephemeral),
    ):
        if name in metafunc.fixturenames:
            samples = build()
            metafunc.parametrize(name, list(samples.values()), ids=list(samples))


@pytest.fixture
def requests_by_tag() -> dict[str, f.Request]:
    return build_requests()


@pytest.fixture
def pushes_by_tag() -> dict[str, f.Push]:
    return build_pushes()


@pytest.fixture
def replies_by_tag() -> dict[str, f.Reply]:
    return build_replies()


@pytest.fixture
def ephemeral_by_tag() -> dict[str, f.Ephemeral]:
    return build_ephemeral()
