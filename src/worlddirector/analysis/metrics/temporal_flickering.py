"""``temporal_flickering``: VBench's formula, plus a penalty for detected flicker frames.

VBench (Huang et al. 2024, ``vbench/temporal_flickering.py``)::

    mae_i  = mean(|frame_i - frame_{i+1}|)        # over all pixels and RGB channels, 0..255
    score  = (255 - mean_i mae_i) / 255

We compute exactly that on the analysis frames (RGB, at most 320 px wide; downscaling averages
pixels, so our MAE is slightly below VBench's full-resolution value). It is reported unchanged as
``metric_details.temporal_flickering.vbench``.

Because ordinary motion dominates the mean, a few flickering frames barely change it. The
published ``temporal_flickering`` therefore folds in the brightness-jump detector
(:mod:`worlddirector.analysis.flicker`)::

    rate  = n_flicker_frames / n_pairs
    temporal_flickering = vbench * max(0, 1 - FLICKER_PENALTY * rate)

With ``FLICKER_PENALTY = 10`` two flickering frames in a 4-second 24 fps clip (95 pairs) cost
about 21 %; a clip with no detected flicker keeps VBench's value.
"""

from __future__ import annotations

import numpy as np

from worlddirector.analysis.flow import mean_absdiff

FLICKER_PENALTY = 10.0


def vbench_temporal_flickering(rgb: np.ndarray) -> float | None:
    """VBench's score: 1 - the mean absolute difference of consecutive frames / 255 (each pair's
    mean as :func:`~worlddirector.analysis.flow.mean_absdiff`: the exact integer sum over the
    count, what numpy's float64 mean of the int16 differences gives)."""
    if len(rgb) < 2:
        return None
    if rgb.dtype != np.uint8:
        maes = [
            float(np.mean(np.abs(rgb[i].astype(np.int16) - rgb[i + 1].astype(np.int16))))
            for i in range(len(rgb) - 1)
        ]
    else:
        maes = [mean_absdiff(rgb[i], rgb[i + 1]) for i in range(len(rgb) - 1)]
    return (255.0 - float(np.mean(maes))) / 255.0


def temporal_flickering(rgb: np.ndarray, n_flicker: int) -> tuple[float | None, dict]:
    vb = vbench_temporal_flickering(rgb)
    if vb is None:
        return None, {"reason": "fewer than two frames"}
    rate = n_flicker / max(1, len(rgb) - 1)
    score = vb * max(0.0, 1.0 - FLICKER_PENALTY * rate)
    return score, {"vbench": round(vb, 5), "flicker_frames": n_flicker, "flicker_rate": round(rate, 4)}
