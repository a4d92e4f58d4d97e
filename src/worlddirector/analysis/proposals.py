"""Object proposals for the texture-scale measurement: regions of *every* colour cluster.

The tracker (:mod:`.tracks`) keeps only components of the rarer colour clusters, and moving
regions: an object whose colour falls in a "background" cluster (a blue robot among blue pillars,
a grey rock in a grey cave) or that stands still under a moving camera is never tracked, so its
size cannot be measured. This module proposes such objects at the start frames of the
half-second windows of :mod:`.scale_drift` only (8 frames of a 4 s clip), from the shot's own
k-means palette (all ``K`` clusters, background ones included):

* connected components of each cluster (3x3 opening), ``MIN_AREA``..``MAX_AREA`` of the frame,
  filling at least ``MIN_FILL`` of their box, not touching the frame border (the floor, sky and
  walls are cut by the border; so are objects only partly in view, whose size is not theirs);
* *object-like*: the component's mean colour differs from a ring around it by ``CONTRAST``
  (Lab) — a floor patch or a texture fragment blends into its surroundings;
* at least ``MIN_HEIGHT`` analysis pixels tall (flat boxes are mostly the top face of a crate);
* not already a tracker detection at that frame (IoU > ``SAME_IOU``).

Two more candidate masks per window start: the *foreground* (pixels outside every large one-colour
surface, so an object of several colours is one region) and the window's *relative parallax*
(:func:`_parallax`: flow from ``a`` to ``a + window`` after the chained camera homographies,
minus its smooth surface field, above ``PARALLAX_PX``).

Measured (session 8, dev seeds 20-34, not kept): see docs/analysis.md "Session 8 (issue 4
size-drift round)".

Proposals of consecutive windows are linked into pseudo-tracks when the earlier box, moved by the
camera's pair homographies over the window, overlaps the later one (IoU > ``LINK_IOU``) and their
colours match (< ``LINK_LAB``). Pseudo-tracks have ids from ``first_id`` up and are used only by
:func:`.scale_drift.measure_drifts` (never by the events or the metrics that count tracks).
"""

from __future__ import annotations

import cv2
import numpy as np

from worlddirector.analysis.tracks import Det, RawTrack, _assign, _iou

K = 16
CHROMA = 2.0
MIN_AREA = 0.002
MAX_AREA = 0.2
MIN_FILL = 0.35
CONTRAST = 20.0
MIN_HEIGHT = 10.0
"""Analysis pixels (as :data:`.scale_drift.MIN_HEIGHT`)."""
PARALLAX_PX = 1.0
"""Analysis pixels of motion beyond the camera over a window that mark a region."""
SURFACE = 0.03
MIN_ASPECT = 0.5
"""Box height / width: floor patches, road markings and crate tops are flat and foreshortened
(their texture does not scale uniformly)."""
EDGE = 25.0
"""Lab units per pixel (Sobel) above which a pixel is an outline."""
SAME_IOU = 0.5
LINK_IOU = 0.3
LINK_LAB = 20.0


def _palette(lab_frames: np.ndarray) -> np.ndarray:
    """Nearest-centre lookup table (as :func:`.tracks.palette_lut`) of ``K`` k-means centres in
    Lab with chroma weighted ``CHROMA`` times (a saturated object among grey surfaces gets its own
    cluster instead of sharing the darkest grey's)."""
    w = np.array([1.0, CHROMA, CHROMA], np.float32)
    px = lab_frames.reshape(-1, 3).astype(np.float32)
    if len(px) > 30000:
        px = px[np.linspace(0, len(px) - 1, 30000).astype(int)]
    cv2.setRNGSeed(1)
    crit = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 15, 1.0)
    _, _, centers = cv2.kmeans(px * w, min(K, len(px)), None, crit, 1, cv2.KMEANS_PP_CENTERS)
    q = 32
    grid = (np.stack(np.meshgrid(*[np.arange(q)] * 3, indexing="ij"), -1) * 8 + 4).reshape(-1, 1, 3)
    d = ((grid.astype(np.float32) * w - centers[None]) ** 2).sum(axis=2)
    return d.argmin(axis=1).astype(np.uint8)


