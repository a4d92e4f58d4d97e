"""Continuity violations seen in the video, placed in the world: ``pop_in``, ``pop_out``,
``teleport``, ``size_drift`` (from the analysis track events) and ``flicker`` (from its flicker
frames).

An object entering or leaving through the edge of the picture (a box touching the left, right or
bottom edge, or the top edge with its bottom in the upper half; a tall thing cut by the top edge
is not crossing it; a tracked object whose box did not move toward the edge it touches as its
track ended or began, :func:`_still_at_edge`, did not cross it either), or at the first/last
frames, is not popping, and one cut by the picture's
edge changes visible size without drifting: those events are dropped. A pop or a jump is only
reported on strong evidence (:func:`_strength`):

* ``pop_out``: the event's track is seen for ``PERSIST_SECONDS`` before it and never after
  (a track that goes on after its "vanish" did not vanish; one that lived less than a second is a
  fragment the tracker lost, not an object that was there); ``pop_in``: seen for
  ``PERSIST_SECONDS`` from it on and never before. A pop whose region's objectness also rose
  (fell) and stayed so (``basis`` ``track_and_objectness``: two measurements agree) needs neither
  the second nor to be clear of the picture's edge; a last-resort pop on a track must name an
  object (objectness change of at least ``MIN_LONE_OBJECTNESS``), as an untracked one must;
* ``teleport``: a real track seen ``CONFIRM_FRAMES`` frames before the jump (a colour match
  between two anonymous regions is not an object that moved); with no track, the analysis'
  objectness must show an object clearly there before the jump (at least ``SEEN_BEFORE_JUMP``)
  and no more there after it (it left its place; a rise is something arriving in front); a jump
  the analysis' last-resort rule (``basis`` ``lone_change``) put on a track needs the object
  clearly there before it too. A jump the analysis saw in the picture's pattern itself (``basis``
  ``refound_pattern``: the patch found again, shifted, across the pair after it stood still on
  the other side) needs neither a track nor objectness; nor does one whose vanish and appear
  halves each showed by their regions' objectness (``basis`` ``paired_pops``);
* an event with no track (a ``region@x,y``) counts only when the analysis' objectness says an
  object is wholly there on one side and absent on the other (:func:`_untracked_strength`); its
  last-resort "lone unexplained change" (``basis`` ``lone_change``) counts only when it records such
  an objectness change. An untracked pop whose objectness was measured on both sides need not be
  clear of the picture's edge (its region emptied or filled and stayed so, as a confirmed pop's);
* at most ``MAX_SIMULTANEOUS`` objects pop at one moment (separate objects do not appear or
  vanish in the same frame by chance; many at once is a picture-wide change: an occluder moving,
  exposure, a cut the shot detector missed);
* the object covers at least ``MIN_AREA`` of the picture and its box is at least
  ``MIN_BOX_HEIGHT`` of the picture tall (smaller colour blobs, and one-flow-row strips, are
  texture, edges and tracker noise as often as objects).

What the analysis measured at each event (its box, the objectness before and after, whether the
last-resort rule found it) is read from the event's typed fields (:func:`_measured`); only an
``analysis.json`` written before those fields existed is read from its evidence text
(:func:`_legacy_measured_from_evidence`).

Every event not reported is listed with the reason (``stats.continuity_not_reported``).
Repeated events of one type on one track within ``DEDUPE_FRAMES`` are one finding. Each kept
event gets a world position: the tracked
object's reconstructed trajectory at that frame when there is one; else the point where the
viewing ray through the bottom-centre of its box meets the floor; else (no registered camera)
the floor point in the middle of the view, and the evidence says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from worlddirector.artifacts.agent_report import Violation
from worlddirector.artifacts.analysis import Analysis, Track, TrackEvent, TrackPoint
from worlddirector.artifacts.world import World
from worlddirector.simulation.checks import violation
from worlddirector.simulation.geometry import floor_center
from worlddirector.simulation.placement import Cameras

EVENT_TYPE = {"appear": "pop_in", "vanish": "pop_out", "teleport": "teleport", "resize": "size_drift"}
EDGE_FRAC = 0.02  # box within 2% of the image edge: entering or leaving the picture
CLIP_EDGE_FRAMES = 2  # appear at the first / vanish at the last frames is not a pop
FLICKER_GAP = 3  # flicker frames this close belong to one flicker episode
MIN_FLICKER_LEVELS = 10.0  # grey levels of brightness jump (of 255), when the analysis reports them
CONFIRM_FRAMES = 3  # an object must be seen this long on its side of a pop / before a jump (not a one-frame glitch)
MIN_AREA = 0.004  # of the picture (~30x30 px at 640x360): smaller colour blobs are texture as often as objects
PERSIST_SECONDS = 1.0  # a popped object stays (in) / had been there (out) at least this long; shorter tracks are fragments
DEDUPE_FRAMES = 2  # the same track's events this close are one happening
MAX_SIMULTANEOUS = 2  # distinct tracks appearing/vanishing within one frame of each other
MIN_BOX_HEIGHT = 24 / 360  # of the picture height: a 20 px box at 360 p is one row of the analysis' flow grid (an edge)
EMPTY_SIDE = 0.2  # objectness on the empty side of an untracked pop, at most this share of the full side
MIN_LONE_OBJECTNESS = 20.0  # objectness change a lone unexplained change needs to name an object
SEEN_BEFORE_JUMP = 30.0  # objectness before an untracked jump: an object clearly there (session 13: true 35-50, false 19, 25)
COVER_SHARE = 0.5  # of a pop's box lying inside the box of another track seen on both sides of the event


def _point_near(track: Track | None, frame: int) -> TrackPoint | None:
    if track is None or not track.points:
        return None
    return min(track.points, key=lambda p: abs(p.frame - frame))


def _at_edge(box, w: float, h: float) -> bool:
    x0, y0, x1, y1 = box
    mx, my = EDGE_FRAC * w, EDGE_FRAC * h
    return x0 <= mx or y0 <= my or x1 >= w - mx or y1 >= h - my


def _through_edge(box, w: float, h: float) -> bool:
    """A pop whose box touches the picture's edge is the object entering or leaving the view; except
    a box cut only by the *top* edge whose bottom is in the lower half of the picture: a tall thing
    (lamp, tree) standing there, cut by the frame. Entering through the top, its bottom would have
    crossed the whole upper half in one frame. Likewise a box cut by both the top and the bottom edge
    (and by neither side): a thing taller than the picture standing in it cannot cross either edge
    between two frames."""
    x0, y0, x1, y1 = box
    mx, my = EDGE_FRAC * w, EDGE_FRAC * h
    if x0 <= mx or x1 >= w - mx:
        return True
    if y1 >= h - my:
        return y0 > my
    return y0 <= my and y1 < 0.5 * h


EDGE_STEP = 4 / 640  # of the picture width per frame (the analysis' BORDER_STEP, 1 px on its 160 px flow grid)
EDGE_STEPS = 3  # steps at a track's start (end) whose median says how its box moved there


def _still_at_edge(track: Track | None, vtype: str, frame: int, w: float, h: float) -> bool:
    """A tracked pop whose box touches the picture's edge but did not move across it: over the track's
    last (first) ``EDGE_STEPS`` steps at the event, the box's inner side (the right side of a box cut by
    the left edge, ...) moved toward that edge (away from it, for a pop-in) by less than ``EDGE_STEP``
    a frame. An object leaving the view slides out, its box shrinking toward the edge; one that
    vanished where it stood, cut by the frame, did not (session 18, set Y clip 23: a lamp's track,
    boxed with the right third of the picture, ended where the lamp popped out). Without enough
    tracked steps: unknown (False)."""
    if track is None:
        return False
    pts = sorted(track.points, key=lambda q: q.frame)
    seg = [q for q in pts if q.frame <= frame][-(EDGE_STEPS + 1):] if vtype == "pop_out" else \
        [q for q in pts if q.frame >= frame][: EDGE_STEPS + 1]
    if len(seg) < EDGE_STEPS + 1:
        return False
    steps = np.array([(np.array(b.box, float) - np.array(a.box, float)) / max(1, b.frame - a.frame)
                      for a, b in pairwise(seg)])
    d = np.median(steps, axis=0) * (1.0 if vtype == "pop_out" else -1.0)  # as if leaving
    x0, y0, x1, y1 = seg[-1].box if vtype == "pop_out" else seg[0].box
    mx, my, step = EDGE_FRAC * w, EDGE_FRAC * h, EDGE_STEP * w
    return not ((x0 <= mx and d[2] <= -step) or (x1 >= w - mx and d[0] >= step)
                or (y0 <= my and d[3] <= -step) or (y1 >= h - my and d[1] >= step))


def _not_a_pop(vtype: str, frame: int, last: int, box, w: float, h: float, in_place: bool = False) -> str | None:
    """Why an appear/vanish is the clip's start/end or the view's edge rather than a pop (None: neither).
    A pop ``in_place`` (its region's objectness rose / fell and stayed so: confirmed by its track, or
    untracked and measured on both sides) did not slide through the edge: the analysis' flow explains
    an object moving out of view, and its fixed region would not have stayed empty."""
    if (vtype == "pop_in" and frame <= CLIP_EDGE_FRAMES) or (vtype == "pop_out" and frame >= last - CLIP_EDGE_FRAMES):
        return "at the first/last frames of the clip"
    if box is not None and not in_place and _through_edge(box, w, h):
        return "at the edge of the picture: entering or leaving the view"
    return None


def _place(world: World, cams: Cameras, track_id: str | None, box, frame: int, fps: float) -> tuple[tuple, str]:
    """World position for something seen at ``frame`` (and how it was placed, for the evidence)."""
    for m in world.moving_objects:
        if track_id is not None and m.track_id == track_id and m.trajectory:
            tp = min(m.trajectory, key=lambda q: abs(q.frame - frame))
            return tuple(tp.position), f"placed on the reconstructed trajectory of {m.id}"
    if box is not None and cams.ok:
        x0, _, x1, y1 = box
        hit = cams.pixel_to_height(frame, (x0 + x1) / 2, y1, 0.0)
        if hit is not None and _on_floor(world, hit):
            return tuple(float(v) for v in hit), "placed where its box meets the floor in the registered camera"
    if cams.ok and cams.width > 0:
        hit = cams.pixel_to_height(frame, cams.width / 2, cams.height * 0.75, 0.0)
        if hit is not None and _on_floor(world, hit):
            return tuple(float(v) for v in hit), "placed at the floor point in view (object box not usable)"
        c = cams.center(frame)
        if c is not None:
            return (float(c[0]), float(c[1]), 0.0), "placed below the camera (view does not meet the floor)"
    cx, cy = floor_center(world)
    return (cx, cy, 0.0), "not placed precisely (no registered camera): floor centre"


def _on_floor(world: World, p) -> bool:
    f = world.floor
    pad = 0.5 * max(f.extent_max[0] - f.extent_min[0], f.extent_max[1] - f.extent_min[1])
    return (f.extent_min[0] - pad <= p[0] <= f.extent_max[0] + pad) and (f.extent_min[1] - pad <= p[1] <= f.extent_max[1] + pad)


@dataclass(frozen=True)
class _Measured:
    """What the analysis measured at an event."""

    box: tuple[float, float, float, float] | None  # at the event, original pixels
    objectness: tuple[float, float] | None  # of the changed region, before -> after
    basis: str | None  # how the analysis established the event (TrackEvent.basis)
    inferred: bool = False  # objectness read from a recorded change alone (0 -> D or D -> 0), not measured per side

    @property
    def lone(self) -> bool:
        """Found by the analysis' last-resort rule (a lone unexplained change)."""
        return self.basis == "lone_change"

    @property
    def refound(self) -> bool:
        """A jump the analysis saw in the picture itself: its patch found again, shifted, across the pair."""
        return self.basis == "refound_pattern"

    @property
    def measured_both_sides(self) -> bool:
        """The changed region's objectness was measured before and after (not inferred from a recorded
        change alone, not the last-resort rule's)."""
        return self.objectness is not None and not self.inferred and not self.lone

    @property
    def paired(self) -> bool:
        """A jump whose vanish and appear halves each showed by the regions' objectness."""
        return self.basis == "paired_pops"

    @property
    def flow_jumped(self) -> bool:
        """A jump in place: the object stood out at the region on both sides and the flow made a one-off
        long jump there."""
        return self.basis == "flow_jump"

    @property
    def confirmed(self) -> bool:
        """A pop its track and the region's objectness (a rise / fall that stays) both show."""
        return self.basis == "track_and_objectness"


