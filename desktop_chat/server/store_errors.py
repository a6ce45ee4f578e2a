"""The exceptions the server's stores raise, whatever the backend.

Owns `StoreError` (the base of the storage failure family that
`storage.interface` completes), and the two answers that are not failures:
`UserExistsError` (a username taken) and `MsgIdTakenError` (a msg_id taken).
"""

from __future__ import annotations


class StoreError(Exception):
    """The store could not read or write (disk full, read-only file, I/O error)."""


class UserExistsError(Exception):
    pass


class MsgIdTakenError(Exception):
    pass
