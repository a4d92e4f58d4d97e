"""From a sparse, arbitrarily oriented and scaled SfM model to a metric, Z-up world layout.

1. **Gravity and floor.** The cameras' mean "up" (``-R^T e_y``, cameras are rarely rolled) is a
   prior; RANSAC looks for the best-supported plane whose normal is within 30 degrees of it and
   that every camera is above. Its least-squares refit is the floor ``z = 0``.
2. **Scale.** SfM is defined up to scale. We use a documented prior: the camera's median height
   above that floor is ``camera_height`` metres (1.6 m, eye level, unless the caller knows better).
3. **Frame.** Origin under the first camera; +x along its forward direction projected on the floor.
4. **Walls.** RANSAC planes within 10 degrees of vertical, at least 2 m long, that all cameras see
   from the same side and that few points lie behind.
5. **Obstacles.** Remaining points above the floor, clustered by 3D proximity (connected
   components at ``cluster_radius``), each fitted with an upright oriented box (minimum-area
   rectangle in plan, height from point percentiles), with a confidence from support size.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from worlddirector.reconstruction.geometry import ransac_plane, rotation_between, unit
from worlddirector.reconstruction.sfm import SfMResult

DEFAULT_CAMERA_HEIGHT = 1.6


@dataclass
class Aligned:
    """The SfM model in the metric Z-up world frame."""

    R: np.ndarray  # (n,3,3) cam_from_world
    t: np.ndarray  # (n,3)
    C: np.ndarray  # (n,3) camera centres
    points: np.ndarray  # (m,3)
    colors: np.ndarray  # (m,3)
    reliable: np.ndarray  # (m,) low error, not far away
    floor_mask: np.ndarray  # (m,) floor inliers
    scale: float  # metres per SfM unit
    floor_angle_deg: float  # angle between the floor normal and the camera-up prior
    floor_confidence: float
    camera_height: float  # metric (by construction the prior, reported for clarity)
    height_spread: float  # relative spread of camera heights (a check on the floor fit)
    stats: dict = field(default_factory=dict)


class LayoutError(Exception):
    """No floor could be found (the caller falls back to a single-view world with this reason)."""


def clean_points(sfm: SfMResult) -> np.ndarray:
    """Mask of trustworthy points: low reprojection error and not absurdly far from the cameras."""
    if len(sfm.points) == 0:
        return np.zeros(0, bool)
    ok = sfm.errors < 2.5
    c = sfm.centers.mean(0)
    dist = np.linalg.norm(sfm.points - c, axis=1)
    med = np.median(dist[ok]) if ok.any() else np.median(dist)
    return ok & (dist < 6 * med)


def camera_up(R: np.ndarray) -> np.ndarray:
    """The cameras' up prior: the mean of ``-R_i[1]`` (row 1 of cam_from_world is the camera's y
    axis, pointing down in the picture, in world coordinates), normalised."""
    return unit(np.mean(-np.asarray(R)[:, 1, :], axis=0))


def align(sfm: SfMResult, camera_height: float = DEFAULT_CAMERA_HEIGHT) -> Aligned:
    keep = clean_points(sfm)
    P = sfm.points[keep]
    C = sfm.centers
    if len(P) < 30:
        raise LayoutError(f"only {len(P)} reliable 3D points, too few to find a floor")
    up = camera_up(sfm.R)
    scene = float(np.median(np.linalg.norm(P - C.mean(0), axis=1)))
    thr = 0.012 * scene

    def orient(n, d):
        return (n, d) if n @ up >= 0 else (-n, -d)

    def accept(n, d, inl):
        n, d = orient(n, d)
        h = C @ n + d
        if not np.all(h > 0.05 * scene):
            return False
        # a floor has the scene above it: few points may lie clearly below (noise, reflections)
        below = np.mean(P @ n + d < -3 * thr)
        return bool(below < 0.1 and inl.sum() >= max(20, 0.08 * len(P)))

    res = ransac_plane(P, thr, axis=up, max_angle_deg=30.0, iters=600, accept=accept)
    if res is None:
        raise LayoutError("no floor plane below the cameras (no near-horizontal plane with support)")
    n, d, inl = res
    n, d = orient(n, d)
    heights = C @ n + d
    if np.any(heights <= 0):
        raise LayoutError("the fitted floor is not below every camera")
    h = float(np.median(heights))
    s, tf, Rw = _floor_frame(sfm.R, C, n, heights, camera_height)
    Pw = tf(sfm.points)
    Cw = tf(C)
    tw = -np.einsum("nij,nj->ni", Rw, Cw)
    floor_mask = np.zeros(len(sfm.points), bool)
    floor_mask[np.flatnonzero(keep)[inl]] = True
    angle = float(np.degrees(np.arccos(np.clip(n @ up, -1, 1))))
    support = inl.sum() / len(P)
    conf = float(np.clip(min(1.0, inl.sum() / 150) * (1 - angle / 45) * min(1.0, support / 0.15), 0.05, 1.0))
    spread = float(np.std(heights) / h)
    return Aligned(
        R=Rw, t=tw, C=Cw, points=Pw, colors=sfm.colors, reliable=keep, floor_mask=floor_mask, scale=s,
        floor_angle_deg=angle, floor_confidence=round(conf, 3), camera_height=camera_height,
        height_spread=spread,
        stats={"floor_inliers": int(inl.sum()), "reliable_points": len(P), "floor_threshold_m": thr * s},
    )


def _floor_frame(R: np.ndarray, C: np.ndarray, n: np.ndarray, heights: np.ndarray, camera_height: float):
    """(scale, point transform, cam_from_world rotations) of the metric Z-up frame of a floor with
    unit normal ``n`` (cameras ``heights`` above it): floor normal -> +z, first camera forward ->
    +x, origin on the floor below the first camera, median camera height -> ``camera_height``."""
    s = camera_height / float(np.median(heights))
    Rn = rotation_between(n, np.array([0.0, 0.0, 1.0]))
    fwd = Rn @ R[0][2]
    yaw = np.arctan2(fwd[1], fwd[0]) if np.hypot(fwd[0], fwd[1]) > 1e-6 else 0.0
    cz, sz = np.cos(-yaw), np.sin(-yaw)
    M = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1.0]]) @ Rn
    p0 = C[0] - heights[0] * n

    def tf(X):
        return s * (X - p0) @ M.T

    return s, tf, np.einsum("nij,kj->nik", R, M)  # R M^T


REFIT_ANGLE = 3.0  # deg between the sparse and the dense floor before re-framing (the floor target's 3 deg)
REFIT_BAND = 1.0  # m: dense points this low (in the sparse floor's frame) are floor candidates
REFIT_THRESHOLD = 0.04  # m: RANSAC inlier distance for the dense floor
REFIT_BELOW = 1.0  # m: dense points this far below a candidate floor count against it (further: far noise)


def refit_floor(
    al: Aligned, dense_points: np.ndarray
) -> tuple[Aligned, Callable[[np.ndarray], np.ndarray]] | None:
    """The floor again, from the dense points, when it disagrees with the sparse one.

    The sparse floor (:func:`align`) rests on the SfM points, few and noisy on a floor of fine or
    repeated texture seen over a short baseline: set F clip 39 (a wood floor, a 1.5 m dolly) got a
    floor tilted 8.9 deg, so the real floor rose 0.85 m over 12 m in the world and its far part
    became low obstacles. The dense points cover the floor much better. Among those lower than
    ``REFIT_BAND``, a RANSAC plane whose normal is within 15 deg of vertical, with at least a fifth
    of them, every camera above it and few dense points clearly below it (within ``REFIT_BELOW``: a table top has
    the floor's points there; points metres below are far-depth noise); when its normal is more than
    ``REFIT_ANGLE`` from the sparse floor's, the world is re-framed on it (same rules as
    :func:`align`). Returns the new :class:`Aligned` and the transform for other points of the old
    frame, or None when the sparse floor stands."""
    low = dense_points[dense_points[:, 2] < REFIT_BAND]
    if len(low) < 200:
        return None
    z = np.array([0.0, 0.0, 1.0])

    def orient(n, d):
        return (n, d) if n[2] >= 0 else (-n, -d)

    def accept(n, d, inl):
        n, d = orient(n, d)
        if not np.all(al.C @ n + d > 0.3 * al.camera_height):
            return False
        h = dense_points @ n + d
        below = np.mean((h < -3 * REFIT_THRESHOLD) & (h > -REFIT_BELOW))
        return bool(below < 0.05 and inl.sum() >= 0.2 * len(low))

    res = ransac_plane(low, REFIT_THRESHOLD, axis=z, max_angle_deg=15.0, iters=300, accept=accept)
    if res is None:
        return None
    n, d = orient(*res[:2])
    angle = float(np.degrees(np.arccos(np.clip(n[2], -1, 1))))
    heights = al.C @ n + d
    if angle < REFIT_ANGLE or np.any(heights <= 0):
        return None
    s, tf, Rw = _floor_frame(al.R, al.C, n, heights, al.camera_height)
    Cw = tf(al.C)
    Pw = tf(al.points)
    thr = float(al.stats.get("floor_threshold_m", 0.05))
    floor_mask = al.reliable & (np.abs(Pw[:, 2]) < thr)
    stats = {**al.stats, "floor_refit_deg": round(angle, 2)}
    out = Aligned(
        R=Rw, t=-np.einsum("nij,nj->ni", Rw, Cw), C=Cw, points=Pw, colors=al.colors, reliable=al.reliable,
        floor_mask=floor_mask, scale=al.scale * s,
        floor_angle_deg=float(np.degrees(np.arccos(np.clip(camera_up(Rw)[2], -1, 1)))),
        floor_confidence=al.floor_confidence, camera_height=al.camera_height,
        height_spread=float(np.std(heights) / np.median(heights)), stats=stats,
    )
    return out, tf


@dataclass
class WallFit:
    p0: tuple[float, float]
    p1: tuple[float, float]
    height: float
    confidence: float
    n_points: int
    normal: tuple[float, float]  # horizontal unit normal pointing towards the cameras
    offset: float  # plane: normal . xy + offset = 0


def find_walls(al: Aligned, *, max_walls: int = 4, min_length: float = 2.0) -> tuple[list[WallFit], np.ndarray]:
    """Vertical planes bounding the scene. Returns the walls and a mask of points explained by them."""
    cand = al.reliable & ~al.floor_mask & (al.points[:, 2] > 0.15)
    idx = np.flatnonzero(cand)
    used = np.zeros(len(al.points), bool)
    walls: list[WallFit] = []
    rng = np.random.default_rng(1)
    cams = al.C[:, :2]
    thr = 0.08
    for _ in range(max_walls):
        if len(idx) < 40:
            break
        P = al.points[idx]

        def accept(n, d, inl, P=P):
            nh = n[:2] / max(np.linalg.norm(n[:2]), 1e-9)
            side = cams @ nh + d / max(np.linalg.norm(n[:2]), 1e-9)
            if not (np.all(side > 0.3) or np.all(side < -0.3)):
                return False
            return inl.sum() >= max(80, 0.05 * len(P))

        res = ransac_plane(P, thr, axis=np.array([0.0, 0.0, 1.0]), perpendicular=True, max_angle_deg=10.0,
                           iters=400, rng=rng, accept=accept)
        if res is None:
            break
        n, d, inl = res
        nh_norm = np.linalg.norm(n[:2])
        nh, off = n[:2] / nh_norm, d / nh_norm
        if np.mean(cams @ nh + off) < 0:
            nh, off = -nh, -off
        Pin = P[inl]
        along = np.array([-nh[1], nh[0]])
        proj = Pin[:, :2] @ along
        a0, a1 = np.percentile(proj, [1, 99])
        behind = np.sum((al.points[idx, :2] @ nh + off) < -0.5) / len(idx)
        # a wall is continuous: its points must cover most of its length (an object's face plus a
        # far-away coincidence do not)
        nb = max(1, int(np.ceil((a1 - a0) / 0.25)))
        occupied = np.unique(np.clip(((proj - a0) / 0.25).astype(int), 0, nb - 1)).size / nb
        # rooms are (nearly) rectangular: later walls must be parallel or perpendicular to the first
        manhattan = True
        if walls:
            c = abs(float(np.dot(nh, walls[0].normal)))
            manhattan = c > np.cos(np.radians(8)) or c < np.sin(np.radians(8))
        if a1 - a0 < min_length or behind > 0.1 or occupied < 0.5 or not manhattan:
            # not a wall: remove these points from wall search only
            idx = idx[~inl]
            continue
        foot = -off * nh
        p0, p1 = foot + a0 * along, foot + a1 * along
        height = float(max(np.percentile(Pin[:, 2], 98), 1.0))
        conf = float(np.clip(inl.sum() / 200, 0.1, 1.0))
        walls.append(WallFit((float(p0[0]), float(p0[1])), (float(p1[0]), float(p1[1])), height, round(conf, 3),
                             int(inl.sum()), (float(nh[0]), float(nh[1])), float(off)))
        used[idx[inl]] = True
        idx = idx[~inl]
    # everything beyond a wall plane (or on it) is explained by that wall, not an obstacle
    for w in walls:
        dist = al.points[:, :2] @ np.array(w.normal) + w.offset
        p0, p1 = np.array(w.p0), np.array(w.p1)
        seg = (p1 - p0) / max(np.linalg.norm(p1 - p0), 1e-9)
        along = (al.points[:, :2] - p0) @ seg
        within = (along > -0.5) & (along < np.linalg.norm(p1 - p0) + 0.5)
        used |= (dist < 0.15) & within & ~al.floor_mask
    return walls, used


@dataclass
class ObstacleFit:
    center: tuple[float, float, float]
    size: tuple[float, float, float]
    yaw: float
    confidence: float
    n_points: int
    color: tuple[int, int, int]
    points_idx: np.ndarray
    completed: bool = False  # footprint partly guessed (unseen back, or square from an edge-on face)
    observed_bottom: float | None = None  # height of the lowest reconstructed points (2nd percentile), before snapping
    support: str = ""  # floor_contact | floor_assumed | free_below (support.resolve_support)
    free_rays: int = 0  # viewing rays seen passing through the gap under a raised box
    blocked_rays: int = 0  # viewing rays into that gap that end in it (something is there)


def find_obstacles(
    al: Aligned,
    exclude: np.ndarray,
    *,
    cluster_radius: float = 0.3,
    min_points: int = 5,
    max_height: float = 4.0,
    max_footprint: float = 4.0,
    focal: float | None = None,
    max_sigma: float = 0.06,
    merge_extent: float = 1.8,
) -> list[ObstacleFit]:
    """Clusters of points standing on (or above) the floor, fitted with upright oriented boxes.

    Clustering is DBSCAN-like: points with at least 3 neighbours within ``cluster_radius`` are
    cores; cores connect into clusters; other points join the cluster of a core within reach. This
    keeps stray points just above the floor from chaining whole rooms into one cluster.
    """
    z = al.points[:, 2]
    thr = max(0.04, float(al.stats.get("floor_threshold_m", 0.05)))
    cand = al.reliable & ~al.floor_mask & ~exclude & (z > max(0.1, 1.5 * thr)) & (z < max_height)
    if focal:
        # depth uncertainty of a point triangulated over baseline B at distance d with ~0.5 px
        # noise is ~ d^2 * 0.5 / (f B): far points are too noisy to tell an object from the floor
        span = np.ptp(al.C, axis=0)
        B = max(float(np.linalg.norm(span)), 1e-3)
        d = cKDTree(al.C).query(al.points)[0]
        cand &= d * d * 0.5 / (focal * B) < max_sigma
    idx = np.flatnonzero(cand)
    if len(idx) < min_points:
        return []
    P = al.points[idx]
    tree = cKDTree(P)
    counts = np.asarray(tree.query_ball_point(P, cluster_radius, return_length=True))
    core = counts >= 4
    pairs = tree.query_pairs(cluster_radius, output_type="ndarray")
    if len(pairs):
        pairs = pairs[core[pairs[:, 0]] & core[pairs[:, 1]]]
    n = len(P)
    g = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n)) if len(pairs) else coo_matrix((n, n))
    _, labels = connected_components(g, directed=False)
    labels = np.where(core, labels, -1)
    if core.any():
        ctree = cKDTree(P[core])
        d, j = ctree.query(P[~core], distance_upper_bound=cluster_radius)
        core_idx = np.flatnonzero(core)
        border = np.flatnonzero(~core)
        hit = np.isfinite(d)
        labels[border[hit]] = labels[core_idx[j[hit]]]
    ids = sorted(set(labels[labels >= 0].tolist()))
    remap = {c: i for i, c in enumerate(ids)}
    labels = np.array([remap.get(c, -1) for c in labels])
    labels = _merge_overlapping(P, labels, len(ids), min_points, max_extent=merge_extent)
    ncomp = int(labels.max()) + 1 if len(labels) and labels.max() >= 0 else 0
    out: list[ObstacleFit] = []
    for c in range(ncomp):
        m = labels == c
        if m.sum() < min_points:
            continue
        fit = fit_box(P[m], al.colors[idx[m]], al.C, max_footprint=max_footprint)
        if fit is not None:
            fit.points_idx = idx[m]
            out.append(fit)
    out.sort(key=lambda o: -o.n_points)
    return out


def _merge_overlapping(P: np.ndarray, labels: np.ndarray, ncomp: int, min_points: int, pad: float = 0.1,
                       max_extent: float = 2.5) -> np.ndarray:
    """Join clusters whose plan-view bounding boxes overlap, as long as the union stays object-sized:
    sparse points on one large object often fall into several proximity clusters (one per face)."""
    ids = [c for c in range(ncomp) if (labels == c).sum() >= max(3, min_points // 3)]
    boxes = {c: (P[labels == c, :2].min(0) - pad, P[labels == c, :2].max(0) + pad) for c in ids}
    parent = {c: c for c in ids}

    def root(c):
        while parent[c] != c:
            c = parent[c]
        return c

    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            (alo, ahi), (blo, bhi) = boxes[a], boxes[b]
            if np.all(alo <= bhi) and np.all(blo <= ahi):
                ra, rb = root(a), root(b)
                members = [c for c in ids if root(c) in (ra, rb)]
                lo = np.min([boxes[c][0] for c in members], axis=0)
                hi = np.max([boxes[c][1] for c in members], axis=0)
                if np.all(hi - lo - 2 * pad <= max_extent):
                    parent[rb] = ra
    out = np.full(len(labels), -1)
    remap: dict[int, int] = {}
    for c in ids:
        r = root(c)
        out[labels == c] = remap.setdefault(r, len(remap))
    return out


def fit_box(
    Q: np.ndarray,
    colors: np.ndarray,
    cams: np.ndarray,
    *,
    max_footprint: float = 4.0,
    snap_fraction: float = 0.35,
    snap_min: float = 0.3,
    n_support: int | None = None,
    support_scale: float = 25.0,
    footprint_above: float = 0.0,
) -> ObstacleFit | None:
    """An upright oriented box around one cluster's points ``Q`` (world, Z up), or None when the
    cluster is not an object (too wide, or a flat smear just above the floor).

    Robust 5-95 % extents on the minimum-area rectangle's axes; points only cover the faces the
    cameras saw, so a cluster seen from one side is completed behind its nearest surface (as deep
    as it is wide, but no deeper than it is tall) and a thin face gets that depth, or a square
    footprint when its depth was not capped (``completed = True``: its back is a guess). The bottom is
    the lowest observed point, snapped to the floor when within ``max(snap_min, snap_fraction x
    height)`` of it or when only a flat top (< 0.25 m thick) was seen. Confidence grows with
    ``n_support`` (points, or voxels for dense clusters) as ``1 - exp(-n / support_scale)``.
    ``footprint_above``: the footprint comes from points above this fraction of the cluster's
    height band only (dense floor noise in front of an object shares its colour and drags the
    footprint towards the cameras); the vertical extent still uses every point.
    """
    Qall = Q
    if footprint_above > 0:
        z0, z1 = np.percentile(Q[:, 2], [2, 98])
        hi = Q[:, 2] >= z0 + footprint_above * (z1 - z0)
        if hi.sum() >= 10:
            Q = Q[hi]
    xy = Q[:, :2].astype(np.float32)
    (cx, cy), (w, h), ang = cv2.minAreaRect(xy)
    # robust extents along the rectangle's axes (a few stray points must not inflate the box)
    a = np.radians(ang)
    ax_w = np.array([np.cos(a), np.sin(a)])
    ax_h = np.array([-np.sin(a), np.cos(a)])
    uw, uh = Q[:, :2] @ ax_w, Q[:, :2] @ ax_h
    (w0, w1), (h0, h1) = np.percentile(uw, [5, 95]), np.percentile(uh, [5, 95])
    w, h = max(w1 - w0, 0.1), max(h1 - h0, 0.1)
    cx, cy = ((w0 + w1) / 2) * ax_w + ((h0 + h1) / 2) * ax_h
    if max(w, h) > max_footprint:
        return None  # background clutter or an undetected wall, not an object
    if np.percentile(Q[:, 2], 95) - np.percentile(Q[:, 2], 5) < 0.15 and np.percentile(Q[:, 2], 95) < 0.35:
        return None  # a flat smear just above the floor: triangulation noise, not an object
    completed = False
    guessed_depth = None
    top = float(np.percentile(Qall[:, 2], 98))
    bottom = observed_bottom = float(np.percentile(Qall[:, 2], 2))
    if bottom < max(snap_min, snap_fraction * (top - bottom)):
        bottom = 0.0  # standing on the floor (its lowest band is rarely seen or triangulated)
    elif top - bottom < 0.25:
        bottom = 0.0  # only a top surface was triangulated: a solid object below it, not a floating slab
    height = max(top - bottom, 0.1)
    # Sparse points only cover the faces the cameras saw, so the box must extend behind them.
    # Seen from the cameras, an object's depth is about its visible width: put the centre half
    # a width behind its nearest surface (exact for squares and cylinders, face-on or
    # corner-on), unless the points themselves reach further back. The guessed depth is at most
    # the object's height (session 12): a wide, low object seen face-on (a table,
    # a bench, a sofa) is rarely deeper than it is tall.
    dirs = np.array([cx, cy]) - cams[:, :2]
    view = (dirs / np.maximum(np.linalg.norm(dirs, axis=1, keepdims=True), 1e-9)).mean(0)
    vn = float(np.linalg.norm(view))
    if vn > 0.7:  # seen from one side (not orbited): complete the unseen back
        v = view / vn
        u = np.array([-v[1], v[0]])
        pu, pv = Q[:, :2] @ u, Q[:, :2] @ v
        (u0, u1), (v0, v1) = np.percentile(pu, [5, 95]), np.percentile(pv, [5, 95])
        depth = min(u1 - u0, height)
        along = max(v0 + depth / 2, (v0 + v1) / 2)
        if depth < u1 - u0:
            guessed_depth = max(depth, v1 - v0)
        completed = along > (v0 + v1) / 2 + 0.05
        cx, cy = ((u0 + u1) / 2) * u + along * v
    if min(w, h) < 0.6 * max(w, h):
        if guessed_depth is not None:  # a face seen face-on: as deep as guessed behind it
            w, h = (max(w, guessed_depth), h) if w < h else (w, max(h, guessed_depth))
        else:
            w = h = max(w, h)  # a face seen edge-on: assume a square footprint
        completed = True
    n = len(Qall) if n_support is None else n_support
    conf = float(np.clip((1 - np.exp(-n / support_scale)) * min(1.0, height / 0.2), 0.05, 1.0))
    col = np.median(colors, axis=0).astype(int)
    return ObstacleFit(
        center=(float(cx), float(cy), bottom + height / 2), size=(float(w), float(h), float(height)),
        yaw=float(a), confidence=round(conf, 3), n_points=len(Qall),
        color=(int(col[0]), int(col[1]), int(col[2])), points_idx=np.zeros(0, int), completed=completed,
        observed_bottom=observed_bottom,
    )
