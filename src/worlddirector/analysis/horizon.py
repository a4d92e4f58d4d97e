"""How the horizon moves from frame to frame, from the camera's rotation over the floor.

The size-drift residual (:mod:`.scale_drift`) compares an object's scale with the depth of its
contact point below the horizon, at the start ``a`` and end ``b`` of a half-second window. What it
is sensitive to is the horizon's *motion* between ``a`` and ``b``: with the bottom 35 rows below
the horizon, one row of error in that motion is a residual of 0.03 per window, a third of what a
size drift makes. A constant error in the horizon's *level* matters less (the bottom then moves
little relative to it). Measured with the generator's true horizon and boxes on the two dev sets
(seeds 20-39 / 240-259, strongest ramp, drift vs clean clip AUROC): the true rows 0.83 / 0.81, the
true rows shifted by 5 rows 0.81-0.87 / 0.77-0.82, the true level held at its middle-frame row
(what the snapped pair homographies did) 0.75 / 0.74.

The pair homographies cannot carry the horizon: a slow dolly moves textured points by less than
0.25 px per pair at flow resolution, so :mod:`.flow` snaps its homographies to the identity, and
the horizon of a dolly that tilts 10 rows over 4 s never moved. Only the camera's *rotation*
moves the horizon (a translation leaves the vanishing line of the floor where it is), so here it
is measured per window directly: corner points of the lower part of the frame (the floor; tracked
objects' boxes masked out) followed by Lucas-Kanade from ``a`` to ``b``, a RANSAC homography
fitted to them (the floor plane's), decomposed with a guessed focal length
(:data:`.camera.FOCAL_FRACTION` x width, principal point at the centre) into rotation, translation
and plane normal (``cv2.decomposeHomographyMat``; of the solutions that keep the points in front
of the camera, the one whose normal is most nearly the camera's vertical). The horizon row at the
middle column is carried from ``a`` to ``b`` by that rotation (the floor's normal in camera ``b``
is ``R n_a``), and the windows' changes are smoothed by a Theil-Sen line over the shot (one
window's change is noisy, ~0.3-1 row: a translation is partly taken for a rotation). The level
(one row per shot) is the median of the windows' plane normals where the camera translates
(|t| / plane distance >= ``MIN_TRANSLATION``); :func:`.scale_drift.fit_horizon` lets the objects
choose within 5 rows of it, and chooses it from the objects alone when the floor gives none
(a pan, a still camera). Dev seeds 20-39 / 240-259, mean |row error| per shot against the
generator's horizon (180-row frames): the objects' fit 19 / 18 (30 of 39 / 41 shots > 10 rows),
the floor's rows 2.8 / 3.9 (0 / 2 shots > 10 rows); see docs/analysis.md, session 9.
"""

from __future__ import annotations

import cv2
import numpy as np

from worlddirector.analysis.camera import guessed_intrinsics
from worlddirector.analysis.flow import follow_points

FLOOR_REGION = 0.6
"""Fraction of the frame, from the bottom up, searched for floor points."""
MAX_FLOOR_POINTS = 300
MIN_FLOOR_POINTS = 20
RANSAC_PX = 0.5
"""RANSAC reprojection threshold (analysis pixels) of the floor homography over a window."""
MIN_TRANSLATION = 0.05
"""|t| / plane distance of a window below which its plane normal (the level) is not trusted."""


def row_of(normal: np.ndarray, K: np.ndarray) -> float:
    """Row where the horizon of the plane with (camera-frame) ``normal`` crosses the middle column."""
    return float(K[1, 2] - K[1, 1] * normal[2] / normal[1])


def normal_of(row: float, K: np.ndarray) -> np.ndarray:
    """Unit floor normal (camera frame, no roll) whose horizon crosses the middle column at ``row``."""
    v = np.array([0.0, K[1, 1], K[1, 2] - row])
    return v / np.linalg.norm(v)


