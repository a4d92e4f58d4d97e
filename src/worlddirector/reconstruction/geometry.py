"""Small, dependency-free geometry: planes, similarity alignment, pose interpolation, rays.

Conventions: cameras are ``cam_from_world`` ``[R|t]`` (OpenCV: x right, y down, z forward), so a
camera centre is ``C = -R^T t`` and the camera's "up" in world coordinates is ``-R^T e_y``.
"""

from __future__ import annotations

import numpy as np


def unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.maximum(n, 1e-12)


def fit_plane(points: np.ndarray) -> tuple[np.ndarray, float]:
    """Least-squares plane ``n . x + d = 0`` through points (unit ``n``)."""
    c = points.mean(axis=0)
    _, _, vt = np.linalg.svd(points - c, full_matrices=False)
    n = vt[-1]
    return n, -float(n @ c)


def ransac_plane(
    points: np.ndarray,
    threshold: float,
    *,
    axis: np.ndarray | None = None,
    max_angle_deg: float = 90.0,
    perpendicular: bool = False,
    iters: int = 500,
    rng: np.random.Generator | None = None,
    accept=None,
) -> tuple[np.ndarray, float, np.ndarray] | None:
    """RANSAC plane with an orientation prior.

    ``axis`` with ``perpendicular=False``: the plane normal must lie within ``max_angle_deg`` of
    ``axis`` (floors, with the camera-up prior). With ``perpendicular=True`` the normal must be
    within ``max_angle_deg`` of perpendicular to ``axis`` (walls: vertical planes). ``accept(n, d,
    inliers)`` may veto a hypothesis. Returns ``(n, d, inlier_mask)`` refined by least squares, or
    None.
    """
    if len(points) < 3:
        return None
    rng = rng or np.random.default_rng(0)
    cos_lim = np.cos(np.radians(max_angle_deg))
    best = None
    best_count = 0
    for _ in range(iters):
        s = points[rng.choice(len(points), 3, replace=False)]
        n = np.cross(s[1] - s[0], s[2] - s[0])
        nn = np.linalg.norm(n)
        if nn < 1e-12:
            continue
        n = n / nn
        if axis is not None:
            c = abs(float(n @ axis))
            if perpendicular:
                if np.sqrt(max(0.0, 1 - c * c)) < cos_lim:
                    continue
            elif c < cos_lim:
                continue
        d = -float(n @ s[0])
        inl = np.abs(points @ n + d) < threshold
        cnt = int(inl.sum())
        if cnt > best_count and (accept is None or accept(n, d, inl)):
            best, best_count = (n, d, inl), cnt
    if best is None:
        return None
    n, d, inl = best
    for _ in range(2):  # refine on inliers, re-select
        n2, d2 = fit_plane(points[inl])
        if n2 @ n < 0:
            n2, d2 = -n2, -d2
        inl2 = np.abs(points @ n2 + d2) < threshold
        if inl2.sum() < 3:
            break
        n, d, inl = n2, d2, inl2
    return n, d, inl


def umeyama(src: np.ndarray, dst: np.ndarray, with_scale: bool = True) -> tuple[float, np.ndarray, np.ndarray]:
    """Similarity ``dst ~ s R src + t`` minimising squared error (Umeyama 1991)."""
    mu_s, mu_d = src.mean(0), dst.mean(0)
    xs, xd = src - mu_s, dst - mu_d
    cov = xd.T @ xs / len(src)
    U, S, Vt = np.linalg.svd(cov)
    D = np.eye(3)
    if np.linalg.det(U) * np.linalg.det(Vt) < 0:
        D[2, 2] = -1
    R = U @ D @ Vt
    var_s = (xs**2).sum() / len(src)
    s = float(np.trace(np.diag(S) @ D) / var_s) if with_scale and var_s > 0 else 1.0
    t = mu_d - s * R @ mu_s
    return s, R, t