def _sides_of_change(d: float) -> tuple[float, float]:
    """Objectness before -> after from a recorded change ``D`` alone: 0 -> D, or -D -> 0."""
    return (0.0, d) if d > 0 else (-d, 0.0)


def _measured(ev: TrackEvent) -> _Measured:
    """The event's typed fields. A lone change of several regions records only its objectness
    change D, read as 0 -> D (or D -> 0). An event without a box was written before the fields
    existed: read from its evidence text instead."""
    if ev.box is None:
        return _legacy_measured_from_evidence(ev.evidence)
    inferred = False
    if ev.objectness_before is not None and ev.objectness_after is not None:
        ob = (ev.objectness_before, ev.objectness_after)
    elif ev.objectness_change is not None:
        ob, inferred = _sides_of_change(ev.objectness_change), True
    else:
        ob = None
    return _Measured(tuple(ev.box), ob, ev.basis, inferred)


_LEGACY_BOX = re.compile(r"box \[([-\d.]+), ([-\d.]+), ([-\d.]+), ([-\d.]+)\]")
_LEGACY_OBJECTNESS = re.compile(r"objectness (\d+(?:\.\d+)?) -> (\d+(?:\.\d+)?)")
_LEGACY_OBJECTNESS_DELTA = re.compile(r"objectness ([+-]\d+(?:\.\d+)?)")
_LEGACY_LONE = "lone unexplained change"


