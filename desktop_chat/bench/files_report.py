"""The `files` scenario's bars and its table (`bench/files.py` measures).

Owns: the bars (ours ÷ the bare copy, each way; the server's memory growth against
clients × file size), the stores measured (`STORES`: the default, chunks as rows of the
SQLite file, and the same server with a `blob_dir`), and `render`, the Markdown
tables and the verdicts of one run's figures.

Never: measure, or start anything.
"""

from __future__ import annotations

from typing import Any

from desktop_chat.bench.common import fmt, table

BAR = 0.5  # ours ÷ the bare copy, each way, at least
# Growth ÷ what can be in flight (clients × upload window × chunk), at most: memory that
# follows the chunks in flight, not the files (the second half of the bytes must also add
# no more than what is in flight).
MEMORY_BAR = 1.5
# The stores measured, each a server of its own: (name, its blob_dir under the run's folder).
STORES = (("ours", None), ("blob_dir", "blobs"))


def _transfer_rows(moved: dict[str, Any]) -> list[list[Any]]:
    keys = ["upload_mib_per_s", "download_mib_per_s", "upload_s", "download_s"]
    keys += [f"{p}_cpu_{w}_s" for p in ("server", "client") for w in ("upload", "download")]
    names = ["floor", *(name for name, _ in STORES)]
    rows = [[name, *(moved[name].get(key) for key in keys)] for name in names]
    for name, _ in STORES:
        ratios = moved["ratio" if name == "ours" else f"ratio_{name}"]
        rows.append([f"{name}/floor", *ratios.values(), *[None] * 6])
    return rows


# The memory table: (figure, its value as a format of the figures, each through `fmt`).
_MEMORY_ROWS = (
    ("clients × file", "{clients} × {client_file_mib} MiB"),
    ("server RSS idle / baseline, MB", "{server_rss_idle_mb} / {server_rss_baseline_mb}"),
    ("RSS peak sampled / VmHWM since baseline, MB", "{server_rss_sampled_peak_mb} / {hwm}"),
    ("peak − baseline, MB (peak: the larger of the two)", "{growth_mb}"),
    ("… over the first / second half of the bytes, MB", "{first_half} / {second_half}"),
    ("in flight at most: clients × window × chunk, MB", "{in_flight_mb}"),
    ("clients × file size, MB", "{clients_x_file_mb}"),
    ("growth ÷ in flight", "{growth_vs_in_flight}"),
    ("growth ÷ (clients × file size)", "{growth_vs_clients_x_file}"),
    ("RSS samples (every 50 ms)", "{samples}"),
    ("all uploads, s / MiB/s in all", "{upload_s} / {upload_mib_per_s}"),
    ("server CPU over the uploads, s", "{server_cpu_s}"),
)


def _memory_rows(held: dict[str, Any]) -> list[list[Any]]:
    shown = {key: fmt(value) for key, value in held.items()} | {"hwm": fmt(held["server_hwm_mb"])}
    shown |= {
        "first_half": shown["growth_first_half_mb"],
        "second_half": shown["growth_second_half_mb"],
    }
    return [[figure, value.format(**shown)] for figure, value in _MEMORY_ROWS]


def render(result: dict[str, Any]) -> str:
    moved, held = result["throughput"], result["memory"]
    columns = ["run", "up MiB/s", "down MiB/s", "up s", "down s"]
    columns += ["srv CPU up s", "srv CPU down s", "client CPU up s", "client CPU down s"]
    title = f"files: {moved['file_mib']} MiB up and down, chunks of {moved['chunk_bytes']:,} B"
    text = table(title, columns, _transfer_rows(moved))
    title = "files: server memory while clients upload at once"
    text += "\n" + table(title, ["figure", "value"], _memory_rows(held))
    return text + _notes(result)


def _verdict(moved: dict[str, Any], name: str) -> str:
    suffix = "" if name == "ours" else f"_{name}"
    q, runs = moved[f"ratio{suffix}"], moved["rounds"]
    spread = {
        w: "–".join(fmt(f(r[f"ratio_{name}"][w] or 0 for r in runs)) for f in (min, max)) for w in q
    }
    verdict = "met" if moved[f"bar_met{suffix}"] else "MISSED"
    return (
        f"{name}: upload ÷ bare {q['upload']}×, download ÷ bare {q['download']}×, the bar"
        f" {verdict} (round by round: upload {spread['upload']}, download {spread['download']})"
    )


def _notes(result: dict[str, Any]) -> str:
    moved, held = result["throughput"], result["memory"]
    bounded = "holds" if held["bounded_by_chunk"] else "does NOT hold"
    verdicts = "; ".join(_verdict(moved, name) for name, _ in STORES)
    return (
        f"\nThe bar: ≥ {BAR}× each way. {verdicts}. Medians of {len(moved['rounds'])}"
        " round(s), each a new file, bare first, then ours and blob_dir in turns.\n"
        "ours: the default, chunks as rows of the SQLite file; blob_dir: the same server"
        " with `blob_dir` set (the bytes in a folder, synced before each commit).\n"
        f"Server memory (ours) grew {held['growth_mb']} MB while {held['clients']} clients"
        f" uploaded {held['clients_x_file_mb']} MB: {held['growth_vs_clients_x_file']} of"
        f" clients × file size. 'Bounded by the chunks in flight, not the file' {bounded}"
        f" (growth ≤ {MEMORY_BAR} × clients × window × chunk, and the second half of the bytes"
        " adding no more than clients × window × chunk).\n"
        "The bench's servers: the upload rate 1 TiB/s (default 20 MiB/s, bursts of 40 MiB),"
        " the largest file and quota raised to fit; every other setting the default (SQLite,"
        " synchronous=FULL). The bare server keeps nothing (a sink and a source).\n"
    )