def rotation_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Smallest rotation taking unit vector ``a`` to unit vector ``b``."""
    a, b = unit(a), unit(b)
    v = np.cross(a, b)
    c = float(a @ b)
    if c < -0.999999:
        axis = unit(np.cross(a, [1.0, 0, 0] if abs(a[0]) < 0.9 else [0, 1.0, 0]))
        return 2 * np.outer(axis, axis) - np.eye(3)
    vx = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return np.eye(3) + vx + vx @ vx / (1 + c)


def quat_from_R(R: np.ndarray) -> np.ndarray:
    """Unit quaternion (w, x, y, z)."""
    m = R
    tr = np.trace(m)
    if tr > 0:
        s = np.sqrt(tr + 1.0) * 2
        q = [0.25 * s, (m[2, 1] - m[1, 2]) / s, (m[0, 2] - m[2, 0]) / s, (m[1, 0] - m[0, 1]) / s]
    elif m[0, 0] > m[1, 1] and m[0, 0] > m[2, 2]:
        s = np.sqrt(1.0 + m[0, 0] - m[1, 1] - m[2, 2]) * 2
        q = [(m[2, 1] - m[1, 2]) / s, 0.25 * s, (m[0, 1] + m[1, 0]) / s, (m[0, 2] + m[2, 0]) / s]
    elif m[1, 1] > m[2, 2]:
        s = np.sqrt(1.0 + m[1, 1] - m[0, 0] - m[2, 2]) * 2
        q = [(m[0, 2] - m[2, 0]) / s, (m[0, 1] + m[1, 0]) / s, 0.25 * s, (m[1, 2] + m[2, 1]) / s]
    else:
        s = np.sqrt(1.0 + m[2, 2] - m[0, 0] - m[1, 1]) * 2
        q = [(m[1, 0] - m[0, 1]) / s, (m[0, 2] + m[2, 0]) / s, (m[1, 2] + m[2, 1]) / s, 0.25 * s]
    q = np.array(q)
    return q / np.linalg.norm(q)


def R_from_quat(q: np.ndarray) -> np.ndarray:
    w, x, y, z = q
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ])


def slerp(q0: np.ndarray, q1: np.ndarray, a: float) -> np.ndarray:
    if q0 @ q1 < 0:
        q1 = -q1
    dot = float(np.clip(q0 @ q1, -1, 1))
    if dot > 0.9995:
        q = q0 + a * (q1 - q0)
        return q / np.linalg.norm(q)
    th = np.arccos(dot)
    return (np.sin((1 - a) * th) * q0 + np.sin(a * th) * q1) / np.sin(th)


def interpolate_poses(frames: list[int], R: np.ndarray, C: np.ndarray, query: int) -> tuple[np.ndarray, np.ndarray]:
    """Camera rotation (cam_from_world) and centre at any frame: slerp/lerp between registered
    neighbours, clamped at the ends. Returns ``(R, C)``."""
    fr = np.asarray(frames)
    if query <= fr[0]:
        return R[0], C[0]
    if query >= fr[-1]:
        return R[-1], C[-1]
    j = int(np.searchsorted(fr, query))
    if fr[j] == query:
        return R[j], C[j]
    i = j - 1
    a = (query - fr[i]) / (fr[j] - fr[i])
    q = slerp(quat_from_R(R[i]), quat_from_R(R[j]), a)
    return R_from_quat(q), (1 - a) * C[i] + a * C[j]


def pixel_ray(K: np.ndarray, R: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """World-frame unit direction of the ray through pixel(s) ``uv`` for rotation ``R``."""
    uv = np.atleast_2d(uv)
    h = np.c_[uv, np.ones(len(uv))]
    d = (np.linalg.inv(K) @ h.T).T
    return unit(d @ R)  # R^T d for each row


def intersect_floor(C: np.ndarray, ray: np.ndarray) -> np.ndarray | None:
    """Where a ray from ``C`` meets ``z = 0`` (None when it points at or above the horizon)."""
    if ray[2] > -1e-6:
        return None
    s = -C[2] / ray[2]
    return C + s * ray


def plan_coords(center, yaw: float, x, y):
    """``(x, y)`` (scalars or arrays) in the plan frame of an upright box centred at ``center``
    (its first two coordinates) and turned by ``yaw`` about z."""
    c, s = np.cos(yaw), np.sin(yaw)
    dx, dy = x - center[0], y - center[1]
    return c * dx + s * dy, -s * dx + c * dy


def ray_box_span(A: np.ndarray, P: np.ndarray, center: np.ndarray, half: np.ndarray, yaw: float
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Slab test of the segments ``A -> P`` (``A`` one point or one per row) against an upright box
    (centre, half-sizes, yaw about z): per segment the parameters ``(t_enter, t_exit)`` along it,
    0 at ``A`` and 1 at ``P``. The segment meets the box where ``t_enter <= t_exit``."""
    c, s = np.cos(yaw), np.sin(yaw)
    Rt = np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])  # world -> box axes
    o = (A - center) @ Rt.T
    d = (P - A) @ Rt.T
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = (-half - o) / d
        t2 = (half - o) / d
    t1 = np.where(np.isnan(t1), -np.inf, t1)
    t2 = np.where(np.isnan(t2), np.inf, t2)
    return np.max(np.minimum(t1, t2), axis=1), np.min(np.maximum(t1, t2), axis=1)
