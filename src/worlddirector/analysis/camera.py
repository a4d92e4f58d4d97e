"""Camera motion class: static, pan, dolly, orbit or handheld, from flow and two-view geometry.

Per consecutive pair we have (see :mod:`.flow`) the median flow ``t``, the similarity fit's scale
``s`` (divergence) and rotation, the homography residual ("parallax": what a pure rotation cannot
explain), and, for the class decision, two-view geometry: an essential matrix from the flow
correspondences (focal length guessed as the frame width, principal point at the centre) whose
recovered pose gives the camera's rotation angle and translation direction.

Rules, over the pairs of the longest shot (magnitudes in flow-resolution pixels per frame):

* ``static``: median |t| < 0.15 and little divergence;
* ``handheld``: the camera path is mostly jitter: rms(t - smooth(t)) > 0.6 * rms(t) and the
  jitter exceeds 0.1 px/frame (a shaky camera has no steady direction);
* ``dolly``: divergence dominates: |s| * w/2 > 0.6 * |t| (the image expands/contracts about a
  point: forward/backward motion, or a zoom);
* ``orbit``: steady translation with parallax and a fixated centre (centre flow < 0.5 x
  periphery flow) while the camera also turns (> 1 degree over 12 frames), or an essential-matrix
  pose with sideways translation (|t_x| > 0.9) plus rotation about the vertical axis;
* ``pan``: the rest: steady image translation (rotation about the camera centre or a sideways
  truck/track move; ``detail`` says which from the parallax).
"""

from __future__ import annotations

import cv2
import numpy as np

from worlddirector.analysis.flow import MotionField


def _smooth(x: np.ndarray, k: int = 5) -> np.ndarray:
    if len(x) < k:
        return np.repeat(x.mean(axis=0, keepdims=True), len(x), axis=0)
    ker = np.ones(k) / k
    pad = k // 2
    xp = np.pad(x, ((pad, pad), (0, 0)), mode="edge")
    return np.stack([np.convolve(xp[:, j], ker, mode="valid") for j in range(x.shape[1])], axis=1)


def _essential(motion: MotionField, pairs: np.ndarray) -> dict:
    """Accumulate flow over a few frames and recover the relative pose (rotation deg, t direction)."""
    g = motion.gray_small
    h, w = g.shape[1:]
    K = np.array([[w, 0, w / 2], [0, w, h / 2], [0, 0, 1]], float)
    ys, xs = np.mgrid[4:h:8, 4:w:8]
    pts = np.stack([xs.ravel(), ys.ravel()], 1).astype(np.float32)
    if len(pairs) < 4:
        return {}
    span = pairs[: min(len(pairs), 12)]
    cur = pts.copy()
    for i in span:
        f = motion.flow[i]
        xi = np.clip(cur[:, 0].round().astype(int), 0, w - 1)
        yi = np.clip(cur[:, 1].round().astype(int), 0, h - 1)
        cur = cur + f[yi, xi]
    ok = (cur[:, 0] >= 0) & (cur[:, 0] < w) & (cur[:, 1] >= 0) & (cur[:, 1] < h)
    p0, p1 = pts[ok], cur[ok]
    if len(p0) < 20 or np.median(np.linalg.norm(p1 - p0, axis=1)) < 0.5:
        return {}
    E, mask = cv2.findEssentialMat(p0, p1, K, cv2.RANSAC, 0.999, 1.0)
    if E is None or E.shape != (3, 3):
        return {}
    _, R, t, _ = cv2.recoverPose(E, p0, p1, K, mask=mask)
    angle = float(np.degrees(np.arccos(np.clip((np.trace(R) - 1) / 2, -1, 1))))
    rvec, _ = cv2.Rodrigues(R)
    return {
        "rotation_deg": round(angle, 3),
        "rotation_axis": [round(float(v), 3) for v in rvec.ravel()],
        "translation_dir": [round(float(v), 3) for v in t.ravel()],
        "frames": int(len(span)),
    }


def classify_camera(motion: MotionField, shots: list[tuple[int, int]]) -> dict:
    """Return ``{"label", "detail", measurements...}`` for the longest shot."""
    if len(motion.flow) == 0:
        return {"label": "static", "detail": "single frame", "confidence": 0.0}
    a, b = max(shots, key=lambda s: s[1] - s[0]) if shots else (0, len(motion.flow))
    idx = np.arange(a, max(a + 1, min(b, len(motion.flow))))
    t = motion.translation[idx]
    div = motion.divergence[idx]
    par = motion.parallax[idx]
    h, w = motion.gray_small.shape[1:]
    tmag = float(np.median(np.linalg.norm(t, axis=1)))
    mean_t = np.linalg.norm(t.mean(axis=0))
    jitter = float(np.sqrt(np.mean(np.sum((t - _smooth(t)) ** 2, axis=1))))
    rms_t = float(np.sqrt(np.mean(np.sum(t**2, axis=1))))
    zoom_px = float(np.median(np.abs(div))) * w / 2
    parallax = float(np.median(par))
    # fixation: flow at the image centre vs periphery (orbit keeps the subject centred)
    f = motion.flow[idx]
    cy, cx = h // 2, w // 2
    centre = float(
        np.median(
            np.linalg.norm(
                f[:, cy - h // 6 : cy + h // 6, cx - w // 6 : cx + w // 6].mean(axis=(1, 2)), axis=1
            )
        )
    )
    periph = float(
        np.median(
            np.linalg.norm(
                np.concatenate([f[:, :, : w // 6].mean(axis=(1, 2)), f[:, :, -w // 6 :].mean(axis=(1, 2))]),
                axis=1,
            )
        )
    )
    ess = _essential(motion, idx)
    m = {
        "median_translation_px": round(tmag, 3),
        "jitter_px": round(jitter, 3),
        "zoom_px": round(zoom_px, 3),
        "parallax_px": round(parallax, 3),
        "centre_flow_px": round(centre, 3),
        "periphery_flow_px": round(periph, 3),
        "flow_scale": round(motion.factor, 3),
        "essential": ess,
    }
    if tmag < 0.15 and zoom_px < 0.15 and jitter < 0.1:
        label, detail = "static", "no camera motion"
    elif jitter > 0.1 and jitter > 0.6 * rms_t and mean_t < 0.5 * rms_t + 0.05:
        label, detail = "handheld", "irregular shake without a steady direction"
    elif zoom_px > 0.6 * max(tmag, 0.05):
        label, detail = (
            "dolly",
            "image expands/contracts: " + ("forward" if np.median(div) > 0 else "backward"),
        )
    elif parallax > 0.12 and centre < 0.5 * periph and (not ess or ess["rotation_deg"] > 1.0):
        label, detail = "orbit", "parallax around a fixated centre"
    elif (
        ess
        and abs(ess["translation_dir"][0]) > 0.9
        and ess["rotation_deg"] > 1.0
        and abs(ess["rotation_axis"][1]) > 0.6 * np.linalg.norm(ess["rotation_axis"])
    ):
        label, detail = "orbit", "sideways translation with yaw (essential matrix)"
    else:
        label = "pan"
        detail = (
            "rotation (homography explains the motion)"
            if parallax < 0.12
            else "sideways travel with parallax"
        )
    m.update(label=label, detail=detail)
    return m
