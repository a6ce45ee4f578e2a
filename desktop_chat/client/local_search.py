"""Full-text search over the messages kept on this device.

Owns: `LocalSearch.search`, a part of `local_store.LocalStore`. A query is split on
whitespace into words, and a message matches when its text holds every word, in
any order, case-insensitively for ASCII:
- a word of 3 or more characters is looked up in the FTS5 `trigram` index
  (`message_search`, kept in step by triggers, see `local_schema`), which finds
  substrings in any script, Chinese words included;
- a word of 1 or 2 characters (many Chinese words, "你好") cannot use a trigram
  index, and SQLite 3.40's trigram LIKE misses non-ASCII words that short, so it
  is matched with LIKE on `messages.text` itself, `%` and `_` taken literally.
Without the index (an SQLite lacking FTS5 trigram) every word is matched with LIKE.
Recalled messages (text dropped) and deleted ones (row gone) are never found.

Results are newest first. Searching only reads: it never marks anything read.

Never: write to the store.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from desktop_chat.client.models import ChatMessage

TRIGRAM = 3  # the shortest word the trigram index can find


def _like_pattern(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _fts_phrase(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


class LocalSearch:
    # Provided by LocalStore: the connection, whether the index exists, the columns
    # of a message row, and how a row becomes a ChatMessage.
    _db: sqlite3.Connection
    has_search_index: bool
    _message_columns: str

    if TYPE_CHECKING:

        @staticmethod
        def _to_message(row: tuple[Any, ...]) -> ChatMessage: ...

    def search(self, query: str, conversation_id: str | None, limit: int) -> list[ChatMessage]:
        """Messages whose text holds every word of `query`, newest first."""
        words = query.split()
        if not words:
            return []
        indexed = [w for w in words if len(w) >= TRIGRAM] if self.has_search_index else []
        short = [w for w in words if w not in indexed]
        where = ["m.recalled_at IS NULL", "m.text != ''"]
        params: list[object] = []
        if indexed:
            where.append(
                "m.msg_id IN (SELECT s.msg_id FROM message_search f"
                " JOIN search_ids s ON s.rowid = f.rowid WHERE message_search MATCH ?)"
            )
            params.append(" AND ".join(_fts_phrase(word) for word in indexed))
        for word in short:
            where.append("m.text LIKE ? ESCAPE '\\'")
            params.append(_like_pattern(word))
        if conversation_id is not None:
            where.append("m.conversation_id = ?")
            params.append(conversation_id)
        params.append(limit)
        columns = ", ".join(f"m.{name}" for name in self._message_columns.split(", "))
        rows = self._db.execute(
            f"SELECT {columns} FROM messages m WHERE {' AND '.join(where)}"
            " ORDER BY COALESCE(NULLIF(m.server_time, 0), m.local_time) DESC, m.conv_seq DESC"
            " LIMIT ?",
            params,
        ).fetchall()
        return [self._to_message(row) for row in rows]
