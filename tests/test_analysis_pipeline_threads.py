"""The pipeline's work on other threads (session 9 speed work): the decode-only measurements
started early give exactly what computing them in line gives, in the same key order."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from test_analysis_clips import make_clip  # noqa: E402

from worlddirector.analysis import pipeline as P  # noqa: E402
from worlddirector.analysis.decode import decode  # noqa: E402


def test_track_free_work_same_with_the_early_decode_only_work(tmp_path):
    video = make_clip(tmp_path / "clip.mp4", seconds=1.5, pan=2.0, seed=3)
    dec = decode(video)
    shots, cuts = [(0, dec.n)], []
    inline = P._track_free_work(video, tmp_path / "a", dec, shots, cuts, 0)
    early = P._in_background(P._decode_only_work, video, dec)
    threaded = P._track_free_work(video, tmp_path / "b", dec, shots, cuts, 0, early)
    m1, d1, s1, p1, k1 = inline
    m2, d2, s2, p2, k2 = threaded
    assert list(m1) == list(m2) == ["temporal_flickering", "dynamic_degree", "motion_smoothness", "imaging_quality"]
    assert json.dumps(m1) == json.dumps(m2) and json.dumps(P._jsonable(d1)) == json.dumps(P._jsonable(d2))
    assert p1 == p2 and [k.model_dump() for k in k1] == [k.model_dump() for k in k2]
    assert (s1 is None) == (s2 is None)
    for name in (k.path for k in k1):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_switch_interval_is_short_during_the_analysis_and_restored(tmp_path):
    video = make_clip(tmp_path / "clip.mp4", seconds=1.0, seed=1)
    seen = []
    before = sys.getswitchinterval()
    P.analyze_video(video, tmp_path / "out", on_progress=lambda f, m: seen.append(sys.getswitchinterval()))
    assert seen and max(seen) <= P.SWITCH_INTERVAL
    assert sys.getswitchinterval() == before
