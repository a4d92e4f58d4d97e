"""Object tracks: salient colour regions and moving regions, segmented per frame and linked.

Segmentation (per frame, at flow resolution, 160 px wide):

* colour clustering: k-means (k=8, Lab) fitted once per shot on sampled pixels; every pixel gets
  its nearest centre (through a lookup table). The largest clusters, together covering
  ``BG_COVERAGE`` of the pixels, and any cluster above ``BG_FRACTION`` are background surfaces
  (floor, sky, walls, their texture); connected components of the other clusters are object
  candidates;
* motion: pixels whose flow differs from the camera homography by more than ``MOTION_PX`` are
  independently moving; their connected components are candidates too (this catches objects
  whose colour matches the background);
* a candidate must cover ``MIN_AREA``..``MAX_AREA`` of the frame, fill at least 30 % of its box,
  and differ from a ring around it by ``CONTRAST`` (Lab distance): texture fragments do not.

Linking: a candidate joins the track whose camera-predicted box (previous box moved by the pair's
homography and the track's own velocity) overlaps it best (IoU > 0.2, or centre within one box
size) and whose mean colour is within ``COLOR_DIST``; otherwise it starts a track. Tracks survive
up to ``MAX_GAP`` frames without a match (missed detections, brief occlusion). Tracks shorter than
``MIN_LEN`` frames are discarded as noise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from worlddirector.analysis.flow import MotionField

K = 8
BG_FRACTION = 0.12
BG_COVERAGE = 0.65
MOTION_PX = 0.8
MIN_AREA = 0.003
MAX_AREA = 0.25
MAX_MOVING_AREA = 0.05
CONTRAST = 14.0
COLOR_DIST = 28.0
MAX_GAP = 3
MIN_LEN = 6


@dataclass
class Det:
    pos: int  # analysed frame position
    box: np.ndarray  # x0, y0, x1, y1 at flow resolution (float)
    area: float  # pixels at flow resolution
    lab: np.ndarray  # mean Lab colour
    rgb: np.ndarray  # mean RGB colour
    moving: bool


@dataclass
class RawTrack:
    id: int
    dets: list[Det] = field(default_factory=list)
    missed: int = 0

    @property
    def last(self) -> Det:
        return self.dets[-1]

    def velocity(self) -> np.ndarray:
        """Box-centre motion per frame over the last step (zero for a single detection)."""
        return self._step(-2) if len(self.dets) >= 2 else np.zeros(2)

    def start_velocity(self) -> np.ndarray:
        """Box-centre motion per frame over the first step (zero for a single detection)."""
        return self._step(0) if len(self.dets) >= 2 else np.zeros(2)

    def _step(self, i: int) -> np.ndarray:
        a, b = self.dets[i], self.dets[i + 1]
        return (_centre(b.box) - _centre(a.box)) / max(1, b.pos - a.pos)


def _centre(box: np.ndarray) -> np.ndarray:
    return np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2])


def _norm(v: np.ndarray) -> float:
    """``float(np.linalg.norm(v))`` for a 1-D float array: the same ``dot`` and ``sqrt`` (so the
    same value in the array's precision) without the wrapper's checks, which cost more than the
    arithmetic on 2-3 elements."""
    return float(np.sqrt(v.dot(v)))


_F64 = np.dtype(np.float64)


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two ``[x0, y0, x1, y1]`` boxes. Two float64 arrays are read as
    Python floats first: the same double arithmetic, without a numpy scalar per element (other
    types keep their own arithmetic, e.g. float32's)."""
    if type(a) is np.ndarray and type(b) is np.ndarray and a.dtype == _F64 and b.dtype == _F64:
        a, b = a.tolist(), b.tolist()
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    ua = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / ua if ua > 0 else 0.0


def fit_palette(lab_frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """k-means centres (K, 3) and the fraction of pixels each covers."""
    px = lab_frames[:, ::2, ::2].reshape(-1, 3).astype(np.float32)
    if len(px) > 30000:
        px = px[np.linspace(0, len(px) - 1, 30000).astype(int)]
    k = min(K, len(px))
    cv2.setRNGSeed(1)
    crit = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 15, 1.0)
    _, labels, centers = cv2.kmeans(px, k, None, crit, 1, cv2.KMEANS_PP_CENTERS)
    frac = np.bincount(labels.ravel(), minlength=k) / len(px)
    return centers, frac


def palette_lut(centers: np.ndarray, bits: int = 5) -> np.ndarray:
    """Nearest-centre label for every Lab colour quantised to ``bits`` per channel (a lookup
    table, so labelling a frame is one indexing operation instead of K distance images)."""
    q = 1 << bits
    step = 256 // q
    grid = (
        np.stack(np.meshgrid(np.arange(q), np.arange(q), np.arange(q), indexing="ij"), -1) * step + step // 2
    )
    d = ((grid.reshape(-1, 1, 3).astype(np.float32) - centers[None]) ** 2).sum(axis=2)
    return d.argmin(axis=1).astype(np.uint8)


def _assign(lab: np.ndarray, lut: np.ndarray, bits: int = 5) -> np.ndarray:
    """Palette label of every pixel of a uint8 Lab image: ``lut`` at the colour quantised to
    ``bits`` per channel (the index fits 16 bits; built in place, read with ``take``)."""
    q = (lab >> (8 - bits)).astype(np.uint16 if 3 * bits <= 16 else np.int32)
    idx = q[..., 0] << (2 * bits)
    idx |= q[..., 1] << bits
    idx |= q[..., 2]
    return np.take(lut, idx)


_K3 = np.ones((3, 3), np.uint8)
_K5 = np.ones((5, 5), np.uint8)


TILE_PAD = 4
"""Empty rows above, between and below the tiles of :func:`_tiled_components` (even; more than the
3-row margin of a candidate's box in :func:`detect`, so a box never reaches another tile)."""


def _tiled_components(masks: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Connected components (8-connected) of every mask with ONE ``connectedComponentsWithStats``
    call: each mask's rows from its first set row (rounded down to even) to its last are stacked
    vertically, ``TILE_PAD`` empty rows between them, every tile starting on an even row, so
    OpenCV's 2x2-block labelling scans every tile's set pixels as it would scan the mask alone
    (the rows left out hold nothing): each tile's components keep their order and are numbered
    after the previous tiles' ones. Returns ``(labels, stats, tile_of_label, shift)``: mask row
    ``y`` of tile ``t`` is row ``y + shift[t]`` of ``labels``; ``stats`` rows as OpenCV's, y in
    mask coordinates."""
    w = masks[0].shape[1]
    spans = []
    for m in masks:
        rows = np.flatnonzero(m.any(axis=1))
        r0, r1 = (int(rows[0]) & ~1, int(rows[-1]) + 1) if len(rows) else (0, 0)
        spans.append((r0, r1))
    starts, off = [], TILE_PAD
    for r0, r1 in spans:
        starts.append(off)
        off += r1 - r0 + TILE_PAD
        off += off % 2
    big = np.zeros((off, w), np.uint8)
    for m, (r0, r1), start in zip(masks, spans, starts):
        big[start : start + r1 - r0] = m[r0:r1]
    _, lab, stats, _ = cv2.connectedComponentsWithStats(big, connectivity=8)
    starts = np.array(starts)
    shift = starts - np.array([r0 for r0, _ in spans])
    tile = np.maximum(np.searchsorted(starts, stats[:, 1], side="right") - 1, 0)
    stats = stats.copy()
    stats[:, 1] -= shift[tile]
    return lab, stats, tile, shift


def _mask_mean_f32(img: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    """``img[mask].astype(float32).mean(axis=0)`` (``mask`` uint8, ``n`` pixels in it) bit for bit,
    without gathering the pixels: while the channel sums stay below 2**24 numpy's float32 sum
    of the uint8 values is exact in any order, and ``cv2.mean``'s double quotient is far closer to
    the true one than any float32 rounding boundary, so rounding it to float32 gives numpy's
    result. Larger regions take numpy's own path."""
    if n * 255 < 1 << 24:
        return np.array(cv2.mean(img, mask=mask)[:3], np.float64).astype(np.float32)
    return img[mask > 0].astype(np.float32).mean(axis=0)


def detect(
    rgb_small: np.ndarray,
    lab_small: np.ndarray,
    motion_mask: np.ndarray | None,
    labels: np.ndarray,
    fg_labels: list[int],
    pos: int,
) -> list[Det]:
    """Object candidates of one frame (module docstring): the colour masks' and the motion mask's
    connected components that pass the area, fill and ring-contrast tests, duplicates merged."""
    h, w = labels.shape
    min_px, max_px = MIN_AREA * h * w, MAX_AREA * h * w
    counts = np.bincount(labels.ravel(), minlength=256)
    fg_labels = [k for k in fg_labels if counts[k] >= min_px]
    masks = [cv2.morphologyEx(cv2.compare(labels, k, cv2.CMP_EQ), cv2.MORPH_OPEN, _K3) for k in fg_labels]
    if motion_mask is not None and motion_mask.any():
        masks.append(cv2.morphologyEx(motion_mask.view(np.uint8), cv2.MORPH_CLOSE, _K3))
    if not masks:
        return []
    lab, stats, tile, shift = _tiled_components(masks)
    area_all = stats[:, 4]
    moving_all = tile >= len(fg_labels)
    ok = (area_all >= min_px) & (area_all <= max_px) & (area_all >= 0.3 * stats[:, 2] * stats[:, 3])
    ok &= ~moving_all | (area_all <= MAX_MOVING_AREA * h * w)
    ok[0] = False  # the masks' background
    dets = []
    for c in np.flatnonzero(ok).tolist():
        x, y, bw, bh, area = stats[c].tolist()
        x0, y0, x1, y1 = max(0, x - 3), max(0, y - 3), min(w, x + bw + 3), min(h, y + bh + 3)
        off = int(shift[tile[c]])
        sub = cv2.compare(lab[off + y0 : off + y1, x0:x1], c, cv2.CMP_EQ)
        ring = cv2.subtract(cv2.dilate(sub, _K5), sub)
        lab_box = lab_small[y0:y1, x0:x1]
        mean_in = _mask_mean_f32(lab_box, sub, area)
        n_ring = cv2.countNonZero(ring)
        if n_ring:
            contrast = _norm(mean_in - _mask_mean_f32(lab_box, ring, n_ring))
        else:
            contrast = 0.0
        if contrast < CONTRAST:
            continue
        # numpy's float64 mean of uint8 pixels: the exact integer sum over the count
        rgb_sum = np.rint(np.array(cv2.mean(rgb_small[y0:y1, x0:x1], mask=sub)[:3]) * area)
        dets.append(
            Det(
                pos=pos,
                box=np.array([x, y, x + bw, y + bh], float),
                area=float(area),
                lab=mean_in,
                rgb=rgb_sum / area,
                moving=bool(moving_all[c]),
            )
        )
    # merge duplicates (a moving region and a colour region of the same object)
    dets.sort(key=lambda d: -d.area)
    kept: list[Det] = []
    for d in dets:
        if any(_iou(d.box, k.box) > 0.5 for k in kept):
            continue
        kept.append(d)
    return kept


def _predict(box: np.ndarray, H: np.ndarray, vel: np.ndarray, steps: int) -> np.ndarray:
    c = _centre(box)
    p = cv2.perspectiveTransform(c.reshape(1, 1, 2).astype(np.float64), H)[0, 0]
    shift = (p - c) + vel * (steps - 1)
    return box + np.array([shift[0], shift[1], shift[0], shift[1]])


def _colour_near(active: list[RawTrack], dets: list[Det]) -> np.ndarray:
    """(tracks, dets) bool: the pairs whose colour distance may be within the matching limit
    (``COLOR_DIST``, 1.5x when either is moving), from one float64 distance matrix with a margin
    far above float32 rounding; the exact per-pair test follows for these only (a pre-filter, so
    the matches are those of testing every pair)."""
    if not active or not dets:
        return np.zeros((len(active), len(dets)), bool)
    tl = np.array([t.last.lab for t in active], np.float64)
    dl = np.array([d.lab for d in dets], np.float64)
    dist = np.sqrt(((tl[:, None, :] - dl[None, :, :]) ** 2).sum(axis=2))
    moving = np.array([t.last.moving for t in active])[:, None] | np.array([d.moving for d in dets])[None, :]
    return dist <= np.where(moving, 1.5 * COLOR_DIST, COLOR_DIST) + 1e-3


def track_objects(
    rgb_small: np.ndarray, lab_all: np.ndarray, motion: MotionField, shots: list[tuple[int, int]]
) -> list[RawTrack]:
    """Segment and link objects; ``rgb_small`` is (N, h, w, 3) at flow resolution, ``lab_all`` the
    same frames in Lab (``cv2.COLOR_RGB2LAB``)."""
    tracks: list[RawTrack] = []
    next_id = 0
    for a, b in shots:
        centers, frac = fit_palette(lab_all[a : b : max(1, (b - a) // 12)])
        order = np.argsort(-frac)
        cum = np.cumsum(frac[order])
        bg = set(order[: int(np.searchsorted(cum, BG_COVERAGE)) + 1].tolist())
        fg = [k for k in range(len(centers)) if k not in bg and frac[k] < BG_FRACTION]
        lut = palette_lut(centers)
        active: list[RawTrack] = []
        for p in range(a, b):
            labels = _assign(lab_all[p], lut)
            mm = motion.residual[p] > MOTION_PX if p < len(motion.flow) and p + 1 < b else None
            dets = detect(rgb_small[p], lab_all[p], mm, labels, fg, p)
            H = motion.homography[p - 1] if 0 < p <= len(motion.homography) else np.eye(3)
            # greedy matching by score
            cands = []
            near = _colour_near(active, dets)
            centres = [_centre(d.box) for d in dets]
            for ti, t in enumerate(active):
                if not near[ti].any():
                    continue
                steps = p - t.last.pos
                pred = _predict(t.last.box, H, t.velocity(), steps)
                size = max(4.0, float(np.sqrt(t.last.area)))
                pred_centre = _centre(pred)
                for di in np.flatnonzero(near[ti]).tolist():
                    d = dets[di]
                    cd = _norm(d.lab - t.last.lab)
                    if cd > (1.5 * COLOR_DIST if (d.moving or t.last.moving) else COLOR_DIST):
                        continue
                    iou = _iou(pred, d.box)
                    dist = _norm(pred_centre - centres[di])
                    if iou < 0.2 and dist > 1.0 * size:
                        continue
                    ratio = d.area / max(t.last.area, 1.0)
                    cands.append((iou - dist / (4 * size) - cd / 100 - abs(np.log(ratio)) / 4, ti, di))
            cands.sort(reverse=True)
            used_t, used_d = set(), set()
            for _, ti, di in cands:
                if ti in used_t or di in used_d:
                    continue
                used_t.add(ti)
                used_d.add(di)
                active[ti].dets.append(dets[di])
                active[ti].missed = 0
            for ti, t in enumerate(active):
                if ti not in used_t:
                    t.missed += 1
            for di, d in enumerate(dets):
                if di not in used_d:
                    t = RawTrack(id=next_id, dets=[d])
                    next_id += 1
                    active.append(t)
                    tracks.append(t)
            active = [t for t in active if t.missed <= MAX_GAP]
    return [t for t in tracks if len(t.dets) >= MIN_LEN]
