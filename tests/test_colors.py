"""``colors.dominant_colors`` counts distinct uint8 colours by packing them into integers (session
12 speed work): the same count as ``np.unique`` over rows, so the same k and the same clusters."""

from __future__ import annotations

import numpy as np

from worlddirector import colors


def test_distinct_colours_are_numpys_unique_rows():
    rng = np.random.default_rng(51)
    for n, levels in ((20000, 256), (500, 3), (7, 2), (1, 256)):
        px = rng.integers(0, levels, (n, 3), dtype=np.uint8)
        data = px.astype(np.float32)
        assert colors._distinct(px, data) == len(np.unique(data, axis=0))
    f = rng.normal(100, 30, (300, 3)).astype(np.float32)
    assert colors._distinct(f, f) == 300


def test_dominant_colours_of_uint8_and_float_pixels_agree():
    rng = np.random.default_rng(52)
    for palette in (np.array([[200, 10, 10], [10, 200, 10]]), rng.integers(0, 256, (9, 3))):
        px = palette[rng.integers(0, len(palette), 4000)].astype(np.uint8)
        a = colors.dominant_colors(px, 5)
        b = colors.dominant_colors(px.astype(np.float32), 5)
        assert len(a) == min(5, len(np.unique(px, axis=0)))
        assert [(c.tobytes(), s) for c, s in a] == [(c.tobytes(), s) for c, s in b]
