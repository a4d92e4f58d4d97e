"""The generated soundtrack: events are audible when ground truth says, desync and silence are real."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from worlddirector.artifacts.ground_truth import GroundTruth
from worlddirector.providers.procedural import generate_clip

PROMPT = "a red ball bounces across a bright room, static camera"
KW = dict(seed=4, seconds=3.0, size=(320, 180), fps=12)


def audio_of(path: Path) -> tuple[np.ndarray, int]:
    with av.open(str(path)) as c:
        if not c.streams.audio:
            return np.zeros(0), 0
        st = c.streams.audio[0]
        chunks = [f.to_ndarray() for f in c.decode(st)]
        return np.concatenate(chunks, axis=1).mean(axis=0), st.sample_rate


def envelope(x: np.ndarray, sr: int, win: float = 0.01) -> np.ndarray:
    n = int(sr * win)
    m = len(x) // n
    return np.sqrt((x[: m * n].reshape(m, n) ** 2).mean(axis=1))


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    out = tmp_path_factory.mktemp("aclean") / "c"
    generate_clip(PROMPT, out, defects="none", **KW)
    return out


def test_events_are_audible(clean):
    gt = GroundTruth.load(clean)
    impacts = [e for e in gt.audio_events if e.kind == "impact"]
    assert len(impacts) >= 2
    ball = next(o for o in gt.objects if o.kind == "ball")
    assert all(e.object_id == ball.id for e in impacts)
    x, sr = audio_of(clean / "video.mp4")
    assert sr == 48000 and len(x) >= 2.9 * sr
    env = envelope(x, sr)
    for e in impacts:
        k = int(e.time / 0.01)
        if k < 10 or k + 10 >= len(env):
            continue
        before = env[k - 8:k - 2].mean()
        after = env[k:k + 6].max()
        assert after > 2.0 * before, (e.time, after, before)
        # the ball is at its lowest point (on the floor) at the impact frame
        f = round(e.time * gt.fps)
        z = ball.position[f][2]
        assert z - ball.size[2] / 2 < 0.25


def test_av_desync_shifts_every_event(tmp_path, clean):
    out = tmp_path / "d"
    generate_clip(PROMPT, out, defects=["av_desync"], **KW)
    gt0, gt = GroundTruth.load(clean), GroundTruth.load(out)
    (d,) = gt.defects
    assert d.type == "av_desync" and 0.15 <= abs(d.magnitude) <= 0.4
    t0 = [e.time for e in gt0.audio_events if e.kind == "impact"]
    t1 = [e.time for e in gt.audio_events if e.kind == "impact"]
    shifted = [t + d.magnitude for t in t0 if 0 <= t + d.magnitude < KW["seconds"]]
    assert np.allclose(sorted(t1), sorted(shifted), atol=1e-3)
    # the waveform itself is shifted: cross-correlate the onset envelopes
    x0, sr = audio_of(clean / "video.mp4")
    x1, _ = audio_of(out / "video.mp4")
    e0, e1 = envelope(x0, sr), envelope(x1, sr)
    n = min(len(e0), len(e1))
    e0, e1 = e0[:n] - e0[:n].mean(), e1[:n] - e1[:n].mean()
    lags = np.arange(-50, 51)
    corr = [np.dot(e0[max(0, -lag):n - max(0, lag)], e1[max(0, lag):n - max(0, -lag)]) for lag in lags]
    best = lags[int(np.argmax(corr))] * 0.01
    assert abs(best - d.magnitude) <= 0.03


def test_silent_and_audio_off(tmp_path):
    out = tmp_path / "s"
    generate_clip(PROMPT, out, defects=["silent"], **KW)
    gt = GroundTruth.load(out)
    assert [d.type for d in gt.defects] == ["silent"] and gt.audio_events == []
    with av.open(str(out / "video.mp4")) as c:
        assert not c.streams.audio and c.streams.video
    off = tmp_path / "off"
    generate_clip(PROMPT, off, defects="none", audio=False, **KW)
    gt = GroundTruth.load(off)
    assert gt.audio_events == [] and gt.defects == []
    with av.open(str(off / "video.mp4")) as c:
        assert not c.streams.audio


def test_footsteps_follow_the_walk_cycle(tmp_path):
    out = tmp_path / "w"
    generate_clip("a person walks across a field, static camera", out, defects="none", **KW)
    gt = GroundTruth.load(out)
    steps = [e.time for e in gt.audio_events if e.kind == "footstep"]
    # walking at 1.3 m/s with a 1.5 m stride: a foot lands every ~0.58 s, give or take a few per cent
    assert len(steps) >= 3
    gaps = np.diff(steps)
    assert np.all(np.abs(gaps - 1.5 / 2 / 1.3) < 0.1)


def _scene(prompt: str, seed: int = 5, seconds: float = 6.0):
    from worlddirector.providers.procedural.parse import parse_prompt
    from worlddirector.providers.procedural.scene import build_scene

    return build_scene(parse_prompt(prompt), prompt, seed, seconds, (320, 180), 24)


def test_footsteps_at_heel_strike_and_not_periodic():
    sc = _scene("a person walks across a field, static camera")
    walker = next(o for o in sc.objects if o.kind == "person")
    steps = [f for kind, f in walker.events if kind == "footstep"]
    assert len(steps) >= 8
    gait = walker.anim["gait"]
    for f in steps:
        # the legs swing as amp * sin(gait + phase): widest apart where sin = +-1
        g = np.interp(f, np.arange(len(gait)), gait)
        assert abs(abs(np.sin(g)) - 1) < 1e-3, (f, g)
    gaps = np.diff(steps) / sc.fps
    assert 0.5 < np.median(gaps) < 0.65
    assert np.std(gaps) / np.mean(gaps) > 0.01  # natural step-to-step variation, not a metronome
    assert np.ptp(gaps) < 0.3 * np.mean(gaps)


def test_running_cadence_is_realistic():
    sc = _scene("a person runs across a field, static camera")
    runner = next(o for o in sc.objects if o.kind == "person")
    steps = [f for kind, f in runner.events if kind == "footstep"]
    rate = 1.0 / np.median(np.diff(steps) / sc.fps)
    assert 2.3 < rate < 3.6  # steps per second: people run at ~2.5-3.3


def test_bounce_landings_are_at_the_lowest_point_and_irregular():
    sc = _scene(PROMPT)
    ball = next(o for o in sc.objects if o.kind == "ball")
    lands = [f for kind, f in ball.events if kind == "impact"]
    assert len(lands) >= 5
    z = ball.pos[:, 2]
    for f in lands:
        k = round(f)
        if 1 <= k < len(z) - 1:
            assert z[k] <= min(z[k - 1], z[k + 1]) + 0.05
            assert z[k] - z.min() < 0.15
    gaps = np.diff(lands)
    assert np.std(gaps) / np.mean(gaps) > 0.02  # not strictly periodic: a lag of one bounce is not a match
