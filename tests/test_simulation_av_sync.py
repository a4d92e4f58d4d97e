"""Simulation: ``av_desync`` violations from the analysis' sound details (issue 10).

* the lag-scan decision on hand-made event/onset lists (consistent shift vs clean vs chance);
* a bouncing-box clip with clicks 250 ms late vs in time: analyse -> simulate in a hand-built world;
* the procedural generator with ``av_desync`` vs ``none`` (same prompt and seed): generate ->
  analyse -> reconstruct -> simulate, the real pipeline;
* no violation (and no crash) for a clip without sound (``av_sync: null``).
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from worlddirector.analysis import analyze_video
from worlddirector.artifacts import GroundTruth
from worlddirector.artifacts.analysis import Analysis
from worlddirector.artifacts.world import Floor, RegisteredCamera, World
from worlddirector.simulation import simulate
from worlddirector.simulation.checks.av_sync import desync_evidence

W, H, FPS, SR = 320, 180, 24, 16000


def _bouncing_clip(path: Path, seconds: float, audio_delay: float | None, period: int = 12) -> list[float]:
    """A red box bouncing on a green floor, a thud at every landing shifted by ``audio_delay`` s."""
    n = int(seconds * FPS)
    impacts = [k * period / FPS for k in range(1, n // period + 1) if k * period < n]
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=FPS)
        vs.width, vs.height, vs.pix_fmt = W, H, "yuv420p"
        vs.options = {"preset": "ultrafast", "crf": "18"}
        a_s = None
        if audio_delay is not None:
            a_s = out.add_stream("aac", rate=SR)
            a_s.layout = "mono"
        for i in range(n):
            img = np.zeros((H, W, 3), np.uint8)
            img[:100] = (90, 140, 230)
            img[100:] = (60, 130, 60)
            y1 = int(np.rint(130 - 60 * np.sin(np.pi * (i % period) / period)))
            img[y1 - 30 : y1, 140:170] = (210, 40, 35)
            for pkt in vs.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(pkt)
        for pkt in vs.encode():
            out.mux(pkt)
        if a_s is not None:
            rng = np.random.default_rng(0)
            sig = 0.02 * rng.standard_normal(int(seconds * SR)).astype(np.float32)
            for t in impacts:
                s0 = int((t + audio_delay) * SR)
                k = min(4000, len(sig) - s0)  # a landing's thud: rings ~40 ms (a click would be no landing)
                if s0 >= 0 and k > 800:
                    sig[s0 : s0 + k] += (0.6 * np.exp(-np.arange(k) / 640) * rng.standard_normal(k)).astype(np.float32)
            for k in range(0, len(sig), 1024):
                fr = av.AudioFrame.from_ndarray(sig[None, k : k + 1024].copy(), format="flt", layout="mono")
                fr.sample_rate = SR
                fr.pts = k
                for pkt in a_s.encode(fr):
                    out.mux(pkt)
            for pkt in a_s.encode():
                out.mux(pkt)
    return impacts


def _world() -> World:
    """A floor seen by a camera at (0, -3.5, 1.6) looking along +y (as in test_simulation.py)."""
    r = np.array([[1.0, 0, 0], [0, 0, -1.0], [0, 1.0, 0]])
    t = -r @ np.array([0.0, -3.5, 1.6])
    cams = [RegisteredCamera(frame=f, cam_from_world=np.hstack([r, t[:, None]]).tolist()) for f in range(0, 72, 6)]
    return World(method="multiview", reason="hand-built test world", scale_source="test",
                 intrinsics={"fx": 250.0, "fy": 250.0, "cx": 160.0, "cy": 90.0, "width": 320.0, "height": 180.0},
                 cameras=cams, floor=Floor(extent_min=(-5.0, -4.0), extent_max=(5.0, 10.0), confidence=0.9),
                 walls=[], obstacles=[], moving_objects=[])


def _desync(report):
    return [v for v in report.violations if v.type == "av_desync"]


# ---------------------------------------------------------------- the decision on its own


def test_consistent_shift_is_desync_and_clean_or_chance_is_not():
    fps = 24.0
    events = [0.5, 1.0, 1.5, 2.0, 2.5, 3.1]
    late = [t + 0.25 for t in events]
    r = desync_evidence(events, late, fps)
    assert r["desynced"] and abs(r["offset"] - 0.25) < 1 / fps and len(r["pairs"]) == 6 and r["zero"] == 0
    clean = desync_evidence(events, [t + 0.01 for t in events], fps)
    assert not clean["desynced"] and abs(clean["offset"]) < 1 / fps
    # two lucky pairs at a shifted lag are not enough evidence
    assert not desync_evidence(events[:2], late[:2], fps)["desynced"]
    # sound 2 frames late is still in sync (inside the analysis' ±2-frame window)
    assert not desync_evidence(events, [t + 2 / fps for t in events], fps)["desynced"]
    assert desync_evidence([], late, fps) is None and desync_evidence(events, [], fps) is None


def test_decision_from_the_analysis_estimate():
    """With the analysis' offset and av_sync, those decide: a low av_sync at a clear offset is desync;
    the same pairs with av_sync near 1 (lag 0 explains the sounds as well) or a small offset are not."""
    fps = 24.0
    events = [0.5, 1.0, 1.5, 2.0, 2.5, 3.1]
    late = [t + 0.25 for t in events]
    r = desync_evidence(events, late, fps, 0.25, 0.1)
    assert r["desynced"] and len(r["pairs"]) == 6 and abs(r["offset"] - 0.25) < 1 / fps
    assert not desync_evidence(events, late, fps, 0.25, 0.9)["desynced"]
    assert not desync_evidence(events, [t + 0.08 for t in events], fps, 0.08, 0.1)["desynced"]
    # an offset that pairs nothing is no evidence either
    assert not desync_evidence(events, late, fps, -0.3, 0.1)["desynced"]


# ---------------------------------------------------------------- clip -> analysis -> simulation


def test_late_clicks_give_av_desync_at_the_landings_and_in_time_clicks_do_not(tmp_path):
    reports = {}
    for name, delay in (("late", 0.25), ("sync", 0.0)):
        run = tmp_path / name
        run.mkdir()
        impacts = _bouncing_clip(run / "video.mp4", 3.0, delay)
        analyze_video(run / "video.mp4", run)
        _world().save(run)
        reports[name] = simulate(run, agents=0, seconds=1.0)
    assert not _desync(reports["sync"])
    assert reports["sync"].stats["av_sync_check"]["judged"] and not reports["sync"].stats["av_sync_check"]["desynced"]
    chk = reports["late"].stats["av_sync_check"]
    assert chk["desynced"] and 200 <= chk["offset_ms"] <= 300 and chk["pairs_at_best_lag"] >= 3
    assert chk["decided_by"] == "analysis offset and av_sync"
    found = _desync(reports["late"])
    assert len(found) == 3  # first, middle and last of the paired landings
    assert found[0].time < found[1].time < found[2].time
    for v in found:
        # at a landing (the visual contact, not the late sound), with readable evidence
        assert min(abs(v.time - t) for t in impacts) <= 1.5 / FPS, (v.time, impacts)
        assert v.frames == [round(v.time * FPS)]
        assert "heard" in v.evidence and "after the visual contact" in v.evidence and "median offset over" in v.evidence
        ms = int(v.evidence.split("heard ")[1].split(" ms")[0])
        assert 200 <= ms <= 300
        # placed where the box lands: the floor point under its bottom edge (v = 130 px, 10 m ahead)
        assert v.object_id is not None and "box meets the floor" in v.evidence
        assert abs(v.position[2]) < 0.05 and abs(v.position[0]) < 1.0 and 5.5 <= v.position[1] <= 8.0, v.position


def test_no_sound_no_av_desync(tmp_path):
    run = tmp_path / "mute"
    run.mkdir()
    _bouncing_clip(run / "video.mp4", 2.0, None)
    a = analyze_video(run / "video.mp4", run)
    assert a.metrics["av_sync"] is None
    _world().save(run)
    rep = simulate(run, agents=0, seconds=1.0)
    assert not _desync(rep)
    assert rep.stats["av_sync_check"] == {"judged": False, "reason": "no audio track: av_sync is not defined"}


# ---------------------------------------------------------------- the real pipeline on generated clips


@pytest.mark.slow
def test_generated_av_desync_vs_clean(tmp_path):
    """Same prompt and seed, ``--defects av_desync`` vs ``none`` (3 s, 320x180): only the first is flagged."""
    from worlddirector.providers.procedural import generate_clip
    from worlddirector.reconstruction import reconstruct

    prompt = "a red ball bounces in a bright room"
    found = {}
    for defects in ("av_desync", "none"):
        run = tmp_path / defects
        generate_clip(prompt, run, seed=1, seconds=3.0, size=(W, H), fps=FPS,
                      defects=[defects] if defects != "none" else "none")
        analyze_video(run / "video.mp4", run)
        reconstruct(run / "video.mp4", run)
        found[defects] = (_desync(simulate(run, agents=0, seconds=1.0)), GroundTruth.load(run), Analysis.load(run))
    assert not found["none"][0]
    vs, gt, analysis = found["av_desync"]
    injected = next(d for d in gt.defects if d.type == "av_desync").magnitude
    assert vs, analysis.metric_details["av_sync"]
    for v in vs:
        said_late = "after the visual" in v.evidence
        assert said_late == (injected > 0), (v.evidence, injected)
        assert v.frames and 0 <= v.frames[0] < analysis.video.n_frames


@pytest.mark.slow
def test_real_sora_clip_is_not_called_desynced(tmp_path):
    """The real Sora clip (sound in time with the catapult) gets no av_desync finding."""
    from worlddirector.simulation.checks.av_sync import av_desync
    from worlddirector.simulation.placement import Cameras

    sora = Path(__file__).resolve().parents[1].parent / "shared/testdata/real/sora_catapult.mp4"
    if not sora.exists():
        pytest.skip(f"{sora} not present")
    a = analyze_video(sora, tmp_path)
    assert a.video.has_audio and a.metrics["av_sync"] is not None
    stats: dict = {}
    world = _world()
    assert av_desync(a, world, Cameras(world), stats) == []
    assert stats["av_sync_check"]["judged"] and not stats["av_sync_check"]["desynced"]