def _edges(lab: np.ndarray) -> np.ndarray:
    """Pixels where the Lab colour changes by more than ``EDGE`` per pixel (Sobel, all three
    channels): the outline that separates an object from a same-cluster neighbour."""
    f = lab.astype(np.float32)
    gx = cv2.Sobel(f, cv2.CV_32F, 1, 0, ksize=3) / 4
    gy = cv2.Sobel(f, cv2.CV_32F, 0, 1, ksize=3) / 4
    return np.sqrt((gx**2 + gy**2).sum(axis=2)) > EDGE


def _masks(labels: np.ndarray, inner: np.ndarray) -> list[np.ndarray]:
    """Candidate masks: each colour cluster's pixels off the outlines, and the *foreground*:
    pixels not in a large surface (a component of one cluster, off the outlines, covering more
    than ``SURFACE`` of the frame), opened 3x3 (an object of several colours is one region)."""
    h, w = labels.shape
    kernel = np.ones((3, 3), np.uint8)
    counts = np.bincount(labels.ravel(), minlength=256)
    out, surface = [], np.zeros((h, w), bool)
    for k in np.nonzero(counts >= MIN_AREA * h * w)[0]:
        m = cv2.morphologyEx(((labels == k) & inner).astype(np.uint8), cv2.MORPH_OPEN, kernel)
        out.append(m)
        if counts[k] > SURFACE * h * w:
            _, cc, stats, _ = cv2.connectedComponentsWithStats(m, connectivity=4)
            big = np.nonzero(stats[:, 4] > SURFACE * h * w)[0]
            big = big[big > 0]
            if len(big):
                surface |= np.isin(cc, big)
    fg = cv2.morphologyEx(
        (~cv2.dilate(surface.astype(np.uint8), kernel).astype(bool)).astype(np.uint8),
        cv2.MORPH_OPEN,
        np.ones((5, 5), np.uint8),
    )
    out.append(fg)
    return out


def _components(
    lab: np.ndarray, labels: np.ndarray, pos: int, factor: float, extra: list[np.ndarray] = ()
) -> list[Det]:
    """Object-like components of the candidate masks of one frame (analysis resolution), as
    detections at flow resolution (boxes divided by ``factor``)."""
    h, w = labels.shape
    min_px, max_px = MIN_AREA * h * w, MAX_AREA * h * w
    kernel = np.ones((3, 3), np.uint8)
    ring_k = np.ones((7, 7), np.uint8)
    out = []
    for m in list(extra) + _masks(labels, ~_edges(lab)):
        n, cc, stats, _ = cv2.connectedComponentsWithStats(m, connectivity=4)
        for c in range(1, n):
            x, y, bw, bh, area = stats[c]
            if not (min_px <= area <= max_px) or area < MIN_FILL * bw * bh or bh < MIN_HEIGHT:
                continue
            if bh < MIN_ASPECT * bw:
                continue
            if x <= 2 or y <= 2 or x + bw >= w - 2 or y + bh >= h - 2:
                continue
            x0, y0, x1, y1 = max(0, x - 4), max(0, y - 4), min(w, x + bw + 4), min(h, y + bh + 4)
            sub = cc[y0:y1, x0:x1] == c
            sub = cv2.dilate(sub.astype(np.uint8), kernel).astype(bool)  # the outline pixels back
            ring = cv2.dilate(sub.astype(np.uint8), ring_k).astype(bool) & ~sub
            patch = lab[y0:y1, x0:x1].astype(np.float32)
            mean_in = patch[sub].mean(axis=0)
            if not ring.any() or np.linalg.norm(mean_in - patch[ring].mean(axis=0)) < CONTRAST:
                continue
            out.append(
                Det(
                    pos=pos,
                    box=np.array([x, y, x + bw, y + bh], float) / factor,
                    area=float(area) / factor**2,
                    lab=mean_in,
                    rgb=np.zeros(3),
                    moving=False,
                )
            )
    # one region found twice (a one-colour object is also a foreground region): keep the larger
    out.sort(key=lambda d: -d.area)
    kept: list[Det] = []
    for d in out:
        if not any(_iou(d.box, e.box) > SAME_IOU for e in kept):
            kept.append(d)
    return kept


