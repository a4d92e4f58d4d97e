"""Feature tracks through every frame (pyramidal Lucas-Kanade), for SfM on low-texture video.

Why not only SIFT: generated clips are often dim and flat (plain walls, tiled floors), where SIFT
finds a few hundred features per frame and sequential matching leaves COLMAP too few, too short
tracks, and incremental mapping drifts. Tracking corners frame to frame uses the whole video, keeps
correspondences long, and is cheap. Every track is checked forward-backward (a point must track
back to within ``fb_max`` px) and new corners are seeded where tracks are sparse. The tracks at the
keyframes become COLMAP keypoints and matches; COLMAP's geometric verification and mapping do
the rest.
"""

from __future__ import annotations

import cv2
import numpy as np


def _gray(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def track(
    frames: list[np.ndarray],
    keyframes: list[int],
    *,
    max_corners: int = 1000,
    min_distance: int = 8,
    quality: float = 0.003,
    fb_max: float = 0.7,
    step: int = 2,
    seed_every: int = 3,
    skip: set[int] | frozenset[int] = frozenset(),
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Track corners from the first to the last keyframe, every ``step``-th frame (and every
    keyframe), seeding new corners every ``seed_every`` processed frames. Frames in ``skip`` (flash
    frames: brightness constancy fails there, and every track would end at the flash) are tracked
    across, from the frame before to the frame after.

    Returns, per keyframe, the keypoints ``(n, 2)`` float32 and their track ids ``(n,)``.
    """
    key_set = {k: i for i, k in enumerate(keyframes)}
    out_pts: list[np.ndarray] = [np.zeros((0, 2), np.float32)] * len(keyframes)
    out_ids: list[np.ndarray] = [np.zeros(0, np.int64)] * len(keyframes)
    lk = dict(winSize=(21, 21), maxLevel=3, criteria=(cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 0.01))
    pts = np.zeros((0, 2), np.float32)
    ids = np.zeros(0, np.int64)
    next_id = 0
    prev = None
    todo = sorted((set(range(keyframes[0], keyframes[-1] + 1, step)) - set(skip)) | set(keyframes))
    for n_done, f in enumerate(todo):
        g = _gray(frames[f])
        if prev is not None and len(pts):
            p1, st, _ = cv2.calcOpticalFlowPyrLK(prev, g, pts.reshape(-1, 1, 2), None, **lk)
            p0, st2, _ = cv2.calcOpticalFlowPyrLK(g, prev, p1, None, **lk)
            p1 = p1.reshape(-1, 2)
            fb = np.linalg.norm(p0.reshape(-1, 2) - pts, axis=1)
            h, w = g.shape
            ok = (st.ravel() == 1) & (st2.ravel() == 1) & (fb < fb_max)
            ok &= (p1[:, 0] >= 0) & (p1[:, 0] < w - 1) & (p1[:, 1] >= 0) & (p1[:, 1] < h - 1)
            pts, ids = p1[ok], ids[ok]
        # seed new corners away from existing tracks (only on frames we track from: all of them)
        if len(pts) < 0.8 * max_corners and (n_done % seed_every == 0 or f in key_set):
            mask = np.full(g.shape, 255, np.uint8)
            for x, y in pts.astype(int):
                cv2.circle(mask, (int(x), int(y)), min_distance, 0, -1)
            new = cv2.goodFeaturesToTrack(g, maxCorners=max_corners - len(pts), qualityLevel=quality,
                                          minDistance=min_distance, mask=mask, blockSize=5)
            if new is not None:
                new = new.reshape(-1, 2).astype(np.float32)
                pts = np.r_[pts, new]
                ids = np.r_[ids, np.arange(next_id, next_id + len(new))]
                next_id += len(new)
        if f in key_set:
            out_pts[key_set[f]] = pts.copy()
            out_ids[key_set[f]] = ids.copy()
        prev = g
    return out_pts, out_ids


def pair_matches(ids_a: np.ndarray, ids_b: np.ndarray) -> np.ndarray:
    """Index pairs ``(i, j)`` with ``ids_a[i] == ids_b[j]`` (same track in both keyframes)."""
    _, ia, ib = np.intersect1d(ids_a, ids_b, assume_unique=True, return_indices=True)
    return np.c_[ia, ib].astype(np.uint32)
