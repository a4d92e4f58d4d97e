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
from scenedetect.detectors import ContentDetector

from worlddirector.analysis.flow import MotionField, warp_by_flow

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


def scenedetect_cuts(rgb: np.ndarray, fps: float) -> tuple[list[int], list[float]]:
    """PySceneDetect ContentDetector (edges on, threshold 20) over the analysis frames."""
    det = ContentDetector(
        threshold=THRESHOLD,
        min_scene_len=max(2, int(round(MIN_SHOT_SECONDS * fps))),
        weights=ContentDetector.Components(delta_hue=1.0, delta_sat=1.0, delta_lum=1.0, delta_edges=1.0),
    )
    cuts: list[int] = []
    scores: list[float] = []
    for i, img in enumerate(rgb):
        bgr = np.ascontiguousarray(img[..., ::-1])
        out = det.process_frame(FrameTimecode(i, fps=fps), bgr)
        scores.append(float(det._frame_score or 0.0))
        cuts.extend(int(tc.frame_num) for tc in out)
    return sorted(set(c for c in cuts if 0 < c < len(rgb))), scores


def warp_errors(motion: MotionField) -> np.ndarray:
    """Mean |frame[i+1] - warp(frame[i] by flow)| per pair at flow resolution."""
    g = motion.gray_small
    errs = np.zeros(len(motion.flow))
    for i, f in enumerate(motion.flow):
        # flow maps i -> i+1; sample frame i+1 at x+flow to predict frame i
        pred = warp_by_flow(g[i + 1], f)
        errs[i] = float(np.mean(cv2.absdiff(pred, g[i])))
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
