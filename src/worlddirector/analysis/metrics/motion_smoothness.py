"""``motion_smoothness``: frame-interpolation error, VBench style, with flow instead of AMT.

VBench (``vbench/motion_smoothness.py``) drops every odd frame, re-creates it from its two
neighbours with the AMT interpolation network, and scores ``(255 - mean|interp - real|) / 255``.
Smooth motion is what an interpolator can predict; jitter, stutter and jumps are not.

Model-free stand-in: for each odd frame ``i`` we compute DIS flow ``F`` from frame ``i-1`` to
``i+1`` and predict frame ``i`` by warping both neighbours half-way along it::

    pred_i(x) = 0.5 * frame_{i-1}(x - F(x)/2) + 0.5 * frame_{i+1}(x + F(x)/2)
    motion_smoothness = (255 - mean_i mean|pred_i - frame_i|) / 255

over RGB analysis frames. Like VBench's score it sits close to 1 for most videos; differences in
the third decimal matter.
"""

from __future__ import annotations

import cv2
import numpy as np

from worlddirector.analysis.flow import flow_pair, mean_absdiff, warp_by_flow


def motion_smoothness(
    rgb: np.ndarray, gray: np.ndarray, skip: set[int] | None = None
) -> tuple[float | None, dict]:
    """``skip``: positions ``i`` whose triple straddles a cut (not predictable by design)."""
    skip = skip or set()
    errs = []
    for i in range(1, len(rgb) - 1, 2):
        if i in skip:
            continue
        F = flow_pair(gray[i - 1], gray[i + 1])
        a = warp_by_flow(rgb[i - 1], F, -0.5)
        b = warp_by_flow(rgb[i + 1], F, 0.5)
        pred = cv2.addWeighted(a, 0.5, b, 0.5, 0)
        errs.append(mean_absdiff(pred, rgb[i]))
    if not errs:
        return None, {"reason": "fewer than three frames"}
    e = float(np.mean(errs))
    return (255.0 - e) / 255.0, {
        "mean_interp_error": round(e, 3),
        "worst_interp_error": round(max(errs), 3),
        "n_triples": len(errs),
    }