def _legacy_measured_from_evidence(evidence: str) -> _Measured:
    """LEGACY PATH, for analysis.json files written before session 9 (events without typed fields):
    the numbers parsed back out of the evidence text as the analysis then worded it (``box [x0, y0,
    x1, y1]``, ``objectness A -> B`` or a lone change's ``objectness +D``, "lone unexplained
    change"). New analyses never come here; do not add to it."""
    text = evidence or ""
    m = _LEGACY_BOX.search(text)
    box = tuple(float(m.group(k)) for k in range(1, 5)) if m else None
    m = _LEGACY_OBJECTNESS.search(text)
    inferred = m is None
    if m:
        ob = (float(m.group(1)), float(m.group(2)))
    else:
        m = _LEGACY_OBJECTNESS_DELTA.search(text)
        ob = _sides_of_change(float(m.group(1))) if m else None
    return _Measured(box, ob, "lone_change" if _LEGACY_LONE in text else None, inferred)


def _event_size(track: Track | None, box, w: float, h: float) -> tuple[float, float] | None:
    """Share of the picture the event's object covers, and its box's height as a share of the
    picture height: the box the analysis measured at the event (``TrackEvent.box``), else its
    track's median box (one frame's box is often a partial detection as the object enters); None
    when neither is known."""
    if w <= 0 or h <= 0:
        return None
    if box is not None:
        x0, y0, x1, y1 = box
        return max(0.0, x1 - x0) * max(0.0, y1 - y0) / (w * h), max(0.0, y1 - y0) / h
    if track is not None and track.points:
        area = float(np.median([max(0.0, p.box[2] - p.box[0]) * max(0.0, p.box[3] - p.box[1]) for p in track.points]))
        return area / (w * h), float(np.median([max(0.0, p.box[3] - p.box[1]) for p in track.points])) / h
    return None


