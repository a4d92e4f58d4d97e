"""Where did a patch of one frame go in the next? Appearance re-found by template matching.

The transient blobs (:mod:`.transients`) say WHERE the flow could not explain a frame pair; the
objectness tests say whether an object stands out there. Neither can tell an object that jumped a
short way (a walker skipping 2 m away from the camera: smaller, shifted, overlapping its old
place) from one that popped, nor a fast mover that the flow lost (a bouncing ball) from a pop.
Looking for the patch itself can: the content of frame ``src`` inside a box (grown by a quarter
on each side, so the object's outline and what surrounds it are part of the pattern) is searched
in frame ``dst`` by normalised cross-correlation (``cv2.TM_CCOEFF_NORMED`` on Lab), at the scales
``SCALES``, within one patch size of where the camera homography moves the box. The answer
(:class:`Refound`):

* ``same``: the correlation at the predicted place and scale (the patch still where it was);
* ``best``: the best correlation anywhere in the window at any scale;
* ``shift``: how far the best match is from the predicted place, in patch sizes
  (``|dx, dy| / sqrt(w h) + |log scale|``), so a jump along the view (a scale change) counts too;
* ``before``: the correlation of the same (scaled) pattern with frame ``src`` at the matched place
  (camera motion undone): was that content already there? Repeated texture (a floor, a wall) is
  found elsewhere in both frames; an object that jumped is found where it was not.

Matching runs on the analysis frames (320 px wide for 640 px video): objects 5-20 px tall in the
original are 1-5 px at the 160 px flow resolution, too small for a pattern.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

SCALES = (0.7, 0.8, 0.9, 1.0, 1.12, 1.25, 1.4)
MARGIN = 0.25  # of the box's width / height added on each side
MIN_PATCH = 6  # px (analysis resolution)
MAX_PATCH = 40  # px: longer patches are matched shrunk to this length


class LabFrames:
    """RGB frames seen as Lab, each converted when first asked for (the patterns of a clip touch
    only the frames around its few transient changes)."""

    def __init__(self, rgb: np.ndarray):
        self.rgb = rgb
        self._lab: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.rgb)

    def __getitem__(self, i: int) -> np.ndarray:
        if i not in self._lab:
            self._lab[i] = cv2.cvtColor(self.rgb[i], cv2.COLOR_RGB2LAB)
        return self._lab[i]


@dataclass
class Refound:
    same: float  # correlation at the camera-predicted place, scale 1
    best: float  # best correlation in the search window, any scale
    shift: float  # of the best match from the predicted place, in patch sizes (+ |log scale|)
    before: float  # correlation of the matched pattern with frame src at the matched place
    offset: float  # of the best match from the predicted place, analysis pixels
    at: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)  # the best match's box, analysis pixels


def _patch_box(box, k: float, w: int, h: int) -> tuple[int, int, int, int]:
    """``box`` (flow resolution) at analysis resolution (x ``k``), grown by ``MARGIN``, at least
    ``MIN_PATCH`` px on each side, clipped to the frame."""
    x0, y0, x1, y1 = (float(v) * k for v in box)
    mx, my = max(MARGIN * (x1 - x0), 2.0), max(MARGIN * (y1 - y0), 2.0)
    x0, y0, x1, y1 = x0 - mx, y0 - my, x1 + mx, y1 + my
    if x1 - x0 < MIN_PATCH:
        c = (x0 + x1) / 2
        x0, x1 = c - MIN_PATCH / 2, c + MIN_PATCH / 2
    if y1 - y0 < MIN_PATCH:
        c = (y0 + y1) / 2
        y0, y1 = c - MIN_PATCH / 2, c + MIN_PATCH / 2
    return max(0, round(x0)), max(0, round(y0)), min(w, round(x1)), min(h, round(y1))


def refind(frames: "LabFrames | np.ndarray", src: int, dst: int, box, H: np.ndarray | None, k: float,
           reach: float | None = None) -> Refound | None:
    """Search frame ``src``'s patch at ``box`` (flow-resolution pixels; ``k`` analysis pixels per
    flow pixel) in frame ``dst``. ``H``: the camera homography ``src -> dst`` at flow resolution
    (None: a still camera). ``frames``: Lab frames at analysis resolution (an array or
    :class:`LabFrames`). A patch longer than ``MAX_PATCH`` px is matched with patch and window
    shrunk to that length (the cost stays bounded for large changes). None when the patch is
    too small or flat to match. ``reach``: how far (analysis px) beyond the predicted place the
    search goes (default one patch length; ``float("inf")``: the whole frame)."""
    f0, f1 = frames[src], frames[dst]
    h, w = f0.shape[:2]
    x0, y0, x1, y1 = _patch_box(box, k, w, h)
    patch = f0[y0:y1, x0:x1].astype(np.float32)
    th, tw = patch.shape[:2]
    if th < 4 or tw < 4:
        return None
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    if H is not None:
        p = cv2.perspectiveTransform(np.array([[[cx / k, cy / k]]], np.float64), H)[0, 0] * k
        cx, cy = float(p[0]), float(p[1])
    dx, dy = cx - (x0 + x1) / 2, cy - (y0 + y1) / 2  # camera motion of the patch centre
    size = float(np.sqrt(tw * th))
    reach = max(tw, th) if reach is None else min(float(reach), 2.0 * max(w, h))
    shrink = max(1.0, max(tw, th) / MAX_PATCH)
    same, best, shift, before, offset = -1.0, -1.0, 0.0, -1.0, 0.0
    at = (0.0, 0.0, 0.0, 0.0)
    for s in SCALES:
        sw, sh = max(4, round(tw * s)), max(4, round(th * s))
        tpl = patch if s == 1.0 else cv2.resize(patch, (sw, sh), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
        if float(tpl.reshape(-1, 3).std(axis=0).max()) < 1e-3:
            continue  # a flat patch correlates with nothing
        wx0, wy0 = max(0, int(cx - sw / 2 - reach)), max(0, int(cy - sh / 2 - reach))
        wx1, wy1 = min(w, int(cx + sw / 2 + reach)), min(h, int(cy + sh / 2 + reach))
        if wy1 - wy0 < sh or wx1 - wx0 < sw:
            continue
        m = _correlation_map(f1[wy0:wy1, wx0:wx1], tpl, shrink)
        _, mv, _, loc = cv2.minMaxLoc(m)
        if s == 1.0:
            ix, iy = round((cx - sw / 2 - wx0) / shrink), round((cy - sh / 2 - wy0) / shrink)
            if 0 <= iy < m.shape[0] and 0 <= ix < m.shape[1]:
                same = float(m[iy, ix])
        if mv > best:
            mx, my = wx0 + loc[0] * shrink + sw / 2, wy0 + loc[1] * shrink + sh / 2
            offset = float(np.hypot(mx - cx, my - cy))
            best, shift = float(mv), offset / size + abs(float(np.log(s)))
            before = _correlation_at(f0, tpl, mx - dx, my - dy)
            at = (mx - sw / 2, my - sh / 2, mx + sw / 2, my + sh / 2)
    if best < -0.5:
        return None
    return Refound(same, best, shift, before, offset, at)


def _correlation_map(window: np.ndarray, tpl: np.ndarray, shrink: float) -> np.ndarray:
    """``cv2.TM_CCOEFF_NORMED`` of ``tpl`` over ``window``, both first shrunk by ``shrink``."""
    if shrink > 1.0:
        th, tw = tpl.shape[:2]
        wh, ww = window.shape[:2]
        tpl = cv2.resize(tpl, (max(4, round(tw / shrink)), max(4, round(th / shrink))), interpolation=cv2.INTER_AREA)
        window = cv2.resize(window, (max(tpl.shape[1], round(ww / shrink)), max(tpl.shape[0], round(wh / shrink))),
                            interpolation=cv2.INTER_AREA)
    m = cv2.matchTemplate(window.astype(np.float32), tpl.astype(np.float32), cv2.TM_CCOEFF_NORMED)
    return np.nan_to_num(m, nan=-1.0)


def _correlation_at(frame: np.ndarray, tpl: np.ndarray, cx: float, cy: float) -> float:
    """Normalised correlation of ``tpl`` with ``frame`` centred at (``cx``, ``cy``); -1 off the frame."""
    th, tw = tpl.shape[:2]
    x0, y0 = round(cx - tw / 2), round(cy - th / 2)
    if x0 < 0 or y0 < 0 or x0 + tw > frame.shape[1] or y0 + th > frame.shape[0]:
        return -1.0
    return float(cv2.matchTemplate(frame[y0:y0 + th, x0:x0 + tw].astype(np.float32), tpl, cv2.TM_CCOEFF_NORMED)[0, 0])
