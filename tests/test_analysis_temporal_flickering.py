"""``vbench_temporal_flickering`` sums each pair's differences with OpenCV (session 12 speed work):
the same score as numpy's mean of the int16 differences, bit for bit."""

from __future__ import annotations

import numpy as np

from worlddirector.analysis.metrics.temporal_flickering import vbench_temporal_flickering


def _numpy_score(rgb):
    maes = [float(np.mean(np.abs(rgb[i].astype(np.int16) - rgb[i + 1].astype(np.int16)))) for i in range(len(rgb) - 1)]
    return (255.0 - float(np.mean(maes))) / 255.0


def test_vbench_temporal_flickering_is_numpys():
    rng = np.random.default_rng(41)
    for shape in ((12, 180, 320, 3), (5, 37, 53, 3), (3, 1, 1, 3), (2, 90, 160, 3)):
        rgb = rng.integers(0, 256, shape, dtype=np.uint8)
        rgb[1] = rgb[0]  # a still pair
        if shape[0] > 3:
            rgb[3] = 255 - rgb[2]  # large differences
        got = vbench_temporal_flickering(rgb)
        assert type(got) is float and got == _numpy_score(rgb)
    assert vbench_temporal_flickering(rng.integers(0, 256, (1, 9, 9, 3), dtype=np.uint8)) is None
    gray = rng.integers(0, 256, (4, 20, 30), dtype=np.uint8)  # grey frames: mean_absdiff's 2-D path
    assert vbench_temporal_flickering(gray) == _numpy_score(gray)