def floor_motion(
    gray: np.ndarray, a: int, b: int, exclude: list[np.ndarray] = ()
) -> tuple[np.ndarray, np.ndarray, float] | None:
    """(rotation R with X_b = R X_a + t, floor normal in camera ``a``, |t| / plane distance) from
    the floor homography between frames ``a`` and ``b``; None when too few floor points follow."""
    _, h, w = gray.shape
    mask = np.zeros((h, w), np.uint8)
    mask[int(h * (1 - FLOOR_REGION)) :, :] = 255
    for box in exclude:
        x0, y0, x1, y1 = (int(v) for v in box)
        mask[max(0, y0 - 2) : max(0, y1 + 3), max(0, x0 - 2) : max(0, x1 + 3)] = 0
    p = cv2.goodFeaturesToTrack(gray[a], MAX_FLOOR_POINTS, 0.005, 4, mask=mask)
    if p is None or len(p) < MIN_FLOOR_POINTS:
        return None
    p0 = p[:, 0]
    p1, ok = follow_points(gray, a, b, p0)
    if ok.sum() < MIN_FLOOR_POINTS:
        return None
    q0, q1 = p0[ok], p1[ok]
    H, inl = cv2.findHomography(q0, q1, cv2.RANSAC, RANSAC_PX)
    if H is None or inl is None or inl.sum() < MIN_FLOOR_POINTS:
        return None
    inl = inl[:, 0].astype(bool)
    K = guessed_intrinsics(h, w)
    n, Rs, Ts, Ns = cv2.decomposeHomographyMat(H, K)
    vis = cv2.filterHomographyDecompByVisibleRefpoints(
        Rs, Ns, q0[inl].reshape(-1, 1, 2).astype(np.float32), q1[inl].reshape(-1, 1, 2).astype(np.float32)
    )
    cand = [int(i) for i in vis.ravel()] if vis is not None and len(vis) else list(range(n))
    i = max(cand, key=lambda k: abs(float(Ns[k][1, 0])))
    return Rs[i], Ns[i].ravel(), float(np.linalg.norm(Ts[i]))


def theil_sen(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Median-of-slopes line ``y = m x + c`` (robust to a few wild windows)."""
    sl = [(y[j] - y[i]) / (x[j] - x[i]) for i in range(len(x)) for j in range(i + 1, len(x)) if x[j] != x[i]]
    m = float(np.median(sl)) if sl else 0.0
    return m, float(np.median(y - m * x))


def tilt_rows(
    gray: np.ndarray, shot: tuple[int, int], window: int, exclude: dict[int, list[np.ndarray]] | None = None
) -> tuple[np.ndarray, float | None] | None:
    """The horizon's row per frame of ``shot`` relative to its middle frame (shape: frames), from
    the camera's rotation measured over consecutive ``window``-frame windows (module docstring),
    and the level the floor normals give (row at the middle frame; None when the camera hardly
    translates). ``exclude``: boxes (analysis pixels) per frame to keep out of the floor. None
    when fewer than two windows could be measured."""
    _, h, w = gray.shape
    K = guessed_intrinsics(h, w)
    starts = list(range(shot[0], shot[1] - window, window))
    meas = []
    for a in starts:
        boxes = [bx for f in range(a, a + window + 1) for bx in (exclude or {}).get(f, ())]
        meas.append(floor_motion(gray, a, a + window, boxes))
    good = [m for m in meas if m is not None]
    if len(good) < 2:
        return None
    # a provisional level for the rotation to act on (the change hardly depends on it)
    levels = [row_of(nn, K) for _, nn, t in good if t >= MIN_TRANSLATION and abs(nn[1]) > 1e-6]
    level0 = float(np.clip(np.median(levels), -1.5 * h, h)) if levels else h / 2
    n0 = normal_of(level0, K)
    j = np.array([k for k, m in enumerate(meas) if m is not None], float)
    d = np.array([row_of(m[0] @ n0, K) - level0 for m in meas if m is not None])
    slope, icpt = theil_sen(j, d) if len(j) >= 3 else (0.0, float(np.median(d)))
    steps = slope * np.arange(len(starts)) + icpt
    bounds = np.array([shot[0]] + [a + window for a in starts], float)
    cum = np.concatenate([[0.0], np.cumsum(steps)])
    rows = np.interp(np.arange(shot[0], shot[1]), bounds, cum)
    mid = (shot[0] + shot[1]) // 2 - shot[0]
    rows -= rows[mid]
    level = None
    if levels:  # each window's normal row at its start frame, brought to the middle frame
        at = [
            row_of(m[1], K) - rows[a - shot[0]]
            for a, m in zip(starts, meas)
            if m is not None and m[2] >= MIN_TRANSLATION
        ]
        level = float(np.median(at))
    return rows, level
