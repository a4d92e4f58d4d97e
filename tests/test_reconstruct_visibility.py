"""Boxes the cameras see through are dropped: ray-cast depth maps of a wall and a crate from eight
views on an arc, plus a cluster of points only two views put in front of the wall."""

from __future__ import annotations

import numpy as np

from worlddirector.reconstruction.layout import ObstacleFit
from worlddirector.reconstruction.visibility import drop_seen_through

W, H = 320, 180
K = np.array([[280.0, 0, W / 2], [0, 280.0, H / 2], [0, 0, 1]])
CRATE = (np.array([0.6, 5.0, 0.5]), np.array([0.45, 0.45, 0.5]))  # centre, half sizes
WALL_Y = 8.0


def _look_at(C, target):
    f = (target - C) / np.linalg.norm(target - C)
    r = np.cross(f, [0, 0, 1.0])
    r /= np.linalg.norm(r)
    R = np.stack([r, np.cross(f, r), f])
    return R, -R @ C


def _views(n=8):
    out = []
    for a in np.linspace(-0.5, 0.5, n):
        C = np.array([6.0 * np.sin(a), -1.0 + 6.0 * (1 - np.cos(a)), 1.5])
        out.append(_look_at(C, np.array([0.0, 6.0, 0.8])))
    return out


def _depth_points(R, t):
    """The scene each view's stereo would triangulate: the crate where it is in front, else the wall."""
    C = -R.T @ t
    uu, vv = np.meshgrid(np.arange(2, W, 4.0), np.arange(2, H, 4.0))
    d = np.stack([uu.ravel(), vv.ravel(), np.ones(uu.size)], 1) @ np.linalg.inv(K).T @ R
    with np.errstate(divide="ignore", invalid="ignore"):
        t_wall = (WALL_Y - C[1]) / d[:, 1]
        lo, hi = CRATE[0] - CRATE[1], CRATE[0] + CRATE[1]
        t1, t2 = (lo - C) / d, (hi - C) / d
        tn, tx = np.nanmax(np.minimum(t1, t2), 1), np.nanmin(np.maximum(t1, t2), 1)
    hit = np.where((tn <= tx) & (tn > 0), tn, t_wall)
    P = C + hit[:, None] * d
    return P[(hit > 0) & (P[:, 2] > 0.05) & (P[:, 2] < 3.0)]


def _box(points):
    lo, hi = points.min(0), points.max(0)
    return ObstacleFit(tuple((lo + hi) / 2), tuple(hi - lo + 0.12), 0.0, 0.9, len(points), (128, 128, 128),
                       np.zeros(0, int))


def test_a_cluster_the_other_views_look_through_is_dropped_and_a_real_crate_kept():
    views = _views()
    R = np.array([v[0] for v in views])
    t = np.array([v[1] for v in views])
    pts = [_depth_points(Rv, tv) for Rv, tv in views]
    refs = [np.full(len(p), i) for i, p in enumerate(pts)]
    rng = np.random.default_rng(3)
    # two views agree on a mismatch: a 0.8 m cluster floating 3 m in front of the wall
    phantom = np.array([-1.2, 5.0, 1.6]) + rng.uniform(-0.4, 0.4, (300, 3))
    thin = np.array([-0.2, 4.0, 1.4]) + rng.uniform(-0.4, 0.4, (300, 3)) * [0.15, 0.15, 1.0]
    points = np.concatenate(pts + [phantom, thin])
    ref = np.concatenate(refs + [np.repeat([0, 1], 150), np.repeat([0, 1], 150)])
    crate_pts = points[np.all(np.abs(points - CRATE[0]) <= CRATE[1] + 1e-6, axis=1)]
    assert len(crate_pts) > 100
    crate, ghost, pole = _box(crate_pts), _box(phantom), _box(thin)
    kept, dropped = drop_seen_through([crate, ghost, pole], points, ref, R, t, K, (H, W))
    assert dropped == 1
    assert ghost not in kept
    # the crate hides the wall from every view; a box thinner than THIN is not judged
    assert crate in kept and pole in kept
