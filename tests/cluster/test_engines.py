"""The engines the cluster suite stands on start here, for real, on 127.0.0.1."""

from __future__ import annotations

import socket


def test_postgres_clones_a_fresh_database_per_test(postgres, database_url):
    name = database_url.rsplit("/", 1)[1]
    assert postgres.psql("SELECT current_database()", name) == name
    postgres.psql("CREATE TABLE t (x int)", name)
    other = postgres.fresh_database().rsplit("/", 1)[1]
    assert postgres.psql("SELECT count(*) FROM pg_tables WHERE tablename = 't'", other) == "0"


def test_redis_answers_ping(redis_engine):
    with socket.create_connection(("127.0.0.1", redis_engine.port), 2) as sock:
        sock.sendall(b"PING\r\n")
        assert sock.recv(16) == b"+PONG\r\n"
