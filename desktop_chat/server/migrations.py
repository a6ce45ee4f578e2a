"""Bringing a database file to the schema this server speaks, before anything else runs.

Owns: `prepare(db, path)`, called once when the store opens. It reads the version
kept in `meta.schema_version`, then:
- a new, empty file: creates `schema.SCHEMA_V1` and runs every migration, so a new
  database takes the same path as an upgraded one;
- an older version: runs the missing migrations in order, each in one transaction
  with its new version number (a crash midway leaves the last complete version);
- the current version: changes nothing;
- a newer version (made by a newer server): raises `SchemaTooNewError` before
  writing anything, so the file is left as it was for the server that made it.

Never: downgrade a database, or write to one made by a newer server.
"""

from __future__ import annotations

import sqlite3

from desktop_chat.server.schema import MIGRATIONS, SCHEMA_V1, SCHEMA_VERSION


class SchemaError(Exception):
    """The database's schema cannot be used by this server."""


class SchemaTooNewError(SchemaError):
    pass


def stored_version(db: sqlite3.Connection) -> int | None:
    """The version in `meta`, or None for a file without the meta table."""
    has_meta = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
    ).fetchone()
    if has_meta is None:
        return None
    row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if row is None:
        # v1 wrote its version when it created the file; a meta table without it is a
        # v1 file whose first start was cut short.
        return 1
    try:
        return int(row[0])
    except ValueError:
        raise SchemaError(f"meta.schema_version is {row[0]!r}, not a number") from None


def prepare(db: sqlite3.Connection, path: str) -> int:
    """Bring the database to `SCHEMA_VERSION`; returns that version."""
    version = stored_version(db)
    if version is not None and version > SCHEMA_VERSION:
        raise SchemaTooNewError(
            f"the database {path} has schema version {version}, newer than this server's"
            f" version {SCHEMA_VERSION}: it was made by a newer desktop_chat server."
            " Run that server (or a newer one) on it; it was not changed"
        )
    if version is None:
        db.executescript(SCHEMA_V1)
        db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', '1')")
        version = 1
    for target in range(version + 1, SCHEMA_VERSION + 1):
        db.execute("BEGIN IMMEDIATE")
        try:
            for statement in MIGRATIONS[target]:
                db.execute(statement)
            db.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)",
                (str(target),),
            )
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
    return SCHEMA_VERSION
