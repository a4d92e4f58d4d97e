"""``subject_consistency`` and ``background_consistency``: model-free feature similarity.

VBench compares DINO (subjects) and CLIP (background) features of each frame with the first frame
and the previous frame: ``mean_t (cos(f_t, f_0) + cos(f_t, f_{t-1})) / 2``. We keep that shape and
replace the learned features with measured ones.

Subject (per track, then averaged weighted by track length)::

    sim(a, b)  = exp(-dLab(a, b) / 40) * exp(-|r_a - r_b| * 2)
    r          = log(area) - camera log-scale     # size after removing the camera's own zoom
    track      = mean_t (sim(t, first) + sim(t, t-1)) / 2

For tracks that travel more than 1.5 object sizes the size term compares only neighbouring
frames (perspective legitimately changes a walker's size over a long path).

A ``resize`` event (:func:`..events.resize_events`: the perspective-normalised size ramps
steadily by more than x1.35) is the subject changing beyond what the camera and perspective
explain, which the per-frame similarities above spread thin over a long track; each halves the
score (session 6; dev seeds 20-39, size_drift vs clean AUROC 0.400 -> 0.453, factor 0.8: 0.450)::

    subject_consistency = length-weighted mean of track scores * RESIZE_FACTOR ** n_resize

Background (per frame, pixels outside every track box)::

    f_t = [16x9 grey thumbnail, mean-removed, L2-normalised] ++ [4x4x4 RGB histogram, sqrt, L2]
    background_consistency = mean_t (cos(f_t, f_shot_start) + cos(f_t, f_{t-1})) / 2
"""

from __future__ import annotations

import cv2
import numpy as np

from worlddirector.analysis.events import cam_log_scales
from worlddirector.analysis.tracks import RawTrack, _centre


def _cam_logscale(d, scales: list[float]) -> list[float]:
    """Cumulative camera log scale along detections ``d``; ``scales``: :func:`cam_log_scales` of
    the pair homographies."""
    out = [0.0]
    for a, b in zip(d[:-1], d[1:]):
        ls = 0.0
        for q in range(a.pos, b.pos):
            if q < len(scales):
                ls += scales[q]
        out.append(out[-1] + ls)
    return out


RESIZE_FACTOR = 0.5


def subject_consistency(
    tracks: list[RawTrack], homographies: np.ndarray, n_resize: int = 0
) -> tuple[float | None, dict]:
    per, weights = [], []
    scales = cam_log_scales(homographies) if any(len(t.dets) >= 2 for t in tracks) else []
    for t in tracks:
        d = t.dets
        if len(d) < 2:
            continue
        r = np.log(np.array([x.area for x in d])) - np.asarray(_cam_logscale(d, scales))
        travel = float(np.linalg.norm(_centre(d[-1].box) - _centre(d[0].box)))
        local_only = travel > 1.5 * np.sqrt(d[0].area)
        sims = []
        for k in range(1, len(d)):
            s_prev = np.exp(-np.linalg.norm(d[k].lab - d[k - 1].lab) / 40) * np.exp(-abs(r[k] - r[k - 1]) * 2)
            size_first = 1.0 if local_only else np.exp(-abs(r[k] - r[0]) * 2)
            s_first = np.exp(-np.linalg.norm(d[k].lab - d[0].lab) / 40) * size_first
            sims.append((s_first + s_prev) / 2)
        per.append(float(np.mean(sims)))
        weights.append(len(d))
    if not per:
        return None, {"reason": "no tracked subject"}
    score = float(np.average(per, weights=weights)) * RESIZE_FACTOR**n_resize
    return score, {"tracks": len(per), "worst_track": round(min(per), 4), "resize_events": n_resize}


def _bg_feature(img: np.ndarray, mask: np.ndarray) -> np.ndarray:
    g = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32)
    if (~mask).any():
        g[mask] = g[~mask].mean()
    th = cv2.resize(g, (16, 9), interpolation=cv2.INTER_AREA).ravel()
    th -= th.mean()
    th /= np.linalg.norm(th) + 1e-6
    m = (~mask).astype(np.uint8)
    hist = cv2.calcHist([img], [0, 1, 2], m, [4, 4, 4], [0, 256] * 3).ravel()
    hist = np.sqrt(hist / (hist.sum() + 1e-6))
    hist /= np.linalg.norm(hist) + 1e-6
    return np.concatenate([th, hist]) / np.sqrt(2)


def background_consistency(
    rgb_small: np.ndarray, tracks: list[RawTrack], shots: list[tuple[int, int]]
) -> tuple[float | None, dict]:
    n, h, w = rgb_small.shape[:3]
    masks = np.zeros((n, h, w), bool)
    for t in tracks:
        for d in t.dets:
            x0, y0, x1, y1 = d.box.astype(int)
            masks[d.pos, max(0, y0) : y1, max(0, x0) : x1] = True
    feats = np.stack([_bg_feature(rgb_small[i], masks[i]) for i in range(n)])
    sims = []
    for a, b in shots:
        for i in range(a + 1, b):
            sims.append((float(feats[i] @ feats[a]) + float(feats[i] @ feats[i - 1])) / 2)
    if not sims:
        return None, {"reason": "fewer than two frames"}
    return float(np.clip(np.mean(sims), 0, 1)), {"min_frame_similarity": round(float(min(sims)), 4)}
