"""Shot cuts with PySceneDetect, tuned, plus a flow check for cuts inside one scene.

PySceneDetect's ``ContentDetector`` scores a cut from the change of hue, saturation and luma
histograms-as-means between consecutive frames; at its default threshold (27) it misses a cut
between two views of the same scene (same colours, different geometry). We therefore

1. turn on its edge component (``delta_edges``), which sees geometry change, and lower the
   threshold to 20 (``THRESHOLD``) with a minimum shot length of 0.4 s; and also accept a frame
   whose content score is at least ``ADAPTIVE_MIN`` (8) and ``ADAPTIVE_RATIO`` (6) times the median
   score of the surrounding second (the idea of its ``AdaptiveDetector``): a mirrored view of
   the same scene scores about 10 against a background of 1, far below 27 but unmistakable;
2. add a geometric check of our own: across a cut the previous frame cannot be warped onto the
   next one, so the photometric error after warping by the dense flow jumps to many times its
   running median (``WARP_RATIO``) while staying large in absolute terms (``WARP_MIN``).

A candidate is dropped when the change is local: fewer than ``LOCAL_FRACTION`` (30 %) of the pixels
differ by more than ``LOCAL_LEVEL`` grey levels after warping by the flow AND one connected region
holds at least ``LOCAL_SHARE`` (90 %) of them: one object popped in or out, not a new view. On the
analysis bench (140 single-shot clips) 11 false cuts all changed 3-20 % of the pixels, five of them
at the very pop or teleport the clip was about (the pairs around a cut are skipped, so the event
was lost); two of those were one region (share 0.98). The pixel fraction alone cannot be used:
the mirrored-view cut of ``test_a_cut_between_two_views_of_one_scene_is_found`` changes only 1 %
of its mostly flat picture (share 0.75).

A candidate is also dropped when the frames on both sides are the same picture (brightness flicker
or a flash: the frame two steps later matches the frame before), because that is flicker, not a
cut. Positions returned are analysed-frame positions of the first frame of each new shot.
"""

from __future__ import annotations

import cv2
import numpy as np
from scenedetect import FrameTimecode
from scenedetect.detector import FlashFilter
from scenedetect.detectors import ContentDetector
from scenedetect.detectors.content_detector import _estimated_kernel_size

from worlddirector.analysis.flow import MotionField, mean_absdiff, warp_by_flow

THRESHOLD = 20.0
MIN_SHOT_SECONDS = 0.4
WARP_RATIO = 5.0
WARP_MIN = 12.0  # grey levels of mean absolute warped error
ADAPTIVE_MIN = 8.0
ADAPTIVE_RATIO = 6.0
LOCAL_FRACTION = 0.3
LOCAL_LEVEL = 30
LOCAL_SHARE = 0.9


