"""The whole loop with generated clips: offline (procedural), and a remote provider (a local fake of
the /v1/videos contract) that fails mid-run, stops the run with the reason and resumes."""

from __future__ import annotations

import json

import pytest
from fakes.openai_fake import FakeOpenAI
from fakes.server import serve

from worlddirector.artifacts.revision import Revision
from worlddirector.artifacts.run import Run
from worlddirector.config import get_settings
from worlddirector.director import RunFailed, direct
from worlddirector.providers.procedural import generate_clip

TINY = {"size": (320, 180), "seconds": 2.0, "fps": 24, "agents": 4, "sim_seconds": 8.0}
KEY = "sk-caller-director-0123456789abcdef"


@pytest.fixture(scope="module")
def offline_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("loop") / "run"
    events: list[dict] = []
    run = direct(
        "a red ball rolls across a warehouse floor past two wooden crates",
        out,
        iterations=2,
        target=0.999,
        seed=0,  # --defects auto draws flicker (with floating and pop_out) for this prompt and seed
        on_event=events.append,
        **TINY,
    )
    return out, run, events


def test_offline_loop_iterates_on_revised_prompts(offline_run):
    out, run, events = offline_run
    assert run.status == "finished"
    assert [it.index for it in run.iterations] == [1, 2] or run.stop_reason in (
        "target_reached",
        "nothing_to_revise",
    )
    first = run.iterations[0]
    rev1 = Revision.load(out / "iter-01")
    assert rev1.prompt == first.prompt == run.original_prompt
    if len(run.iterations) == 2:
        second = run.iterations[1]
        # iteration 2 was generated from iteration 1's revision, which answers its findings
        assert second.prompt == rev1.revised_prompt == first.revised_prompt
        gen2 = json.loads((out / "iter-02" / "generation.json").read_text())
        assert gen2["prompt"] == rev1.revised_prompt
        assert second.intent_similarity == pytest.approx(rev1.intent_similarity, abs=1e-3)
        assert run.stop_reason == "iterations_exhausted"
    if first.violations:
        answered = {vid for c in rev1.changes for vid in c.violation_ids}
        assert answered, "violations were found but no change answers them"
        report_ids = {
            v["id"] for v in json.loads((out / "iter-01" / "agent_report.json").read_text())["violations"]
        }
        assert answered <= report_ids
    for it in run.iterations:
        assert set(it.violations_by_type) <= {
            "interpenetration",
            "floating",
            "unstable_object",
            "unreachable_area",
            "agent_stuck",
            "tunneling",
            "pop_in",
            "pop_out",
            "teleport",
            "size_drift",
            "flicker",
            "implausible_motion",
            "av_desync",
        }
        assert it.cost_usd == 0.0 and it.overall is not None and it.intent_similarity is not None
        assert all(
            it.stages[s].seconds is not None for s in ("generate", "analyze", "reconstruct", "simulate")
        )
    best = max(run.iterations, key=lambda i: (i.overall, -i.index))
    assert run.best_iteration == best.index
    page = (out / "report.html").read_text()
    assert all(f"src='iter-{i.index:02d}/video.mp4'" in page for i in run.iterations)
    # the contract's events: every stage of every iteration started and finished, then the run
    done = {
        (e["iteration"], e["stage"]) for e in events if e["type"] == "stage" and e["status"] == "finished"
    }
    assert {(1, s) for s in ("generate", "analyze", "reconstruct", "simulate")} <= done
    assert events[-1] == {**events[-1], "type": "run", "status": "finished", "stop_reason": run.stop_reason}


def test_a_finished_run_extends_without_redoing_work(offline_run):
    out, run, _ = offline_run
    assert run.stop_reason == "iterations_exhausted"
    mtimes = {p: p.stat().st_mtime_ns for p in (out / "iter-01").glob("*.json")}
    events: list[dict] = []
    more = direct(
        run.original_prompt, out, iterations=3, target=0.999, seed=0, on_event=events.append, **TINY
    )
    started = {
        (e["iteration"], e["stage"]) for e in events if e["type"] == "stage" and e["status"] == "started"
    }
    assert all(i == 3 for i, _ in started) or more.stop_reason == "quality_regressed_twice"
    assert len(more.iterations) in (2, 3)
    assert {p: p.stat().st_mtime_ns for p in mtimes} == mtimes
    if len(more.iterations) == 3:
        assert more.iterations[2].prompt == Revision.load(out / "iter-02").revised_prompt


