"""The director on a given clip (upload mode): real analysis, reconstruction, simulation and revision,
run.json lineage, resume from the last finished stage, and a self-contained report.html."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import av
import pytest

from worlddirector.artifacts.clip import Generation
from worlddirector.artifacts.revision import Revision
from worlddirector.artifacts.run import Run
from worlddirector.director import direct, write_report
from worlddirector.errors import BadInputError

SORA = Path(__file__).resolve().parents[1].parent / "shared/testdata/real/sora_catapult.mp4"
PROMPT = "a wooden catapult launches a boulder across a grassy field"


def small_clip(src: Path, dst: Path, seconds: float = 2.0, size=(320, 180)) -> Path:
    """The first seconds of a real clip, downscaled (keeps tests fast)."""
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        s = inp.streams.video[0]
        fps = int(round(float(s.average_rate)))
        o = out.add_stream("libx264", rate=fps)
        o.width, o.height, o.pix_fmt = size[0], size[1], "yuv420p"
        for n, fr in enumerate(inp.decode(s)):
            if n >= seconds * fps:
                break
            for p in o.encode(av.VideoFrame.from_image(fr.to_image().resize(size))):
                out.mux(p)
        for p in o.encode():
            out.mux(p)
    return dst


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return small_clip(SORA, tmp_path_factory.mktemp("clip") / "video.mp4")


def _given(run_dir: Path, clip: Path) -> None:
    d = run_dir / "iter-01"
    d.mkdir(parents=True)
    (d / "video.mp4").write_bytes(clip.read_bytes())
    Generation(
        prompt=PROMPT, provider="upload", synthetic=False, parameters={}, source="sora_catapult.mp4"
    ).save(d)


@pytest.fixture(scope="module")
def finished(tmp_path_factory, clip):
    run_dir = tmp_path_factory.mktemp("run") / "r1"
    _given(run_dir, clip)
    (run_dir / "ui.json").write_text("{}")  # a server's own file beside the run must not get in the way
    events: list[dict] = []
    run = direct(
        PROMPT, run_dir, provider="upload", iterations=3, agents=4, sim_seconds=8.0, on_event=events.append
    )
    return run_dir, run, events


def test_given_clip_runs_every_stage_and_records_lineage(finished):
    run_dir, run, events = finished
    assert run.status == "finished" and run.stop_reason in ("fixed_source", "target_reached")
    assert len(run.iterations) == 1 and run.best_iteration == 1
    it = run.iterations[0]
    for f in ("analysis.json", "world.json", "world.glb", "agent_report.json"):
        assert (run_dir / "iter-01" / f).exists(), f
    assert {s: it.stages[s].status for s in ("generate", "analyze", "reconstruct", "simulate")} == {
        s: "finished" for s in ("generate", "analyze", "reconstruct", "simulate")
    }
    assert all(it.stages[s].seconds is not None for s in ("analyze", "reconstruct", "simulate"))
    assert 0 <= it.overall <= 1 and it.intent_similarity == 1.0
    assert it.violations == sum(it.violations_by_type.values())
    assert abs(it.overall - (0.5 * it.metrics["overall"] + 0.5 * it.physics)) < 1e-3
    on_disk = Run.load(run_dir)
    assert on_disk.iterations[0].overall == it.overall and on_disk.best_iteration == 1
    # events follow the contract
    stages = [(e["stage"], e["status"]) for e in events if e["type"] == "stage" and e["status"] != "progress"]
    assert ("analyze", "started") in stages and ("simulate", "finished") in stages
    assert events[-1]["type"] == "run" and events[-1]["status"] == "finished"
    assert all(0 <= e["progress"] <= 1 for e in events if e["type"] == "stage")
    if run.stop_reason == "fixed_source":
        rev = Revision.load(run_dir / "iter-01")
        assert it.revised_prompt == rev.revised_prompt and rev.revised_prompt.startswith(PROMPT)


def test_report_is_one_self_contained_offline_page(finished):
    run_dir, run, _ = finished
    page = (run_dir / "report.html").read_text()
    assert "<video id='video-1' src='iter-01/video.mp4'" in page
    # nothing fetched from anywhere: no http(s) URLs in src/href, no external scripts or styles
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "<script src" not in page and "<link" not in page
    # charts, the viewer data and the violation table are inline
    assert page.count("<svg") >= 3 and "id='viewer'" in page
    data = json.loads(
        re.search(r'<script type="application/json" id="wd-data">(.*?)</script>', page, re.S).group(1)
    )
    world = data["worlds"]["1"]
    assert world["floor_min"] and "violations" in world
    n = run.iterations[0].violations
    if n:
        assert "data:image/jpeg;base64," in page  # thumbnails cropped from the clip's frames
        assert len(world["violations"]) == min(n, 200)


def test_report_renders_in_a_browser_without_network(finished, tmp_path):
    pw = pytest.importorskip("playwright.sync_api")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium")
    run_dir, run, _ = finished
    with pw.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--use-angle=swiftshader", "--enable-unsafe-swiftshader"],
        )
        page = b.new_page(viewport={"width": 1100, "height": 800})
        urls, errors = [], []
        page.on("request", lambda r: urls.append(r.url))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto((run_dir / "report.html").resolve().as_uri())
        page.wait_for_timeout(300)
        # the canvas viewer drew something (not a blank canvas)
        var = page.evaluate("""() => { const c = document.getElementById('viewer');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let s = 0, s2 = 0, n = 0;
            for (let i = 0; i < d.length; i += 16) { s += d[i]; s2 += d[i] * d[i]; n++; } return s2 / n - (s / n) ** 2; }""")
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        b.close()
    assert not errors, errors
    assert var > 5.0
    assert all(u.startswith(("file://", "data:")) for u in urls), [
        u for u in urls if not u.startswith("file")
    ]


def test_resume_continues_from_the_last_finished_stage(tmp_path, clip):
    run_dir = tmp_path / "r"
    _given(run_dir, clip)
    direct(PROMPT, run_dir, provider="upload", iterations=1, agents=2, sim_seconds=4.0)
    d = run_dir / "iter-01"
    analysis_mtime = (d / "analysis.json").stat().st_mtime_ns
    world_mtime = (d / "world.json").stat().st_mtime_ns
    # the state a crash during simulate leaves: run.json says "running", no agent report yet
    run = Run.load(run_dir)
    run.status = "running"
    run.iterations[0].status = "running"
    run.iterations[0].stages["simulate"].status = "running"
    run.iterations[0].stages["revise"].status = "pending"
    run.save(run_dir)
    (d / "agent_report.json").unlink()
    (d / "revision.json").unlink(missing_ok=True)
    events: list[dict] = []
    again = direct(
        PROMPT, run_dir, provider="upload", iterations=1, agents=2, sim_seconds=4.0, on_event=events.append
    )
    ran = {e["stage"] for e in events if e["type"] == "stage" and e["status"] == "started"}
    assert "simulate" in ran and not ran & {"generate", "analyze", "reconstruct"}
    assert (d / "analysis.json").stat().st_mtime_ns == analysis_mtime
    assert (d / "world.json").stat().st_mtime_ns == world_mtime
    assert (d / "agent_report.json").exists() and again.status == "finished"


def test_bad_input(tmp_path, clip):
    with pytest.raises(BadInputError, match="empty"):
        direct("   ", tmp_path / "x")
    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(BadInputError, match="not a directory"):
        direct(PROMPT, afile)
    with pytest.raises(BadInputError, match="cannot create"):
        direct(PROMPT, afile / "sub")
    with pytest.raises(BadInputError, match="unknown provider"):
        direct(PROMPT, tmp_path / "y", provider="nope")
    with pytest.raises(BadInputError, match="model backend"):
        direct(PROMPT, tmp_path / "y", llm="nope")
    for kw in (
        {"seconds": 0.0},
        {"fps": 120},
        {"size": (4000, 2000)},
        {"size": (321, 180)},
        {"iterations": 0},
    ):
        with pytest.raises(BadInputError):
            direct(PROMPT, tmp_path / "y", **kw)
    assert not (tmp_path / "y").exists() and not (tmp_path / "x").exists()
    # a directory holding another prompt's run is not silently reused
    run_dir = tmp_path / "r"
    _given(run_dir, clip)
    direct(PROMPT, run_dir, provider="upload", iterations=1, agents=2, sim_seconds=4.0, report=False)
    with pytest.raises(BadInputError, match="different prompt"):
        direct("a different prompt", run_dir, provider="upload")
    with pytest.raises(BadInputError, match="seed"):
        direct(PROMPT, run_dir, provider="upload", seed=5)
    # one director per directory at a time
    import fcntl

    with open(run_dir / ".direct.lock", "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(BadInputError, match="already running"):
            direct(PROMPT, run_dir, provider="upload")
    # an upload run without its clip says so
    with pytest.raises(Exception, match="no video.mp4"):
        direct(PROMPT, tmp_path / "empty", provider="upload")
    (tmp_path / "not-a-run").mkdir()
    with pytest.raises(BadInputError, match="no run.json"):
        write_report(tmp_path / "not-a-run")


def test_cli_bad_input_is_one_line_and_nonzero(tmp_path):
    env = {**os.environ, "WD_LOG_LEVEL": "ERROR"}
    afile = tmp_path / "afile"
    afile.write_text("x")
    for args in (
        ["direct", "", "--out", str(tmp_path / "o")],
        ["direct", PROMPT, "--out", str(afile / "sub")],
        ["batch", str(tmp_path / "missing.txt"), "--out", str(tmp_path / "b")],
    ):
        r = subprocess.run(
            [sys.executable, "-m", "worlddirector", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert r.returncode != 0, args
        assert "Traceback" not in r.stderr and r.stderr.strip().count("\n") == 0, r.stderr
        assert r.stderr.startswith("error: ")


def test_batch_runs_prompts_in_processes_with_a_summary(tmp_path):
    prompts = tmp_path / "prompts.txt"
    prompts.write_text(
        "# two runs\na blue ball rolls across an open field\n\na grey robot walks down a hallway\n"
    )
    env = {**os.environ, "WD_LOG_LEVEL": "ERROR"}
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "worlddirector",
            "batch",
            str(prompts),
            "--out",
            str(tmp_path / "b"),
            "--jobs",
            "2",
            "--iterations",
            "1",
            "--seconds",
            "2",
            "--size",
            "320x180",
            "--agents",
            "2",
            "--sim-seconds",
            "4",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    summary = json.loads((tmp_path / "b" / "batch.json").read_text())["runs"]
    assert [row["prompt"] for row in summary] == [
        "a blue ball rolls across an open field",
        "a grey robot walks down a hallway",
    ]
    for row in summary:
        assert row["status"] == "finished" and row["iterations"] == 1 and row["exit_code"] == 0
        assert (tmp_path / "b" / row["dir"] / "report.html").exists()
    assert "batch:" in r.stdout and "finished" in r.stdout  # the summary table