def _untracked_strength(vtype: str, measured: _Measured) -> str | None:
    """Why a pop of an anonymous region (no track) is not strong enough (None: it is). The object
    must be wholly absent on one side: objectness on the empty side at most ``EMPTY_SIDE`` of the
    full side (a real pop goes to or from 0; "10 -> 39" is something partly there all along, e.g.
    an occluder's edge moving). A lone change must name such an object too (objectness change of at
    least ``MIN_LONE_OBJECTNESS``): without one the analysis cannot tell what appeared or vanished."""
    ob = measured.objectness
    if vtype == "teleport":
        if ob is None or measured.inferred:
            return "a jump needs a tracked object, not a colour match between anonymous regions"
        return _left_its_place("untracked", ob)
    lone = measured.lone
    if ob is None:
        return "untracked lone change: the analysis cannot tell what appeared or vanished" if lone else None
    before, after = ob
    full, empty = (after, before) if vtype == "pop_in" else (before, after)
    if lone and not _names_an_object(vtype, ob):
        return f"untracked lone change of objectness {before:.0f} -> {after:.0f}: no object to speak of"
    if full <= 0 or empty > EMPTY_SIDE * full:
        return f"objectness {before:.0f} -> {after:.0f}: the region is partly there on both sides, not popping"
    return None


