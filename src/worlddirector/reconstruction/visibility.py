"""Boxes the cameras see through: nothing is there.

Plane-sweep stereo mismatches on a plain wall (plaster, a repeated tile) or a fine ground texture
(grass, asphalt) can agree between two reference views often enough to pass the voxel agreement
test, and the points form a cluster floating in front of the wall or above the ground, far from
any object. Boxed, such a cluster is an obstacle in the
world; hanging in the air, it is a false ``floating`` finding for the simulation (eight on
simulation sets F, G and H, all but two 1.6-6.5 m from any real object).

A real object hides what lies behind it. Every reference view's depth map (the dense points it
triangulated, nearest per 4x4 px cell) says, at the pixels where a box's points project, either
"a surface here" (depth within ``max(0.3 m, 6 %)`` of the point's: the view sees the point) or
"a surface clearly behind" (the view looks through the point) or "something in front" (no
evidence either way). A box whose points the views look through in at least ``SEE_THROUGH`` of
their judgements is not there and is dropped.

Measured (session 14; the points of every box of confidence >= 0.3 on 24 bench clips, seeds
90-91, and 22 simulation clips of sets F-H; "real" = centre within 0.3 m of a true object after
the bench's Sim3): real boxes median 0.02, 90th percentile 0.10, maximum 0.42 (a 0.12 m lamp
pole, its points mostly on its silhouette); the 8 phantom boxes behind false floating findings
0.34-0.68, seven of them >= 0.46. Of the 26 boxes >= 0.4, one was real (the pole): boxes with a
plan side under ``THIN`` are not judged, since a silhouette's neighbouring pixels show what lies
behind it.
"""

from __future__ import annotations

import numpy as np

from worlddirector.reconstruction.geometry import plan_coords
from worlddirector.reconstruction.layout import ObstacleFit

SEE_THROUGH = 0.4  # share of the views' judgements that look through a box's points
THIN = 0.3  # m: a box with a narrower plan side is not judged (poles: their points are silhouette)
CELL = 4  # px of the depth-map grid
MIN_VOTES = 50  # fewer judgements decide nothing
MAX_SAMPLES = 400  # points per box
SHRINK = 0.05  # m: points this close to the box's faces are left out (its neighbours' and the floor's)
NEAR_TOL = 0.3  # m, and
NEAR_FRACTION = 0.06  # of the depth: a surface this close to the point is the point seen


def depth_maps(points: np.ndarray, ref: np.ndarray, R: np.ndarray, t: np.ndarray, K: np.ndarray,
               shape: tuple[int, int]) -> list[np.ndarray]:
    """Per reference view ``v`` (``R[v]``, ``t[v]``, ``K`` at ``shape`` = (height, width)): the depth of
    the nearest point it triangulated (``ref == v``) in every ``CELL`` x ``CELL`` cell, inf where none."""
    h, w = shape[0] // CELL, shape[1] // CELL
    maps = []
    for v in range(len(R)):
        X = points[ref == v] @ np.asarray(R[v]).T + np.asarray(t[v])
        cells, z = _cells(X, K)
        ok = _on_grid(cells, (h, w))
        D = np.full((h, w), np.inf)
        np.minimum.at(D, (cells[ok, 1], cells[ok, 0]), z[ok])
        maps.append(D)
    return maps


def _cells(X: np.ndarray, K: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Grid cells and depths of camera-frame points in front of the camera."""
    X = X[X[:, 2] > 0.1]
    uv = X[:, :2] @ np.asarray(K)[:2, :2].T / X[:, 2:3] + np.asarray(K)[:2, 2]
    return np.floor(uv / CELL).astype(int), X[:, 2]


def _on_grid(cells: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Which (column, row) cells lie on a grid of ``shape`` = (rows, columns)."""
    return (cells[:, 0] >= 0) & (cells[:, 0] < shape[1]) & (cells[:, 1] >= 0) & (cells[:, 1] < shape[0])


def _inside(points: np.ndarray, box: ObstacleFit, shrink: float) -> np.ndarray:
    lx, ly = plan_coords(box.center, box.yaw, points[:, 0], points[:, 1])
    return ((np.abs(lx) <= box.size[0] / 2 - shrink) & (np.abs(ly) <= box.size[1] / 2 - shrink)
            & (np.abs(points[:, 2] - box.center[2]) <= box.size[2] / 2 - shrink))


def see_through(box: ObstacleFit, points: np.ndarray, maps: list[np.ndarray], R: np.ndarray, t: np.ndarray,
                K: np.ndarray) -> tuple[int, int]:
    """(judgements that look through the box's points, judgements that see them), over every view."""
    P = points[_inside(points, box, SHRINK)]
    if len(P) > MAX_SAMPLES:
        P = P[:: int(np.ceil(len(P) / MAX_SAMPLES))]
    through = seen = 0
    for v, D in enumerate(maps):
        cells, z = _cells(P @ np.asarray(R[v]).T + np.asarray(t[v]), K)
        ok = _on_grid(cells, D.shape)
        d, z = D[cells[ok, 1], cells[ok, 0]], z[ok]
        tol = np.maximum(NEAR_TOL, NEAR_FRACTION * z)
        finite = np.isfinite(d)
        through += int((finite & (d > z + tol)).sum())
        seen += int((finite & (np.abs(d - z) <= tol)).sum())
    return through, seen


def drop_seen_through(boxes: list[ObstacleFit], points: np.ndarray, ref: np.ndarray, R: np.ndarray,
                      t: np.ndarray, K: np.ndarray, shape: tuple[int, int]) -> tuple[list[ObstacleFit], int]:
    """The boxes the reference views do not look through, and how many were dropped."""
    if not boxes or len(points) == 0:
        return list(boxes), 0
    maps = depth_maps(points, ref, R, t, K, shape)
    kept = []
    for b in boxes:
        if min(b.size[0], b.size[1]) >= THIN:
            through, seen = see_through(b, points, maps, R, t, K)
            if through + seen >= MIN_VOTES and through >= SEE_THROUGH * (through + seen):
                continue
        kept.append(b)
    return kept, len(boxes) - len(kept)
