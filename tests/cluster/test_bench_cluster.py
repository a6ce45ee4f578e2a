"""`desktop-chat-bench cluster --quick` and `receipts --quick --backend postgres` end to end.

Each runs as a subprocess (`python -m desktop_chat.bench.cli` of this checkout), and
starts its own PostgreSQL (fsync on) and Redis and real server nodes on 127.0.0.1;
the JSON must hold every figure, and nothing may be lost: every message got both
its receipts. No time is asserted (figures on a shared machine are only compared
within a run). Under tests/cluster, so it is marked `cluster`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from engines import PostgresEngine, RedisEngine, require

ROOT = Path(__file__).resolve().parents[2]
FIGURES = ["receipts_per_s", "p50_ms", "p99_ms", "server_cpu_s_per_1k_receipts", "sent"]


def _bench(tmp_path: Path, *args: str) -> dict:
    for name in (*PostgresEngine.programs, *RedisEngine.programs):
        require(name)
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, "-m", "desktop_chat.bench.cli", *args, "--quick", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "###" in done.stdout  # the table
    report = json.loads(out.read_text())
    assert report["quick"] is True
    (result,) = report["scenarios"].values()
    assert "error" not in result, result
    return result


def _complete(run: dict, parts: set[str]) -> None:
    for key in FIGURES:
        assert run[key] is not None, key
    assert run["sent"] > 0
    assert run["lost"] == 0, run
    assert set(run["cpu_s_per_1k_receipts_by_part"]) == parts
    assert all(v is not None for v in run["cpu_s_per_1k_receipts_by_part"].values())


@pytest.mark.timeout(80)
def test_cluster_quick_on_one_and_two_nodes(tmp_path: Path) -> None:
    result = _bench(tmp_path, "cluster", "--nodes", "1,2")
    assert result["postgres"]["fsync"] == "on"
    assert [r["nodes"] for r in result["runs"]] == [1, 2]
    for kind in ("throughput", "latency"):
        _complete(result["floor"][kind], {"relay"})
    for run in result["runs"]:
        for kind in ("throughput", "latency"):
            _complete(run[kind], {"nodes", "postgres", "redis"})
            assert run["vs_base"][kind]["receipts_per_s"] is not None
            assert run["vs_floor"][kind]["receipts_per_s"] is not None
        assert run["prediction_separate_machines"]["receipts_per_s"] is not None
    one, two = result["runs"]
    assert one["throughput"]["cross_node_pairs"] == 0
    assert two["throughput"]["cross_node_pairs"] == two["latency"]["cross_node_pairs"] == 2
    assert two["latency_bar_met"] is not None
    assert result["lost"] == 0 and result["sent"] > 0


@pytest.mark.timeout(60)
def test_receipts_quick_on_postgres_against_sqlite(tmp_path: Path) -> None:
    result = _bench(tmp_path, "receipts", "--backend", "postgres")
    assert result["postgres"]["fsync"] == "on"
    (case,) = result["cases"]
    _complete(case["floor"], {"relay"})
    _complete(case["ours"], {"server"})
    _complete(case["postgres"], {"server", "postgres"})
    for ratios in ("ratio", "postgres_ratio", "postgres_vs_sqlite"):
        assert case[ratios]["receipts_per_s"] is not None, ratios
        assert case[ratios]["server_cpu_per_receipt"] is not None, ratios
    assert result["postgres_vs_sqlite_min"] == case["postgres_vs_sqlite"]["receipts_per_s"]