def _names_an_object(vtype: str, ob: tuple[float, float]) -> bool:
    """A pop's objectness rises (pop_in) or falls (pop_out) by at least ``MIN_LONE_OBJECTNESS``."""
    before, after = ob
    return (after - before if vtype == "pop_in" else before - after) >= MIN_LONE_OBJECTNESS


def _left_its_place(what: str, ob: tuple[float, float], tracked: bool = False) -> str | None:
    """Why a jump's measured objectness does not show an object that left its place (None: it does):
    clearly there before (at least ``SEEN_BEFORE_JUMP``) and, untracked, no more there after (a rise
    is something arriving in front). On a track the object's identity is the track's: a walker that
    jumps towards the camera fills more of the region after (set O clip 18: 36 -> 43)."""
    before, after = ob
    if before < SEEN_BEFORE_JUMP or (not tracked and after > before):
        return f"{what} jump of objectness {before:.0f} -> {after:.0f}: no object clearly there before it that left its place"
    return None


def _strength(vtype: str, ev, measured: _Measured, track: Track | None, step: int, fps: float) -> str | None:
    """Why this event is not strong enough to report (None: it is)."""
    if vtype == "teleport" and (measured.refound or measured.paired or measured.flow_jumped):
        # the picture itself jumped there, the object was seen leaving one place and arriving at the
        # other, or it stood out there on both sides of a one-off long flow jump: no track needed to
        # believe it (session 17: 6 of 6 such jumps true over sets W, X and 57 clips at offsets
        # 25000-27000; three were dropped for an objectness before of 23-33, below SEEN_BEFORE_JUMP)
        return None
    if track is None:
        return _untracked_strength(vtype, measured)
    ob = measured.objectness
    if measured.lone and ob is not None:
        # the last-resort rule's track is only the one nearest the change: its objectness must show what happened
        if vtype == "teleport" and not measured.inferred and (why := _left_its_place("lone-change", ob, True)) is not None:
            return why
        if vtype != "teleport" and not _names_an_object(vtype, ob):
            return f"lone change of objectness {ob[0]:.0f} -> {ob[1]:.0f}: no object to speak of"
    before = sum(1 for p in track.points if p.frame < ev.frame)
    if vtype == "teleport":
        return None if before >= CONFIRM_FRAMES else f"track seen only {before} frame(s) before the jump"
    if vtype == "pop_out":
        after = sum(1 for p in track.points if p.frame > ev.frame)
        if after:
            return f"track goes on for {after} frame(s) after it vanished"
        lived = (ev.frame - track.points[0].frame) / fps
        if measured.confirmed or lived >= PERSIST_SECONDS or _region_pops(vtype, measured):
            return None
        return f"track seen only {lived:.2f} s before it vanished (a fragment)"
    if vtype == "pop_in":
        early = sum(1 for p in track.points if p.frame < ev.frame - step)
        if early:
            return f"track was already seen {early} frame(s) before it appeared"
        lived = (track.points[-1].frame - ev.frame) / fps
        if measured.confirmed or lived >= PERSIST_SECONDS or _region_pops(vtype, measured):
            return None
        return f"track seen only {lived:.2f} s after it appeared (a fragment)"
    return None


def _region_pops(vtype: str, measured: _Measured) -> bool:
    """The changed region's own objectness, measured on both sides (not a last-resort change), shows a
    whole object arriving (leaving): it passes the bar for an anonymous region."""
    return measured.measured_both_sides and _untracked_strength(vtype, measured) is None


def _named_neighbour(vtype: str, frame: int, track: Track | None, measured: _Measured, step: int) -> bool:
    """The analysis names a pop without a track of its own after the track its box overlaps most
    (``analysis.pipeline._link_event``). When that track was there before a pop-in (goes on after a
    pop-out) while the changed region's own objectness shows a whole object arriving (leaving) --
    measured on both sides, passing the bar for an anonymous region -- the track is a neighbour the
    region touched, not the popping object (set W clip 21: a crate appearing beside a dark pillar
    tracked since frame 0, objectness 3 -> 52, dropped as "track already seen")."""
    if track is None or vtype not in ("pop_in", "pop_out") or measured.confirmed:
        return False
    if vtype == "pop_in":
        there = any(p.frame < frame - step for p in track.points)
    else:
        there = any(p.frame > frame for p in track.points)
    return there and _region_pops(vtype, measured)


