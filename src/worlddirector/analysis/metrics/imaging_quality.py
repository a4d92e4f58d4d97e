"""``imaging_quality``: sharpness, noise and exposure, measured without a model.

VBench uses MUSIQ (a learned IQA network). We combine three classical, explainable measures on
gray analysis frames (every 4th frame), each mapped to [0, 1]:

* sharpness ``S = min(1, sqrt(var(Laplacian)) / 20)`` (variance of the Laplacian, Pech-Pacheco
  et al. 2000); 20 grey levels of Laplacian RMS is an in-focus 320-px frame;
* noise ``N = 1 - min(1, sigma / 10)`` with ``sigma`` from Immerkaer's fast noise estimator
  (1996): ``sigma = sqrt(pi/2) / (6 (W-2)(H-2)) * sum |I * M|`` with the 3x3 mask
  ``M = [[1,-2,1],[-2,4,-2],[1,-2,1]]``;
* exposure ``E = (1 - clipped) * (1 - |mean - 118| / 137)`` where ``clipped`` is the fraction of
  pixels at <= 2 or >= 253.

``imaging_quality = (S * N * E) ** (1/3)`` (geometric mean: any one failure pulls it down).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

_M = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)


def frame_quality(g: np.ndarray) -> tuple[float, float, float]:
    f = g.astype(np.float32)
    lap = cv2.Laplacian(f, cv2.CV_32F)
    s = min(1.0, math.sqrt(float(lap.var())) / 20.0)
    h, w = g.shape
    conv = cv2.filter2D(f, -1, _M)[1:-1, 1:-1]
    sigma = math.sqrt(math.pi / 2) * float(np.abs(conv).sum()) / (6.0 * (w - 2) * (h - 2))
    nq = 1.0 - min(1.0, sigma / 10.0)
    clipped = float(np.mean((g <= 2) | (g >= 253)))
    e = (1.0 - clipped) * max(0.0, 1.0 - abs(float(f.mean()) - 118.0) / 137.0)
    return s, nq, e


def imaging_quality(gray: np.ndarray) -> tuple[float | None, dict]:
    if len(gray) == 0:
        return None, {}
    vals = np.array([frame_quality(g) for g in gray[::4]])
    s, nq, e = vals.mean(axis=0)
    score = float((max(s, 0) * max(nq, 0) * max(e, 0)) ** (1 / 3))
    return score, {
        "sharpness": round(float(s), 4),
        "noise": round(float(nq), 4),
        "exposure": round(float(e), 4),
    }
