"""Template re-finding of a patch across a frame pair (analysis/refind.py)."""

from __future__ import annotations

import numpy as np

from worlddirector.analysis.refind import LabFrames, refind


def _frames(size: int, jump: int) -> np.ndarray:
    """Two 180x320 RGB frames on a smooth ramp: a ``size`` px checkered object at x=100, then
    ``jump`` px to the right (a still camera)."""
    rng = np.random.default_rng(3)
    ys, xs = np.mgrid[0:180, 0:320]
    bg = np.stack([xs * 0.4 + 40, ys * 0.5 + 60, np.full_like(xs, 90)], axis=2).astype(np.uint8)
    obj = (rng.random((size // 4, size // 4)) > 0.5).repeat(4, 0).repeat(4, 1)
    obj = np.where(obj[..., None], [220, 40, 40], [30, 30, 200]).astype(np.uint8)
    out = np.stack([bg.copy(), bg.copy()])
    out[0, 60:60 + size, 100:100 + size] = obj
    out[1, 60:60 + size, 100 + jump:100 + jump + size] = obj
    return out


def test_a_jumped_patch_is_found_again_where_it_was_not():
    """A 24 px object jumps 16 px: found again (correlation ~1) about 16 px away, its old place no
    longer matches, and the new place did not look like it before."""
    f = LabFrames(_frames(24, 16))
    box = (50, 30, 62, 42)  # flow resolution (x2 = analysis pixels)
    r = refind(f, 0, 1, box, None, 2.0)
    assert r.best > 0.95 and r.same < 0.6 and r.before < 0.6
    assert abs(r.offset - 16) <= 1.5
    still = refind(f, 0, 0, box, None, 2.0)
    assert still.same > 0.99 and still.shift < 0.05


def test_a_large_patch_is_matched_shrunk_with_the_same_answer():
    """An 80 px object (patch 120 px with its margin, above ``MAX_PATCH``) jumping 24 px: the
    shrunk match still puts it about 24 px away."""
    f = LabFrames(_frames(80, 24))
    r = refind(f, 0, 1, (50, 30, 90, 70), None, 2.0)
    assert r.best > 0.9 and r.same < 0.7
    assert abs(r.offset - 24) <= 4
