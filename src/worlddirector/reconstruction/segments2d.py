"""Image regions in the dense reference views, lifted to the dense points.

Colour-linked voxels split one object into its differently lit faces and join same-coloured
objects that touch. An image says more about what belongs together than a voxel's mean colour:
inside one view an object is a connected patch bounded by colour edges and depth jumps, and the
faces of a crate meet along an edge where the depth is continuous. So every reference view of
the plane sweep is segmented into regions, and every dense point gets the region of the pixel it
was triangulated from (``point_regions``). ``objects3d`` then links neighbouring voxels when the
views that saw both mostly put them in one region (co-membership), which joins the faces of one
object and separates touching objects that the views show apart.

Segmentation of one view (at the plane sweep's resolution):

1. **superpixels**: ``cv2.watershed`` from a regular grid of seeds on the image, so region borders
   follow colour edges;
2. each superpixel gets its mean CIELAB colour and the median depth and height of the dense
   points triangulated inside it; superpixels mostly on the floor (or on a wall) are marked;
3. **graph merging** (Felzenszwalb-Huttenlocher criterion on the superpixel adjacency graph):
   neighbours merge, cheapest edge first, when their colour difference (lightness weighted down:
   shading differs between faces) is below both regions' internal difference plus ``k / size``;
   never across a depth jump (median depths differ by more than ``DEPTH_JUMP`` of the nearer), and
   never floor or wall with anything else (a floor region would chain every object standing on it).
"""

from __future__ import annotations

import cv2
import numpy as np

SEED_STEP = 6  # px between watershed seeds at the depth-map resolution (320x180)
K_MERGE = 2000.0  # Felzenszwalb scale (colour units x pixels); 300-5000 measured, 2000-3000 best
DEPTH_JUMP = 0.12  # relative depth difference across a border that stops merging
L_WEIGHT = 0.4  # lightness weight in the colour difference


