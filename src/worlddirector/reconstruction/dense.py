"""Dense points by plane-sweep multi-view stereo on the registered keyframes.

Sparse KLT/COLMAP points land mostly on floor texture and strong corners: flat-coloured objects
get a handful of points or none, which starves obstacle detection (and with it the simulation's
floating and interpenetration checks). With the cameras known, every pixel can be triangulated.

We use a *plane sweep* rather than rectified two-view stereo because generated clips are often
forward dollies, where rectification is degenerate (the epipole is inside the image). For each
reference keyframe (at half resolution) and a set of fronto-parallel depth planes (uniform in
inverse depth over the depths of the sparse points it sees), each neighbouring keyframe is
warped onto the reference by the plane homography ``H = K (R_rel + t_rel n^T / d) K^-1``; the
cost is the box-filtered absolute colour difference, aggregated over neighbours by the mean of
the best two (robust to one occluded view). Per pixel we keep the best plane when

* the pixel is textured (a flat region matches every plane equally well),
* the minimum is unique (the best cost clearly below the best cost away from it),
* it is not at the ends of the sweep,

refine the depth with a parabola through the neighbouring costs and lift the pixel to the world.
Consistency across references is enforced downstream (``objects3d.py``): a voxel counts only
when at least two reference views put points in it.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

SCALE = 0.5  # depth maps at half the processing resolution (320x180 for 640x360 clips)
N_PLANES = 48
WINDOW = 5  # cost aggregation box (pixels at the depth-map resolution)
MAX_REFS = 8
NEIGHBOURS = 2


@dataclass
class DensePoints:
    points: np.ndarray  # (m, 3) world
    colors: np.ndarray  # (m, 3) uint8 RGB
    ref: np.ndarray  # (m,) index of the reference view that produced the point
    n_refs: int


def _pick_neighbours(C: np.ndarray, r: int, depth: float, k: int) -> list[int]:
    """Views whose baseline to ``r`` is a useful fraction of the scene depth (3-30 %), preferring
    ~10 %, at most ``k``: too short a baseline cannot resolve depth, too long breaks the matching."""
    b = np.linalg.norm(C - C[r], axis=1) / max(depth, 1e-6)
    cand = [j for j in range(len(C)) if j != r and 0.02 <= b[j] <= 0.35]
    cand.sort(key=lambda j: abs(np.log(b[j] / 0.1)))
    # spread over both sides of the reference when possible (occlusions differ)
    before = [j for j in cand if j < r]
    after = [j for j in cand if j > r]
    out: list[int] = []
    while len(out) < k and (before or after):
        for side in (before, after):
            if side and len(out) < k:
                out.append(side.pop(0))
    return out


def densify(
    images: list[np.ndarray],
    R: np.ndarray,
    t: np.ndarray,
    K: np.ndarray,
    sparse_points: np.ndarray,
    *,
    max_refs: int = MAX_REFS,
    n_planes: int = N_PLANES,
) -> DensePoints:
    """Depth maps for up to ``max_refs`` evenly spaced reference views, lifted to world points.

    ``images`` are RGB uint8 at the resolution of ``K``, one per camera ``(R[i], t[i])``
    (``cam_from_world``, world frame of the caller). ``sparse_points`` bound the depth sweep.
    """
    n = len(images)
    empty = DensePoints(np.zeros((0, 3)), np.zeros((0, 3), np.uint8), np.zeros(0, int), 0)
    if n < 2 or len(sparse_points) < 10:
        return empty
    h0, w0 = images[0].shape[:2]
    w, h = round(w0 * SCALE), round(h0 * SCALE)
    Ks = K.copy().astype(float)
    Ks[:2] *= SCALE
    Kinv = np.linalg.inv(Ks)
    small = [cv2.resize(im, (w, h), interpolation=cv2.INTER_AREA) for im in images]
    labs = [cv2.cvtColor(im, cv2.COLOR_RGB2LAB) for im in small]  # uint8: OpenCV's fast paths
    C = -np.einsum("nji,nj->ni", R, t)
    refs = np.unique(np.linspace(0, n - 1, min(max_refs, n)).round().astype(int))
    uu, vv = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    rays = np.stack([uu, vv, np.ones_like(uu)], -1).reshape(-1, 3) @ Kinv.T  # z = 1 rays
    pts_out, col_out, ref_out = [], [], []
    used = 0
    for r in refs:
        Xc = sparse_points @ R[r].T + t[r]
        z = Xc[:, 2]
        front = z > 0.1
        if front.sum() < 10:
            continue
        pix = (Xc[front] @ Ks.T)
        pix = pix[:, :2] / pix[:, 2:3]
        inside = (pix[:, 0] >= 0) & (pix[:, 0] < w) & (pix[:, 1] >= 0) & (pix[:, 1] < h)
        zs = z[front][inside]
        if len(zs) < 10:
            continue
        near = max(0.3, 0.7 * float(np.percentile(zs, 2)))
        far = 1.3 * float(np.percentile(zs, 98))
        if far <= near * 1.2:
            continue
        depth = float(np.median(zs))
        nb = _pick_neighbours(C, r, depth, NEIGHBOURS)
        if not nb:
            continue
        used += 1
        inv = np.linspace(1.0 / near, 1.0 / far, n_planes)
        ref_lab = labs[r]
        costs = np.empty((n_planes, h, w), np.float32)
        wmix = np.array([[0.5, 1.0, 1.0]], np.float32)  # lightness counts half: shading differs by view
        for k, invd in enumerate(inv):
            d = 1.0 / invd
            per = []
            for j in nb:
                Rr = R[j] @ R[r].T
                tr = t[j] - Rr @ t[r]
                H = Ks @ (Rr + np.outer(tr, [0.0, 0.0, 1.0]) / d) @ Kinv
                # outside the neighbour's image: Lab (0, 0, 0), far from any real colour -> high cost
                warped = cv2.warpPerspective(labs[j], H, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                             borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
                c = cv2.transform(cv2.absdiff(warped, ref_lab), wmix)
                c = cv2.min(c, 60)  # truncated: one outlier pixel must not dominate the window
                per.append(cv2.boxFilter(c, cv2.CV_32F, (WINDOW, WINDOW)))
            costs[k] = per[0] if len(per) == 1 else sum(per) / len(per)
        best = np.argmin(costs, axis=0)
        cbest = np.take_along_axis(costs, best[None], 0)[0]
        # uniqueness: best cost away from the minimum (more than 2 planes off)
        ks = np.arange(n_planes)[:, None, None]
        far_mask = np.abs(ks - best[None]) > 2
        c_other = np.where(far_mask, costs, np.inf).min(0)
        grey = cv2.cvtColor(small[r], cv2.COLOR_RGB2GRAY).astype(np.float32)
        gx, gy = cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1)
        texture = cv2.boxFilter(np.hypot(gx, gy), -1, (WINDOW, WINDOW))
        ok = (best > 0) & (best < n_planes - 1) & (cbest < 0.8 * c_other) & (texture > 12.0) & (cbest < 25.0)
        # sub-plane refinement (parabola in inverse depth)
        b1 = np.clip(best, 1, n_planes - 2)
        cm = np.take_along_axis(costs, (b1 - 1)[None], 0)[0]
        c0 = np.take_along_axis(costs, b1[None], 0)[0]
        cp = np.take_along_axis(costs, (b1 + 1)[None], 0)[0]
        den = cm - 2 * c0 + cp
        off = np.where(den > 1e-6, 0.5 * (cm - cp) / np.maximum(den, 1e-6), 0.0)
        off = np.clip(off, -0.5, 0.5)
        step = inv[1] - inv[0]
        invd = inv[b1] + off * step
        zmap = 1.0 / np.maximum(invd, 1e-6)
        m = ok.reshape(-1)
        Xcam = rays[m] * zmap.reshape(-1)[m, None]
        Xw = (Xcam - t[r]) @ R[r]  # R^T (X - t)
        pts_out.append(Xw)
        col_out.append(small[r].reshape(-1, 3)[m])
        ref_out.append(np.full(int(m.sum()), r))
    if not pts_out:
        return empty
    return DensePoints(np.concatenate(pts_out), np.concatenate(col_out).astype(np.uint8),
                       np.concatenate(ref_out), used)
