"""Every receipt flow: delivery acks, read acks, conversation acks and group acks.

Owns: the handlers that move receipt marks (always through
`protocol.status.advance`, so marks only move forward), keep each reader's
unread counts, and tell the sender and the reader's other devices. Group acks,
confirms and the read lists of group messages are `group_receipts.GroupReceipts`,
this class's base.

Batched acks: valid ids are applied even when others in the same frame are
refused; the reply then is an `error` that lists both. Their message rows are
written in message id order (`delivery_ack` here, `read_by_recipient` in the
store), so concurrent batches on several nodes queue instead of deadlocking.

A recalled message gets no receipt of any kind: acks on it are refused with
MESSAGE_RECALLED, conversation acks pass over it, and it never counts as unread.
A `read_ack` with notify false may name group messages too: a private read (no
receipt, no group ack), recorded in `private_reads` so recounts keep it read.

Never: send anything before commit (the hub does that), or let a refused ack
change state.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from desktop_chat.protocol import ErrorCode, Mark, MarkEvent, advance
from desktop_chat.protocol import frames as f
from desktop_chat.protocol.validation import is_group_id
from desktop_chat.server.connection import DeviceConnection
from desktop_chat.server.group_receipts import GroupReceipts, Refusal
from desktop_chat.server.store import MessageRow

PUSH_IDS = 500  # message ids per conversation_read push: a push stays well under a frame


def _batch_reply(request_id: str, applied: list[str], rejected: list[dict[str, str]]) -> f.Reply:
    if not rejected:
        return f.AcksOk(id=request_id, applied=applied)
    first = rejected[0]
    return f.Error(
        id=request_id,
        code=first["code"],
        message=f"{len(rejected)} of {len(applied) + len(rejected)} acks were refused: "
        f"{first['message']}",
        details={"applied": applied, "rejected": rejected},
    )


class Receipts(GroupReceipts):
    # ------------------------------------------------------------------ one-to-one

    def _screen(
        self, msg_ids: list[str], me: int, also: Callable[[MessageRow], Refusal | None]
    ) -> tuple[list[MessageRow], list[dict[str, str]]]:
        """The messages of a batch ack that `me` may ack, and the refusals of the rest."""
        messages = self.store.messages(list(dict.fromkeys(msg_ids)))
        accepted: list[MessageRow] = []
        rejected: list[dict[str, str]] = []
        for msg_id in dict.fromkeys(msg_ids):
            message = messages.get(msg_id)
            refusal = self._refusal(message, me, msg_id)
            if refusal is None and message is not None:
                refusal = also(message)
                if refusal is None:
                    accepted.append(message)
                    continue
            assert refusal is not None  # `_refusal` refuses a message that is not there
            code, text = refusal
            rejected.append({"msg_id": msg_id, "code": str(code), "message": text})
        return accepted, rejected

    @staticmethod
    def _delivery_wanted(message: MessageRow) -> Refusal | None:
        group = message.chat_type == "groupchat"
        if message.need_group_ack if group else message.need_delivery_ack:
            return None
        return ErrorCode.ACK_NOT_REQUESTED, f"{message.msg_id} did not ask for delivery acks"

    @staticmethod
    def _one_to_one(message: MessageRow) -> Refusal | None:
        if message.chat_type == "chat":
            return None
        return ErrorCode.INVALID_PARAM, f"{message.msg_id} is a group message: use group_read_ack"

    def _tell_senders(
        self,
        push: type[f.DeliveredPush] | type[f.ReadPush],
        by_sender: dict[int, list[str]],
        me_name: str,
        now: int,
    ) -> None:
        """One delivered (or read) push per sender, naming all its messages at once."""
        for sender_id, ids in by_sender.items():
            self.hub.emit(
                [sender_id],
                push(seq=0, conversation_id=me_name, msg_ids=ids, by=me_name, time=now),
            )

    def delivery_ack(self, conn: DeviceConnection, req: f.DeliveryAck) -> f.Reply:
        me, me_name, now = self.user_of(conn), conn.session.username or "", self.now()
        accepted, rejected = self._screen(req.msg_ids, me, self._delivery_wanted)
        # The rows are written in message id order, as every writer of several message
        # rows does: two batches on two nodes then queue on the first row they share
        # instead of deadlocking. The pushes keep the order the client named them in.
        marked: set[int] = set()
        counts: dict[int, int] = {}
        for message in sorted(accepted, key=lambda message: message.id):
            if message.chat_type == "chat":
                mark = advance(Mark(message.mark), MarkEvent.DELIVERY_ACK)
                if mark != message.mark:
                    self.store.set_delivered(message.id, mark, now)
                    marked.add(message.id)
            else:
                count = self.store.add_group_delivery(message.id, me, now)
                if count is not None:
                    counts[message.id] = count
        delivered: dict[int, list[str]] = defaultdict(list)
        for message in accepted:
            if message.id in marked:
                delivered[message.sender_id].append(message.msg_id)
            elif message.id in counts:
                self._group_delivered(message, counts[message.id])
        self._tell_senders(f.DeliveredPush, delivered, me_name, now)
        return _batch_reply(req.id, [m.msg_id for m in accepted], rejected)

    @staticmethod
    def _first_reads(
        messages: list[MessageRow], notify: bool
    ) -> tuple[list[tuple[int, int]], list[int], dict[int, list[str]]]:
        """Split first reads into receipted (id, mark) pairs and private ids.

        Only a first read can be receipted: a message read while its reader had
        read receipts off (notify=False) is never receipted later."""
        receipted: list[tuple[int, int]] = []
        private: list[int] = []
        by_sender: dict[int, list[str]] = defaultdict(list)
        for message in messages:
            mark = Mark(message.mark)
            if notify and message.need_read_ack:
                mark = advance(mark, MarkEvent.READ_ACK)
            if mark != message.mark:
                receipted.append((message.id, int(mark)))
                by_sender[message.sender_id].append(message.msg_id)
            else:
                private.append(message.id)
        return receipted, private, by_sender

    def read_ack(self, conn: DeviceConnection, req: f.ReadAck) -> f.Reply:
        me, me_name, now = self.user_of(conn), conn.session.username or "", self.now()
        also = self._one_to_one if req.notify else (lambda message: None)
        accepted, rejected = self._screen(req.msg_ids, me, also)
        self._read_privately(conn, me, [m for m in accepted if m.chat_type == "groupchat"])
        chat = [message for message in accepted if message.chat_type == "chat"]
        first = self._claim([message for message in chat if not message.recipient_read])
        receipted, private, by_sender = self._first_reads(first, req.notify)
        self.store.read_by_recipient(receipted, private, now)
        newly_read: dict[tuple[int, int], list[str]] = defaultdict(list)
        for message in first:
            newly_read[(message.conv_id, message.sender_id)].append(message.msg_id)
        for (conv_id, peer_id), ids in newly_read.items():
            unread = self.store.decrement_unread(conv_id, me, len(ids))
            self.hub.emit(
                [me],
                f.SelfReadPush(
                    seq=0,
                    conversation_id=self.store.username(peer_id),
                    msg_ids=ids,
                    unread_count=unread,
                ),
                skip_device=conn.device_id,
            )
        self._tell_senders(f.ReadPush, by_sender, me_name, now)
        return _batch_reply(req.id, [m.msg_id for m in accepted], rejected)

    def _claim(self, candidates: list[MessageRow]) -> list[MessageRow]:
        """The candidates still unread once locked: another request (on another node)
        may have read some since they were looked up, and each read counts once."""
        if not candidates:
            return candidates
        unread = self.store.claim_unread([message.id for message in candidates])
        return [message for message in candidates if message.id in unread]

    def _read_privately(self, conn: DeviceConnection, me: int, messages: list[MessageRow]) -> None:
        """Group messages read without a receipt: each that still counted as unread for
        `me` stops counting, and `me`'s other devices are told (`self_read`)."""
        newly: dict[tuple[int, int], list[str]] = defaultdict(list)
        for message in messages:
            assert message.group_id is not None
            state = self.store.member_state(message.conv_id, me)
            if state is None or message.conv_seq <= state.read_upto:
                continue  # already read by the watermark
            if self.store.group_ack(message.id, me) is not None:
                continue
            if self.store.add_private_read(message.id, me):
                newly[(message.conv_id, message.group_id)].append(message.msg_id)
        for (conv_id, group_id), ids in newly.items():
            unread = self.store.decrement_unread(conv_id, me, len(ids))
            self.hub.emit(
                [me],
                f.SelfReadPush(
                    seq=0, conversation_id=str(group_id), msg_ids=ids, unread_count=unread
                ),
                skip_device=conn.device_id,
            )

    def conversation_read_ack(self, conn: DeviceConnection, req: f.ConversationReadAck) -> f.Reply:
        """Read a conversation up to the reader's bound (RECEIPTS.md §5): messages that
        reached the server after the person looked are never covered."""
        me, me_name, now = self.user_of(conn), conn.session.username or "", self.now()
        peer_id: int | None = None
        if is_group_id(req.conversation_id):
            group, _ = self.require_member(req.conversation_id, me)
            conv_id: int | None = self.store.group_conversation(group.id)
        else:
            peer_id = self.require_user(req.conversation_id)
            conv_id = self.store.find_chat_conversation(me, peer_id)
        peer_name = req.conversation_id
        if conv_id is None:
            return f.ConversationAcked(
                id=req.id, conversation_id=req.conversation_id, read_upto=0, unread_count=0
            )
        last = self.store.conv_last_seq(conv_id)
        upto = last if req.read_upto is None else min(req.read_upto, last)
        by_sender: dict[int, list[str]] = {}
        if peer_id is not None:
            first = self._claim(self.store.unread_received(conv_id, me, upto))
            receipted, private, by_sender = self._first_reads(first, req.notify)
            self.store.read_by_recipient(receipted, private, now)
        read = self.store.read_conversation_upto(conv_id, me, upto, is_group=peer_id is None)
        self.hub.emit(
            [me],
            f.ConversationReadPush(
                seq=0,
                from_=me_name,
                to=peer_name,
                conversation_id=req.conversation_id,
                read_upto=read.read_upto,
                time=now,
                unread_count=read.unread_count,
            ),
            skip_device=conn.device_id,
        )
        if by_sender and peer_id is not None:
            ids = by_sender[peer_id]
            for start in range(0, len(ids), PUSH_IDS):
                self.hub.emit(
                    [peer_id],
                    f.ConversationReadPush(
                        seq=0,
                        from_=me_name,
                        to=peer_name,
                        conversation_id=me_name,
                        read_upto=upto,
                        time=now,
                        msg_ids=ids[start : start + PUSH_IDS],
                    ),
                )
        return f.ConversationAcked(
            id=req.id,
            conversation_id=req.conversation_id,
            read_upto=read.read_upto,
            unread_count=read.unread_count,
        )
