"""Camera motion class: static, pan, dolly, orbit or handheld, from flow and two-view geometry.

Per consecutive pair we have (see :mod:`.flow`) the median flow ``t``, the similarity fit's scale
``s`` (divergence) and the homography residual ("parallax": what a pure rotation cannot explain).
For the class decision we add two-view geometry over up to ``MAX_WINDOWS`` windows of ``WINDOW``
pairs spread over the shot: flow chained from a grid over the window, an essential matrix
(focal length guessed as ``FOCAL_FRACTION`` x width, principal point at the centre) whose pose gives
the translation direction, and a homography fitted to the same points whose inlier fraction says
whether one rotation (or a far/planar scene) explains the view change. A fixation cue compares the
horizontal flow of the textured top and bottom thirds of the image.

Rules, over the pairs of the longest shot (magnitudes in flow-resolution pixels per frame):

* ``static``: fewer than half of the windows move (median chained flow < 0.5 px over a window),
  median |t| < 0.15, little divergence and no jitter;
* ``handheld``: the camera path is mostly jitter: rms(t - smooth(t)) > 0.6 * rms(t) and the
  jitter exceeds 0.1 px/frame (a shaky camera has no steady direction);
* homography inliers >= ``ROTATION_INLIERS`` (no parallax to speak of): ``dolly`` when divergence
  dominates (|s| * w/2 > 0.6 * |t|: the image expands/contracts, a push in/out or a zoom), else
  ``pan`` (rotation about the camera centre);
* otherwise the camera translates (parallax) and the essential matrix says where:
  ``dolly`` when the unit translation's |t_z| > ``FORWARD_T`` (along the view axis); ``orbit`` when
  the top and bottom thirds move horizontally in opposite directions, both faster than
  ``FIXATION_PX`` (turning around a fixated centre: what is behind it and what is in front of it
  swap sides); else ``pan`` (sideways truck/tracking travel: everything moves the same way).

The essential matrix's own rotation is reported but not used: with a small baseline and a narrow
field of view it trades yaw for sideways translation (on an exact ray-cast sideways travel it
reports ~0.14 deg/frame of yaw that the camera never does; see tests/test_analysis_camera.py).
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


FOCAL_FRACTION = 0.8  # guessed focal length / image width (about a 64 degree horizontal field of view)
WINDOW = 8  # pairs per two-view window
MAX_WINDOWS = 6
ROTATION_INLIERS = 0.75  # homography inlier fraction above which the view change is a rotation
FORWARD_T = 0.45  # |t_z| of the unit translation above which translation is forward/backward
FIXATION_PX = 0.1  # top/bottom horizontal flow (px/frame) for the opposite-direction cue


def guessed_intrinsics(h: int, w: int) -> np.ndarray:
    """Camera matrix with the focal length guessed as ``FOCAL_FRACTION`` x width and the principal
    point at the centre (pixels of an h x w frame)."""
    f = FOCAL_FRACTION * w
    return np.array([[f, 0.0, w / 2], [0.0, f, h / 2], [0.0, 0.0, 1.0]])


def _window_pose(motion: MotionField, span: np.ndarray) -> dict | None:
    """Two-view geometry between the first and last frame of ``span``: flow chained over the span
    from a grid, then an essential matrix (RANSAC, 1 px) with the focal length guessed as
    ``FOCAL_FRACTION`` x width and the principal point at the centre; its pose gives the rotation
    (Rodrigues vector, degrees per frame) and the translation direction (unit, camera axes: x right,
    y down, z forward). A homography fitted to the same points gives the fraction of points a
    rotation-only (or far/planar) view change explains. ``None`` when the points barely move or
    OpenCV cannot solve the geometry."""
    g = motion.gray_small
    h, w = g.shape[1:]
    K = guessed_intrinsics(h, w)
    ys, xs = np.mgrid[4:h:8, 4:w:8]
    pts = np.stack([xs.ravel(), ys.ravel()], 1).astype(np.float32)
    cur = pts.copy()
    for i in span:
        fl = motion.flow[i]
        xi = np.clip(cur[:, 0].round().astype(int), 0, w - 1)
        yi = np.clip(cur[:, 1].round().astype(int), 0, h - 1)
        cur = cur + fl[yi, xi]
    ok = (cur[:, 0] >= 0) & (cur[:, 0] < w) & (cur[:, 1] >= 0) & (cur[:, 1] < h)
    p0, p1 = pts[ok], cur[ok]
    if len(p0) < 20 or np.median(np.linalg.norm(p1 - p0, axis=1)) < 0.5:
        return None
    try:
        E, mask = cv2.findEssentialMat(p0, p1, K, cv2.RANSAC, 0.999, 1.0, maxIters=200)
        if E is None or E.shape != (3, 3):
            return None
        _, R, t, _ = cv2.recoverPose(E, p0, p1, K, mask=mask)
        rvec, _ = cv2.Rodrigues(R)
        _, hmask = cv2.findHomography(p0, p1, cv2.RANSAC, 1.0, maxIters=200)
    except cv2.error:
        # the five-point solver asserts on a degenerate RANSAC sample (OpenCV's solvePoly: a car
        # clip of the simulation bench at seed 32122 stopped the analysis with a traceback); the
        # window's geometry is then unknown, as when the points barely move
        return None
    return {
        "rot": np.degrees(rvec.ravel()) / len(span),
        "t": t.ravel(),
        "h_inliers": float(hmask.mean()) if hmask is not None else 0.0,
    }


def _geometry(motion: MotionField, idx: np.ndarray) -> dict:
    """Median two-view pose over up to ``MAX_WINDOWS`` windows of ``WINDOW`` pairs spread over the shot."""
    n = len(idx)
    if n < WINDOW:
        starts = [0] if n >= 4 else []
        size = n
    else:
        k = min(MAX_WINDOWS, n // WINDOW)
        starts = np.linspace(0, n - WINDOW, k).round().astype(int).tolist()
        size = WINDOW
    poses = [p for s in starts if (p := _window_pose(motion, idx[s : s + size])) is not None]
    if not poses:
        return {"windows": len(starts), "posed": 0}
    rot = np.median([p["rot"] for p in poses], axis=0)
    tabs = np.median([np.abs(p["t"]) for p in poses], axis=0)
    return {
        "windows": len(starts),
        "posed": len(poses),
        "rotation_deg_per_frame": [round(float(v), 4) for v in rot],
        "abs_translation_dir": [round(float(v), 3) for v in tabs],
        "homography_inliers": round(float(np.median([p["h_inliers"] for p in poses])), 3),
    }


def _band_flow_x(motion: MotionField, idx: np.ndarray, samples: int = 24) -> tuple[float, float]:
    """Median horizontal flow (px/frame) of the textured pixels (|gradient| > 12) in the top and
    the bottom third, over up to ``samples`` pairs of ``idx``; 0 for a band with too little texture
    (flat sky or wall: the flow there is interpolated, not measured)."""
    h = motion.gray_small.shape[1]
    bands = (slice(0, h // 3), slice(h - h // 3, h))
    vals: list[list[float]] = [[], []]
    pick = idx[np.linspace(0, len(idx) - 1, min(samples, len(idx))).round().astype(int)]
    for i in pick:
        g = motion.gray_small[i]
        tex = np.abs(cv2.Sobel(g, cv2.CV_16S, 1, 0, ksize=3)) + np.abs(cv2.Sobel(g, cv2.CV_16S, 0, 1, ksize=3)) > 16
        for k, band in enumerate(bands):
            t = tex[band]
            if t.mean() > 0.05:
                vals[k].append(float(np.median(motion.flow[i, band, :, 0][t])))
    enough = max(1, len(pick) // 2)
    return tuple(float(np.median(v)) if len(v) >= enough else 0.0 for v in vals)  # type: ignore[return-value]


def classify_camera(motion: MotionField, shots: list[tuple[int, int]]) -> dict:
    """Return ``{"label", "detail", measurements...}`` for the longest shot."""
    if len(motion.flow) == 0:
        return {"label": "static", "detail": "single frame", "confidence": 0.0}
    a, b = max(shots, key=lambda s: s[1] - s[0]) if shots else (0, len(motion.flow))
    idx = np.arange(a, max(a + 1, min(b, len(motion.flow))))
    t = motion.translation[idx]
    div = motion.divergence[idx]
    par = motion.parallax[idx]
    w = motion.gray_small.shape[2]
    tmag = float(np.median(np.linalg.norm(t, axis=1)))
    mean_t = np.linalg.norm(t.mean(axis=0))
    jitter = float(np.sqrt(np.mean(np.sum((t - _smooth(t)) ** 2, axis=1))))
    rms_t = float(np.sqrt(np.mean(np.sum(t**2, axis=1))))
    zoom_px = float(np.median(np.abs(div))) * w / 2
    parallax = float(np.median(par))
    # fixation: horizontal flow of the top and bottom thirds. Orbiting a point in the middle of the
    # scene moves what lies behind it (top) and in front of it (bottom) in opposite directions; a
    # sideways truck/track moves everything static the same way (faster when nearer).
    top, bottom = _band_flow_x(motion, idx)
    fixated = top * bottom < 0 and min(abs(top), abs(bottom)) > FIXATION_PX
    geo = _geometry(motion, idx)
    m = {
        "median_translation_px": round(tmag, 3),
        "jitter_px": round(jitter, 3),
        "zoom_px": round(zoom_px, 3),
        "parallax_px": round(parallax, 3),
        "top_flow_x_px": round(top, 3),
        "bottom_flow_x_px": round(bottom, 3),
        "flow_scale": round(motion.factor, 3),
        "geometry": geo,
    }
    posed = geo["posed"] >= max(1, geo["windows"] / 2)
    if not posed and tmag < 0.15 and zoom_px < 0.15 and jitter < 0.1:
        label, detail = "static", "no camera motion"
    elif jitter > 0.1 and jitter > 0.6 * rms_t and mean_t < 0.5 * rms_t + 0.05:
        label, detail = "handheld", "irregular shake without a steady direction"
    elif not posed or geo["homography_inliers"] >= ROTATION_INLIERS:
        # one homography explains the view change: a rotation about the camera centre (or a
        # far/planar scene); an expanding/contracting image is a push in/out (or a zoom)
        if zoom_px > 0.6 * max(tmag, 0.05):
            label = "dolly"
            detail = "image expands/contracts: " + ("forward" if np.median(div) > 0 else "backward")
        else:
            label, detail = "pan", "rotation (a homography explains the motion)"
    else:
        tz = geo["abs_translation_dir"][2]
        if tz > FORWARD_T:
            label, detail = "dolly", "translation along the view axis (essential matrix)"
        elif fixated:
            label, detail = "orbit", "sideways translation around a fixated centre (opposite top/bottom flow)"
        else:
            label, detail = "pan", "sideways travel (truck/tracking) with parallax"
    m.update(label=label, detail=detail)
    return m
