"""Every emulated failure is visible in pixels exactly where and when ground truth says.

Each defect clip is compared with the clean clip of the same prompt and seed: the layout comes from
its own random stream, so the two differ only by the defect.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from worlddirector.artifacts.ground_truth import GroundTruth
from worlddirector.providers.procedural import generate_clip

PROMPT = "a person walks past two crates and a barrel in a warehouse, camera dollies forward"
KW = dict(seed=21, seconds=2.0, size=(320, 180), fps=12, audio=False)


def frames_of(path: Path) -> np.ndarray:
    with av.open(str(path)) as c:
        return np.stack([f.to_ndarray(format="rgb24") for f in c.decode(video=0)]).astype(np.float32)


def region_diff(a: np.ndarray, b: np.ndarray, box) -> float:
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return 0.0
    return float(np.abs(a[y0:y1, x0:x1] - b[y0:y1, x0:x1]).mean())


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    out = tmp_path_factory.mktemp("clean") / "c"
    generate_clip(PROMPT, out, defects="none", **KW)
    return GroundTruth.load(out), frames_of(out / "video.mp4")


def make(tmp_path: Path, typ: str):
    out = tmp_path / typ
    generate_clip(PROMPT, out, defects=[typ], **KW)
    gt = GroundTruth.load(out)
    assert [d.type for d in gt.defects] == [typ]
    return gt, gt.defects[0], frames_of(out / "video.mp4")


def obj(gt: GroundTruth, oid: str):
    return next(o for o in gt.objects if o.id == oid)


def test_clean_has_no_defects(clean):
    gt, _ = clean
    assert gt.defects == []
    for o in gt.objects:
        if o.static:
            bottom = o.position[0][2] - o.size[2] / 2
            assert abs(bottom) < 1e-3, o.id  # everything rests on the floor
        assert all(o.visible) and o.scale == [1.0] * gt.n_frames


def test_floating(tmp_path, clean):
    gt0, f0 = clean
    gt, d, f = make(tmp_path, "floating")
    o = obj(gt, d.object_id)
    assert o.static and d.frames == (0, gt.n_frames - 1)
    lift = o.position[0][2] - o.size[2] / 2
    assert 0.45 <= lift <= 1.0 and abs(lift - d.magnitude) < 1e-3
    boxes = [(i, o.bbox2d[i]) for i in range(gt.n_frames) if o.bbox2d[i]]
    assert boxes
    assert np.median([region_diff(f[i], f0[i], b) for i, b in boxes]) > 12


def test_interpenetration(tmp_path, clean):
    gt0, f0 = clean
    gt, d, f = make(tmp_path, "interpenetration")
    o = obj(gt, d.object_id)
    assert "intersects" in d.note and d.magnitude >= 0.3 - 1e-6
    other = d.note.split("intersects ")[1]
    if other.startswith("obj_"):
        a = obj(gt, other)
        gap = np.linalg.norm(np.subtract(o.position[0][:2], a.position[0][:2]))
        reach = min(o.size[0], o.size[1]) / 2 + min(a.size[0], a.size[1]) / 2
        assert gap <= reach - 0.3 + 1e-3  # the two boxes overlap by at least 0.3 m
    else:
        lo, hi = gt.room.floor_min, gt.room.floor_max
        ext = max(o.size[0], o.size[1]) / 2 * 1.5
        p = o.position[0]
        assert min(p[0] - lo[0], hi[0] - p[0], p[1] - lo[1], hi[1] - p[1]) < ext
    moved = obj(gt0, o.id)
    assert moved.position[0] != o.position[0]
    boxes = [(i, o.bbox2d[i]) for i in range(gt.n_frames) if o.bbox2d[i]]
    assert np.median([region_diff(f[i], f0[i], b) for i, b in boxes]) > 8


@pytest.mark.parametrize("typ", ["pop_in", "pop_out"])
def test_pop(tmp_path, clean, typ):
    gt0, f0 = clean
    gt, d, f = make(tmp_path, typ)
    k = d.frames[0]
    o0 = obj(gt0, d.object_id)
    absent = range(k) if typ == "pop_in" else range(k, gt.n_frames)
    present = range(k, gt.n_frames) if typ == "pop_in" else range(k)
    o = obj(gt, d.object_id)
    assert not any(o.visible[i] for i in absent) and all(o.visible[i] for i in present)
    # where the clean clip shows the object, the defect clip does not
    gone = [region_diff(f[i], f0[i], o0.bbox2d[i]) for i in absent if o0.bbox2d[i]]
    same = [region_diff(f[i], f0[i], o0.bbox2d[i]) for i in present if o0.bbox2d[i]]
    assert gone and np.median(gone) > 15
    assert np.median(same) < 6
    near = k if typ == "pop_in" else k - 1
    x0, y0, x1, y1 = o0.bbox2d[near]
    assert (x1 - x0) * (y1 - y0) >= 0.004 * 320 * 180


def test_flicker(tmp_path, clean):
    gt0, f0 = clean
    gt, d, f = make(tmp_path, "flicker")
    assert d.object_id is None and d.magnitude >= 0.4
    pairs = [p.split("x") for p in d.note.split(": ")[1].split(", ")]
    hit = {int(a): float(b) for a, b in pairs}
    assert min(hit) == d.frames[0] and max(hit) == d.frames[1]
    for i in range(gt.n_frames):
        ratio = f[i].mean() / f0[i].mean()
        if i in hit:
            assert abs(ratio - hit[i]) < 0.2 * hit[i] and abs(ratio - 1) > 0.3
        else:
            assert abs(ratio - 1) < 0.05


def test_teleport(tmp_path, clean):
    gt0, f0 = clean
    gt, d, f = make(tmp_path, "teleport")
    k = d.frames[0]
    o = obj(gt, d.object_id)
    jump = np.linalg.norm(np.subtract(o.position[k], o.position[k - 1]))
    assert jump >= 1.2 and abs(jump - d.magnitude) < 0.05
    steps = [np.linalg.norm(np.subtract(o.position[i], o.position[i - 1])) for i in range(1, gt.n_frames) if i != k]
    assert max(steps) < 0.5 * jump
    assert np.median([float(np.abs(f[i] - f0[i]).mean()) for i in range(k)]) < 2.0
    assert region_diff(f[k], f0[k], o.bbox2d[k]) > 12


def test_size_drift(tmp_path, clean):
    gt0, f0 = clean
    gt, d, f = make(tmp_path, "size_drift")
    o = obj(gt, d.object_id)
    s, e = d.frames
    assert abs(o.scale[e] - 1) >= 0.3 and abs(abs(o.scale[e] - 1) - d.magnitude) < 1e-3
    assert o.scale[s] == pytest.approx(1.0) and all(v == 1.0 for v in o.scale[:s])
    o0 = obj(gt0, o.id)
    if o.static:  # stays on the floor while its size changes
        assert o.position[e][2] - o.size[2] * o.scale[e] / 2 == pytest.approx(0.0, abs=1e-3)
    a0 = o0.bbox2d[e]
    a1 = o.bbox2d[e]
    area = lambda b: (b[2] - b[0]) * (b[3] - b[1])
    ratio = area(a1) / area(a0)
    assert (ratio > 1.4) if o.scale[e] > 1 else (ratio < 0.7)
    big = a1 if o.scale[e] > 1 else a0
    assert region_diff(f[e], f0[e], big) > 8
