"""The `desktop-chat-server` command.

Owns: the command line (`desktop-chat-server [--host H] [--port P] [--db PATH]
[--allow-registration] [--trusted-proxy ADDR] ...` to serve, `desktop-chat-server adduser NAME` to
create an account with the password read from stdin, in the SQLite file or, with
`--database URL`, in a cluster's PostgreSQL), logging set-up, and
clean shutdown on SIGINT and SIGTERM.

Never: print a password, or serve on anything but the address it was given.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import getpass
import logging
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from desktop_chat.protocol.validation import is_username
from desktop_chat.server.addresses import TrustedProxies
from desktop_chat.server.app import ChatServer
from desktop_chat.server.auth import Passwords
from desktop_chat.server.config import (
    DAY_SECONDS,
    MiB,
    ServerConfig,
    default_db_path,
    wall_clock_ms,
)
from desktop_chat.server.store import SqliteStore, StoreError, UserExistsError


def _serve_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="desktop-chat-server",
        description="The desktop_chat server. `desktop-chat-server adduser NAME` adds an account.",
    )
    defaults = ServerConfig()
    _add_listen_arguments(parser)
    _add_database_arguments(parser, defaults)
    _add_policy_arguments(parser, defaults)
    _add_tls_arguments(parser)
    _add_admission_arguments(parser, defaults)
    _add_hashing_arguments(parser, defaults)
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING or ERROR")
    return parser


def _add_listen_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (loopback)")
    parser.add_argument("--port", type=int, default=8765, help="port; 0 picks a free one")


def _add_database_arguments(parser: argparse.ArgumentParser, defaults: ServerConfig) -> None:
    parser.add_argument("--db", type=Path, default=None, help="SQLite database file")
    parser.add_argument(
        "--blob-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="keep the bytes of files and images in this folder, one file each, instead"
        " of in the SQLite file (faster for large files; back both up together)",
    )
    parser.add_argument(
        "--database",
        default=None,
        metavar="URL",
        help="run as a cluster node on PostgreSQL (postgresql://USER@HOST:PORT/DB) instead"
        " of the SQLite file",
    )
    parser.add_argument(
        "--redis",
        default=None,
        metavar="URL",
        help="with --database: push between nodes and share limits through Redis"
        " (redis://HOST:PORT/0); without it a PostgreSQL server runs as a single node",
    )
    parser.add_argument(
        "--node-name", default=None, help="this node's name in logs (default: host:port)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=defaults.workers,
        metavar="N",
        help=f"database worker threads of a PostgreSQL node (default {defaults.workers})",
    )


def _add_policy_arguments(parser: argparse.ArgumentParser, defaults: ServerConfig) -> None:
    parser.add_argument(
        "--allow-registration", action="store_true", help="let anyone create an account"
    )
    parser.add_argument(
        "--ack-retention-days",
        type=float,
        default=30,
        help="how long group messages accept read acks (default 30)",
    )
    parser.add_argument(
        "--recall-seconds",
        type=int,
        default=120,
        help="how long after sending a sender may recall a message (default 120)",
    )
    parser.add_argument(
        "--max-file-mib",
        type=float,
        default=100.0,
        help="the largest file or image that can be sent, in MiB (default 100)",
    )
    parser.add_argument(
        "--quota-mib",
        type=float,
        default=2048.0,
        help="what one user's uploaded files may hold in all, in MiB (default 2048)",
    )
    parser.add_argument(
        "--upload-mib-per-second",
        type=float,
        default=defaults.upload_bytes_per_second / MiB,
        help="what one user may upload a second, in MiB, over all devices (and nodes, with"
        f" --redis); 0: no limit (default {defaults.upload_bytes_per_second / MiB:g})",
    )
    parser.add_argument(
        "--upload-burst-mib",
        type=float,
        default=defaults.upload_burst_bytes / MiB,
        help="how much one user may upload at once before that rate applies, in MiB"
        f" (default {defaults.upload_burst_bytes / MiB:g})",
    )


def _add_tls_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tls-cert", type=Path, default=None, help="PEM certificate: serve wss://")
    parser.add_argument("--tls-key", type=Path, default=None, help="PEM private key for --tls-cert")


def _add_admission_arguments(parser: argparse.ArgumentParser, defaults: ServerConfig) -> None:
    parser.add_argument(
        "--no-rate-limits",
        action="store_true",
        help="turn off the per-device rate limits (for benchmarks on a private machine only)",
    )
    parser.add_argument(
        "--trusted-proxy",
        action="append",
        default=[],
        metavar="ADDR",
        help="a reverse proxy (address or CIDR network, repeatable) whose X-Forwarded-For"
        " or Forwarded header names the client; from anyone else those headers are ignored",
    )
    parser.add_argument(
        "--sign-in-timeout",
        type=float,
        default=defaults.sign_in_timeout_seconds,
        metavar="SECONDS",
        help="close connections that have not signed in this long after connecting"
        f" (default {defaults.sign_in_timeout_seconds:g})",
    )
    parser.add_argument(
        "--max-unauthenticated-per-address",
        type=int,
        default=defaults.max_unauthenticated_per_address,
        metavar="N",
        help="connections from one address that may wait to sign in"
        f" (default {defaults.max_unauthenticated_per_address})",
    )
    parser.add_argument(
        "--max-queued-mib",
        type=float,
        default=defaults.max_queued_bytes / MiB,
        metavar="MIB",
        help="drop a connection that does not read once this much waits to be sent to it"
        f" (default {defaults.max_queued_bytes / MiB:g})",
    )
    parser.add_argument(
        "--registration-burst",
        type=int,
        default=defaults.registration_burst,
        metavar="N",
        help="sign-ups one address may make at once, with --allow-registration"
        f" (default {defaults.registration_burst}; then {defaults.registrations_per_hour:g}"
        " an hour)",
    )


def _add_hashing_arguments(parser: argparse.ArgumentParser, defaults: ServerConfig) -> None:
    parser.add_argument(
        "--argon2-time-cost",
        type=int,
        default=defaults.argon2_time_cost,
        metavar="N",
        help=f"argon2 passes per password hash (default {defaults.argon2_time_cost}); lower"
        " only on a small machine or for tests",
    )
    parser.add_argument(
        "--argon2-memory-kib",
        type=int,
        default=defaults.argon2_memory_kib,
        metavar="KIB",
        help=f"argon2 memory per password hash (default {defaults.argon2_memory_kib})",
    )


def _adduser_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="desktop-chat-server adduser",
        description="Create an account. The password is read from stdin (one line).",
    )
    parser.add_argument("name")
    parser.add_argument("--db", type=Path, default=None, help="SQLite database file")
    parser.add_argument(
        "--database", default=None, metavar="URL", help="a cluster's PostgreSQL database instead"
    )
    return parser


async def _serve(config: ServerConfig) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    server = ChatServer(config)
    await server.start()
    print(f"listening on {server.url}", flush=True)
    if config.database_url is not None:
        print(server.describe(), flush=True)
    try:
        await stop.wait()
    finally:
        await server.stop()
        print("stopped", flush=True)


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Repeat password: "):
            raise SystemExit("the passwords differ; nothing was created")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def adduser(argv: list[str]) -> int:
    args = _adduser_parser().parse_args(argv)
    if not is_username(args.name):
        print(
            f"error: {args.name!r} is not a valid name: use 2-32 lowercase letters, digits,"
            " '.', '_' or '-', starting with a letter",
            file=sys.stderr,
        )
        return 2
    password = _read_password()
    if not 8 <= len(password) <= 256:
        print("error: the password must be 8 to 256 characters", file=sys.stderr)
        return 2
    try:
        store: Any
        if args.database is not None:
            from desktop_chat.server.storage.postgres import PostgresStore

            store = PostgresStore(args.database, application_name="desktop-chat-server adduser")
        else:
            store = SqliteStore(args.db or default_db_path())
    except StoreError as exc:
        print(f"error: cannot open the database: {exc}", file=sys.stderr)
        return 1
    try:
        with store.request():
            store.create_user(
                args.name, Passwords(ServerConfig()).hash_now(password), wall_clock_ms()
            )
        store.commit()
    except UserExistsError:
        print(f"error: the user {args.name!r} already exists", file=sys.stderr)
        return 1
    finally:
        store.close()
    print(f"created user {args.name}")
    return 0


def _check_serve_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Stop with a usage error on options that contradict each other or are out of range."""
    if (args.tls_cert is None) != (args.tls_key is None):
        parser.error("--tls-cert and --tls-key go together")
    if args.recall_seconds < 0:
        parser.error("--recall-seconds must be 0 or more")
    if args.max_file_mib <= 0 or args.quota_mib <= 0:
        parser.error("--max-file-mib and --quota-mib must be more than 0")
    if args.upload_mib_per_second < 0 or args.upload_burst_mib <= 0:
        parser.error("--upload-mib-per-second must be 0 or more, --upload-burst-mib more than 0")
    try:
        TrustedProxies(args.trusted_proxy)
    except ValueError as exc:
        parser.error(f"--trusted-proxy: {exc}")
    if args.blob_dir is not None and args.database is not None:
        parser.error("--blob-dir is for the SQLite server; a cluster keeps files in PostgreSQL")
    if args.redis is not None and args.database is None:
        parser.error("--redis needs --database (the SQLite server is one node)")
    if args.database is not None and args.db is not None:
        parser.error("--db (SQLite) and --database (PostgreSQL) exclude each other")
    if args.argon2_time_cost < 1 or args.argon2_memory_kib < 8:
        parser.error("--argon2-time-cost must be 1 or more and --argon2-memory-kib 8 or more")
    if args.registration_burst < 1:
        parser.error("--registration-burst must be 1 or more")
    if args.workers < 1:
        parser.error("--workers must be 1 or more")
    if args.database is not None and not args.database.startswith(("postgresql:", "postgres:")):
        parser.error("--database takes a postgresql:// URL")