@pytest.fixture
def fake_videos(tmp_path_factory, monkeypatch):
    fake = FakeOpenAI()
    # the "vendor" returns a clip that flickers: the loop always finds something to revise after
    # iteration 1, so these tests reach iteration 2 (or the budget) whatever the metrics make of a
    # clean clip (the real Sora excerpt stopped at `nothing_to_revise` once its metrics scored well)
    media = tmp_path_factory.mktemp("media") / "clip"
    generate_clip("a catapult launches a boulder across a field", media, seed=3, seconds=2.0, size=(320, 180),
                  fps=24, defects=["flicker"], audio=False)
    fake.video_bytes = (media / "video.mp4").read_bytes()
    with serve(fake.app()) as url:
        monkeypatch.setenv("OPENAI_BASE_URL", url + "/v1")
        monkeypatch.delenv("OPENAI_API_KEY", raising=False)
        # providers.generate() asks configured(), which wants a settings key even when the caller brings one
        monkeypatch.setenv("WD_OPENAI_API_KEY", "sk-operator-key-for-tests-000000")
        get_settings.cache_clear()
        yield fake
    get_settings.cache_clear()


def test_provider_failing_mid_run_stops_with_reason_and_resumes(fake_videos, tmp_path):
    fake = fake_videos
    out = tmp_path / "remote"
    prompt = "a catapult launches a boulder across a field"

    def script(ev: dict) -> None:  # iteration 2's job will be refused by the vendor's moderation
        if ev["type"] == "iteration" and ev["status"] == "finished" and ev["iteration"] == 1:
            fake.next_outcome = "failed:moderation_blocked:Your request was blocked by our moderation system."

    with pytest.raises(RunFailed) as err:
        direct(
            prompt,
            out,
            iterations=2,
            target=0.999,
            provider="openai-videos",
            api_key=KEY,
            on_event=script,
            **TINY,
        )
    msg = str(err.value)
    assert "iteration 2 generate failed" in msg and "moderation" in msg and "resume" in msg
    run = Run.load(out)
    assert run.status == "failed" and run.stop_reason == "generate_failed"
    assert run.iterations[0].status == "finished" and run.iterations[0].cost_usd > 0
    assert run.iterations[1].status == "failed" and run.iterations[1].stages["generate"].status == "failed"
    assert (out / "iter-01" / "agent_report.json").exists() and (out / "report.html").exists()
    kept = (out / "iter-01" / "analysis.json").stat().st_mtime_ns

    fake.next_outcome = "completed"
    jobs_before = len(fake.jobs)
    resumed = direct(prompt, out, iterations=2, target=0.999, provider="openai-videos", api_key=KEY, **TINY)
    assert resumed.status == "finished" and len(resumed.iterations) == 2
    assert resumed.iterations[1].status == "finished"
    assert len(fake.jobs) == jobs_before + 1  # one new job for iteration 2, none for iteration 1
    assert (out / "iter-01" / "analysis.json").stat().st_mtime_ns == kept
    assert resumed.cost_usd == pytest.approx(sum(i.cost_usd for i in resumed.iterations))
    # the caller's key is used for the calls only: never written anywhere in the run
    for f in out.rglob("*"):
        if f.is_file() and f.suffix in {".json", ".html", ".log", ".txt", ""}:
            assert KEY not in f.read_text(errors="ignore"), f


def test_money_budget_stops_the_run(fake_videos, tmp_path):
    out = tmp_path / "budget"
    run = direct(
        "a catapult launches a boulder across a field",
        out,
        iterations=3,
        target=0.999,
        provider="openai-videos",
        api_key=KEY,
        budget_usd=0.5,
        **TINY,
    )
    # one clip costs the provider's estimate (> 0.25): a second would pass the budget
    assert run.stop_reason == "budget_exhausted" and len(run.iterations) == 1
    assert 0 < run.cost_usd <= 0.5
    assert len(fake_videos.jobs) == 1
