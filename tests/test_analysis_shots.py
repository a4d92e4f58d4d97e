"""``shots``: PySceneDetect's ``ContentDetector`` scores computed for the whole stack at once
(session 12 speed work) give the detector's own scores and cuts, frame by frame."""

from __future__ import annotations

import cv2
import numpy as np
from scenedetect import FrameTimecode
from scenedetect.detectors import ContentDetector

from worlddirector.analysis.shots import MIN_SHOT_SECONDS, THRESHOLD, content_scores, scenedetect_cuts


def _detector_cuts(rgb: np.ndarray, fps: float) -> tuple[list[int], list[float]]:
    """The straightforward path: the detector fed frame by frame (BGR), its scores read back."""
    det = ContentDetector(
        threshold=THRESHOLD,
        min_scene_len=max(2, round(MIN_SHOT_SECONDS * fps)),
        weights=ContentDetector.Components(delta_hue=1.0, delta_sat=1.0, delta_lum=1.0, delta_edges=1.0),
    )
    cuts, scores = [], []
    for i, img in enumerate(rgb):
        out = det.process_frame(FrameTimecode(i, fps=fps), np.ascontiguousarray(img[..., ::-1]))
        scores.append(float(det._frame_score or 0.0))
        cuts.extend(tc.frame_num for tc in out)
    return sorted({c for c in cuts if 0 < c < len(rgb)}), scores


def _scene(rng, h, w, n):
    """A textured scene panning by a pixel a frame, with a moving bright square."""
    big = cv2.GaussianBlur(rng.integers(0, 256, (h + 10, w + n + 10, 3), dtype=np.uint8), (7, 7), 0)
    out = np.stack([big[5 : 5 + h, i : i + w] for i in range(n)])
    for i in range(n):
        out[i, h // 3 : h // 3 + 8, (2 * i) % (w - 8) : (2 * i) % (w - 8) + 8] = (250, 240, 10)
    return out


def test_content_scores_are_the_detectors():
    rng = np.random.default_rng(3)
    for (h, w), fps in (((90, 160), 24.0), ((37, 53), 12.0), ((180, 320), 30.0)):
        a, b, c = _scene(rng, h, w, 30), _scene(rng, h, w, 30), _scene(rng, h, w, 30)
        flash = a[:6].copy()
        flash[3] = np.clip(flash[3].astype(int) + 90, 0, 255).astype(np.uint8)  # a flash, then back
        # cuts: a long shot, a shot shorter than the minimum (merged), a flash, a dark frame
        rgb = np.concatenate([a, b[:4], c, flash, np.zeros((1, h, w, 3), np.uint8), b])
        ref_cuts, ref_scores = _detector_cuts(rgb, fps)
        cuts, scores = scenedetect_cuts(rgb, fps)
        assert scores == ref_scores  # the same floats, bit for bit
        assert all(type(s) is float for s in scores)
        assert cuts == ref_cuts and cuts  # and there are cuts to compare
        assert content_scores(rgb[:1]) == [0.0] and content_scores(rgb[:0]) == []


def test_luma_medians_are_numpys():
    from worlddirector.analysis.shots import _luma_medians

    rng = np.random.default_rng(8)
    for h, w in ((90, 160), (37, 53), (1, 1), (2, 1)):
        lum = rng.integers(0, 256, (6, h, w), dtype=np.uint8)
        lum[1] = 7  # constant
        lum[2] = np.where(rng.random((h, w)) < 0.5, 0, 255)  # two values: the mean of the middle pair
        lum[3, : h // 2] = 255
        ref = np.array([np.median(x) for x in lum])
        got = _luma_medians(lum)
        assert got.dtype == np.float64 and np.array_equal(got, ref)