def _region_name(box) -> str:
    """A name for an event judged without a track, in the analysis' form (``region@x0,y0``; here the
    corner of its box in video pixels, where the analysis names by its flow-resolution box)."""
    return f"region@{int(box[0])},{int(box[1])}" if box is not None else "region"


def _covered_by(track_id: str | None, box, frame: int, tracks: dict[str, Track], step: int,
                empty_side: str | None = None) -> str | None:
    """Another track, seen on both sides of ``frame``, whose box there covers at least ``COVER_SHARE``
    of ``box``: the popping thing was going behind (or coming out from behind) that object, or was a
    part of it the tracker followed apart; the picture did not lose or gain an object. ``empty_side``
    ("before" / "after"): judge the other track's box on the side of the pop without the object
    (a track that swallowed the new object's region after a pop-in covers it only then)."""
    x0, y0, x1, y1 = box
    area = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    if area <= 0:
        return None
    for t in tracks.values():
        if t.id == track_id or not t.points:
            continue
        frames = [p.frame for p in t.points]
        if min(frames) > frame - step or max(frames) < frame + step:
            continue
        if empty_side == "before":
            q = max((p for p in t.points if p.frame < frame), key=lambda p: p.frame).box
        elif empty_side == "after":
            q = min((p for p in t.points if p.frame >= frame), key=lambda p: p.frame).box
        else:
            q = _point_near(t, frame).box
        inter = max(0.0, min(x1, q[2]) - max(x0, q[0])) * max(0.0, min(y1, q[3]) - max(y0, q[1]))
        if inter >= COVER_SHARE * area:
            return t.id
    return None


