"""Track events: ``appear``, ``vanish``, ``teleport``, ``resize``, each at a frame.

* ``appear`` / ``vanish`` / ``teleport`` come from transient blobs (:mod:`.transients`), which
  pin the frame. A blob is judged by *objectness*: the Lab colour distance between the pixels
  inside the blob and a ring around it, in the frame before and after the pair. An object
  standing out from its surroundings is there; floor continuing under the blob is not. Objectness
  rising by more than ``OBJECTNESS_JUMP`` and still risen ``CONFIRM`` frames later -> ``appear``
  at the first frame that shows it; falling and staying low -> ``vanish`` at the first frame
  without it. A vanish and an appear in the same pair whose colours match (Lab distance below
  ``MATCH_COLOR``) and whose centres are apart are one ``teleport``, at the frame after the jump.
* ``teleport`` also comes from tracks: a single-pair displacement above ``JUMP_SIZES`` object sizes
  and above ``JUMP_RATIO`` times the track's median step (after removing camera motion).
* ``resize`` comes from tracks: the track's log-area minus the camera's own log-scale change
  (from the pair homographies) drifts by more than ``log(RESIZE_RATIO)`` while the object's
  centre stays put in camera-compensated coordinates (a walker approaching the camera grows too,
  but it also moves down the frame). The event frame is where the drift first exceeds a third
  of its final value.

All frames are converted to the ORIGINAL video's numbering by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from worlddirector.analysis.tracks import RawTrack, _centre
from worlddirector.analysis.transients import Blob

OBJECTNESS_JUMP = 12.0
CONFIRM = 3
MATCH_COLOR = 30.0
JUMP_SIZES = 1.0
JUMP_RATIO = 5.0
RESIZE_RATIO = 1.35


@dataclass
class RawEvent:
    type: str
    pos: int  # analysed frame position of the event
    box: tuple[float, float, float, float]  # at flow resolution
    magnitude: float
    evidence: str
    track: int | None = None


def _objectness(lab: np.ndarray, mask: np.ndarray) -> tuple[float, np.ndarray]:
    ring = cv2.dilate(mask.astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool) & ~mask
    if not mask.any() or not ring.any():
        return 0.0, np.zeros(3)
    inside = lab[mask].astype(np.float32).mean(axis=0)
    around = lab[ring].astype(np.float32).mean(axis=0)
    return float(np.linalg.norm(inside - around)), inside


def events_from_blobs(blobs: list[Blob], lab_small: np.ndarray) -> list[RawEvent]:
    n = len(lab_small)
    by_pair: dict[int, list[Blob]] = {}
    for b in blobs:
        by_pair.setdefault(b.pair, []).append(b)
    out: list[RawEvent] = []
    for p, bs in sorted(by_pair.items()):
        judged = []
        for b in bs:
            o0, c0 = _objectness(lab_small[p], b.mask)
            o1, c1 = _objectness(lab_small[p + 1], b.mask)
            later = min(n - 1, p + 1 + CONFIRM)
            earlier = max(0, p - CONFIRM)
            o_late, _ = _objectness(lab_small[later], b.mask)
            o_early, _ = _objectness(lab_small[earlier], b.mask)
            kind = None
            if o1 - o0 > OBJECTNESS_JUMP and o_late - o0 > 0.6 * (o1 - o0) and o1 - o_early > 0.6 * (o1 - o0):
                kind = "appear"
            elif o0 - o1 > OBJECTNESS_JUMP and o0 - o_late > 0.6 * (o0 - o1) and o_early - o1 > 0.6 * (o0 - o1):
                kind = "vanish"
            judged.append((b, kind, o0, o1, c0, c1))
        used = set()
        for i, (bv, kv, o0v, o1v, c0v, _) in enumerate(judged):
            if kv != "vanish":
                continue
            for j, (ba, ka, o0a, o1a, _, c1a) in enumerate(judged):
                if ka != "appear" or j in used:
                    continue
                dist = float(np.linalg.norm(_centre(np.array(bv.box, float)) - _centre(np.array(ba.box, float))))
                if float(np.linalg.norm(c0v - c1a)) < MATCH_COLOR and dist > 2.0:
                    used.update((i, j))
                    out.append(RawEvent("teleport", p + 1, tuple(map(float, ba.box)), dist,
                                        f"region jumped {dist:.0f} px (flow-res) between frames; colour matches",))
                    break
        for i, (b, kind, o0, o1, _, _) in enumerate(judged):
            if kind is None or i in used:
                continue
            out.append(RawEvent(kind, p + 1, tuple(map(float, b.box)), abs(o1 - o0),
                                f"unexplained change, objectness {o0:.0f} -> {o1:.0f}"))
    return out


def events_from_tracks(tracks: list[RawTrack], homographies: np.ndarray) -> list[RawEvent]:
    out: list[RawEvent] = []
    for t in tracks:
        d = t.dets
        if len(d) < 4:
            continue
        # camera-compensated step per detection gap
        steps, cam_logscale, cs = [], [0.0], []
        comp = [_centre(d[0].box)]
        for a, b in zip(d[:-1], d[1:]):
            c = _centre(a.box).reshape(1, 1, 2).astype(np.float64)
            ls = 0.0
            for q in range(a.pos, b.pos):
                if q < len(homographies):
                    H = homographies[q]
                    c = cv2.perspectiveTransform(c, H)
                    J = H[:2, :2] - np.outer(H[:2, 2].ravel() * 0, [1, 1])
                    ls += float(np.log(max(1e-6, abs(np.linalg.det(J)))))
            cam_logscale.append(cam_logscale[-1] + ls)
            step = float(np.linalg.norm(_centre(b.box) - c[0, 0]))
            steps.append(step)
            comp.append(comp[-1] + (_centre(b.box) - c[0, 0]))
        steps = np.asarray(steps)
        med = float(np.median(steps)) if len(steps) else 0.0
        for k, s in enumerate(steps):
            size = float(np.sqrt(max(d[k].area, d[k + 1].area)))
            ratio = d[k + 1].area / max(1.0, d[k].area)
            if s > JUMP_SIZES * size and s > JUMP_RATIO * max(med, 0.5) and 0.5 < ratio < 2.0:
                out.append(RawEvent("teleport", d[k + 1].pos, tuple(map(float, d[k + 1].box)), s,
                                    f"track jumped {s:.1f} px (flow-res) in one step, median step {med:.1f}", t.id))
        if len(d) >= 8:
            la = np.log(np.array([x.area for x in d])) - np.asarray(cam_logscale)
            la = np.convolve(np.pad(la, 2, mode="edge"), np.ones(5) / 5, mode="valid")
            drift = la - la[0]
            comp = np.asarray(comp)
            travel = float(np.linalg.norm(comp[-1] - comp[0]))
            size0 = float(np.sqrt(d[0].area))
            k_end = int(np.argmax(np.abs(drift)))
            final = drift[k_end]
            if abs(final) > np.log(RESIZE_RATIO) and travel < 1.5 * size0:
                k0 = int(np.argmax(np.abs(drift) > abs(final) / 3))
                out.append(RawEvent("resize", d[k0].pos, tuple(map(float, d[k0].box)), float(np.exp(abs(final))),
                                    f"area changed x{np.exp(final):.2f} beyond camera scaling while the object stayed put",
                                    t.id))
    return out


def merge_events(evs: list[RawEvent], tol: int = 2) -> list[RawEvent]:
    """Drop duplicates: same type within ``tol`` frames and overlapping boxes."""
    evs = sorted(evs, key=lambda e: (e.pos, e.type))
    out: list[RawEvent] = []
    for e in evs:
        dup = False
        for o in out:
            if o.type == e.type and abs(o.pos - e.pos) <= tol:
                bx = np.array(o.box), np.array(e.box)
                cx = float(np.linalg.norm(_centre(bx[0]) - _centre(bx[1])))
                if cx < max(8.0, (bx[0][2] - bx[0][0] + bx[1][2] - bx[1][0])):
                    dup = True
                    if o.track is None:
                        o.track = e.track
                    break
        if not dup:
            out.append(e)
    return out
