"""``overall``: a weighted mean of the other metrics.

Weights (renormalised over the metrics that are not null)::

    temporal_flickering 0.15   identity_persistence 0.15   path_realism 0.15
    subject_consistency 0.15   background_consistency 0.10 motion_smoothness 0.10
    imaging_quality 0.10       dynamic_degree 0.05         av_sync 0.05

The physical-plausibility metrics (flicker, persistence, paths, subject) carry most weight
because they are what the director loop fixes; dynamic degree is a property more than a quality,
so it weighs least.
"""

from __future__ import annotations

WEIGHTS: dict[str, float] = {
    "temporal_flickering": 0.15,
    "identity_persistence": 0.15,
    "path_realism": 0.15,
    "subject_consistency": 0.15,
    "background_consistency": 0.10,
    "motion_smoothness": 0.10,
    "imaging_quality": 0.10,
    "dynamic_degree": 0.05,
    "av_sync": 0.05,
}


def overall(metrics: dict[str, float | None]) -> float | None:
    num = den = 0.0
    for k, w in WEIGHTS.items():
        v = metrics.get(k)
        if v is not None:
            num += w * v
            den += w
    return num / den if den else None