def _superpixels(img: np.ndarray, step: int) -> np.ndarray:
    h, w = img.shape[:2]
    markers = np.zeros((h, w), np.int32)
    ys = np.arange(step // 2, h, step)
    xs = np.arange(step // 2, w, step)
    gy, gx = np.meshgrid(ys, xs, indexing="ij")
    markers[gy.ravel(), gx.ravel()] = np.arange(1, gy.size + 1, dtype=np.int32)
    bgr = cv2.cvtColor(img, cv2.COLOR_RGB2BGR)
    cv2.watershed(bgr, markers)
    # watershed borders (-1) take the label of a neighbour
    lab = markers.copy()
    border = lab <= 0
    if border.any():
        dil = cv2.dilate(np.where(border, 0, lab).astype(np.float32), np.ones((3, 3), np.uint8))
        lab[border] = dil[border].astype(np.int32)
    lab -= 1
    lab[lab < 0] = 0
    return lab


class _DSU:
    def __init__(self, n: int, size: np.ndarray):
        self.p = list(range(n))
        self.size = [float(s) for s in size]
        self.internal = [0.0] * n

    def find(self, a: int) -> int:
        p = self.p
        while p[a] != a:
            p[a] = p[p[a]]
            a = p[a]
        return a


def segment_view(img: np.ndarray, depth: np.ndarray, cls: np.ndarray, *, step: int | None = None,
                 k: float | None = None, depth_jump: float | None = None) -> np.ndarray:
    """Region label per pixel of one view. ``img``: RGB uint8; ``depth``: float32, NaN where the
    plane sweep gave none; ``cls``: int8 per pixel, 0 unknown, 1 object point, 2 floor, 3 wall."""
    step = SEED_STEP if step is None else step
    k = K_MERGE if k is None else k
    depth_jump = DEPTH_JUMP if depth_jump is None else depth_jump
    sp = _superpixels(img, step)
    n = int(sp.max()) + 1
    flat = sp.ravel()
    labc = cv2.cvtColor(img, cv2.COLOR_RGB2LAB).reshape(-1, 3).astype(np.float64)
    cnt = np.bincount(flat, minlength=n).astype(float)
    mean = np.stack([np.bincount(flat, labc[:, c], minlength=n) for c in range(3)], 1) / np.maximum(cnt, 1)[:, None]
    # median depth per superpixel (NaN when none)
    d = depth.ravel()
    has = np.isfinite(d)
    med = np.full(n, np.nan)
    if has.any():
        o = np.lexsort((d[has], flat[has]))
        sl, dv = flat[has][o], d[has][o]
        starts = np.r_[0, np.flatnonzero(np.diff(sl)) + 1]
        ends = np.r_[starts[1:], len(sl)]
        med[sl[starts]] = dv[(starts + ends - 1) // 2]
    # class per superpixel: floor / wall when most of its classified pixels are
    c = cls.ravel()
    votes = np.zeros((n, 4))
    for v in (1, 2, 3):
        votes[:, v] = np.bincount(flat, c == v, minlength=n)
    tot = votes[:, 1:].sum(1)
    kind = np.where(tot > 0, np.argmax(votes[:, 1:], 1) + 1, 0)
    kind = np.where((kind >= 2) & (votes.max(1) < 0.6 * np.maximum(tot, 1)), 0, kind)
    # adjacency
    a = np.r_[sp[:, :-1].ravel(), sp[:-1, :].ravel()]
    b = np.r_[sp[:, 1:].ravel(), sp[1:, :].ravel()]
    m = a != b
    pairs = np.unique(np.sort(np.stack([a[m], b[m]], 1), 1), axis=0)
    if len(pairs) == 0:
        return sp
    i, j = pairs[:, 0], pairs[:, 1]
    wl = np.array([L_WEIGHT, 1.0, 1.0])
    wgt = np.linalg.norm((mean[i] - mean[j]) * wl, axis=1)
    di, dj = med[i], med[j]
    jump = np.isfinite(di) & np.isfinite(dj) & (np.abs(di - dj) > depth_jump * np.fmin(di, dj))
    ki, kj = kind[i], kind[j]
    blocked = jump | (((ki >= 2) | (kj >= 2)) & (ki != kj))
    order = np.argsort(wgt, kind="stable")
    dsu = _DSU(n, cnt)
    for e in order:
        if blocked[e]:
            continue
        ra, rb = dsu.find(int(i[e])), dsu.find(int(j[e]))
        if ra == rb:
            continue
        we = float(wgt[e])
        if we <= min(dsu.internal[ra] + k / dsu.size[ra], dsu.internal[rb] + k / dsu.size[rb]):
            dsu.p[rb] = ra
            dsu.size[ra] += dsu.size[rb]
            dsu.internal[ra] = max(dsu.internal[ra], dsu.internal[rb], we)
    root = np.array([dsu.find(x) for x in range(n)])
    return root[sp]


def point_regions(images: list[np.ndarray], R: np.ndarray, t: np.ndarray, K: np.ndarray, points: np.ndarray,
                  ref: np.ndarray, obj_mask: np.ndarray, floor_mask: np.ndarray, wall_mask: np.ndarray,
                  scale: float = 0.5) -> np.ndarray:
    """Region id (unique across views, -1 none) of every dense point, from the segmentation of its
    reference view ``ref`` (an index into ``images``/``R``/``t``). The depth and the object/floor/
    wall class of each pixel come from the points that view produced."""
    out = np.full(len(points), -1, np.int64)
    if len(points) == 0:
        return out
    h0, w0 = images[0].shape[:2]
    w, h = round(w0 * scale), round(h0 * scale)
    Ks = K.astype(float).copy()
    Ks[:2] *= scale
    offset = 0
    for r in np.unique(ref):
        sel = np.flatnonzero(ref == r)
        Xc = points[sel] @ R[r].T + t[r]
        z = Xc[:, 2]
        u = np.round(Ks[0, 0] * Xc[:, 0] / z + Ks[0, 2]).astype(int)
        v = np.round(Ks[1, 1] * Xc[:, 1] / z + Ks[1, 2]).astype(int)
        ok = (z > 0) & (u >= 0) & (u < w) & (v >= 0) & (v < h)
        sel, u, v, z = sel[ok], u[ok], v[ok], z[ok]
        depth = np.full((h, w), np.nan, np.float32)
        depth[v, u] = z
        cls = np.zeros((h, w), np.int8)
        cls[v, u] = np.where(obj_mask[sel], 1, np.where(floor_mask[sel], 2, np.where(wall_mask[sel], 3, 0)))
        img = cv2.resize(images[r], (w, h), interpolation=cv2.INTER_AREA)
        lab = segment_view(img, depth, cls)
        out[sel] = lab[v, u] + offset
        offset += int(lab.max()) + 1
    return out
