"""``decode`` keeps the decoded frames of small inputs so the keyframe JPEGs need no second
decoding pass (session 12 speed work): the images must be the second pass's, pixel for pixel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from fakes.media import encode_frames

from worlddirector.analysis import decode as D


def _write(path: Path, w: int, h: int, n: int, fps: int = 24) -> Path:
    """A clip of moving noise and gradients (every frame different), libx264 yuv420p."""
    rng = np.random.default_rng(w * 1000 + n)
    yy, xx = np.mgrid[:h, :w]

    def frames():
        for i in range(n):
            img = np.stack([(xx * 3 + i * 5) % 256, (yy * 2 + i * 3) % 256, (xx + yy + i * 7) % 256], -1)
            yield np.clip(img + rng.integers(-20, 21, img.shape), 0, 255).astype(np.uint8)

    return encode_frames(path, frames(), fps=fps, options={"crf": "20", "preset": "ultrafast"})


def test_keyframe_images_from_kept_frames_are_the_second_pass(tmp_path):
    # analysed as is; downscaled for analysis; wider than the keyframe width; every other frame
    for w, h, n in ((320, 180, 30), (640, 360, 20), (720, 406, 12), (64, 48, 500)):
        video = _write(tmp_path / f"c{w}x{n}.mp4", w, h, n)
        dec = D.decode(video)
        assert dec.kept is not None and sorted(dec.kept) == dec.index.tolist()
        numbers = [int(dec.index[p]) for p in (0, len(dec.index) // 2, len(dec.index) - 1, 0)]
        got = D.keyframe_images(video, dec, numbers)
        ref = D.read_frames_rgb(video, numbers)
        assert dec.kept is None  # released
        assert sorted(got) == sorted(ref) == sorted(set(numbers))
        for k in ref:
            assert got[k].dtype == ref[k].dtype and np.array_equal(got[k], ref[k])
            assert got[k].shape[1] == min(w, D.KEYFRAME_WIDTH)


def test_large_inputs_keep_no_frames_and_read_them_again(tmp_path, monkeypatch):
    video = _write(tmp_path / "c.mp4", 320, 180, 30)
    monkeypatch.setattr(D, "KEEP_FRAMES_BUDGET", 320 * 180 * 10)  # ten frames' worth
    dec = D.decode(video)
    assert dec.kept is None
    got = D.keyframe_images(video, dec, [3, 29])
    ref = D.read_frames_rgb(video, [3, 29])
    assert sorted(got) == [3, 29] and all(np.array_equal(got[k], ref[k]) for k in ref)

