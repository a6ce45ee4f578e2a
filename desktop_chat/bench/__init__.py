"""`desktop-chat-bench`: the project's own benchmarks (issue 5).

Owns nothing itself; the package holds one module per scenario (`receipts`,
`group`, `ackstats`, `batching`, `ui`, `load`, `files`, `cluster`, `app`), the bare relay that
is the floor of `receipts` and `cluster` (`relay`; `files` runs its own bare
websockets server), what they share (`common`: server
subprocesses, bulk accounts, lean clients, CPU meters, statistics, the table), the
private PostgreSQL, Redis and HAProxy they start (`engines`, which the cluster
tests use too) and the command line (`cli`).

Never: send traffic anywhere but 127.0.0.1, or run a loop unbounded in count or time.
"""
