"""Camera intrinsics, poses and projection in the ground-truth convention.

``cam_from_world`` is OpenCV/COLMAP: camera x right, y down, z forward; a world point X projects to
pixel ``K @ (R @ X + t)``. Pixel centres sit at half-integers (the top-left pixel's centre is
(0.5, 0.5)), which is also what OpenGL rasterisation does, so the projection here matches the
rendered image without a half-pixel shift.
"""

from __future__ import annotations

import numpy as np

from worlddirector.artifacts.ground_truth import Intrinsics

HFOV_DEG = 66.0
NEAR = 0.05
FAR = 400.0


def intrinsics(width: int, height: int, hfov_deg: float = HFOV_DEG) -> Intrinsics:
    f = (width / 2.0) / np.tan(np.radians(hfov_deg) / 2.0)
    return Intrinsics(fx=float(f), fy=float(f), cx=width / 2.0, cy=height / 2.0, width=width, height=height)


def k_matrix(intr: Intrinsics) -> np.ndarray:
    return np.array([[intr.fx, 0, intr.cx], [0, intr.fy, intr.cy], [0, 0, 1.0]])


def look_at(eye: np.ndarray, target: np.ndarray, roll: float = 0.0) -> np.ndarray:
    """3x4 cam_from_world for a camera at ``eye`` looking at ``target`` with world +Z up."""
    eye = np.asarray(eye, np.float64)
    f = np.asarray(target, np.float64) - eye
    f /= np.linalg.norm(f)
    r = np.cross(f, np.array([0.0, 0.0, 1.0]))
    if np.linalg.norm(r) < 1e-6:
        r = np.array([1.0, 0.0, 0.0])
    r /= np.linalg.norm(r)
    d = np.cross(f, r)
    if roll:
        c, s = np.cos(roll), np.sin(roll)
        r, d = c * r + s * d, -s * r + c * d
    rot = np.stack([r, d, f])
    t = -rot @ eye
    return np.concatenate([rot, t[:, None]], axis=1)


def centre_of(cam_from_world: np.ndarray) -> np.ndarray:
    r, t = cam_from_world[:, :3], cam_from_world[:, 3]
    return -r.T @ t


def project(points: np.ndarray, cam_from_world: np.ndarray, kmat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(pixels (N, 2), depth (N,)) for world points (N, 3)."""
    pc = points @ cam_from_world[:, :3].T + cam_from_world[:, 3]
    z = pc[:, 2]
    zz = np.where(np.abs(z) < 1e-9, 1e-9, z)
    uv = (pc[:, :2] / zz[:, None]) * np.array([kmat[0, 0], kmat[1, 1]]) + np.array([kmat[0, 2], kmat[1, 2]])
    return uv, z


_BOX_EDGES = [(0, 1), (2, 3), (4, 5), (6, 7), (0, 2), (1, 3), (4, 6), (5, 7), (0, 4), (1, 5), (2, 6), (3, 7)]


def box_corners(center, size, yaw: float) -> np.ndarray:
    sx, sy, sz = np.asarray(size) / 2.0
    c, s = np.cos(yaw), np.sin(yaw)
    out = []
    for dx in (-sx, sx):
        for dy in (-sy, sy):
            for dz in (-sz, sz):
                out.append([center[0] + c * dx - s * dy, center[1] + s * dx + c * dy, center[2] + dz])
    return np.asarray(out)


def projected_box(corners: np.ndarray, cam_from_world: np.ndarray, kmat: np.ndarray, width: int, height: int,
                  near: float = NEAR) -> tuple[float, float, float, float] | None:
    """2D box of a 3D box clipped to the near plane and the image; None when nothing is on screen."""
    pc = corners @ cam_from_world[:, :3].T + cam_from_world[:, 3]
    pts = [p for p in pc if p[2] > near]
    for a, b in _BOX_EDGES:
        za, zb = pc[a, 2], pc[b, 2]
        if (za > near) != (zb > near):
            s = (near - za) / (zb - za)
            pts.append(pc[a] + s * (pc[b] - pc[a]))
    if not pts:
        return None
    p = np.asarray(pts)
    u = kmat[0, 0] * p[:, 0] / p[:, 2] + kmat[0, 2]
    v = kmat[1, 1] * p[:, 1] / p[:, 2] + kmat[1, 2]
    x0, x1 = max(float(u.min()), 0.0), min(float(u.max()), float(width))
    y0, y1 = max(float(v.min()), 0.0), min(float(v.max()), float(height))
    if x1 - x0 < 1.0 or y1 - y0 < 1.0:
        return None
    return (round(x0, 2), round(y0, 2), round(x1, 2), round(y1, 2))


def gl_projection(intr: Intrinsics, near: float = NEAR, far: float = FAR) -> np.ndarray:
    """OpenGL clip-from-camera matrix reproducing K exactly (camera in OpenGL axes: y up, -z forward)."""
    w, h = intr.width, intr.height
    m = np.zeros((4, 4))
    m[0, 0] = 2 * intr.fx / w
    m[0, 2] = 1 - 2 * intr.cx / w
    m[1, 1] = 2 * intr.fy / h
    m[1, 2] = 2 * intr.cy / h - 1
    m[2, 2] = -(far + near) / (far - near)
    m[2, 3] = -2 * far * near / (far - near)
    m[3, 2] = -1
    return m


CV_TO_GL = np.diag([1.0, -1.0, -1.0, 1.0])


def gl_view(cam_from_world: np.ndarray) -> np.ndarray:
    v = np.eye(4)
    v[:3, :4] = cam_from_world
    return CV_TO_GL @ v
