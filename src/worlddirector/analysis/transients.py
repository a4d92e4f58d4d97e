"""Transient changes: image regions that change abruptly for one frame pair and then settle.

This is the frame-precise half of event detection. For each consecutive pair ``i -> i+1`` the dense
flow already says where every pixel of frame ``i`` went; warping frame ``i+1`` back along it
predicts frame ``i``. Whatever the flow can explain (camera motion, parallax, objects moving or
growing smoothly) leaves little error. What it cannot explain is new or removed content: an
object popping in or out, an object jumping to another place. Those leave a blob of large
colour error at ONE pair, while a moving object's occlusion edges leave a small error at every
pair. So a pixel is *transient* at pair ``i`` when

    err_i(x) > ERR_MIN  and  err_i(x) > RATIO * max(err_{i-2..i+2, != i}(x) after a 5x5 max filter)

(the neighbours' error maps are dilated so a moving edge a pixel away does not count as new;
ERR_MIN = 18 and RATIO = 1.8 were chosen on bench clips: lower found more pop-ins without new
false events on clean clips, down to these values).
Transient pixels are grouped into connected blobs; blobs smaller than ``MIN_AREA`` of the frame are
dropped. Pairs next to cuts or flicker frames are skipped (those are global changes with their own
detectors), and are no reference for the pairs beside them either (the nearest pairs that are not
skipped are).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from worlddirector.analysis.flow import MotionField, warp_by_flow

ERR_MIN = 18.0  # max-over-RGB absolute error, grey levels
RATIO = 1.8
MIN_AREA = 0.0015  # fraction of the frame (at 160x90: about 22 pixels)


@dataclass
class Blob:
    pair: int  # analysed pair i (frames i -> i+1)
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 at flow resolution
    area: int
    mean_error: float
    mask: np.ndarray  # bool, full frame at flow resolution
    side: str = ""  # "" two-sided; "before" / "after": one-sided, quiet only on that side


def error_maps(rgb_small: np.ndarray, motion: MotionField) -> np.ndarray:
    """(N-1, h, w) float32: max-over-channels |frame_i - warp(frame_{i+1}, flow_i)|."""
    out = np.zeros((len(motion.flow),) + rgb_small.shape[1:3], np.float32)
    for i, f in enumerate(motion.flow):
        pred = warp_by_flow(rgb_small[i + 1], f)
        d = cv2.absdiff(pred, rgb_small[i])
        out[i] = np.maximum(np.maximum(d[..., 0], d[..., 1]), d[..., 2])  # = d.max(axis=2), 20x faster
    return out


def find_transients(err: np.ndarray, skip_pairs: set[int], one_sided: bool = True) -> list[Blob]:
    """Two-sided transient blobs (see the module docstring), then, with ``one_sided``, the
    one-sided ones of :func:`one_sided_transients` (``Blob.side`` set)."""
    if len(err) < 3:
        return []
    dil = np.stack([cv2.dilate(e, np.ones((5, 5), np.uint8)) for e in err])
    blobs = _two_sided(err, dil, skip_pairs)
    if one_sided:
        blobs += one_sided_transients(err, skip_pairs)
    return blobs


def _neighbours(i: int, m: int, skip_pairs: set[int], per_side: int = 2, reach: int = 4) -> tuple[list[int], list[int]]:
    """The pairs pair ``i`` is compared with: the ``per_side`` nearest on each side within ``reach``
    that are not skipped. A skipped pair (next to a flash or a cut) changed everywhere, so it would
    hide any change beside it: a crate popping in one frame before a flash left no blob (session 18,
    set Y clip 30). Without skipped pairs nearby these are ``i - 2 .. i + 2``."""
    before = [j for j in range(i - 1, max(-1, i - 1 - reach), -1) if j not in skip_pairs][:per_side]
    after = [j for j in range(i + 1, min(m, i + 1 + reach)) if j not in skip_pairs][:per_side]
    return before, after


def _two_sided(err: np.ndarray, dil: np.ndarray, skip_pairs: set[int]) -> list[Blob]:
    m, h, w = err.shape
    min_px = max(6, int(MIN_AREA * h * w))
    blobs: list[Blob] = []
    kernel = np.ones((3, 3), np.uint8)
    kernel_join = np.ones((5, 5), np.uint8)  # fragments of one changed object become one blob
    for i in range(1, m - 1):  # a transient needs a neighbour on each side to be judged
        if i in skip_pairs:
            continue
        before, after = _neighbours(i, m, skip_pairs)
        if not (before and after):
            continue
        ref = np.maximum.reduce([dil[j] for j in before + after])
        mask = (err[i] > ERR_MIN) & (err[i] > RATIO * ref)
        if mask.sum() < min_px:
            continue
        mask = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_CLOSE, kernel)
        mask = cv2.dilate(mask, kernel_join)
        n, lab, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        for k in range(1, n):
            x, y, bw, bh, area = stats[k]
            if area < min_px or min(bw, bh) < 4:
                continue
            bm = (lab == k) & (err[i] > ERR_MIN)
            blobs.append(
                Blob(
                    pair=i,
                    box=(int(x), int(y), int(x + bw), int(y + bh)),
                    area=int(area),
                    mean_error=float(err[i][bm].mean()),
                    mask=bm,
                )
            )
    return blobs


SIDE_PAIRS = 3  # pairs on the quiet side
SIDE_DILATE = 9  # px at flow res: nothing changed anywhere near on the quiet side
SIDE_RATIO = 2.0  # region mean error at the pair vs. the quiet side's pairs within 2 (1.5: no change on dev)
BUSY_RATIO = 1.0  # and not less than at the pairs on the busy side (an object moving on after it popped)
SIDE_MIN_AREA = 0.001  # of the frame (14 px at 160x90: a far drone; 0.004 and 0.002 lost it on dev)


def one_sided_transients(err: np.ndarray, skip_pairs: set[int]) -> list[Blob]:
    """Abrupt changes quiet on ONE side only: an object that pops in and then walks on leaves
    error at its moving edges in every later pair, so the two-sided ratio test (against the
    busier side) misses it; one that pops out had been moving before. A pixel is a one-sided
    candidate at pair ``i`` when ``err_i > ERR_MIN`` and ``err_i > RATIO x`` the largest error of
    the ``SIDE_PAIRS`` pairs before (``side = "before"``: nothing there, then something) or after
    it (``"after"``), dilated by ``SIDE_DILATE`` px so nothing moving came near on the quiet side.
    A region (at least ``SIDE_MIN_AREA``) must also change far more at the pair than on the quiet
    side: its mean error at ``i`` at least ``SIDE_RATIO`` x its mean error at each of the two pairs
    on that side, and at least ``BUSY_RATIO`` x that of the two pairs on the other side (an object
    that starts moving keeps changing as much; a pop is a spike on top of the later motion).
    One-sided blobs overlap two-sided ones (a popped object that walks on leaves a two-sided blob
    only where its later motion does not reach, often too little of it to judge); the events code
    judges a one-sided blob only where the two-sided ones gave no event (dev seeds 20-39: the same
    events as excluding two-sided pixels from one-sided blobs)."""
    m, h, w = err.shape
    if m < 2 * SIDE_PAIRS + 1:
        return []
    k = np.ones((SIDE_DILATE, SIDE_DILATE), np.uint8)
    big = np.stack([cv2.dilate(e, k) for e in err])
    min_px = max(6, int(SIDE_MIN_AREA * h * w))
    kernel_join = np.ones((5, 5), np.uint8)
    out: list[Blob] = []
    for i in range(SIDE_PAIRS, m - SIDE_PAIRS):
        if any(abs(i - s) <= SIDE_PAIRS for s in skip_pairs):
            continue
        hot = err[i] > ERR_MIN
        if hot.sum() < min_px:
            continue
        pre = np.maximum.reduce([big[j] for j in range(i - SIDE_PAIRS, i)])
        post = np.maximum.reduce([big[j] for j in range(i + 1, i + 1 + SIDE_PAIRS)])
        for side, ref in (("before", pre), ("after", post)):
            mask = hot & (err[i] > RATIO * ref)
            if mask.sum() < min_px:
                continue
            mask8 = cv2.dilate(cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8)),
                               kernel_join)
            n, lab, stats, _ = cv2.connectedComponentsWithStats(mask8, connectivity=8)
            for c in range(1, n):
                x, y, bw, bh, area = stats[c]
                if area < min_px or min(bw, bh) < 4:
                    continue
                if x <= 0 or y <= 0 or x + bw >= w or y + bh >= h:
                    continue  # content entering or leaving across the border: no warp explains it
                region = lab == c
                bm = region & hot
                if bm.sum() < min_px // 2:
                    continue
                e_i = float(err[i][region].mean())
                quiet = range(i - 2, i) if side == "before" else range(i + 1, i + 3)
                busy = range(i + 1, i + 3) if side == "before" else range(i - 2, i)
                if e_i < SIDE_RATIO * max(float(err[j][region].mean()) for j in quiet):
                    continue
                if e_i < BUSY_RATIO * max(float(err[j][region].mean()) for j in busy):
                    continue
                out.append(Blob(pair=i, box=(int(x), int(y), int(x + bw), int(y + bh)), area=int(area),
                                mean_error=float(err[i][bm].mean()), mask=bm, side=side))
    return out
