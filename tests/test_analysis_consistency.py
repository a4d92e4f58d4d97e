"""The camera's log scale per pair is computed once per clip (``events.cam_log_scales``, session 12
speed work) and summed along tracks exactly as computing it pair by pair in the loops did."""

from __future__ import annotations

import numpy as np

from worlddirector.analysis.events import CAM_SCALE_DEADBAND, cam_log_scale, cam_log_scales
from worlddirector.analysis.metrics.consistency import _cam_logscale
from worlddirector.analysis.tracks import Det


def test_cumulative_camera_log_scale_is_the_pair_by_pair_sum():
    rng = np.random.default_rng(61)
    hs = np.tile(np.eye(3), (40, 1, 1))
    hs[:, :2, :2] += rng.normal(0, 0.02, (40, 2, 2))
    hs[::5] = np.eye(3)  # still pairs: inside the dead band
    scales = cam_log_scales(hs)
    assert scales == [cam_log_scale(H) for H in hs] and scales.count(0.0) >= 8
    assert any(abs(s) >= CAM_SCALE_DEADBAND for s in scales)
    for _ in range(20):
        pos = np.sort(rng.choice(45, size=int(rng.integers(2, 15)), replace=False))  # gaps; past the last pair
        d = [Det(int(p), np.zeros(4), 10.0, np.zeros(3, np.float32), np.zeros(3), False) for p in pos]
        ref = [0.0]
        for a, b in zip(d[:-1], d[1:]):
            ls = 0.0
            for q in range(a.pos, b.pos):
                if q < len(hs):
                    ls += cam_log_scale(hs[q])
            ref.append(ref[-1] + ls)
        assert _cam_logscale(d, scales) == ref
