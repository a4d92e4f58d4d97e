"""Texture-point clusters off the floor as size-drift candidates (session 10 experiment, not used).

Per ``WINDOW``-frame window of a shot: corners of the whole frame followed by Lucas-Kanade, the
floor homography fitted (RANSAC 0.5 px) to the points of the lower ``FLOOR_REGION`` of the frame,
and the points it does not explain (> ``FLOOR_PX``) grouped by single linkage: two points join
when they lie within ``LINK`` px and their displacements differ by less than ``DISP + DISP_K x``
their distance (one object's points share a similarity motion). Each cluster of at least
``MIN_POINTS`` points is fitted by :func:`.scale_drift.fit_scale`; its reference row is the
points' median row (for any point of a rigid object at a fixed height, ``y - y_horizon`` scales as
1 / depth, so the contact point is not needed), and the horizon is fitted per shot by
:func:`.scale_drift.fit_horizon` exactly as for the tracker's boxes. Clusters are linked across
windows by the box their fit carries (IoU >= ``LINK_IOU``).

Dev seeds 20-39 / 240-259 (docs/analysis.md, session 10): the drifting object is measured after
its drift starts in 30 of 40 clips (colour tracker: 16), but the strongest cluster ramp separates
drift from clean clips at only 0.58 / 0.59 (tracker 0.60 / 0.55): clean clips get as many false
ramps (tree canopies under orbits, walkers' limbs, partial clusters), and chains break.
"""

from __future__ import annotations

import cv2
import numpy as np

from worlddirector.analysis.flow import follow_points
from worlddirector.analysis.horizon import FLOOR_REGION, tilt_rows
from worlddirector.analysis.scale_drift import WINDOW, ScaleDrift, _residuals, fit_horizon, fit_scale

MAX_CORNERS = 500
CORNER_QUALITY = 0.003
FLOOR_PX = 1.0
LINK = 10.0
DISP = 1.0
DISP_K = 0.08
MIN_POINTS = 6
LINK_IOU = 0.3


def _groups(p0: np.ndarray, d: np.ndarray) -> list[np.ndarray]:
    """Single-linkage groups of points ``p0`` with displacements ``d`` (module docstring)."""
    n = len(p0)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    dist = np.linalg.norm(p0[:, None] - p0[None], axis=2)
    dd = np.linalg.norm(d[:, None] - d[None], axis=2)
    for i, j in zip(*np.nonzero((dist < LINK) & (dd < DISP + DISP_K * dist))):
        if i < j:
            parent[find(i)] = find(j)
    roots = np.array([find(i) for i in range(n)])
    return [np.nonzero(roots == r)[0] for r in np.unique(roots)]


def _box_iou(a: np.ndarray, b: np.ndarray) -> float:
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    u = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - iw * ih
    return iw * ih / u if u > 0 else 0.0


def _shot_windows(gray: np.ndarray, shot: tuple[int, int]) -> list[tuple]:
    """(a, b, s, ty, reference row, height, box at a, box carried to b) per cluster and window."""
    _, h, _ = gray.shape
    out = []
    for a in range(shot[0], shot[1] - WINDOW, WINDOW):
        b = a + WINDOW
        c = cv2.goodFeaturesToTrack(gray[a], MAX_CORNERS, CORNER_QUALITY, 3)
        if c is None or len(c) < 20:
            continue
        p1, ok = follow_points(gray, a, b, c[:, 0])
        p0, p1 = c[:, 0][ok], p1[ok]
        low = p0[:, 1] > h * (1 - FLOOR_REGION)
        H = cv2.findHomography(p0[low], p1[low], cv2.RANSAC, 0.5)[0] if low.sum() >= 20 else None
        off = np.ones(len(p0), bool)
        if H is not None:
            pred = cv2.perspectiveTransform(p0.reshape(-1, 1, 2).astype(np.float64), H)[:, 0]
            off = np.linalg.norm(pred - p1, axis=1) > FLOOR_PX
        q0, q1 = p0[off], p1[off]
        if len(q0) < MIN_POINTS:
            continue
        for idx in _groups(q0, q1 - q0):
            fit = fit_scale(q0[idx], q1[idx]) if len(idx) >= MIN_POINTS else None
            if fit is None:
                continue
            s, tx, ty = fit
            box = np.array([q0[idx, 0].min(), q0[idx, 1].min(), q0[idx, 0].max(), q0[idx, 1].max()])
            carried = np.array([s * box[0] + tx, s * box[1] + ty, s * box[2] + tx, s * box[3] + ty])
            row = float(np.median(q0[idx, 1]))
            out.append((a, b, s, ty, row, max(float(box[3] - box[1]), 4.0), box, carried))
    return out


def cluster_drifts(
    gray: np.ndarray,
    homographies: np.ndarray,
    factor: float,
    shots: list[tuple[int, int]],
    exclude: dict[int, list[np.ndarray]] | None = None,
) -> list[ScaleDrift]:
    """Residual log scales of the clusters' chains (module docstring); ``exclude``: tracked boxes
    per frame kept out of the floor the horizon's motion is measured on."""
    _, h, w = gray.shape
    out: list[ScaleDrift] = []
    for shot in shots:
        wins = _shot_windows(gray, shot)
        if not wins:
            continue
        win = np.array([x[:6] for x in wins], float)
        tilt = tilt_rows(gray, shot, WINDOW, exclude or {})
        horizon = fit_horizon(win, homographies, factor, shot, h, w, *(tilt or (None, None)))
        r = _residuals(win, horizon[:, None], shot[0])[:, 0]
        open_chains: dict[int, list[tuple[ScaleDrift, np.ndarray]]] = {}
        for (a, b, s, *_rest, box, carried), res in zip(wins, r):
            if not np.isfinite(res):
                continue
            prev = open_chains.get(a, [])
            best = max(prev, key=lambda ch: _box_iou(ch[1], box), default=None)
            if best is not None and _box_iou(best[1], box) >= LINK_IOU:
                sd = best[0]
                prev.remove(best)
            else:
                sd = ScaleDrift(len(out))
                out.append(sd)
            sd.windows.append((a, b, float(res)))
            sd.log_scales.append(float(np.log(s)))
            open_chains.setdefault(b, []).append((sd, carried))
    return out
