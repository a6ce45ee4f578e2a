"""The performance issue's bars, printed under the figures they judge.

Owns: `receipt_bars` (receipts/s at 100 pairs × W=32 and server CPU per receipt there,
each ÷ the floor's; p99 at 10 × 1 ÷ the floor's p99) and `group_bar` (a 10,000-member
announcement, every ack committed). Each line says the figure, the bar, and met or
missed; a case the run did not include is said to be missing, never judged.

Never: measure anything (the benches do), or change a figure.
"""

from __future__ import annotations

from typing import Any

RECEIPTS_BAR = 0.5  # ours ÷ floor, receipts/s, 100 × 32: at least
P99_BAR = 3.0  # ours ÷ floor, p99, 10 × 1: at most (in 3 of 3 runs)
CPU_BAR = 2.5  # ours ÷ floor, server CPU per receipt, 100 × 32: at most
GROUP_BAR_S = 2.0  # 10,000 members, every ack committed: under


def _case(result: dict[str, Any], pairs: int, window: int) -> dict[str, Any] | None:
    case: dict[str, Any]
    for case in result.get("cases", []):
        if case["pairs"] == pairs and case["window"] == window:
            return case
    return None


def _line(what: str, value: float | None, bar: str, met: bool) -> str:
    if value is None:
        return f"- {what}: not measured in this run (bar {bar})"
    return f"- {what}: {value:g} (bar {bar}): {'met' if met else 'missed'}"


def receipt_bars(result: dict[str, Any]) -> str:
    lines = ["", "Bars (each ÷ the floor of the same run):"]
    big = _case(result, 100, 32)
    ratio = big["ratio"] if big else {}
    value = ratio.get("receipts_per_s")
    lines.append(
        _line("receipts/s, 100 × 32", value, f"≥ {RECEIPTS_BAR}", (value or 0) >= RECEIPTS_BAR)
    )
    value = ratio.get("server_cpu_per_receipt")
    lines.append(
        _line(
            "server CPU per receipt, 100 × 32",
            value,
            f"≤ {CPU_BAR}",
            value is not None and value <= CPU_BAR,
        )
    )
    small = _case(result, 10, 1)
    value = small["ratio"].get("p99") if small else None
    lines.append(
        _line(
            "p99, 10 × 1 (the bar asks for 3 runs of 3)",
            value,
            f"≤ {P99_BAR}",
            value is not None and value <= P99_BAR,
        )
    )
    return "\n".join(lines) + "\n"


def group_bar(result: dict[str, Any]) -> str:
    cases = [c for c in result.get("cases", []) if c["members"] == 10_000]
    value = cases[0]["all_acks_committed_s"] if cases else None
    line = _line(
        "10,000 members, every ack committed (s)",
        value,
        f"< {GROUP_BAR_S} s",
        value is not None and value < GROUP_BAR_S,
    )
    return "\nBar:\n" + line + "\n"
