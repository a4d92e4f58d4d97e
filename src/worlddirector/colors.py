"""Plain colour words and dominant colours, shared by the offline scene description (analysis) and
the offline vision model (llm): both describe pixels without a model, and must name a colour the
same way so that labels from one match the other.
"""

from __future__ import annotations

import cv2
import numpy as np

# hue (degrees) upper bounds, checked in order; red wraps around 345..360
_HUES = ((15, "red"), (40, "orange"), (70, "yellow"), (160, "green"), (200, "cyan"),
         (260, "blue"), (300, "purple"), (345, "pink"))


def color_name(rgb) -> str:
    """A plain colour word for an RGB colour: hue from HSV, with black (V < 45), white/gray
    (S < 40) and brown (a dark, not fully saturated red/orange/yellow)."""
    px = np.uint8([[list(map(int, rgb))]])
    h, s, v = (int(x) for x in cv2.cvtColor(px, cv2.COLOR_RGB2HSV)[0, 0])
    if v < 45:
        return "black"
    if s < 40:
        return "white" if v > 200 else "gray"
    hue = h * 2
    name = next((n for bound, n in _HUES if hue < bound), "red")
    if name in ("orange", "red", "yellow") and v < 150 and s < 200:
        return "brown"
    return name


def _distinct(pixels: np.ndarray, data: np.ndarray) -> int:
    """How many distinct colours (rows) ``data`` holds: for uint8 ``pixels`` each packed into one
    integer (the same count, ~15x faster than ``np.unique`` over rows)."""
    if pixels.dtype == np.uint8:
        q = pixels.astype(np.int32)
        return len(np.unique((q[:, 0] << 16) | (q[:, 1] << 8) | q[:, 2]))
    return len(np.unique(data, axis=0))


def dominant_colors(pixels: np.ndarray, k: int, attempts: int = 1) -> list[tuple[np.ndarray, float]]:
    """k-means (seeded, deterministic) over ``pixels`` (N, 3): (centre, share) pairs, largest first.

    ``k`` is capped by the number of distinct colours (k-means needs at least k of them)."""
    data = pixels.reshape(-1, 3).astype(np.float32)
    k = min(k, _distinct(pixels.reshape(-1, 3), data))
    if k <= 1:
        return [(data.mean(0), 1.0)]
    crit = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 1.0)
    cv2.setRNGSeed(0)
    _, labels, centers = cv2.kmeans(data, k, None, crit, attempts, cv2.KMEANS_PP_CENTERS)
    counts = np.bincount(labels.ravel(), minlength=k) / len(labels)
    return [(centers[i], float(counts[i])) for i in np.argsort(-counts)]
