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
detectors).
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


def error_maps(rgb_small: np.ndarray, motion: MotionField) -> np.ndarray:
    """(N-1, h, w) float32: max-over-channels |frame_i - warp(frame_{i+1}, flow_i)|."""
    out = np.zeros((len(motion.flow),) + rgb_small.shape[1:3], np.float32)
    for i, f in enumerate(motion.flow):
        pred = warp_by_flow(rgb_small[i + 1], f)
        out[i] = cv2.absdiff(pred, rgb_small[i]).max(axis=2)
    return out


def find_transients(err: np.ndarray, skip_pairs: set[int]) -> list[Blob]:
    m, h, w = err.shape
    if m < 3:
        return []
    dil = np.stack([cv2.dilate(e, np.ones((5, 5), np.uint8)) for e in err])
    min_px = max(6, int(MIN_AREA * h * w))
    blobs: list[Blob] = []
    kernel = np.ones((3, 3), np.uint8)
    kernel_join = np.ones((5, 5), np.uint8)  # fragments of one changed object become one blob
    for i in range(1, m - 1):  # a transient needs a neighbour on each side to be judged
        if i in skip_pairs:
            continue
        nb = [dil[j] for j in range(max(0, i - 2), min(m, i + 3)) if j != i]
        ref = np.maximum.reduce(nb)
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
