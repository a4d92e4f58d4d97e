"""Keyframe choice for structure from motion (reconstruction/frames.py)."""

from __future__ import annotations

import cv2
import numpy as np

from worlddirector.reconstruction.frames import DecodedVideo, flash_frames, measure_motion, select_keyframes
from worlddirector.reconstruction.klt import track


def _panning_clip(n: int = 40, step: int = 2, flashes: dict[int, float] | None = None) -> DecodedVideo:
    """A textured picture panning ``step`` px a frame; ``flashes``: frame -> brightness gain."""
    rng = np.random.default_rng(3)
    tex = cv2.GaussianBlur(rng.uniform(0, 255, (180, 320 + step * n)).astype(np.float32), (0, 0), 2.0)
    tex = cv2.normalize(tex, None, 20, 90, cv2.NORM_MINMAX)  # dim, like the cave
    frames = []
    for i in range(n):
        g = tex[:, i * step:i * step + 320] * (flashes or {}).get(i, 1.0)
        frames.append(np.repeat(np.clip(g, 0, 255).astype(np.uint8)[..., None], 3, axis=2))
    return DecodedVideo(frames=frames, frame_ids=list(range(n)), fps=24.0, width=320, height=180, n_frames=n)


def test_flash_frames_are_neither_measured_for_motion_nor_chosen_as_keyframes():
    """Session 16: simulation clip 12 of every set (a crate in a dim cave, a dolly, flicker injected)
    came out single-view: the flicker frames read as 50-310 px of motion where the camera moved 1.7 px
    a frame, so the keyframes crowded around them (three of nine were flicker frames) and only 3
    registered. Frames much brighter or darker than their neighbours are flashes: skipped."""
    clean = _panning_clip()
    flashy = _panning_clip(flashes={16: 0.45, 28: 1.7})
    assert flash_frames(clean) == set()
    assert flash_frames(flashy) == {16, 28}
    steady = measure_motion(clean)
    motion = measure_motion(flashy)
    assert max(motion) < 10.0  # two frames of panning at most, never a spike
    assert abs(sum(motion) - sum(steady)) < 0.1 * sum(steady)
    keys = select_keyframes(flashy, target=12)
    assert not {16, 28} & set(keys)
    assert len(keys) >= 10 and np.ptp(np.diff(keys)) <= 4  # still spread evenly over the clip


def test_feature_tracks_go_on_across_a_flash_frame():
    """Session 17: the tracks that become COLMAP's matches were followed through every other frame,
    flash frames included; brightness constancy fails there, so every track ended at a flash and the
    keyframes on its two sides shared no match: SfM registered one side only (sets W and X: three
    flicker clips single-view with 5-8 of 13-21 keyframes registered). Tracked across the flash
    (from the frame before to the frame after) they go on."""
    flashy = _panning_clip(flashes={16: 1.7})
    keys = [0, 8, 14, 20, 26, 34]

    def shared(skip):
        _, ids = track(flashy.frames, keys, skip=skip)
        return len(np.intersect1d(ids[2], ids[3])), len(ids[2])

    across, before = shared(flash_frames(flashy))
    assert across >= 0.7 * before  # the keyframes either side of the flash share most tracks
    broken, _ = shared(set())
    assert broken < 0.2 * before  # followed through the flash, they end there
