"""Keyframes chosen for coverage and novelty, not every Nth frame.

Each analysed frame gets a small appearance descriptor: a 16x9 grey thumbnail (layout) and a
4x4x4 RGB histogram (colour), each L2-normalised. Selection, per shot:

1. the shot's first frame (coverage: every shot is represented);
2. greedy farthest-point sampling: repeatedly add the frame whose descriptor is farthest from
   every keyframe chosen so far (novelty), while that distance exceeds ``MIN_NOVELTY``;
3. a coverage rule: no gap between consecutive keyframes longer than ``MAX_GAP_SECONDS`` (the
   largest gap is split at its most novel frame) so slow scenes still get sampled;

capped at ``max_keyframes`` overall (shots share the budget by length).
"""

from __future__ import annotations

import cv2
import numpy as np

MIN_NOVELTY = 0.12
MAX_GAP_SECONDS = 3.0


def descriptors(rgb: np.ndarray) -> np.ndarray:
    out = []
    for img in rgb:
        g = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
        th = cv2.resize(g, (16, 9), interpolation=cv2.INTER_AREA).astype(np.float32).ravel()
        th -= th.mean()
        th /= np.linalg.norm(th) + 1e-6
        hist = cv2.calcHist([img[::2, ::2]], [0, 1, 2], None, [4, 4, 4], [0, 256] * 3).ravel()
        hist = np.sqrt(hist / (hist.sum() + 1e-6))
        out.append(np.concatenate([th * 0.7, hist * 0.7]))
    return np.asarray(out)


def select_keyframes(
    rgb: np.ndarray, shots: list[tuple[int, int]], fps: float, max_keyframes: int = 12
) -> list[tuple[int, str]]:
    """Return sorted (analysed position, reason) pairs."""
    n = len(rgb)
    if n == 0:
        return []
    d = descriptors(rgb)
    chosen: dict[int, str] = {}
    total = sum(b - a for a, b in shots) or n
    for a, b in shots:
        budget = max(1, round(max_keyframes * (b - a) / total))
        picks = [a]
        chosen[a] = "shot start"
        dist = np.linalg.norm(d[a:b] - d[a], axis=1)
        while len(picks) < budget:
            j = int(np.argmax(dist))
            if dist[j] < MIN_NOVELTY:
                break
            picks.append(a + j)
            chosen[a + j] = f"novel view (distance {dist[j]:.2f})"
            dist = np.minimum(dist, np.linalg.norm(d[a:b] - d[a + j], axis=1))
        max_gap = max(2, int(MAX_GAP_SECONDS * fps))
        while len(picks) < budget + 3:
            ps = sorted(picks) + [b]
            gaps = [(ps[k + 1] - ps[k], ps[k]) for k in range(len(ps) - 1)]
            g, start = max(gaps)
            if g <= max_gap:
                break
            seg = range(start + 1, start + g)
            j = max(seg, key=lambda k: min(np.linalg.norm(d[k] - d[p]) for p in picks))
            picks.append(j)
            chosen[j] = "coverage"
    keep = sorted(chosen)[: max(max_keyframes, len(shots))]
    return [(k, chosen[k]) for k in keep]
