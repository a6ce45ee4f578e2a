"""The storage seam: one interface, two backends.

- `interface`: what the server may ask of a store (`Store` and its per-concern
  protocols), the row types it gets back (defined in `server/rows.py`, which both
  backends build), and the `StoreError` family.
- `postgres`: `PostgresStore`, the PostgreSQL backend (psycopg 3, the `postgres`
  extra); `postgres_schema` holds its DDL and migrations.
- The SQLite backend is `desktop_chat.server.store.SqliteStore`.

Importing this package imports no database driver: only the backend modules name
`sqlite3` or `psycopg`, so a server without the `postgres` extra still starts.
"""
