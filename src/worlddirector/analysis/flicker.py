"""Flicker frames: short brightness jumps that come back.

VBench's temporal-flickering score (mean absolute difference of consecutive frames) is dominated
by ordinary motion, so a handful of flickering frames barely move it. A flicker is a different
signature: the brightness of the whole frame (or of a large part of it) jumps for one to a few
frames and then returns. We detect exactly that:

* per frame ``i`` and per channel, the mean level ``L_i`` over the whole frame and over each cell
  of a 3x3 grid;
* a running median baseline ``B_i`` over a centred window of 9 frames, which follows slow lighting
  changes and steps (a cut or a light switched on keeps the median on one side), but not runs of
  up to 4 outlying frames;
* residual ``r_i = L_i - B_i``; a frame flickers when ``|r_i|`` exceeds
  ``max(ABS_THRESHOLD, K * noise)`` globally, or when at least 3 of the 9 cells jump by more than
  ``CELL_THRESHOLD`` in the same direction (a local light that flickers), where ``noise`` is
  1.4826 x the median absolute deviation of all residuals (a robust sigma).

Frames next to a detected shot cut are excluded (a cut is a step, not a flicker).
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy.ndimage import median_filter

WINDOW = 9
ABS_THRESHOLD = 3.0  # grey levels (of 255)
CELL_THRESHOLD = 8.0
K = 6.0


def channel_means(rgb: np.ndarray, grid: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """(N, 3) whole-frame channel means and (N, grid*grid, 3) per-cell channel means."""
    n = rgb.shape[0]
    cells = np.stack([cv2.resize(f, (grid, grid), interpolation=cv2.INTER_AREA) for f in rgb]).astype(
        np.float32
    )
    whole = np.stack([np.asarray(cv2.mean(f)[:3]) for f in rgb]).astype(np.float32)
    return whole, cells.reshape(n, grid * grid, 3)


def _residual(series: np.ndarray) -> np.ndarray:
    base = median_filter(series, size=(WINDOW,) + (1,) * (series.ndim - 1), mode="nearest")
    return series - base


def detect_flicker(rgb: np.ndarray, cut_positions: list[int] | None = None) -> tuple[list[int], dict]:
    """Return (analysed-frame positions that flicker, details with per-frame residuals)."""
    n = rgb.shape[0]
    if n < 5:
        return [], {"residual": [0.0] * n, "threshold": None}
    whole, cells = channel_means(rgb)
    r = _residual(whole)  # (N, 3)
    rmag = np.abs(r).max(axis=1)
    noise = 1.4826 * float(np.median(np.abs(r - np.median(r, axis=0))))
    thr = max(ABS_THRESHOLD, K * noise)
    hit = rmag > thr
    rc = _residual(cells).mean(axis=2)  # (N, cells): channel-averaged cell residual
    big_pos = (rc > CELL_THRESHOLD).sum(axis=1)
    big_neg = (rc < -CELL_THRESHOLD).sum(axis=1)
    hit |= np.maximum(big_pos, big_neg) >= 3
    excluded = set()
    for c in cut_positions or []:
        excluded.update(range(c - WINDOW // 2, c + WINDOW // 2 + 1))
    frames = [i for i in range(n) if hit[i] and i not in excluded]
    return frames, {
        "residual": [round(float(v), 2) for v in rmag],
        "threshold": round(thr, 2),
        "noise": round(noise, 3),
    }
