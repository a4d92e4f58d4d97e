"""The pipeline's work on other threads (session 9 speed work): the decode-only measurements
started early give exactly what computing them in line gives, in the same key order."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

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


def test_soundtrack_read_beside_the_decoding_is_the_one_read_after_it(tmp_path):
    """``_soundtrack`` (started before decoding, finding the audio stream itself) reads what
    ``read_soundtrack`` reads with the decoded video's ``has_audio``; and without audio the same note."""
    from worlddirector.analysis.audio import read_soundtrack
    from worlddirector.providers.procedural import generate_clip

    d = tmp_path / "ball"
    generate_clip("a purple ball bounces in an empty room", d, seed=4, seconds=2.0, size=(320, 180),
                  defects="none", audio=True)
    silent = make_clip(tmp_path / "silent.mp4", seconds=1.0, seed=2)
    for video in (d / "video.mp4", silent):
        dec = decode(video)
        early = P._in_background(P._soundtrack, video)
        got, ref = early.result(), read_soundtrack(video, dec.info.has_audio)
        assert (got.onsets is None) == (ref.onsets is None) and got.note == ref.note
        if ref.onsets is not None:
            assert got.onsets.tobytes() == ref.onsets.tobytes() and got.duration == ref.duration
            assert got.decay.tobytes() == ref.decay.tobytes()
        three = P._decode_only_work(video, dec, P._in_background(P._soundtrack, video))
        assert json.dumps(P._jsonable(three[:2])) == json.dumps(P._jsonable(P._decode_only_work(video, dec)[:2]))
    assert dec.info.has_audio is False and ref.note


def test_described_on_the_second_core_is_the_inline_computation(tmp_path):
    """``_described`` (background consistency, tracks, description, camera; run beside the sound
    events) returns what the steps give one after the other on the main thread."""
    import cv2

    from worlddirector.analysis import describe as describe_mod
    from worlddirector.analysis.camera import classify_camera
    from worlddirector.analysis.flow import compute_motion
    from worlddirector.analysis.metrics.consistency import background_consistency

    video = make_clip(tmp_path / "clip.mp4", seconds=2.0, pan=1.5, seed=5)
    dec = decode(video)
    motion = compute_motion(dec.gray)
    fh, fw = motion.gray_small.shape[1:]
    rgb_small = np.stack([cv2.resize(f, (fw, fh), interpolation=cv2.INTER_AREA) for f in dec.rgb])
    shots = [(0, dec.n)]
    raw_tracks, _, _ = P.find_events(rgb_small, motion, shots, [], [], dec.rgb)
    assert raw_tracks
    factor = dec.info.width / fw
    picks = [(0, "shot start"), (dec.n // 2, "coverage")]
    got = P._described(rgb_small, raw_tracks, shots, dec, factor, picks, P._in_background(classify_camera, motion, shots))
    camera = classify_camera(motion, shots)
    tracks = P._to_tracks(raw_tracks, dec, factor)
    scene = describe_mod.describe_scene(np.stack([dec.rgb[p] for p, _ in picks]), tracks, dec.info.analysed_width, camera["label"])
    ref = (background_consistency(rgb_small, raw_tracks, shots), tracks, scene, camera)
    assert got[1] == ref[1]
    for a, b in ((got[0], ref[0]), (got[2], ref[2]), (got[3], ref[3])):
        assert json.dumps(P._jsonable(a)) == json.dumps(P._jsonable(b))