def local_change(motion: MotionField, i: int) -> tuple[float, float]:
    """For pair ``i``: (fraction of pixels the flow cannot explain, i.e. > LOCAL_LEVEL grey levels
    after warping; share of those in the largest connected region)."""
    g = motion.gray_small
    pred = warp_by_flow(g[i + 1], motion.flow[i])
    bad = (cv2.absdiff(pred, g[i]) > LOCAL_LEVEL).astype(np.uint8)
    bad = cv2.morphologyEx(bad, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    n, _, stats, _ = cv2.connectedComponentsWithStats(bad, connectivity=8)
    total = int(stats[1:, cv2.CC_STAT_AREA].sum()) if n > 1 else 0
    if total == 0:
        return 0.0, 0.0
    return total / bad.size, float(stats[1:, cv2.CC_STAT_AREA].max()) / total


def _weights() -> ContentDetector.Components:
    return ContentDetector.Components(delta_hue=1.0, delta_sat=1.0, delta_lum=1.0, delta_edges=1.0)


def _luma_medians(lum: np.ndarray) -> np.ndarray:
    """``np.median`` of each (h, w) uint8 frame of ``lum``, from its histogram: the sorted values at
    ``(N-1)//2`` and ``N//2`` are found by counting, and their mean is what numpy's median
    computes ((a + b) / 2 of two integers, exact in float64)."""
    h, w = lum.shape[1:]
    N = h * w
    if N >= 1 << 24:  # float32 histogram counts stay exact below 2**24
        return np.array([np.median(x) for x in lum])
    hist = np.stack([cv2.calcHist([x], [0], None, [256], [0, 256]).ravel() for x in lum]).astype(np.int64)
    c = np.cumsum(hist, axis=1)
    a = (c < (N - 1) // 2 + 1).sum(axis=1)
    b = (c < N // 2 + 1).sum(axis=1)
    return (a + b) / 2


def _pair_distances(planes: np.ndarray) -> np.ndarray:
    """(n - 1, c) ``_mean_pixel_distance`` of consecutive (h, w, c) uint8 frames, every channel:
    ``absdiff`` of uint8 is the exact |a - b|, ``sumElems`` its exact integer sum (as a double)."""
    n, h, w, ch = planes.shape
    d = cv2.absdiff(planes[1:].reshape(-1, w * ch), planes[:-1].reshape(-1, w * ch)).reshape(n - 1, h, w, ch)
    return np.array([cv2.sumElems(x)[:ch] for x in d], np.float64).reshape(n - 1, ch) / float(h * w)


def content_scores(rgb: np.ndarray) -> list[float]:
    """PySceneDetect ``ContentDetector``'s frame scores (edges on, :func:`_weights`) for the whole
    stack at once: the same formula, vectorised over frames. Per frame its HSV planes (one
    ``cvtColor`` of the stacked frames: RGB->HSV of the frames is BGR->HSV of their channel-reversed
    copies), Canny edges at thresholds from the luma median (``_detect_edges``), dilated by its
    kernel; per consecutive pair the mean absolute difference of each plane (integer sum / pixel
    count, as ``_mean_pixel_distance``) and their weighted mean, in its order. Frame 0 scores 0.
    ``test_content_scores_are_the_detectors`` compares with the detector frame by frame."""
    rgb = np.ascontiguousarray(rgb)
    n, h, w = rgb.shape[:3]
    if n == 0:
        return []
    hsv = cv2.cvtColor(rgb.reshape(n * h, w, 3), cv2.COLOR_RGB2HSV).reshape(n, h, w, 3)
    lum = np.ascontiguousarray(hsv[..., 2])
    size = _estimated_kernel_size(w, h)
    kernel = np.ones((size, size), np.uint8)
    sigma = 1.0 / 3.0
    edges = np.empty_like(lum)
    for i, median in enumerate(_luma_medians(lum)):
        low = int(max(0, (1.0 - sigma) * median))
        high = int(min(255, (1.0 + sigma) * median))
        edges[i] = cv2.dilate(cv2.Canny(lum[i], low, high), kernel)
    if n < 2:
        return [0.0]
    hsv_d = _pair_distances(hsv)
    edge_d = _pair_distances(edges[..., None])
    comps = [hsv_d[:, 0].tolist(), hsv_d[:, 1].tolist(), hsv_d[:, 2].tolist(), edge_d[:, 0].tolist()]
    weights = _weights()
    den = sum(abs(wt) for wt in weights)
    return [0.0] + [sum(c[i] * wt for c, wt in zip(comps, weights)) / den for i in range(n - 1)]


def scenedetect_cuts(rgb: np.ndarray, fps: float) -> tuple[list[int], list[float]]:
    """PySceneDetect ContentDetector (edges on, threshold 20) over the analysis frames: its scores
    (:func:`content_scores`) through its own flash filter (minimum shot length, merge mode)."""
    min_len = max(2, int(round(MIN_SHOT_SECONDS * fps)))
    flash = FlashFilter(mode=FlashFilter.Mode.MERGE, length=min_len)
    cuts: list[int] = []
    scores = content_scores(rgb)
    for i, score in enumerate(scores):
        out = flash.filter(timecode=FrameTimecode(i, fps=fps), above_threshold=score >= THRESHOLD)
        cuts.extend(int(tc.frame_num) for tc in out)
    return sorted(set(c for c in cuts if 0 < c < len(rgb))), scores


def warp_errors(motion: MotionField) -> np.ndarray:
    """Mean |frame[i+1] - warp(frame[i] by flow)| per pair at flow resolution."""
    g = motion.gray_small
    errs = np.zeros(len(motion.flow))
    for i, f in enumerate(motion.flow):
        # flow maps i -> i+1; sample frame i+1 at x+flow to predict frame i
        pred = warp_by_flow(g[i + 1], f)
        errs[i] = mean_absdiff(pred, g[i])
    return errs


def detect_cuts(rgb: np.ndarray, fps: float, motion: MotionField) -> tuple[list[int], dict]:
    sd, scores = scenedetect_cuts(rgb, fps)
    sc = np.asarray(scores)
    for i in range(1, len(sc)):
        local = float(np.median(sc[max(1, i - 12) : i + 13]))
        if sc[i] >= ADAPTIVE_MIN and sc[i] >= ADAPTIVE_RATIO * max(local, 0.5):
            sd.append(i)
    sd = sorted(set(sd))
    errs = warp_errors(motion)
    flow_cuts = []
    if len(errs) >= 3:
        med = np.array([np.median(errs[max(0, i - 12) : i + 13]) for i in range(len(errs))])
        for i, e in enumerate(errs):
            if e > WARP_MIN and e > WARP_RATIO * max(med[i], 1.0):
                flow_cuts.append(i + 1)
    g = motion.gray_small.astype(np.int16)
    cuts = []
    min_gap = max(2, int(round(MIN_SHOT_SECONDS * fps)))
    for c in sorted(set(sd) | set(flow_cuts)):
        # flash / flicker test: some frame before the candidate looks like some frame after it
        # (the picture came back), while the two frames at the candidate differ
        if 1 <= c < len(g):
            across = float(np.mean(np.abs(g[c - 1] - g[c])))
            back = min(
                (
                    float(np.mean(np.abs(g[a] - g[b])))
                    for a in range(max(0, c - 6), c)
                    for b in range(c, min(len(g), c + 6))
                    if (a, b) != (c - 1, c)
                ),
                default=across,
            )
            if back < 0.35 * across:
                continue
        if cuts and c - cuts[-1] < min_gap:
            continue
        if 1 <= c <= len(motion.flow):
            frac, largest = local_change(motion, c - 1)
            if frac < LOCAL_FRACTION and largest >= LOCAL_SHARE:
                continue
        cuts.append(c)
    return cuts, {
        "scenedetect": sd,
        "flow": flow_cuts,
        "content_score_max": round(max(scores or [0]), 2),
        "warp_error_median": round(float(np.median(errs)) if len(errs) else 0.0, 2),
    }
