"""The performance bars printed under the benches' figures: met, missed, or not measured."""

from __future__ import annotations

from desktop_chat.bench.bars import group_bar, receipt_bars


def case(pairs: int, window: int, receipts: float, p99: float, cpu: float) -> dict:
    ratio = {"receipts_per_s": receipts, "p99": p99, "server_cpu_per_receipt": cpu}
    return {"pairs": pairs, "window": window, "ratio": ratio}


def test_each_receipt_bar_is_judged_on_its_own_case():
    text = receipt_bars({"cases": [case(10, 1, 0.1, 2.5, 9.0), case(100, 32, 0.52, 9.0, 4.2)]})
    assert "receipts/s, 100 × 32: 0.52 (bar ≥ 0.5): met" in text
    assert "server CPU per receipt, 100 × 32: 4.2 (bar ≤ 2.5): missed" in text
    assert "p99, 10 × 1 (the bar asks for 3 runs of 3): 2.5 (bar ≤ 3.0): met" in text


def test_a_case_the_run_left_out_is_not_judged():
    text = receipt_bars({"cases": [case(10, 32, 0.9, 1.0, 1.0)]})
    assert text.count("not measured in this run") == 3
    assert "met" not in text and "missed" not in text


def test_the_group_bar():
    assert "4.1 (bar < 2.0 s): missed" in group_bar(
        {"cases": [{"members": 10_000, "all_acks_committed_s": 4.1}]}
    )
    assert "1.5 (bar < 2.0 s): met" in group_bar(
        {"cases": [{"members": 10_000, "all_acks_committed_s": 1.5}]}
    )
    assert "not measured" in group_bar({"cases": [{"members": 50, "all_acks_committed_s": 0.1}]})