def _configure_logging(args: argparse.Namespace, node_name: str) -> None:
    logging.basicConfig(
        level=args.log_level.upper(),
        format=f"%(asctime)s {node_name} %(levelname)s %(name)s: %(message)s"
        if args.database
        else "%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def _serve_config(args: argparse.Namespace, node_name: str) -> ServerConfig:
    config = ServerConfig(
        host=args.host,
        port=args.port,
        db_path=args.db or default_db_path(),
        blob_dir=args.blob_dir,
        allow_registration=args.allow_registration,
        ack_retention_seconds=int(args.ack_retention_days * DAY_SECONDS),
        recall_seconds=args.recall_seconds,
        max_file_bytes=int(args.max_file_mib * MiB),
        quota_bytes_per_user=int(args.quota_mib * MiB),
        upload_bytes_per_second=int(args.upload_mib_per_second * MiB),
        upload_burst_bytes=int(args.upload_burst_mib * MiB),
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        trusted_proxies=tuple(args.trusted_proxy),
        sign_in_timeout_seconds=args.sign_in_timeout,
        max_unauthenticated_per_address=args.max_unauthenticated_per_address,
        max_queued_bytes=int(args.max_queued_mib * MiB),
        database_url=args.database,
        redis_url=args.redis,
        node_name=node_name,
        workers=args.workers,
        registration_burst=args.registration_burst,
        argon2_time_cost=args.argon2_time_cost,
        argon2_memory_kib=args.argon2_memory_kib,
    )
    if args.no_rate_limits:
        config = dataclasses.replace(config, rate_messages_per_second=0.0, rate_acks_per_second=0.0)
    return config


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop where it is installed (the `fast` extra), unless
    DESKTOP_CHAT_EVENT_LOOP=asyncio; otherwise asyncio's own (None)."""
    if os.environ.get("DESKTOP_CHAT_EVENT_LOOP", "") == "asyncio":
        return None
    try:
        import uvloop  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "adduser":
        return adduser(argv[1:])
    parser = _serve_parser()
    args = parser.parse_args(argv)
    _check_serve_args(parser, args)
    node_name = args.node_name or f"{args.host}:{args.port}"
    _configure_logging(args, node_name)
    config = _serve_config(args, node_name)
    try:
        with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
            runner.run(_serve(config))
    except StoreError as exc:
        print(f"error: cannot open the database: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
