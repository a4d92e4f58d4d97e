"""Stopping rules, best-iteration choice and scoring, on hand-made run records (no stages run)."""

from __future__ import annotations

import pytest

from worlddirector.artifacts.agent_report import AgentReport, Replay, Violation
from worlddirector.artifacts.analysis import Analysis, VideoInfo
from worlddirector.artifacts.run import IterationRecord, Run, RunParams
from worlddirector.bench.loop import quality
from worlddirector.director.loop import _Loop, _regressions, _update_best
from worlddirector.director.scoring import overall_score, physics_score, violation_counts


def _run(scores: list[float], **params) -> Run:
    its = [
        IterationRecord(index=i + 1, dir=f"iter-{i + 1:02d}", prompt="p", overall=s)
        for i, s in enumerate(scores)
    ]
    return Run(
        id="r",
        original_prompt="p",
        params=RunParams(**params),
        iterations=its,
        created_at="t",
        updated_at="t",
    )


def _stop(run: Run) -> str | None:
    loop = _Loop(run, None, lambda e: None, api_key=None, agents=1, sim_seconds=1.0, report=False)
    return loop.stop_reason_after(run.iterations[-1])


def test_stop_rules():
    assert _stop(_run([0.5, 0.9], target=0.85)) == "target_reached"
    assert _stop(_run([0.5, 0.6], iterations=5)) is None
    assert _stop(_run([0.5, 0.6, 0.7], iterations=3)) == "iterations_exhausted"
    assert _stop(_run([0.7, 0.6, 0.65], iterations=5)) == "quality_regressed_twice"
    assert _stop(_run([0.7, 0.6, 0.75, 0.72], iterations=5)) is None  # one regression since the new best
    assert _stop(_run([0.5], iterations=3, provider="upload")) == "fixed_source"


def test_a_revision_that_changes_nothing_stops_the_run():
    rec = IterationRecord(index=1, dir="iter-01", prompt="a  ball rolls", revised_prompt="a ball rolls")
    assert _Loop.unchanged_stop(rec) == "nothing_to_revise"
    rec.revised_prompt = "a ball rolls. Steady lighting."
    assert _Loop.unchanged_stop(rec) is None


def test_regressions_count_against_the_best_before():
    assert _regressions(_run([0.5, 0.6, 0.7])) == 0
    assert _regressions(_run([0.7, 0.6])) == 1
    assert _regressions(_run([0.7, 0.6, 0.69])) == 2
    assert _regressions(_run([0.7, 0.6, 0.71, 0.7])) == 1


def test_best_iteration_is_highest_overall_earliest_on_ties():
    run = _run([0.5, 0.8, 0.8, 0.6])
    _update_best(run)
    assert run.best_iteration == 2 and run.best_overall == 0.8


def _v(t: str, sev: float) -> Violation:
    return Violation(id=f"{t}{sev}", type=t, severity=sev, position=(0, 0, 0), time=0.0, evidence="e")


def test_scoring():
    clean = AgentReport(seed=0, n_agents=1, sim_seconds=1, violations=[], replay=Replay())
    one = AgentReport(seed=0, n_agents=1, sim_seconds=1, violations=[_v("floating", 1.0)], replay=Replay())
    many = AgentReport(
        seed=0, n_agents=1, sim_seconds=1, violations=[_v("flicker", 1.0)] * 10, replay=Replay()
    )
    assert physics_score(clean) == 1.0 and physics_score(one) == 0.5
    assert physics_score(many) == pytest.approx(0.25)  # capped at 3 per type
    assert violation_counts(many) == {"flicker": 10}
    a = Analysis(
        video=VideoInfo(path="v", width=2, height=2, fps=1, n_frames=1, duration=1), metrics={"overall": 0.8}
    )
    assert overall_score(a, one) == (pytest.approx(0.65), 0.8, 0.5)
    assert overall_score(None, one) == (0.5, None, 0.5)


def test_bench_quality_summary():
    rows = [
        {
            "status": "ok",
            "v_first": 4,
            "v_best": 1,
            "v_last": 2,
            "o_first": 0.5,
            "o_best": 0.8,
            "o_last": 0.7,
            "intent_best": 0.9,
        },
        {
            "status": "ok",
            "v_first": 2,
            "v_best": 0,
            "v_last": 0,
            "o_first": 0.6,
            "o_best": 0.9,
            "o_last": 0.9,
            "intent_best": 0.8,
        },
        {"status": "failed", "error": "x"},
    ]
    q = quality(rows)
    assert q["v_first"] == 3 and q["v_best"] == 0.5 and q["cut"] == pytest.approx(1 - 0.5 / 3)
    assert (
        q["failed"] == 1
        and q["intent_best"] == pytest.approx(0.85)
        and q["total_cut"] == pytest.approx(5 / 6)
    )
