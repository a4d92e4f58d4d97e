"""``dynamic_degree``: VBench's rule, with OpenCV DIS flow standing in for RAFT.

VBench (``vbench/dynamic_degree.py``) samples frames at ``interval = round(fps / 8)``, computes
optical flow between consecutive samples, and per pair takes the mean of the top 5 % flow
magnitudes. With ``thres = 6 * min(H, W) / 256`` and ``count_num = round(4 * n_samples / 16)``, a
video is *dynamic* when at least ``count_num`` pairs (ignoring the last two) exceed ``thres``.

VBench reports that boolean. To keep a per-video number in [0, 1] we publish::

    dynamic_degree = min(1, count / count_num)

which is 1 exactly when VBench calls the video dynamic, and says how close a static-looking video
came otherwise. The boolean is kept as ``metric_details.dynamic_degree.vbench_is_dynamic``. Flow is
computed at the analysis resolution; ``thres`` scales with the frame size as in VBench.
"""

from __future__ import annotations

import numpy as np

from worlddirector.analysis.flow import flow_pair


def top5_mean(flow: np.ndarray) -> float:
    rad = np.sqrt(flow[..., 0] ** 2 + flow[..., 1] ** 2).ravel()
    k = max(1, int(rad.size * 0.05))
    return float(np.mean(np.partition(rad, rad.size - k)[-k:]))


def dynamic_degree(gray: np.ndarray, fps: float) -> tuple[float | None, dict]:
    interval = max(1, round(fps / 8))
    frames = gray[::interval]
    if len(frames) < 2:
        return None, {"reason": "fewer than two sampled frames"}
    h, w = frames.shape[1:3]
    thres = 6.0 * (min(h, w) / 256.0)
    count_num = max(1, round(4 * (len(frames) / 16.0)))
    scores = [top5_mean(flow_pair(a, b)) for a, b in zip(frames[:-1], frames[1:])]
    considered = scores[:-2] if len(scores) > 2 else scores
    count = sum(1 for s in considered if s > thres)
    return min(1.0, count / count_num), {
        "vbench_is_dynamic": count >= count_num,
        "count": count,
        "count_num": count_num,
        "threshold_px": round(thres, 3),
        "interval": interval,
        "median_top5_flow_px": round(float(np.median(scores)), 3),
    }