def _parallax(gray: np.ndarray, homographies: np.ndarray, factor: float, a: int, b: int) -> np.ndarray:
    """|flow| (analysis pixels) from frame ``a`` to frame ``b`` after the camera: frame ``b`` is
    warped into ``a``'s view by the chained pair homographies, then DIS flow between the two.
    Large where something moved by itself, stands off the plane the homography follows (an
    obstacle on the floor under a moving camera), or grew or shrank; 0 where nothing is known."""
    Hc = np.eye(3)
    for q in range(a, min(b, len(homographies))):
        Hc = homographies[q] @ Hc
    S = np.diag([factor, factor, 1.0])
    Hb = S @ Hc @ np.linalg.inv(S)
    h, w = gray.shape[1:]
    warped = cv2.warpPerspective(gray[b], Hb, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
    valid = cv2.warpPerspective(np.full((h, w), 255, np.uint8), Hb, (w, h), flags=cv2.WARP_INVERSE_MAP) == 255
    flow = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_FAST).calc(gray[a], warped, None)
    mag = np.linalg.norm(flow, axis=2)
    # relative to the smooth parallax field of the surfaces (floor, walls) around each pixel
    small = cv2.resize(mag, (w // 8, h // 8), interpolation=cv2.INTER_AREA)
    surf = cv2.resize(cv2.medianBlur(small, 5), (w, h), interpolation=cv2.INTER_LINEAR)
    rel = np.abs(mag - surf)
    rel[~cv2.erode(valid.astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool)] = 0
    return rel


def _moved(box: np.ndarray, homographies: np.ndarray, a: int, b: int) -> np.ndarray:
    """``box`` at frame ``a`` carried to ``b`` by the pair homographies (corners' bounding box)."""
    pts = np.array([[box[0], box[1]], [box[2], box[1]], [box[0], box[3]], [box[2], box[3]]], np.float64)
    pts = pts.reshape(-1, 1, 2)
    for q in range(a, min(b, len(homographies))):
        pts = cv2.perspectiveTransform(pts, homographies[q])
    p = pts[:, 0]
    return np.array([p[:, 0].min(), p[:, 1].min(), p[:, 0].max(), p[:, 1].max()])


def propose_objects(
    rgb: np.ndarray,
    tracks: list[RawTrack],
    homographies: np.ndarray,
    shots: list[tuple[int, int]],
    window: int,
    factor: float,
    first_id: int,
    gray: np.ndarray | None = None,
) -> list[RawTrack]:
    """Pseudo-tracks of object-like colour regions at each shot's window starts (module
    docstring); ``factor`` is analysis pixels per flow pixel."""
    by_pos: dict[int, list[Det]] = {}
    for t in tracks:
        for d in t.dets:
            by_pos.setdefault(d.pos, []).append(d)
    out: list[RawTrack] = []
    next_id = first_id
    for a0, b0 in shots:
        starts = list(range(a0, b0 - window, window))
        if not starts:
            continue
        # median-filtered: floor and wall texture would speckle the clusters and the outlines
        labs = {p: cv2.medianBlur(cv2.cvtColor(rgb[p], cv2.COLOR_RGB2LAB), 5) for p in starts}
        lut = _palette(np.stack([labs[p][::2, ::2] for p in starts]))
        open_tracks: list[RawTrack] = []
        for p in starts:
            extra = []
            if gray is not None and p + window < len(gray):
                mag = _parallax(gray, homographies, factor, p, p + window)
                extra.append(
                    cv2.morphologyEx(
                        (mag > PARALLAX_PX).astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)
                    )
                )
            dets = _components(labs[p], _assign(labs[p], lut), p, factor, extra)
            dets = [d for d in dets if not any(_iou(d.box, e.box) > SAME_IOU for e in by_pos.get(p, ()))]
            still, used = [], set()
            for t in open_tracks:
                pred = _moved(t.last.box, homographies, t.last.pos, p)
                best, best_iou = None, LINK_IOU
                for i, d in enumerate(dets):
                    if i in used or np.linalg.norm(d.lab - t.last.lab) > LINK_LAB:
                        continue
                    iou = _iou(pred, d.box)
                    if iou > best_iou:
                        best, best_iou = i, iou
                if best is not None:
                    used.add(best)
                    t.dets.append(dets[best])
                    still.append(t)
            for i, d in enumerate(dets):
                if i not in used:
                    t = RawTrack(id=next_id, dets=[d])
                    next_id += 1
                    out.append(t)
                    still.append(t)
            open_tracks = still
    return out