def continuity(analysis: Analysis, world: World, cams: Cameras, dropped: list[str] | None = None) -> list[Violation]:
    """Continuity violations; ``dropped`` (if given) collects one line per event not reported and why."""
    fps = analysis.video.fps or 24.0
    w, h = float(analysis.video.width), float(analysis.video.height)
    last = analysis.video.n_frames - 1
    tracks = {t.id: t for t in analysis.tracks}
    cuts = {s.start_frame for s in analysis.shots[1:]}
    step = max(1, analysis.video.frame_step)
    out = []
    seen: dict[tuple[str, str], int] = {}
    pops = [(e.frame, e.track_id) for e in analysis.events if e.type in ("appear", "vanish")]
    for ev in sorted(analysis.events, key=lambda e: (e.frame, e.track_id, e.type)):
        vtype = EVENT_TYPE.get(ev.type)
        if vtype is None:
            continue
        if any(abs(ev.frame - c) <= 1 for c in cuts):
            continue  # everything changes at a cut
        track = tracks.get(ev.track_id)
        measured = _measured(ev)
        object_id, empty_side = ev.track_id, None
        if _named_neighbour(vtype, ev.frame, track, measured, step):
            track, object_id = None, _region_name(measured.box)
            empty_side = "before" if vtype == "pop_in" else "after"
        pt = _point_near(track, ev.frame)
        # the track's own box nearest the event, else (no track) the region box the analysis measured;
        # a change region's box can reach the picture's edge while the object's does not
        ev_box = pt.box if pt is not None else measured.box
        if vtype in ("pop_in", "pop_out"):
            # the changed region's own objectness emptied (filled) and stayed so: with a track that agrees,
            # or with no track at all (its box is then that region); or a track whose box did not move
            # across the edge it touches there
            in_place = (measured.confirmed or (track is None and measured.measured_both_sides)
                        or (not measured.lone and _still_at_edge(track, vtype, ev.frame, w, h)))
            edge = _not_a_pop(vtype, ev.frame, last, ev_box, w, h, in_place)
            if edge is not None:
                if dropped is not None:
                    dropped.append(f"{vtype} {ev.track_id} frame {ev.frame}: {edge}")
                continue
        if vtype == "size_drift" and pt is not None and _at_edge(pt.box, w, h):
            continue  # cut by the frame edge: its visible size changes as it slides in or out of view
        if vtype in ("pop_in", "pop_out", "teleport"):
            if vtype == "teleport" and (ev.frame <= CLIP_EDGE_FRAMES or ev.frame >= last - CLIP_EDGE_FRAMES):
                continue  # a jump needs frames on both sides to be told from a tracking glitch
            why = _strength(vtype, ev, measured, track, step, fps)
            size = _event_size(track, measured.box, w, h)
            if why is None and vtype != "teleport":
                crowd = {tid for f, tid in pops if abs(f - ev.frame) <= 1}
                if len(crowd) > MAX_SIMULTANEOUS:
                    why = f"{len(crowd)} objects pop at once: a picture-wide change, not one object"
            if why is None and size is not None and size[0] < MIN_AREA:
                why = f"object covers {size[0]:.2%} of the picture (< {MIN_AREA:.1%})"
            if why is None and size is not None and size[1] < MIN_BOX_HEIGHT:
                why = f"box only {size[1] * h:.0f} px tall (< {MIN_BOX_HEIGHT * h:.0f} px): an edge, not an object"
            # a confirmed pop's objectness was measured on the changed region: that is what must be hidden
            cover_box = measured.box if measured.confirmed and measured.box is not None else ev_box
            if why is None and vtype != "teleport" and cover_box is not None:
                cover = _covered_by(object_id, cover_box, ev.frame, tracks, step, empty_side)
                if cover is not None:
                    why = (f"its box lies inside track {cover}'s, seen before and after: hidden behind, or a part "
                           "of, that object")
            if why is not None:
                if dropped is not None:
                    dropped.append(f"{vtype} {ev.track_id} frame {ev.frame}: {why}")
                continue
        key = (vtype, object_id)
        if key in seen and ev.frame - seen[key] <= DEDUPE_FRAMES:
            continue  # the same happening reported twice
        seen[key] = ev.frame
        pos, how = _place(world, cams, object_id, ev_box, ev.frame, fps)
        label = f" ({track.label})" if track and track.label else ""
        what = {
            "pop_in": "appears out of nothing in the middle of the picture",
            "pop_out": "vanishes in the middle of the picture",
            "teleport": "jumps to a new position between two frames",
            "size_drift": "changes size while staying in place",
        }[vtype]
        detail = f"; analysis: {ev.evidence}" if ev.evidence else ""
        out.append(violation(
            vtype, 0.5 + 0.5 * min(1.0, max(0.0, ev.magnitude)), pos, ev.frame / fps,
            f"{'track ' if object_id == ev.track_id else ''}{object_id}{label} {what} at frame {ev.frame} "
            f"(t={ev.frame / fps:.2f} s){detail}; {how}",
            frames=[ev.frame], object_id=object_id,
        ))
    out += _flicker(analysis, world, cams, fps)
    return out


def _flicker(analysis: Analysis, world: World, cams: Cameras, fps: float) -> list[Violation]:
    frames = sorted(set(analysis.flicker_frames))
    groups: list[list[int]] = []
    for f in frames:
        if groups and f - groups[-1][-1] <= FLICKER_GAP:
            groups[-1].append(f)
        else:
            groups.append([f])
    out = []
    residual = (analysis.metric_details.get("flicker") or {}).get("residual") if isinstance(
        analysis.metric_details.get("flicker"), dict) else None
    for g in groups:
        pos, how = _place(world, cams, None, None, g[0], fps)
        mag = ""
        sev = 0.6
        if isinstance(residual, list) and residual:
            step = max(1, analysis.video.frame_step)  # residuals are per analysed frame
            pos_ = [round(f / step) for f in g]
            vals = [residual[q] for q in pos_ if 0 <= q < len(residual) and isinstance(residual[q], (int, float))]
            if vals:
                if max(vals) < MIN_FLICKER_LEVELS:
                    continue  # a ripple of a few grey levels is not a flicker a viewer would see
                mag = f", brightness jumps of up to {max(vals):.1f} grey levels"
                sev = 0.4 + 0.6 * min(1.0, max(vals) / 40.0)
        out.append(violation(
            "flicker", sev, pos, g[0] / fps,
            f"frame brightness jumps and returns over frames {g[0]}-{g[-1]} (t={g[0] / fps:.2f} s){mag}; {how}",
            frames=g, object_id=None,
        ))
    return out
