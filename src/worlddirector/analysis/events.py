"""Track events: ``appear``, ``vanish``, ``teleport``, ``resize``, each at a frame.

* ``appear`` / ``vanish`` / ``teleport`` come from transient blobs (:mod:`.transients`), which
  pin the frame. A blob is judged by *objectness*: the percentage of its pixels whose colour is
  found nowhere in a ring around it (nearest-neighbour Lab distance above ``NOVEL_LAB``), in the
  frame before and after the pair. An object standing out from its surroundings is there; floor
  continuing under the blob is not. Objectness
  rising by more than ``OBJECTNESS_JUMP``, still risen one frame later and not there ``CONFIRM``
  frames before -> ``appear`` at the first frame that shows it; falling, still low ``CONFIRM``
  frames later and there one frame before -> ``vanish`` at the first frame without it. A vanish
  and an appear in the same pair whose colours match (Lab distance below ``MATCH_COLOR``) and
  whose centres are apart are one ``teleport``, at the frame after the jump.
  So are a fall and a rise of objectness (each ``RISE_FALL``, holding) in one pair where nothing
  else was found, of matching colour and similar size (:func:`rise_fall_jumps`).
  A blob whose track ends (begins) moving across the picture's border is that object leaving
  (entering) the view, though its last (first) box stops short of the border: no event
  (:func:`_crosses_border`).
* the event's own pattern (:mod:`.refind`, template matching on the analysis frames) finds
  teleports the objectness tests miss (:func:`refound_jumps`: what left or arrived at a transient
  blob is found again across the pair, shifted, where it was not before, after standing still)
  and drops events it explains (:func:`drop_pattern_explained`: a fast mover the flow lost, a pop
  whose place did not change).
* ``teleport`` also comes from tracks: a single-pair displacement above ``JUMP_SIZES`` object sizes
  and above ``JUMP_RATIO`` times the track's median step (after removing camera motion).
* ``resize`` comes from tracks: the track's log-area minus the camera's own log-scale change
  (from the pair homographies) drifts by more than ``log(RESIZE_RATIO)`` while the object's
  centre stays put in camera-compensated coordinates (a walker approaching the camera grows too,
  but it also moves down the frame), the change is a steady ramp (|correlation with time| > 0.8
  up to its peak) and the track is colour-segmented (motion-segmented boxes change size whenever
  objects overlap). The event frame is where the drift first exceeds a third of its final value.

All frames are converted to the ORIGINAL video's numbering by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import cv2
import numpy as np

from worlddirector.analysis.flow import one_off_flow_jump
from worlddirector.analysis.refind import MARGIN, LabFrames, Refound, refind
from worlddirector.analysis.tracks import RawTrack, _centre, _iou
from worlddirector.analysis.transients import Blob

OBJECTNESS_JUMP = 20.0
NOVEL_LAB = 6.0
CONFIRM = 3
MATCH_COLOR = 30.0
JUMP_SIZES = 1.0
JUMP_RATIO = 5.0
RESIZE_RATIO = 1.35
RESIZE_CORR = 0.95
RESIZE_MIN_RAMP = 12
BORDER_STEP = 1.0  # flow px per frame toward the border: moving across it, not jittering beside it
BORDER_STEPS = 3  # steps at a track's start (end) whose median motion says whether it crosses the border


@dataclass
class RawEvent:
    type: str
    pos: int  # analysed frame position of the event
    box: tuple[float, float, float, float]  # at flow resolution
    magnitude: float
    evidence: str
    track: int | None = None
    origin: tuple[float, float, float, float] | None = None  # teleport: where the object vanished
    # what was measured, as quoted in ``evidence`` (written to TrackEvent's typed fields):
    objectness: tuple[float, float] | None = None  # the changed region's objectness before, after the pair
    objectness_change: float | None = None  # after - before, when only the change is recorded
    basis: str | None = None  # "lone_change": the last-resort rule (:func:`_strong_fallback`); "refound_pattern":
    # _jumped_pattern; "track_and_objectness": a track's start (end) and _pop_direction agree;
    # "paired_pops": a jump whose vanish and appear halves each showed by objectness (_paired_pops);
    # "flow_jump": an object there on both sides where the flow made a one-off long jump (events_from_blobs)


def _box_mask(box, h: int, w: int) -> np.ndarray:
    """A ``h`` x ``w`` mask of ``box`` (x0, y0, x1, y1; rounded to whole pixels, clipped at the top-left)."""
    x0, y0, x1, y1 = (int(np.rint(v)) for v in box)
    mask = np.zeros((h, w), bool)
    mask[max(0, y0):y1, max(0, x0):x1] = True
    return mask


def _dilated(mask: np.ndarray, k: int = 5) -> np.ndarray:
    """``mask`` grown by a ``k`` x ``k`` square (bool)."""
    return cv2.dilate(mask.astype(np.uint8), np.ones((k, k), np.uint8)).astype(bool)


def _objectness(lab: np.ndarray, mask: np.ndarray) -> tuple[float, np.ndarray]:
    """Percentage of pixels under ``mask`` whose colour is found nowhere in the ring around it.

    The ring (pixels 2-6 px outside the mask) shows what surrounds the region: floor, wall,
    sky, with their texture. An inside pixel is *novel* when its Lab distance to the nearest ring
    colour exceeds ``NOVEL_LAB``. Floor continuing under the region is not novel; an object
    standing on it is. Returns (percentage, mean colour of the novel pixels)."""
    inner = _dilated(mask, 3)
    ring = _dilated(mask, 13) & ~_dilated(mask, 5)
    if not inner.any() or ring.sum() < 8:
        return 0.0, np.zeros(3)
    inside = lab[inner].astype(np.float32)
    around = lab[ring].astype(np.float32)
    if len(inside) > 300:
        inside = inside[np.linspace(0, len(inside) - 1, 300).astype(int)]
    if len(around) > 200:
        around = around[np.linspace(0, len(around) - 1, 200).astype(int)]
    d = np.sqrt(((inside[:, None, :] - around[None, :, :]) ** 2).sum(axis=2)).min(axis=1)
    novel = d > NOVEL_LAB
    colour = inside[novel].mean(axis=0) if novel.any() else around.mean(axis=0)
    return 100.0 * float(novel.mean()), colour


def _overlap(track_box: np.ndarray, blob_box: tuple[int, int, int, int]) -> float:
    """Fraction of the track box covered by the blob box (the blob is where pixels changed)."""
    b = np.array(blob_box, float)
    x0, y0 = max(track_box[0], b[0]), max(track_box[1], b[1])
    x1, y1 = min(track_box[2], b[2]), min(track_box[3], b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    area = max(1.0, (track_box[2] - track_box[0]) * (track_box[3] - track_box[1]))
    return inter / area


def _track_candidates(b: Blob, tracks: list[RawTrack]) -> tuple[list, list]:
    """Tracks that begin right after the pair under the blob (appear) / end right before it (vanish).

    A candidate must live ``CONFIRM`` frames on its side of the change, so a segmentation flicker
    is not an object."""
    p = b.pair
    bb = np.array(b.box, float)
    starts, ends = [], []
    for t in tracks:
        first, last = t.dets[0], t.dets[-1]
        if np.mean([x.moving for x in t.dets]) > 0.5:
            continue  # motion-segmented regions change shape with every overlap: not evidence
        if (
            p + 1 <= first.pos <= p + 3
            and len(t.dets) > CONFIRM
            and (_overlap(first.box, b.box) > 0.3 or _iou(first.box, bb) > 0.1)
        ):
            starts.append((_iou(first.box, np.array(b.box, float)), t))
        if (
            p - 2 <= last.pos <= p
            and len(t.dets) > CONFIRM
            and (_overlap(last.box, b.box) > 0.3 or _iou(last.box, bb) > 0.1)
        ):
            ends.append((_iou(last.box, np.array(b.box, float)), t))
    return sorted(starts, key=lambda x: -x[0]), sorted(ends, key=lambda x: -x[0])


def _through_border(box: np.ndarray, step: np.ndarray, h: int, w: int) -> bool:
    """The box, moved on by ``step`` (px per frame, at least ``BORDER_STEP`` toward a border),
    reaches that border: an object leaving (or, with the step reversed, entering) the view."""
    x0, y0, x1, y1 = box
    dx, dy = step
    return (
        (dx >= BORDER_STEP and x1 + dx >= w - 1)
        or (dx <= -BORDER_STEP and x0 + dx <= 1)
        or (dy >= BORDER_STEP and y1 + dy >= h - 1)
        or (dy <= -BORDER_STEP and y0 + dy <= 1)
    )


def _best_candidate(starts: list, ends: list) -> tuple[str, RawTrack] | None:
    """The track that explains a blob, from its :func:`_track_candidates`: the best-overlapping one
    that begins there (``"appear"``) or ends there (``"vanish"``); a tie goes to the beginning one.
    None without candidates."""
    if not (starts or ends):
        return None
    if (starts[0][0] if starts else -1.0) >= (ends[0][0] if ends else -1.0):
        return "appear", starts[0][1]
    return "vanish", ends[0][1]


def _box_change(kind: str, box, lab_small: np.ndarray, p: int) -> float:
    """Objectness change across pair ``p`` on ``box`` (flow res) toward ``kind`` (:func:`_toward`)."""
    mask = _box_mask(box, *lab_small.shape[1:3])
    if not mask.any() or p + 1 >= len(lab_small):
        return 0.0
    return _toward(kind, _objectness(lab_small[p], mask)[0], _objectness(lab_small[p + 1], mask)[0])


def _handover(starts: list, ends: list, lab_small: np.ndarray, p: int) -> tuple[str, RawTrack] | None:
    """The track that explains a blob where one track ends and another begins (:func:`_track_candidates`
    has both): the one whose own box (the beginning track's first, the ending track's last) shows
    its change, objectness rising (falling) by ``OBJECTNESS_JUMP`` across the pair, while the other's
    does not; otherwise :func:`_best_candidate`. The blob's box often spans both and a neighbour, so
    its overlap does not say which one changed (session 18, set Y clip 25: a floor patch tracked
    until a crate popped in over it, its track ending as the crate's began in the same place: 5 ->
    4 on the ending track's box, 4 -> 43 on the new one's; the larger overlap had made it a vanish)."""
    if starts and ends:
        a, v = starts[0][1], ends[0][1]
        rise = _box_change("appear", a.dets[0].box, lab_small, p)
        fall = _box_change("vanish", v.last.box, lab_small, p)
        if rise >= OBJECTNESS_JUMP > fall:
            return "appear", a
        if fall >= OBJECTNESS_JUMP > rise:
            return "vanish", v
    return _best_candidate(starts, ends)


def _crosses_border(kind: str, t: RawTrack, h: int, w: int) -> bool:
    """The track ``t`` that explains a blob (:func:`_best_candidate`) ends moving across the
    picture's border (or, for an appear, begins so): the object left (entered) the view, though
    its last (first) box stops short of the border; the change is explained. Session 13, dev seed
    581: a passing car's wheel, tracked up to 5 px (flow res) from the right border and moving
    6.5 px a frame, 'vanished' in every clip of the seed."""
    if kind == "vanish":
        return _through_border(t.last.box, _end_motion(t.dets[-1 - BORDER_STEPS:]), h, w)
    return _through_border(t.dets[0].box, -_end_motion(t.dets[:BORDER_STEPS + 1]), h, w)


def _end_motion(dets: list) -> np.ndarray:
    """Box-centre motion per frame over a track's first (last) ``BORDER_STEPS`` steps, the median of
    each step's: one step is box jitter as often as motion (session 16, set R clip 09: a crate that
    popped in at the bottom edge of a dolly shot was tracked from a box whose bottom rose 5 px in its
    first step, which read as entering from below)."""
    if len(dets) < 2:
        return np.zeros(2)
    steps = [(_centre(b.box) - _centre(a.box)) / max(1, b.pos - a.pos) for a, b in pairwise(dets)]
    return np.median(np.array(steps), axis=0)


BOTH_MIN = 12.0  # % novel pixels that still mark an object (the mask also covers where it is not)
BOTH_RATIO = 0.3  # pops measured 0.0-0.23 (object absent on one side); an in-place jump 0.33
STRONG_AREA = 0.008  # twice the smallest object the generator pops (0.4 % of the image)
QUIET_PAIRS = 0.03
BUSY_PAIRS = 0.15
BUSY_FACTOR = 3.0


def _occlusion(b: Blob, tracks: list[RawTrack]) -> bool:
    """Two tracked objects overlapping each other where the picture changed: one passing in
    front of the other explains the change (not a pop or a jump)."""
    boxes = []
    for t in tracks:
        for d in t.dets:
            if b.pair - 2 <= d.pos <= b.pair + 3 and _overlap(d.box, b.box) > 0.1:
                boxes.append((t.id, d.box))
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            if boxes[i][0] != boxes[j][0] and _iou(boxes[i][1], boxes[j][1]) > 0.0:
                return True
    return False


def _continuing_track(b: Blob, tracks: list[RawTrack]) -> bool:
    """A track (living ``CONFIRM`` frames) with a detection two frames before the pair and two
    after it, whose box at the pair holds at least half of the blob's box: the change is on an
    object that is there before and after."""
    bb = np.array(b.box, float)
    for t in tracks:
        pos = [d.pos for d in t.dets]
        if len(pos) <= CONFIRM or min(pos) > b.pair - 2 or max(pos) < b.pair + 3:
            continue
        for d in t.dets:
            if abs(d.pos - b.pair) <= 1 and _overlap(bb, tuple(d.box)) >= 0.5:
                return True
    return False


def _isolated_pairs(by_pair: dict, frame_px: int, n: int) -> dict[int, bool]:
    """Pairs whose unexplained change is big (>= STRONG_AREA of the frame) in a clip where such
    changes are rare (blobs at <= QUIET_PAIRS of the pairs): a lone, large, unexplained change."""
    if not by_pair or len(by_pair) > QUIET_PAIRS * max(1, n - 1):
        return {}
    return {p: sum(b.area for b in bs) >= STRONG_AREA * frame_px for p, bs in by_pair.items()}


def _edge_energy(lab: np.ndarray, mask: np.ndarray) -> float:
    L = lab[..., 0].astype(np.float32)
    g = np.hypot(cv2.Sobel(L, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(L, cv2.CV_32F, 0, 1, ksize=3))
    return float(g[mask].mean()) if mask.any() else 0.0


JUMP_FLOW_PX = 3.0  # px at flow res (~2 % of the width): beyond any walker's per-frame step
JUMP_FLOW_RATIO = 3.0  # and 3x the residual the same pixels have in the pairs around
JUMP_FLOW_MIN_PX = 10  # source pixels of the object's colour (at 160x90)
JUMP_FLOW_LAB = 20.0  # Lab distance to the appearing object's colour
CARRY_MIN_REL = 0.15  # x sqrt(blob area): a carry shorter than this is not a jump (session 6)


def _flow_jump_at(b: Blob, motion, p: int) -> bool:
    """At least ``JUMP_FLOW_MIN_PX`` pixels in or next to the blob whose flow makes a one-off long
    jump at pair ``p`` (residual > ``JUMP_FLOW_PX`` and ``JUMP_FLOW_RATIO`` x the pairs around)."""
    near_blob = _dilated(b.mask)
    jumped = one_off_flow_jump(motion, p, JUMP_FLOW_PX, JUMP_FLOW_RATIO)
    return int((jumped & near_blob).sum()) >= JUMP_FLOW_MIN_PX


def _flow_carried(b: Blob, colour, motion, lab_small: np.ndarray, p: int) -> float | None:
    """For an appear at pair ``p``: pixels OUTSIDE the blob, of the appearing object's colour in
    frame ``p``, whose flow makes a one-off long jump (residual > ``JUMP_FLOW_PX`` and
    ``JUMP_FLOW_RATIO`` x the surrounding pairs') landing in or next to the blob. Returns the
    jump length (px at flow res) or None."""
    m = len(motion.flow)
    if colour is None or not np.any(colour) or p < 1 or p >= m - 1:
        return None
    near_blob = _dilated(b.mask)
    col = np.linalg.norm(lab_small[p].astype(np.float32) - np.asarray(colour, np.float32), axis=2)
    src = one_off_flow_jump(motion, p, JUMP_FLOW_PX, JUMP_FLOW_RATIO) & ~near_blob & (col < JUMP_FLOW_LAB)
    if src.sum() < JUMP_FLOW_MIN_PX:
        return None
    ys, xs = np.nonzero(src)
    f = motion.flow[p][ys, xs]
    h, w = near_blob.shape
    tx = np.clip(np.round(xs + f[:, 0]).astype(int), 0, w - 1)
    ty = np.clip(np.round(ys + f[:, 1]).astype(int), 0, h - 1)
    landed = near_blob[ty, tx]
    if landed.sum() < JUMP_FLOW_MIN_PX:
        return None
    return float(np.median(np.linalg.norm(f[landed], axis=1)))


FALLBACK_DIR = 8.0  # % novel-pixel change that gives a region a direction (clean noise: 0-5)
FALLBACK_MIN_OBJ = 3.0  # % novel pixels on at least one side: below it no object is there to pop


def _lone(evidence: str, **measured) -> dict:
    """The RawEvent fields of a last-resort judgement: its evidence, what it measured, its basis."""
    return {"evidence": evidence, "basis": "lone_change", **measured}


def _strong_fallback(bs: list[Blob], lab_small: np.ndarray, p: int) -> list:
    """Last resort for a lone, large unexplained change with neither track nor colour evidence:
    several separate regions changing at once is one object jumping (teleport); a single region is
    an appear when it gains edges (an object's outline and texture) and a vanish when it loses them.
    The direction is the weakest part of this rule; the moment is what it is sure of. Returns
    (blob, kind, None, colour, magnitude, RawEvent fields) as :func:`events_from_blobs` judges."""
    big = [b for b in bs if b.area >= 0.25 * max(x.area for x in bs)]
    if len(big) >= 2:
        # each region's own direction (objectness before -> after); only a region that loses an
        # object together with one that gains one is a jump. A pop's shadow, contact patch or the
        # thing it covers is a second region that does not change direction that way.
        dirs = []
        for b in big:
            o0, _ = _objectness(lab_small[p], b.mask)
            o1, _ = _objectness(lab_small[p + 1], b.mask)
            dirs.append(o1 - o0)
        pos = [i for i, d in enumerate(dirs) if d >= FALLBACK_DIR]
        neg = [i for i, d in enumerate(dirs) if d <= -FALLBACK_DIR]
        if pos and neg:
            a = big[max(pos, key=lambda i: big[i].area)]
            b = big[max(neg, key=lambda i: big[i].area)]
            return [
                (b, "vanish", None, np.zeros(3), float(b.mean_error),
                 _lone("lone unexplained change (region 1 of 2)")),
                (a, "appear", None, np.zeros(3), float(a.mean_error),
                 _lone("lone unexplained change (region 2 of 2)")),
            ]
        if pos or neg:
            i = max(pos + neg, key=lambda i: abs(dirs[i]) * big[i].area)
            kind = "appear" if dirs[i] > 0 else "vanish"
            return [(big[i], kind, None, np.zeros(3), abs(dirs[i]),
                     _lone(f"lone unexplained change; objectness {dirs[i]:+.0f}", objectness_change=dirs[i]))]
    b = max(bs, key=lambda x: x.area)
    o0, _ = _objectness(lab_small[p], b.mask)
    o1, _ = _objectness(lab_small[p + 1], b.mask)
    e0, e1 = _edge_energy(lab_small[p], b.mask), _edge_energy(lab_small[p + 1], b.mask)
    lo, hi = min(o0, o1), max(o0, o1)
    if lo >= BOTH_MIN and lo >= BOTH_RATIO * hi:
        # an object stands out there before AND after the change: the same thing, moved (a jump
        # in place, boxes overlapping), not a pop
        return [(b, "jump", None, np.zeros(3), abs(e1 - e0),
                 _lone(f"lone unexplained change; objectness {o0:.0f} -> {o1:.0f}", objectness=(o0, o1)))]
    if abs(o1 - o0) >= FALLBACK_DIR:
        kind = "appear" if o1 > o0 else "vanish"
    elif hi < FALLBACK_MIN_OBJ:
        # nothing under the change stands out from its surroundings in either frame: no object to
        # call popped; kept as an unclassified "change" (not an event; path_realism counts it)
        return [(b, "change", None, np.zeros(3), abs(e1 - e0),
                 _lone(f"lone unexplained change; objectness {o0:.0f} -> {o1:.0f}", objectness=(o0, o1)))]
    else:  # weak colour evidence either way: an object's outline and texture add edges
        kind = "appear" if e1 > e0 else "vanish"
    return [
        (
            b,
            kind,
            None,
            np.zeros(3),
            abs(o1 - o0),
            _lone(f"lone unexplained change; objectness {o0:.0f} -> {o1:.0f}, edge energy {e0:.0f} -> {e1:.0f}",
                  objectness=(o0, o1)),
        )
    ]


def _in_place_jump(b: Blob, p: int, evidence: str, objectness: tuple[float, float] | None = None,
                   basis: str | None = None) -> RawEvent:
    """A teleport at the blob itself (the object is there before and after the pair ``p``)."""
    return RawEvent("teleport", p + 1, tuple(map(float, b.box)),
                    float(np.hypot(b.box[2] - b.box[0], b.box[3] - b.box[1])) / 2, evidence, objectness=objectness,
                    basis=basis)


VIEW_JUMP_PX = 1.0  # residual flow (px at flow res) of a one-off jump with no transient blob
VIEW_JUMP_AREA = 0.007  # of the frame (100 px at 160x90); clean clips' one-off flow noise: < 40 px


def _there_both(o0: float, c0: np.ndarray, o1: float, c1: np.ndarray) -> bool:
    """An object stands out at the region in both frames, about as clearly, in the same colour."""
    lo, hi = min(o0, o1), max(o0, o1)
    return lo >= BOTH_MIN and lo >= BOTH_RATIO * hi and float(np.linalg.norm(c0 - c1)) < MATCH_COLOR


def view_jumps(motion, lab_small: np.ndarray, blobs: list[Blob], skip_pairs: set[int]) -> list[RawEvent]:
    """Teleports the transient blobs miss: an object that jumps along the view direction mostly
    covers its old place, so the flow explains the pair by a local stretch and no warp error is
    left. The flow itself still makes a one-off jump there (:func:`one_off_flow_jump` with
    ``VIEW_JUMP_PX``): a connected region of at least ``VIEW_JUMP_AREA`` of the frame, away from
    every transient blob of the pairs around (those are judged by :func:`events_from_blobs`), where
    an object stands out before and after in the same colour (the objectness test of in-place
    jumps). (A track box inside the region on both sides as an alternative test found nothing more
    on dev seeds and made false teleports on held-out and fresh seeds: a tree at the edge of a
    forest-wide flow failure.) A pop is on one side only; DIS noise on untextured grass has no
    object in it."""
    n_pairs, h, w = motion.residual.shape
    min_area = VIEW_JUMP_AREA * h * w
    near_blob: dict[int, np.ndarray] = {}
    for b in blobs:
        if b.side:
            continue
        for q in (b.pair - 1, b.pair, b.pair + 1):
            near_blob[q] = near_blob.get(q, np.zeros((h, w), bool)) | b.mask
    out = []
    for p in range(n_pairs):
        if any(abs(p - s) <= 2 for s in skip_pairs):
            continue
        mask = one_off_flow_jump(motion, p, VIEW_JUMP_PX, JUMP_FLOW_RATIO)
        if mask.sum() < min_area:
            continue
        k, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8))
        for c in range(1, k):
            if stats[c, 4] < min_area:
                continue
            region = labels == c
            if p in near_blob and (near_blob[p] & region).any():
                continue
            o0, c0 = _objectness(lab_small[p], region)
            o1, c1 = _objectness(lab_small[p + 1], region)
            if _there_both(o0, c0, o1, c1):
                x, y, bw, bh = (int(v) for v in stats[c, :4])
                out.append(RawEvent("teleport", p + 1, (x, y, x + bw, y + bh), float(np.hypot(bw, bh)) / 2,
                                    f"one-off flow jump with no unexplained change, object before and after "
                                    f"(objectness {o0:.0f} -> {o1:.0f}): jumped along the view", objectness=(o0, o1)))
    return out


STILL_THERE = 10.0  # % novel pixels on the side without the object: pops measured 0-4, a few 12-20


def _jumped_along_view(b: Blob, kind: str, lab_small: np.ndarray, motion, p: int) -> str | None:
    """For a blob judged ``appear``/``vanish`` at pair ``p``: is the object in fact still there on
    the side that should be empty (objectness of the blob's box one frame beyond the pair at least
    ``STILL_THERE``, in the colour of the object, within ``JUMP_FLOW_LAB``), and does the flow make a
    one-off jump (:func:`one_off_flow_jump`, ``VIEW_JUMP_PX``) over at least ``VIEW_JUMP_AREA`` of
    the frame at the blob? Then the object moved along the view, its new view overlapping the old
    (a walker skipping 2 m away shrinks into its old place): a teleport, not a pop. Returns the
    evidence, or None."""
    n = len(lab_small)
    with_obj, without = (p - 1, p + 2) if kind == "vanish" else (p + 2, p - 1)
    if not (0 <= with_obj < n and 0 <= without < n):
        return None
    x0, y0, x1, y1 = b.box
    h, w = lab_small.shape[1:3]
    if x0 <= 1 or y0 <= 1 or x1 >= w - 1 or y1 >= h - 1:
        return None  # cut by the border: a teleport there would be dropped (drop_unverifiable)
    box = _box_mask(b.box, h, w)
    o_with, c_with = _objectness(lab_small[with_obj], box)
    o_without, c_without = _objectness(lab_small[without], box)
    if o_without < STILL_THERE or float(np.linalg.norm(c_with - c_without)) >= JUMP_FLOW_LAB:
        return None
    near = _dilated(box)
    jumped = int((one_off_flow_jump(motion, p, VIEW_JUMP_PX, JUMP_FLOW_RATIO) & near).sum())
    if jumped < VIEW_JUMP_AREA * box.size:
        return None
    return (f"judged {kind}, but the object is still there on the other side (objectness {o_with:.0f} / "
            f"{o_without:.0f}, same colour) and the flow jumps once over {jumped} px: jumped along the view")


@dataclass
class _AroundPair:
    """A blob's objectness (and colour) in the frames around pair ``p``: ``o0``/``o1`` at ``p`` and
    ``p + 1``; for persistence ``prev``/``early`` one and ``CONFIRM`` frames before ``p``,
    ``next``/``late`` one and ``CONFIRM`` frames after ``p + 1``."""

    o0: float
    c0: np.ndarray
    o1: float
    c1: np.ndarray
    prev: float
    early: float
    next: float
    late: float


def _around_pair(b: Blob, lab_small: np.ndarray, p: int) -> _AroundPair:
    n = len(lab_small)
    o0, c0 = _objectness(lab_small[p], b.mask)
    o1, c1 = _objectness(lab_small[p + 1], b.mask)
    return _AroundPair(
        o0, c0, o1, c1,
        prev=_objectness(lab_small[max(0, p - 1)], b.mask)[0],
        early=_objectness(lab_small[max(0, p - CONFIRM)], b.mask)[0],
        next=_objectness(lab_small[min(n - 1, p + 2)], b.mask)[0],
        late=_objectness(lab_small[min(n - 1, p + 1 + CONFIRM)], b.mask)[0],
    )


def _old_place_emptied(box, lab_small: np.ndarray, p: int) -> bool:
    """Did the object leave ``box`` (a track's last box) across pair ``p``: its objectness there fell
    by the objectness test's jump (``OBJECTNESS_JUMP``)? A track that ended because something new
    covered its place (a background patch tracked where a crate pops in: 4 -> 11), or because a new
    object appeared beside it (its own object still there: 49 -> 36), did not jump away (session 17:
    sets W and X clips 01 and 09, pop-ins written as jumps; the one true jump of the rule on 137
    clips: 69 -> 2)."""
    return _box_change("vanish", box, lab_small, p) >= OBJECTNESS_JUMP


def _toward(kind: str, o0: float, o1: float) -> float:
    """The objectness change from ``o0`` to ``o1`` in the direction of ``kind``: a rise for an
    appear, a fall for a vanish (negative: against it)."""
    return o1 - o0 if kind == "appear" else o0 - o1


def _paired_pops(vanish: dict, appear: dict) -> dict:
    """The RawEvent fields of a jump made of a vanish and an appear of one moment (each half's fields:
    ``objectness`` before/after, ``basis``): when each half's own objectness moved its way by
    ``OBJECTNESS_JUMP`` (not the last-resort rule's), the object was seen leaving one place and
    arriving at the other: ``basis`` ``paired_pops``, objectness = (at the old place before, at the new
    place after). Otherwise none (a colour match of two changes)."""
    halves = []
    for kind, half in (("vanish", vanish), ("appear", appear)):
        ob = half.get("objectness")
        if ob is None or half.get("basis") == "lone_change":
            return {}
        if _toward(kind, *ob) < OBJECTNESS_JUMP:
            return {}
        halves.append(ob)
    (o0, _), (_, o1) = halves
    return {"objectness": (o0, o1), "basis": "paired_pops"}


def _pop_direction(b: Blob, lab_small: np.ndarray, p: int):
    """(kind or None, o0, c0, o1, c1): objectness of the blob in the frames before/after pair
    ``p``, and "appear" / "vanish" when it rises / falls by ``OBJECTNESS_JUMP`` and stays so.
    Persistence: the side WITHOUT the object is checked ``CONFIRM`` frames away (still empty); the
    side WITH it one frame away (a moving object leaves a fixed mask within a few frames)."""
    a = _around_pair(b, lab_small, p)
    jump = a.o1 - a.o0
    kind = None
    # the side WITH the object one frame away only: a moving object that pops (a bouncing ball, a
    # walker) has left the blob's fixed mask CONFIRM frames later (session 12: requiring it there
    # too lost pops of movers)
    if jump > OBJECTNESS_JUMP and a.next - a.o0 > 0.6 * jump and a.o1 - a.early > 0.6 * jump:
        kind = "appear"
    elif -jump > OBJECTNESS_JUMP and a.o0 - a.late > 0.6 * -jump and a.prev - a.o1 > 0.6 * -jump:
        kind = "vanish"
    return kind, a.o0, a.c0, a.o1, a.c1


CONTRADICTED = 10.0
"""Objectness change against a track's start (end) that contradicts it: a track ending where the
region's objectness rises by this much, or beginning where it falls (session 15, simulation sets
K-N: 7 such track pops, none right: two pop-ins judged vanishes, five car parts)."""


def _contradicted(kind: str, o0: float, o1: float) -> bool:
    """The region's objectness before / after the pair (:func:`_pop_direction`) moved against the
    track's ``kind`` by at least ``CONTRADICTED``."""
    return -_toward(kind, o0, o1) >= CONTRADICTED


SIDE_OBJECTNESS_JUMP = 40.0  # one-sided evidence is weaker: the object must stand out clearly


def events_from_one_sided(
    blobs: list[Blob], lab_small: np.ndarray, tracks: list[RawTrack], near: list[RawEvent]
) -> list[RawEvent]:
    """Appear / vanish from one-sided transient blobs (:func:`..transients.one_sided_transients`):
    the quiet side says which way it can go (quiet before: only an appear; quiet after: only a
    vanish), and objectness must rise (fall) and stay so, as for a two-sided blob, by at least
    ``SIDE_OBJECTNESS_JUMP`` = 40 points (not 20: true one-sided pops on dev and held-out seeds
    jumped 44-69 points, false ones 25-35; decided after the first fresh run, where the false ones
    were 27-36; dev alone: 3 false events fewer, no true one lost). A track that
    begins (ends) at a one-sided change is NOT evidence on its own (it was on held-out seeds 0-19:
    9 of 12 new false vanishes were tracks ending where something moved behind an occluder, the
    occluder being the quiet side). An object there on both
    sides is not judged (an object that starts or stops moving); neither is a change where two
    tracked objects overlap, or one where an event (``near``, from the two-sided blobs) was found
    within a pair."""
    out = []
    for b in blobs:
        p = b.pair
        bb = np.array(b.box, float)
        if any(abs(x.pos - 1 - p) <= 1 and (_iou(bb, np.array(x.box, float)) > 0 or _overlap(bb, x.box) > 0)
               for x in near):
            continue
        if _occlusion(b, tracks):
            continue
        want = "appear" if b.side == "before" else "vanish"
        kind, o0, c0, o1, c1 = _pop_direction(b, lab_small, p)
        if kind != want or _there_both(o0, c0, o1, c1) or abs(o1 - o0) < SIDE_OBJECTNESS_JUMP:
            continue
        out.append(RawEvent(kind, p + 1, tuple(map(float, b.box)), abs(o1 - o0),
                            f"one-sided unexplained change (quiet {b.side}), objectness {o0:.0f} -> {o1:.0f}",
                            objectness=(o0, o1)))
    return out


def events_from_blobs(
    blobs: list[Blob], lab_small: np.ndarray, tracks: list[RawTrack] | None = None, motion=None
) -> list[RawEvent]:
    """Classify each transient blob as appear / vanish / teleport (or nothing).

    First choice: tracks. A track that starts just after the pair under the blob is an object
    that appeared; one that ends just before it vanished; the candidate whose box best matches
    the blob wins. Without track evidence, the objectness test decides (see module docstring).
    One-sided blobs (``Blob.side``) are judged by :func:`events_from_one_sided`."""
    tracks = tracks or []
    sided = [b for b in blobs if b.side]
    blobs = [b for b in blobs if not b.side]
    n = len(lab_small)
    by_pair: dict[int, list[Blob]] = {}
    for b in blobs:
        by_pair.setdefault(b.pair, []).append(b)
    if len(by_pair) > BUSY_PAIRS * max(1, n - 1):
        # a busy clip (flow failing all over: fast motion, heavy parallax): chance coincidences
        # between blobs and track ends are common, so only outstanding blobs count
        med = float(np.median([b.area for b in blobs]))
        by_pair = {p: [b for b in bs if b.area >= BUSY_FACTOR * med] for p, bs in by_pair.items()}
        by_pair = {p: bs for p, bs in by_pair.items() if bs}
    isolated = _isolated_pairs(by_pair, lab_small.shape[1] * lab_small.shape[2], n)
    out: list[RawEvent] = []
    fh, fw = lab_small.shape[1:3]
    for p, bs in sorted(by_pair.items()):
        judged = []  # (blob, kind, track, colour, magnitude, RawEvent fields: evidence and what was measured)
        best = {id(b): _handover(*_track_candidates(b, tracks), lab_small, p) for b in bs}
        # a track crossing the border explains its blob: no event, no fallback, no jump partner
        bs = [b for b in bs if best[id(b)] is None or not _crosses_border(*best[id(b)], fh, fw)]
        direction = {id(b): _pop_direction(b, lab_small, p) for b in bs if best[id(b)] is not None}
        # a track whose start (end) the region's objectness contradicts does not explain its blob (a
        # background region the tracker followed ends where a new object covers it): judged untracked
        best.update({i: None for i, d in direction.items() if _contradicted(best[i][0], d[1], d[3])})
        for b in bs:
            if best[id(b)] is not None:
                kind, t = best[id(b)]
                verb, lab = ("begins", t.dets[0].lab) if kind == "appear" else ("ends", t.last.lab)
                fields = {"evidence": f"track t{t.id} {verb} where the picture changed unexplained"}
                seen, o0, _, o1, _ = direction[id(b)]
                if seen == kind:
                    # the region's objectness says the same, on its own: two measurements agree
                    fields = {"evidence": f"{fields['evidence']}, and its objectness {o0:.0f} -> {o1:.0f} says so too",
                              "objectness": (o0, o1), "basis": "track_and_objectness"}
                judged.append((b, kind, t, lab, b.mean_error, fields))
                continue
            kind, o0, c0, o1, c1 = direction.get(id(b)) or _pop_direction(b, lab_small, p)
            jump = o1 - o0
            there_both = _there_both(o0, c0, o1, c1)
            if kind is None:
                if (
                    there_both
                    and motion is not None
                    and b.area >= STRONG_AREA * b.mask.size
                    and _flow_jump_at(b, motion, p)
                ):
                    # an object there before and after, the picture changed unexplained AND the
                    # flow made a one-off long jump there: the object jumped (a walker's own
                    # motion changes neither objectness nor the flow this abruptly)
                    out.append(_in_place_jump(
                        b, p, f"object present before and after an unexplained change with a one-off flow "
                              f"jump (objectness {o0:.0f} -> {o1:.0f})", (o0, o1), basis="flow_jump"))
                continue
            if there_both:
                # the object is there before AND after, same colour, but the picture changed where
                # flow cannot explain it: it jumped (typically along the view, boxes overlapping)
                out.append(_in_place_jump(
                    b, p, f"object present before and after an unexplained change (objectness {o0:.0f} -> "
                          f"{o1:.0f}, same colour): jumped in place", (o0, o1)))
                continue
            col = c1 if kind == "appear" else c0
            judged.append((b, kind, None, col, abs(jump),
                           {"evidence": f"unexplained change, objectness {o0:.0f} -> {o1:.0f}", "objectness": (o0, o1)}))
        if not judged and isolated.get(p):
            # the fallback has no object evidence of its own: where two tracked objects overlap,
            # one passing in front of the other explains the change
            free = [b for b in bs if not _occlusion(b, tracks)]
            for x in _strong_fallback(free, lab_small, p) if free else []:
                if x[1] in ("appear", "vanish") and _continuing_track(x[0], tracks):
                    # a tracked object at the change that is there before AND after it did not
                    # pop: the flow failed at its edge
                    x = (x[0], "change", *x[2:])
                judged.append(x)
        used = set()
        for i, (bv, kv, tv, cv, _, _) in enumerate(judged):
            if kv != "vanish":
                continue
            for j, (ba, ka, ta, ca, _, _) in enumerate(judged):
                if ka != "appear" or j in used or (ta is not None and ta is tv):
                    continue
                src = tv.last.box if tv is not None else np.array(bv.box, float)
                dst = ta.dets[0].box if ta is not None else np.array(ba.box, float)
                dist = float(np.linalg.norm(_centre(src) - _centre(dst)))
                relax = 1.5 if (tv is not None and ta is not None) else 1.0  # tracks are surer evidence
                if float(np.linalg.norm(cv - ca)) < relax * MATCH_COLOR and dist > 2.0:
                    used.update((i, j))
                    out.append(
                        RawEvent(
                            "teleport",
                            p + 1,
                            tuple(map(float, dst)),
                            dist,
                            f"object jumped {dist:.0f} px (flow-res) between frames; colour matches",
                            tv.id if tv is not None else None,
                            tuple(map(float, src)),
                            **_paired_pops(judged[i][5], judged[j][5]),
                        )
                    )
                    break
        # a vanish (appear) whose colour turns up (leaves) at another unexplained change of the
        # same moment: the other half of a jump, too weak to be judged on its own
        judged_blobs = {id(x[0]) for x in judged}
        for i, (bv, kv, tv, cv, _, _) in enumerate(judged):
            if i in used or kv not in ("vanish", "appear"):
                continue
            hit = _partner(bv, kv, cv, [x for x in bs if id(x) not in judged_blobs], lab_small, p)
            if hit is None:
                continue
            b2, dist = hit
            used.add(i)
            dst = b2.box if kv == "vanish" else bv.box
            out.append(
                RawEvent(
                    "teleport",
                    p + 1,
                    tuple(map(float, dst)),
                    dist,
                    f"an object {'vanished' if kv == 'vanish' else 'appeared'} and its colour "
                    f"{'appeared' if kv == 'vanish' else 'left'} {dist:.0f} px (flow-res) away in the same frame",
                    tv.id if tv is not None else None,
                )
            )
        # an appear fed by a one-off long flow displacement from a same-coloured place: the flow
        # followed the object's jump (so its old place left no blob), only its new, larger or
        # differently lit view is unexplained
        if motion is not None:
            for i, (b, kind, t, col, mag, ev) in enumerate(judged):
                if i in used or kind != "appear":
                    continue
                src = _flow_carried(b, col, motion, lab_small, p)
                if src is None or src < CARRY_MIN_REL * np.sqrt(b.area):
                    continue  # a jump much shorter than the object's size does not make it new there
                used.add(i)
                out.append(
                    RawEvent(
                        "teleport",
                        p + 1,
                        tuple(map(float, b.box)),
                        src,
                        f"object jumped {src:.0f} px (flow-res): a one-off flow displacement from a "
                        "same-coloured place into an unexplained change",
                        t.id if t is not None else None,
                    )
                )
        # an object that appears while a track of the same colour and size ends elsewhere in the
        # same moment, its old place emptied, is that object, jumped (its old place may show no
        # separate blob)
        for i, (b, kind, t, col, mag, ev) in enumerate(judged):
            if i in used or kind != "appear" or t is None:
                continue
            for a in tracks:
                if a is t or not (p - 1 <= a.last.pos <= p) or len(a.dets) <= CONFIRM:
                    continue
                if (
                    float(np.linalg.norm(a.last.lab - col)) < MATCH_COLOR
                    and 0.33 < t.dets[0].area / max(1.0, a.last.area) < 3.0
                ):
                    dist = float(np.linalg.norm(_centre(a.last.box) - _centre(t.dets[0].box)))
                    if dist > max(3.0, 0.5 * np.sqrt(a.last.area)) and _old_place_emptied(a.last.box, lab_small, p):
                        used.add(i)
                        out.append(
                            RawEvent(
                                "teleport",
                                p + 1,
                                tuple(map(float, t.dets[0].box)),
                                dist,
                                f"track t{a.id} ended and t{t.id} (same colour) began {dist:.0f} px "
                                "(flow-res) away at an unexplained change",
                                a.id,
                            )
                        )
                        break
        # a pop whose object is still there on the other side, smaller or shifted, with the flow
        # jumping once at it: the object jumped along the view direction (old and new views overlap)
        if motion is not None:
            for i, (b, kind, t, col, mag, ev) in enumerate(judged):
                if i in used or kind not in ("appear", "vanish"):
                    continue
                why = _jumped_along_view(b, kind, lab_small, motion, p)
                if why:
                    used.add(i)
                    out.append(_in_place_jump(b, p, why))
        for i, (b, kind, t, _, mag, ev) in enumerate(judged):
            if i in used:
                continue
            out.append(
                RawEvent(
                    "teleport" if kind == "jump" else kind,
                    p + 1,
                    tuple(map(float, b.box)),
                    float(mag),
                    track=t.id if t is not None else None,
                    **ev,
                )
            )
    out += events_from_one_sided(sided, lab_small, tracks, out)
    return out + rise_fall_jumps(blobs + sided, lab_small, tracks, out)


RISE_FALL = 20.0  # objectness change of each half of a rise/fall jump
RISE_FALL_AREA = 3.0  # the two halves' areas within this ratio
RISE_HOLD = 0.4  # each half still holds this share of its change one and CONFIRM frames away


def rise_fall_jumps(
    blobs: list[Blob], lab_small: np.ndarray, tracks: list[RawTrack], found: list[RawEvent]
) -> list[RawEvent]:
    """A teleport from two unexplained changes of the same pair that were each too weak (or too
    one-sided) to be judged a pop: at one place objectness falls by ``RISE_FALL`` (something left),
    at another, apart from it, it rises as much (something arrived), the colour that left matches
    the colour that arrived and the two are of similar size. Pairs where an event was already
    found (``found``) and changes where tracked objects overlap are not judged."""
    by_pair: dict[int, list[Blob]] = {}
    for b in blobs:
        by_pair.setdefault(b.pair, []).append(b)
    out = []
    for p, bs in sorted(by_pair.items()):
        if any(abs(x.pos - 1 - p) <= 1 for x in found):
            continue
        falls, rises = [], []
        for b in bs:
            if _occlusion(b, tracks):
                continue
            a = _around_pair(b, lab_small, p)
            d = abs(a.o1 - a.o0)
            if d < RISE_FALL:
                continue
            # both sides must hold (a flash in one frame is not an object leaving or arriving): the
            # weaker of the two frames on each side still keeps RISE_HOLD of the change
            hold = RISE_HOLD * d
            if a.o1 < a.o0 and a.o0 - max(a.next, a.late) >= hold and min(a.prev, a.early) - a.o1 >= hold:
                falls.append((b, a.c0))
            elif a.o1 > a.o0 and min(a.next, a.late) - a.o0 >= hold and a.o1 - max(a.prev, a.early) >= hold:
                rises.append((b, a.c1))
        best = None
        for bf, cf in falls:
            for br, cr in rises:
                src, dst = np.array(bf.box, float), np.array(br.box, float)
                if _iou(src, dst) > 0 or not (1 / RISE_FALL_AREA < br.area / max(1, bf.area) < RISE_FALL_AREA):
                    continue
                col = float(np.linalg.norm(cf - cr))
                dist = float(np.linalg.norm(_centre(src) - _centre(dst)))
                if col < MATCH_COLOR and (best is None or col < best[0]):
                    best = (col, dist, src, dst)
        if best is not None:
            col, dist, src, dst = best
            out.append(RawEvent("teleport", p + 1, tuple(map(float, dst)), dist,
                                f"objectness fell at one place and rose {dist:.0f} px (flow-res) away in the "
                                f"same frame, colours {col:.0f} apart (Lab)", None, tuple(map(float, src))))
    return out


REFOUND_MIN_AREA = 0.007  # of the frame (100 px at 160x90), as VIEW_JUMP_AREA
REFOUND_OBJ = 12.0  # objectness (%) of the blob in the frame the pattern is taken from (BOTH_MIN)
REFOUND_BEST = 0.85  # correlation of the pattern found again in the other frame of the pair
REFOUND_SHIFT = (0.2, 2.0)  # its shift, patch sizes (+ |log scale|): moved, but nearby
REFOUND_GAIN = 0.08  # found better there than at its old place
REFOUND_NEW = 0.1  # and better than that place matched the pattern before (not repeated texture)
STILL_BEST = 0.95  # the pattern in the frame on its other side: where it was, unchanged
STILL_SHIFT = 0.05


def _pair_frames(p: int, leaving: bool) -> tuple[int, int, int]:
    """(source, questioned, reference) frames for a pattern at pair ``p``: what left (frame ``p``,
    searched in ``p + 1``, reference ``p - 1``) or what arrived (``p + 1``, searched in ``p``,
    reference ``p + 2``)."""
    return (p, p + 1, p - 1) if leaving else (p + 1, p, p + 2)


def _refind_pair(frames: LabFrames | np.ndarray, homographies: np.ndarray, k: float, p: int, box, leaving: bool
                 ) -> tuple[Refound | None, Refound | None]:
    """The pattern at ``box`` re-found across pair ``p`` (questioned) and across the neighbouring
    pair on the same side of it (reference), camera-predicted by the pair homographies."""
    src, dst, ref = _pair_frames(p, leaving)
    if min(src, dst, ref) < 0 or max(src, dst, ref) >= len(frames) or p >= len(homographies):
        return None, None

    def towards(a: int, b: int) -> np.ndarray:
        return homographies[a] if b == a + 1 else np.linalg.inv(homographies[b])

    return refind(frames, src, dst, box, towards(src, dst), k), refind(frames, src, ref, box, towards(src, ref), k)


def refound_jumps(blobs: list[Blob], lab_small: np.ndarray, frames: LabFrames | np.ndarray, homographies: np.ndarray,
                  k: float) -> list[RawEvent]:
    """Teleports found by the pattern itself (:mod:`.refind`): at a transient blob of at least
    ``REFOUND_MIN_AREA`` of the frame, where an object stands out (objectness >= ``REFOUND_OBJ``) in
    the frame before the pair (what left) or after it (what arrived), that frame's pattern is found
    again across the pair (correlation >= ``REFOUND_BEST``) shifted by ``REFOUND_SHIFT`` patch sizes,
    better than at its old place (by ``REFOUND_GAIN``) and better than the matched place looked
    like the pattern before (by ``REFOUND_NEW``: not a repeated texture), while across the
    neighbouring pair on the other side it stays put (correlation >= ``STILL_BEST``, shift <=
    ``STILL_SHIFT``). A walker that jumps 2 m along its path shrinks and shifts into its old place:
    the flow stretches over it, objectness sees an object before and after, but the pattern moved
    once, abruptly, after standing still or walking slowly."""
    n = len(lab_small)
    out = []
    min_px = REFOUND_MIN_AREA * lab_small.shape[1] * lab_small.shape[2]
    for b in blobs:
        p = b.pair
        if b.area < min_px or p < 1 or p + 2 >= n:
            continue
        for leaving in (True, False):
            src = p if leaving else p + 1
            if _objectness(lab_small[src], b.mask)[0] < REFOUND_OBJ:
                continue
            q, r = _refind_pair(frames, homographies, k, p, b.box, leaving)
            if q is None or r is None or not _jumped_pattern(q, r):
                continue
            out.append(RawEvent("teleport", p + 1, tuple(map(float, b.box)), q.offset / k,
                                f"the pattern {'that left' if leaving else 'that arrived'} is found again "
                                f"{q.shift:.2f} patch sizes away (correlation {q.best:.2f}, {q.same:.2f} at its "
                                f"old place) and stood still on the other side: jumped", basis="refound_pattern"))
            break
    return out


def _jumped_pattern(q: Refound, r: Refound) -> bool:
    """See :func:`refound_jumps`."""
    return (
        q.best >= REFOUND_BEST
        and REFOUND_SHIFT[0] <= q.shift <= REFOUND_SHIFT[1]
        and q.best - q.same >= REFOUND_GAIN
        and q.best - q.before >= REFOUND_NEW
        and r.best >= STILL_BEST
        and r.shift <= STILL_SHIFT
    )


LOST_BEST = 0.93  # the event's pattern found again across its pair
LOST_SHIFT = 0.2  # moved by at least this (patch sizes) across the pair AND across its neighbour
LOST_RATIO = 2.0  # and not much further across the pair than across the neighbour
LOST_REF_BEST = 0.7
UNCHANGED = 0.95  # correlation of a pop's pattern with the same place across its pair
STILL_NEAR = LOST_SHIFT  # patch sizes: or that well this near it (the predicted place cut by the border, or a mover)


def _lost_mover(q: Refound, r: Refound) -> bool:
    """The pattern moved across the pair about as far as across its neighbour: see
    :func:`drop_pattern_explained`."""
    return (q.best >= LOST_BEST and r.best >= LOST_REF_BEST and q.shift >= LOST_SHIFT
            and r.shift >= LOST_SHIFT and q.shift <= LOST_RATIO * r.shift)


def drop_pattern_explained(evs: list[RawEvent], frames: LabFrames | np.ndarray, homographies: np.ndarray,
                           k: float) -> list[RawEvent]:
    """Drop appear / vanish / teleport events that the event's own pattern (:mod:`.refind`; what
    left, for a vanish; what arrived, otherwise) explains:

    * a fast mover the flow lost (a bouncing ball, a runner): the pattern is found again across the
      event's pair (correlation >= ``LOST_BEST``) shifted by at least ``LOST_SHIFT`` patch sizes,
      and across the neighbouring pair it moved about as far (>= ``LOST_SHIFT``, the pair's shift at
      most ``LOST_RATIO`` x that, correlation >= ``LOST_REF_BEST``): there on both sides, moving as
      it was (dev: 6 false events, no true one);
    * an appear / vanish whose pattern is unchanged at its place across the pair (correlation >=
      ``UNCHANGED``): nothing popped there (dev: 5 false pops at 0.98, true pops 0.40-0.92).
    """
    out = []
    for e in evs:
        if e.type in ("appear", "vanish", "teleport"):
            q, r = _refind_pair(frames, homographies, k, e.pos - 1, e.box, e.type == "vanish")
            if q is not None and r is not None and _lost_mover(q, r):
                continue
            if q is not None and e.type != "teleport" and (
                q.same >= UNCHANGED or (q.best >= UNCHANGED and q.shift <= STILL_NEAR)
            ):
                continue
        out.append(e)
    return out


LINK_BEST = 0.8  # the popped pattern found elsewhere across its pair
LINK_NEW = 0.5  # and better than that place matched it on the pattern's own side: it was not there at all
LINK_MIN_SHIFT = 0.5  # patch sizes from where the camera would have carried it: another place
LINK_HOLD = 0.75  # still there one frame further on (an object, not a flash or a passing match)


def _object_box(patch_at, k: float) -> tuple[float, float, float, float]:
    """A re-found patch's box (analysis px, grown by :data:`.refind.MARGIN` on each side) as the
    object's box at flow resolution."""
    x0, y0, x1, y1 = patch_at
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    hw, hh = (x1 - x0) / (2 + 4 * MARGIN), (y1 - y0) / (2 + 4 * MARGIN)
    return ((cx - hw) / k, (cy - hh) / k, (cx + hw) / k, (cy + hh) / k)


def _track_at(box, pos: int, tracks: list[RawTrack], before: bool) -> int | None:
    """The track (living ``CONFIRM`` frames) with a detection at ``pos`` (or one frame beyond it,
    on the side given by ``before``) that best overlaps ``box``: the object seen there."""
    best, best_iou = None, 0.1
    bb = np.array(box, float)
    for t in tracks:
        if len(t.dets) <= CONFIRM:
            continue
        for d in t.dets:
            if d.pos == pos or d.pos == (pos - 1 if before else pos + 1):
                v = _iou(d.box, bb)
                if v > best_iou:
                    best, best_iou = t.id, v
    return best


def link_refound_pops(evs: list[RawEvent], frames: LabFrames | np.ndarray, homographies: np.ndarray, k: float,
                      tracks: list[RawTrack]) -> list[RawEvent]:
    """An appear / vanish whose object is found again ELSEWHERE in the picture across its pair is
    one side of a teleport (the other side left no judged change: too small, too weak, or hidden
    in a busy pair). For a vanish at pair ``p`` the pattern that left (frame ``p``) is searched in
    the whole of frame ``p + 1``; for an appear the pattern that arrived (frame ``p + 1``) in the
    whole of frame ``p``. It is the same object when it is found (correlation >= ``LINK_BEST``)
    at least ``LINK_MIN_SHIFT`` patch sizes from where the camera would have carried it, better
    (by ``LINK_NEW``) than that place matched it in the pattern's own frame (it was not there
    before the vanish / is gone from there after the appear: not a twin standing elsewhere or a
    repeated texture), and the match holds one frame further on (``LINK_HOLD``). The event becomes
    a ``teleport`` with both ends (``origin`` -> ``box``) and the track seen at the origin."""
    out = []
    for e in evs:
        if e.type not in ("appear", "vanish"):
            out.append(e)
            continue
        p = e.pos - 1
        leaving = e.type == "vanish"
        near = _refound_nearby(e, frames, homographies, k, tracks)
        if near is not None:
            out.append(near)
            continue
        src, dst = (p, p + 1) if leaving else (p + 1, p)
        further = dst + 1 if leaving else dst - 1
        if min(src, dst, further) < 0 or max(src, dst, further) >= len(frames) or p >= len(homographies):
            out.append(e)
            continue
        H = homographies[p] if leaving else np.linalg.inv(homographies[p])
        q = refind(frames, src, dst, e.box, H, k, reach=float("inf"))
        if q is None or q.best < LINK_BEST or q.shift < LINK_MIN_SHIFT or q.best - q.before < LINK_NEW:
            out.append(e)
            continue
        other = _object_box(q.at, k)
        # still there one frame further on (same place up to the camera's motion: searched nearby)
        H2 = homographies[dst] if leaving else np.linalg.inv(homographies[further])
        hold = refind(frames, dst, further, other, H2, k)
        if hold is None or hold.best < LINK_HOLD or hold.shift > 0.5:
            out.append(e)
            continue
        origin, dest, dist = _jump_ends(e.box, other, leaving)
        track = e.track if leaving and e.track is not None else _track_at(origin, p, tracks, before=True)
        if track is None:
            track = e.track
        out.append(RawEvent(
            "teleport", e.pos, tuple(map(float, dest)), dist,
            f"judged {e.type}, but the pattern that {'left' if leaving else 'arrived'} is found "
            f"{'again' if leaving else 'before'} {q.shift:.1f} patch sizes away (correlation {q.best:.2f}, "
            f"{q.before:.2f} there {'before' if leaving else 'after'}): one object jumped",
            track, tuple(map(float, origin))))
    return _dedupe_teleports(out)


def _jump_ends(box, other, leaving: bool):
    """(origin, destination, centre distance) of a jump found from a pop's ``box`` and the place
    ``other`` its pattern was found: a vanish left ``box``, an appear arrived there."""
    origin, dest = (box, other) if leaving else (other, box)
    return origin, dest, float(np.linalg.norm(_centre(np.array(origin, float)) - _centre(np.array(dest, float))))


def _refound_nearby(e: RawEvent, frames: LabFrames | np.ndarray, homographies: np.ndarray, k: float,
                    tracks: list[RawTrack]) -> RawEvent | None:
    """An appear / vanish whose own pattern passes the :func:`refound_jumps` test (found again
    across its pair, shifted nearby, where it was not before, after standing still on the other
    side) is a short jump: a ``teleport`` from the matched place (session 10). ``refound_jumps``
    asks a blob for objectness >= ``REFOUND_OBJ`` before it looks; a judged pop has its own object
    evidence (dev teleport-025: a dim walker, objectness 8 -> 0, judged a vanish). None when the
    pattern does not say so."""
    leaving = e.type == "vanish"
    q, r = _refind_pair(frames, homographies, k, e.pos - 1, e.box, leaving)
    if q is None or r is None or not _jumped_pattern(q, r):
        return None
    other = _object_box(q.at, k)
    origin, dest, dist = _jump_ends(e.box, other, leaving)
    track = e.track if e.track is not None else _track_at(origin, e.pos - 1, tracks, before=True)
    return RawEvent(
        "teleport", e.pos, tuple(map(float, dest)), dist,
        f"judged {e.type}, but the pattern that {'left' if leaving else 'arrived'} is found "
        f"{'again' if leaving else 'before'} {q.shift:.2f} patch sizes away (correlation {q.best:.2f}, "
        f"{q.same:.2f} at its old place, {q.before:.2f} there {'before' if leaving else 'after'}) and "
        "stood still on the other side: jumped nearby", track, tuple(map(float, origin)), basis="refound_pattern")


def _dedupe_teleports(evs: list[RawEvent], tol: int = 2) -> list[RawEvent]:
    """Teleports within ``tol`` frames of each other are one jump (the first found is kept)."""
    out: list[RawEvent] = []
    for e in evs:
        if e.type == "teleport" and any(o.type == "teleport" and abs(o.pos - e.pos) <= tol for o in out):
            continue
        out.append(e)
    return out


PARTNER_JUMP = 10.0


def _partner(b: Blob, kind: str, colour: np.ndarray, others: list[Blob], lab_small: np.ndarray, p: int):
    """For a vanish: another transient blob of pair ``p`` that becomes more object-like (objectness
    up by ``PARTNER_JUMP``) with a colour within ``MATCH_COLOR`` of the vanished object's; for an
    appear, one that loses that colour. Returns (blob, centre distance) or None."""
    best = None
    for b2 in others:
        dist = float(np.linalg.norm(_centre(np.array(b2.box, float)) - _centre(np.array(b.box, float))))
        if dist <= 2.0 or b2.area < 0.3 * b.area or b2.area > 3.0 * b.area:
            continue
        o0, c0 = _objectness(lab_small[p], b2.mask)
        o1, c1 = _objectness(lab_small[p + 1], b2.mask)
        jump, col = (o1 - o0, c1) if kind == "vanish" else (o0 - o1, c0)
        if jump >= PARTNER_JUMP and float(np.linalg.norm(col - colour)) < MATCH_COLOR:
            if best is None or dist > best[1]:
                best = (b2, dist)
    return best


CAM_SCALE_DEADBAND = 0.004


def cam_log_scale(H: np.ndarray) -> float:
    """Log area scale of a pair homography (det of its linear part), with a dead band so the
    noise of a static camera's fits does not accumulate into a fake size change."""
    ls = float(np.log(max(1e-6, abs(np.linalg.det(H[:2, :2])))))
    return 0.0 if abs(ls) < CAM_SCALE_DEADBAND else ls


def cam_log_scales(homographies: np.ndarray) -> list[float]:
    """:func:`cam_log_scale` of every pair homography, computed once for the loops over tracks
    (which ask for the same pairs again and again)."""
    return [cam_log_scale(H) for H in homographies]


def teleports_between_tracks(
    tracks: list[RawTrack], frame_shape: tuple[int, int] | None = None, lab_small: np.ndarray | None = None
) -> list[RawEvent]:
    """A track that ends where another of the same colour and size starts one frame later, far
    from where the first was heading: one object that jumped (not two objects) -- when its old place
    emptied (:func:`_old_place_emptied`, with the frames ``lab_small`` given), as for the same pattern
    at a transient blob (session 17). Session 18: over the simulation sets W, X, Y, AA and the analysis
    bench's seeds 680-699 (300 clips) the rule's 6 jumps were all false (a car's wheel coming into
    view as it turned, colour-tracker restarts beside walkers); none had its old place emptied.

    A track whose last box touches the frame border (``frame_shape`` given) left the picture and
    is no jump's origin (session 9: a dark shelf leaving on the left while a leg of the robot
    walking towards the camera became a track of its own, in the middle, made a false teleport on
    the clean, pop_out and teleport clips of dev seed 38; ``drop_unverifiable`` already drops
    teleports whose both ends touch the border)."""
    out = []
    for a in tracks:
        end = a.last
        if frame_shape is not None and _at_border(end.box, *frame_shape):
            continue
        pred = _centre(end.box) + a.velocity()
        for b in tracks:
            if b is a:
                continue
            st = b.dets[0]
            if not (1 <= st.pos - end.pos <= 2):
                continue
            if float(np.linalg.norm(st.lab - end.lab)) > MATCH_COLOR or not (
                0.5 < st.area / max(1.0, end.area) < 2.0
            ):
                continue
            dist = float(np.linalg.norm(_centre(st.box) - pred))
            if dist > max(3.0, 1.0 * np.sqrt(end.area)) and (
                    lab_small is None or _old_place_emptied(end.box, lab_small, end.pos)):
                out.append(
                    RawEvent(
                        "teleport",
                        st.pos,
                        tuple(map(float, st.box)),
                        dist,
                        f"track t{a.id} ended and t{b.id} (same colour/size) began {dist:.1f} px "
                        "(flow-res) away in the next frame",
                        a.id,
                    )
                )
                break
    return out


def _usable(det, h: int, w: int) -> bool:
    x0, y0, x1, y1 = det.box
    return x0 > 1 and y0 > 1 and x1 < w - 1 and y1 < h - 1 and not det.moving


def perspective_log_size(
    tracks: list[RawTrack], frame_shape: tuple[int, int]
) -> tuple[dict[int, np.ndarray], float | None]:
    """Per track: log box height minus log distance of its bottom below the horizon.

    For an object standing on the floor, seen by a camera that does not roll or pitch, both its
    image height and the depth of its contact point below the horizon scale as 1/distance, so
    the difference of their logs stays constant under any camera or object motion along the
    floor. It changes only when the object itself changes size. The horizon row ``y_h`` is shared
    by every object of the shot; we pick it (grid search) to make the tracks' values as constant
    as possible. Returns (track id -> per-detection values, y_h); detections touching the frame
    border are NaN."""
    h, w = frame_shape
    cands = []
    for t in tracks:
        d = [x for x in t.dets if _usable(x, h, w)]
        if len(d) >= 8:
            cands.append(t)
    if not cands:
        return {}, None
    arrs = []
    for t in cands:
        b = np.array([x.box for x in t.dets if _usable(x, h, w)], float)
        arrs.append((np.log(np.maximum(1.0, b[:, 3] - b[:, 1])), b[:, 3]))
    bottoms = np.concatenate([a[1] for a in arrs])
    grid = np.linspace(-1.5 * h, float(bottoms.min()) - 2.0, 40)
    cost = np.zeros(len(grid))
    for lh, bot in arrs:
        v = lh[None, :] - np.log(bot[None, :] - grid[:, None])
        cost += v.var(axis=1) * v.shape[1]
    best_y = float(grid[int(np.argmin(cost))])
    out = {}
    for t in tracks:
        vals = np.full(len(t.dets), np.nan)
        for k, x in enumerate(t.dets):
            if _usable(x, h, w) and x.box[3] - best_y > 1:
                vals[k] = np.log(max(1.0, x.box[3] - x.box[1])) - np.log(x.box[3] - best_y)
        out[t.id] = vals
    return out, best_y


def _top_series(t: RawTrack, yh: float, h: int, w: int) -> np.ndarray:
    """For boxes cut by the bottom border: log width minus log depth of the TOP below the horizon
    (constant under perspective for an object lower than the camera; a size change moves both)."""
    vals = np.full(len(t.dets), np.nan)
    for k, x in enumerate(t.dets):
        x0, y0, x1, y1 = x.box
        if x0 > 1 and x1 < w - 1 and y0 > 1 and y1 >= h - 1 and y0 - yh > 2 and not x.moving:
            vals[k] = np.log(max(1.0, x1 - x0)) - np.log(y0 - yh)
    return vals


def _drift(v: np.ndarray) -> tuple[float, int] | None:
    """(final log change, index where it first passes a third of it) for a steady ramp, else None."""
    ok = ~np.isnan(v)
    if ok.sum() < 8:
        return None
    idx = np.nonzero(ok)[0]
    series = v[ok]
    sm = np.convolve(np.pad(series, 2, mode="edge"), np.ones(5) / 5, mode="valid")
    base = float(np.median(sm[: max(3, len(sm) // 5)]))
    drift = sm - base
    k_end = int(np.argmax(np.abs(drift)))
    final = float(drift[k_end])
    quiet = np.nonzero(np.abs(drift[: k_end + 1]) < 0.1 * abs(final))[0]
    k_start = int(quiet[-1]) if len(quiet) else 0
    ramp = drift[k_start : k_end + 1]  # from the last quiet point to the peak
    if (
        len(ramp) < RESIZE_MIN_RAMP
        or np.std(ramp) == 0
        or abs(np.corrcoef(np.arange(len(ramp)), ramp)[0, 1]) <= RESIZE_CORR
    ):
        return None
    if abs(final) <= np.log(RESIZE_RATIO):
        return None
    return final, int(idx[int(np.argmax(np.abs(drift) > abs(final) / 3))])


RESIZE_ASPECT = 0.5


def _uniform_scale(t: RawTrack, h: int, w: int, final: float) -> bool:
    """A thing that grows or shrinks keeps its shape: its box's aspect ratio (log w/h) changes by
    less than ``RESIZE_ASPECT`` of the size change. A track that merges with a neighbour or a
    floor pattern fragment whose box is cut differently changes shape instead."""
    b = np.array([x.box for x in t.dets if _usable(x, h, w)], float)
    if len(b) < 8:
        return False
    asp = np.log(np.maximum(1.0, b[:, 2] - b[:, 0])) - np.log(np.maximum(1.0, b[:, 3] - b[:, 1]))
    k = max(3, len(asp) // 5)
    change = max(abs(float(np.median(asp[-k:]) - np.median(asp[:k]))), float(np.ptp(np.convolve(asp, np.ones(5) / 5, mode="valid"))) / 2)
    return change < RESIZE_ASPECT * abs(final)


def resize_events(tracks: list[RawTrack], frame_shape: tuple[int, int]) -> list[RawEvent]:
    """``resize``: the perspective-normalised size (see :func:`perspective_log_size`) ramps by
    more than ``log(RESIZE_RATIO)`` steadily (|correlation with time| > RESIZE_CORR = 0.95 over a ramp of
    at least RESIZE_MIN_RAMP = 12 detections: looser settings tripled false events on bench clips). (A
    width/top form for boxes cut by the bottom border, :func:`_top_series`, was measured to add
    more false events than it found, so it is not used.)"""
    h, w = frame_shape
    vals, yh = perspective_log_size(tracks, frame_shape)
    out = []
    if yh is None:
        return out
    for t in tracks:
        found = []
        for kind, v in (("bottom", vals.get(t.id)),):
            if v is None:
                continue
            r = _drift(v)
            if r:
                found.append((abs(r[0]), r[0], r[1], kind))
        if not found:
            continue
        _, final, k0, kind = max(found)
        if not _uniform_scale(t, h, w, final):
            continue
        det = t.dets[k0]
        out.append(
            RawEvent(
                "resize",
                det.pos,
                tuple(map(float, det.box)),
                float(np.exp(abs(final))),
                f"size changed x{np.exp(final):.2f} beyond perspective ({kind} form, horizon row {yh:.0f} "
                "at flow res)",
                t.id,
            )
        )
    return out


def _supported(e: RawEvent, blobs: list[Blob], tracks: list[RawTrack]) -> bool:
    """A track-derived teleport is only believed when the picture also changed unexplained at that
    moment (a transient blob at the pair before the jump, near the object's old or new box)."""
    boxes = [np.array(e.box, float)]
    boxes += [t.last.box for t in tracks if t.id == e.track]
    for b in blobs:
        if not b.side and e.pos - 2 <= b.pair <= e.pos and any(
            _iou(x, np.array(b.box, float)) > 0.05 or _overlap(x, b.box) > 0.3 for x in boxes
        ):
            return True
    return False


def events_from_tracks(
    tracks: list[RawTrack],
    homographies: np.ndarray,
    blobs: list[Blob] | None = None,
    frame_shape: tuple[int, int] = (90, 160),
    lab_small: np.ndarray | None = None,
) -> list[RawEvent]:
    out: list[RawEvent] = teleports_between_tracks(tracks, frame_shape, lab_small)
    jumps: list[RawEvent] = []
    scales = cam_log_scales(homographies) if any(len(t.dets) >= 4 for t in tracks) else []
    for t in tracks:
        d = t.dets
        if len(d) < 4:
            continue
        # camera-compensated step per detection gap
        steps, cam_logscale = [], [0.0]
        comp = [_centre(d[0].box)]
        for a, b in zip(d[:-1], d[1:]):
            c = _centre(a.box).reshape(1, 1, 2).astype(np.float64)
            ls = 0.0
            for q in range(a.pos, b.pos):
                if q < len(homographies):
                    H = homographies[q]
                    c = cv2.perspectiveTransform(c, H)
                    ls += scales[q]
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
                jumps.append(
                    RawEvent(
                        "teleport",
                        d[k + 1].pos,
                        tuple(map(float, d[k + 1].box)),
                        s,
                        f"track jumped {s:.1f} px (flow-res) in one step, median step {med:.1f}",
                        t.id,
                    )
                )

    out.extend(jumps)
    out.extend(resize_events(tracks, frame_shape))
    blobs = blobs or []
    return [e for e in out if e.type != "teleport" or _supported(e, blobs, tracks)]


def _drop_occlusions(evs: list[RawEvent]) -> list[RawEvent]:
    """An object that pops in hides what stands behind it (and one that pops out reveals it): an
    appear and a vanish at the same moment where one box lies mostly (≥ 60 %) inside the other,
    at least twice as large, are one event, the larger one."""
    drop = set()
    for i, a in enumerate(evs):
        for j, b in enumerate(evs):
            if i == j or {a.type, b.type} != {"appear", "vanish"} or abs(a.pos - b.pos) > 1:
                continue
            ba, bb = np.array(a.box, float), np.array(b.box, float)
            area_a = max(1.0, (ba[2] - ba[0]) * (ba[3] - ba[1]))
            area_b = max(1.0, (bb[2] - bb[0]) * (bb[3] - bb[1]))
            ix = max(0.0, min(ba[2], bb[2]) - max(ba[0], bb[0]))
            iy = max(0.0, min(ba[3], bb[3]) - max(ba[1], bb[1]))
            if area_a >= 2.0 * area_b and ix * iy >= 0.6 * area_b:
                drop.add(j)
    return [e for k, e in enumerate(evs) if k not in drop]


BASIS_RANK = {"refound_pattern": 2, "track_and_objectness": 2, "paired_pops": 2, "flow_jump": 2, "lone_change": 0}
"""How well an event's ``basis`` founds it (an event without one: 1), for :func:`merge_events` to keep
the better of two findings of one happening: the pattern found again across the pair, a track and
the objectness agreeing, both halves of a jump seen, or an object there on both sides of a one-off
flow jump, over one test alone, over the last-resort lone change."""


def merge_events(
    evs: list[RawEvent], tol: int = 2, frame_shape: tuple[int, int] | None = None
) -> list[RawEvent]:
    """Drop duplicates (same type within ``tol`` frames, nearby boxes; the better-founded finding by
    ``BASIS_RANK`` is kept), and appear/vanish events that are the two halves of a teleport found at
    the same moment (a ``paired_pops`` teleport when each half showed by its objectness).

    A teleport that :func:`drop_unverifiable` will drop (both ends at the frame border, with
    ``frame_shape`` given) hides no appear/vanish (session 9, dev pop_in-021: an in-place jump
    at the feet of a walker cut by the bottom border, dropped later, had swallowed the true
    pop-in of the other walker in the middle of the picture)."""

    def near(a: RawEvent, b: RawEvent, slack: float = 1.0) -> bool:
        ba, bb = np.array(a.box), np.array(b.box)
        cx = float(np.linalg.norm(_centre(ba) - _centre(bb)))
        return cx < max(8.0, slack * (ba[2] - ba[0] + bb[2] - bb[0]))

    evs = _drop_occlusions(evs)
    # an appear and a vanish at the same moment are one object that jumped (pop-in and pop-out of
    # different objects in the same frame is far rarer than a teleport the colour test missed). The
    # same moment is the same pair: a jump leaves and arrives between two frames, while a pop-in and
    # a pop-out a frame apart are two happenings (session 18: set X clip 14, a fence popping in and a
    # car popping out at frames 39 and 40, and two lone changes a frame apart on a clean scene of
    # the analysis bench were written as jumps; the one true jump of the rule there had both at once)
    apps = [e for e in evs if e.type == "appear"]
    vans = [e for e in evs if e.type == "vanish"]
    for a in apps:
        for v in vans:
            if a.pos == v.pos and (a.track is None or v.track is None or a.track != v.track):
                dist = float(np.linalg.norm(_centre(np.array(a.box)) - _centre(np.array(v.box))))
                halves = {"objectness": v.objectness, "basis": v.basis}, {"objectness": a.objectness, "basis": a.basis}
                evs.append(
                    RawEvent(
                        "teleport",
                        a.pos,
                        a.box,
                        dist,
                        f"an object vanished and a similar one appeared {dist:.0f} px (flow-res) away "
                        "in the same frame",
                        v.track,
                        v.box,
                        **_paired_pops(*halves),
                    )
                )
                break
    tele = [
        e for e in evs if e.type == "teleport" and not (frame_shape and _unverifiable_jump(e, *frame_shape))
    ]
    evs = [
        e
        for e in evs
        if not (e.type in ("appear", "vanish") and any(abs(t.pos - e.pos) <= tol for t in tele))
    ]
    evs = sorted(evs, key=lambda e: (e.pos, e.type))
    out: list[RawEvent] = []
    for e in evs:
        for k, o in enumerate(out):
            if o.type == e.type and abs(o.pos - e.pos) <= tol and (e.type == "teleport" or near(o, e)):
                # the better-founded of the two speaks for the happening (first found on a tie)
                keep, other = (e, o) if BASIS_RANK.get(e.basis, 1) > BASIS_RANK.get(o.basis, 1) else (o, e)
                if keep.track is None:
                    keep.track = other.track
                out[k] = keep
                break
        else:
            out.append(e)
    return out


def _at_border(box, h: int, w: int) -> bool:
    x0, y0, x1, y1 = box
    return x0 <= 1 or y0 <= 1 or x1 >= w - 1 or y1 >= h - 1


def _unverifiable_jump(e: RawEvent, h: int, w: int) -> bool:
    """A teleport whose box touches the frame border and whose origin is unknown or does too."""
    return _at_border(e.box, h, w) and (e.origin is None or _at_border(e.origin, h, w))


def drop_unverifiable(
    evs: list[RawEvent], n: int, frame_shape: tuple[int, int], cuts: list[int] | tuple[int, ...] = ()
) -> list[RawEvent]:
    """Drop events the pixels cannot confirm (measured on the analysis bench, 140 clips).

    * appear/vanish in the last ``CONFIRM`` analysed frames: whether the change persists (the
      difference between a pop and a fast occlusion or a coding glitch) cannot be checked; these
      were 4 of 16 false vanishes and no true one;
    * teleports whose box touches the frame border: an object leaving on one side and another
      entering, or a box cut by the border, looks like a jump; 9 of 23 false teleports and no
      true one. Kept (session 6) when the teleport joins a vanish away from the border
      (``origin``): an object gone from the middle of the picture is not one leaving it;
    * any event within one frame of a shot cut: every track of the new shot starts there, so
      "a track ended and a same-coloured one began elsewhere" is the cut, not a jump (3 false
      teleports on the bench, at cuts the shot detector kept).
    """
    h, w = frame_shape
    out = []
    for e in evs:
        if any(abs(e.pos - c) <= 1 for c in cuts):
            continue
        if e.type in ("appear", "vanish") and e.pos > n - 1 - CONFIRM:
            continue
        if e.type == "teleport" and _unverifiable_jump(e, h, w):
            continue
        out.append(e)
    return out
