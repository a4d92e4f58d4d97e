"""The simulation bench's scoring: clip-level precision/recall per type, and its prompt set."""

from __future__ import annotations

import pytest

from worlddirector.bench.simulation import Case, Outcome, read_cases, score


def _o(defects: str, truth: set[str], found: dict[str, int]) -> Outcome:
    return Outcome(Case(defects, 1, "p"), truth, found, "multiview", 60.0)


def test_clip_level_precision_recall_per_type():
    outcomes = [
        _o("floating,pop_in", {"floating", "pop_in"}, {"floating": 2, "agent_stuck": 1}),  # floating TP, pop_in FN
        _o("floating,flicker", {"floating", "flicker"}, {"flicker": 1}),  # floating FN, flicker TP
        _o("none", set(), {"floating": 1}),  # floating FP
        _o("pop_in,teleport", {"pop_in", "teleport"}, {"pop_in": 3, "teleport": 1}),
    ]
    rows, pr = score(outcomes)
    by_type = {r[0]: r for r in rows}
    assert by_type["floating"][1:5] == [2, 1, 1, 1]  # clips with it, TP, FP, FN
    assert pr["floating"] == pytest.approx((0.5, 0.5))
    assert pr["pop_in"] == pytest.approx((1.0, 0.5))
    assert pr["flicker"] == pytest.approx((1.0, 1.0))
    assert pr["teleport"] == pytest.approx((1.0, 1.0))


def test_bench_prompt_set_has_enough_defect_and_clean_clips():
    cases = read_cases()
    clean = [c for c in cases if c.defects == "none"]
    defect = [c for c in cases if c.defects != "none"]
    assert len(defect) >= 30 and len(clean) >= 10
    for typ in ("floating", "interpenetration", "pop_in", "pop_out", "teleport", "flicker"):
        assert sum(typ in c.defects.split(",") for c in defect) >= 5
    assert len({c.seed for c in cases}) == len(cases)


def test_dev_split_is_as_large_and_shares_no_seed_or_prompt_with_the_held_out_set():
    held, dev = read_cases(), read_cases("simulation_prompts_dev.txt")
    assert sum(c.defects != "none" for c in dev) >= 30 and sum(c.defects == "none" for c in dev) >= 10
    for typ in ("floating", "interpenetration", "pop_in", "pop_out", "teleport", "flicker"):
        assert sum(typ in c.defects.split(",") for c in dev) >= 8
    assert not {c.seed for c in held} & {c.seed for c in dev}
    assert not {c.prompt for c in held} & {c.prompt for c in dev}
