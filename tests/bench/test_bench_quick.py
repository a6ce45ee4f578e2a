"""`desktop-chat-bench <scenario> --quick` runs every scenario end to end.

Each scenario runs as a subprocess (the real console script, real servers on
127.0.0.1) and must write complete, valid JSON with the expected keys. No test
here asserts a time: figures on a shared machine are only compared within a run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(sys.executable).with_name("desktop-chat-bench")

EXPECTED = {
    "receipts": ["cases"],
    "group": ["cases"],
    "ackstats": ["stats_p50_ms", "stats_p95_ms", "walk_p50_ms", "walk_p95_ms", "ratio_p50"],
    "batching": ["ways", "messages"],
    "ui": [
        "open_ms",
        "app_open_ms",
        "rss_mb_after_open",
        "frame_p99_ms",
        "storm_max_stall_ms",
        "storm_repainted_rows",
    ],
    "load": [
        "devices",
        "sent",
        "confirmed",
        "delivered",
        "read_receipted",
        "lost",
        "duplicates",
        "p50_ms",
        "p99_ms",
        "server_rss_connected_mb",
        "server_kib_per_connection",
        "server_cpu_pct",
    ],
    "files": ["throughput", "memory", "server_limits"],
    "app": [
        "cold_start_ms",
        "switch_p50_ms",
        "switch_max_ms",
        "idle_cpu_pct",
        "burst_max_stall_ms",
        "rss_after_chat_mb",
        "first_sync_s",
    ],
}
RECEIPT_KEYS = ["receipts_per_s", "p50_ms", "p99_ms", "server_cpu_s_per_1k_receipts"]
GROUP_KEYS = [
    "all_acks_committed_s",
    "owner_callbacks",
    "group_ack_count",
    "fetch_first_page_ms",
    "fetch_last_page_ms",
    "server_rss_mb",
]


def _run(scenario: str, out: Path, *extra: str) -> dict:
    argv = [str(BENCH)] if BENCH.exists() else [sys.executable, "-m", "desktop_chat.bench.cli"]
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [*argv, scenario, "--quick", "--json", str(out), *extra],
        capture_output=True,
        text=True,
        timeout=100,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "###" in done.stdout  # the table
    return json.loads(out.read_text())


@pytest.mark.timeout(110)
@pytest.mark.parametrize("scenario", list(EXPECTED))
def test_quick_scenario_writes_complete_json(scenario: str, tmp_path: Path) -> None:
    report = _run(scenario, tmp_path / "bench.json")
    assert report["quick"] is True
    assert {"cpus", "python", "sqlite"} <= set(report["machine"])
    result = report["scenarios"][scenario]
    assert "error" not in result, result
    for key in EXPECTED[scenario]:
        assert key in result and result[key] is not None, key
    if scenario == "receipts":
        (case,) = result["cases"]
        for run in ("floor", "ours"):
            for key in RECEIPT_KEYS:
                assert case[run][key] is not None, (run, key)
        assert case["ratio"]["receipts_per_s"] is not None
    elif scenario == "group":
        (case,) = result["cases"]
        for key in GROUP_KEYS:
            assert case[key] is not None, key
        assert case["group_ack_count"] == case["members"] - 1
    elif scenario == "ackstats":
        # Counts, not times: every ack is counted by the one request and by the walk.
        assert result["acks"] == result["members"] - 1 == result["acks_walked"]
        assert result["reads_at_last_edge"] == result["acks"]
        assert result["confirms"] == (result["acks"] + 2) // 3
    elif scenario == "batching":
        assert set(result["ways"]) == {"per_message", "batched", "conversation"}
        assert result["ways"]["conversation"]["frames_sent_by_reader"] == 1
    elif scenario == "app":
        # The real app, offscreen: every message of the burst and of the chat phase
        # reached its database; each chat switch painted.
        assert result["burst_sent"] > 0
        assert result["burst_lost"] == 0 and result["chat_lost"] == 0
        assert result["switches"] == 3
    elif scenario == "files":
        _check_files(result)
    elif scenario == "load":
        # Counts, not times: nothing confirmed is lost, duplicated or refused.
        assert result["devices"] == 20
        assert result["sent"] > 0
        assert result["confirmed"] == result["sent"]
        assert result["lost"] == 0 and result["duplicates"] == 0
        assert result["errors"] == {}


def _check_files(result: dict) -> None:
    # The quick sizes (cli.QUICK): a 4 MiB file each way, then 3 clients × 2 MiB at once.
    moved, held = result["throughput"], result["memory"]
    assert moved["file_mib"] == 4.0 and moved["chunk_bytes"] > 0
    for run in ("floor", "ours", "blob_dir"):
        for key in ("upload_mib_per_s", "download_mib_per_s", "upload_s", "download_s"):
            assert moved[run][key] is not None, (run, key)
    for ratios in (moved["ratio"], moved["ratio_blob_dir"]):
        assert ratios["upload"] is not None and ratios["download"] is not None
    assert moved["bar"] == 0.5 and isinstance(moved["bar_met"], bool)
    assert isinstance(moved["bar_met_blob_dir"], bool)
    assert held["clients"] == 3 and held["client_file_mib"] == 2.0
    assert held["samples"] >= 1
    for key in ("server_rss_baseline_mb", "server_rss_peak_mb", "growth_vs_clients_x_file"):
        assert held[key] is not None, key
    assert isinstance(held["bounded_by_chunk"], bool)


@pytest.mark.timeout(110)
def test_receipts_on_a_preloaded_database_against_an_empty_one(tmp_path: Path) -> None:
    report = _run("receipts", tmp_path / "bench.json", "--preload", "3000")
    result = report["scenarios"]["receipts"]
    assert result["preload"]["messages"] == 3000
    assert result["preload"]["users"] == 10_000
    (case,) = result["cases"]
    for run in ("ours", "preloaded"):
        for key in [*RECEIPT_KEYS, "server_start_s"]:
            assert case[run][key] is not None, (run, key)
        assert case[run]["lost"] == 0
    assert case["preloaded_vs_empty"]["receipts_per_s"] is not None
