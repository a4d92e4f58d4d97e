"""``floating`` and ``unstable_object``: what the settle test saw.

``floating``: an obstacle released under gravity fell more than ``DROP_TOL`` (its base hovered
over nothing). When reconstruction assessed what holds the box up (world.json ``support``), only
a box with ``free_below`` -- the cameras saw the floor through the gap under it -- can float: a
raised base with no free space seen below is a hidden base (``floor_assumed``), not a hover.
When the analysis tracked anything, each fall is also looked for in the video, independently of
the dense box: in at least ``MIN_SEEN_VIEWS`` registered views an analysis track's box lies within
the obstacle's projection, and the bottom edge of those boxes, put on its viewing ray at the
obstacle's depth, is a median ``MIN_SEEN_BASE`` or more above the floor (:func:`seen_base_heights`).
Shown: the evidence says so. Not shown: still reported (the colour tracker misses many objects:
as a veto it cost 3 of the 13 hovers found over dev and set B), with severity x ``UNSEEN_SEVERITY``,
at any distance. (Sessions 3-13 only listed an unseen fall beyond 7 m from every registered camera,
for a coarse far-pass box 18 m away in set B's clean clip 37; since session 14 the reconstruction
drops boxes the cameras see through, that clip has no unseen fall, and the rule's only effect on
sets F-I was to hide two true hovers at 7.25 and 7.43 m, crates and rocks of 1,800-2,100 points.)
``unstable_object``: one that did not fall but tipped more than ``TILT_DEG`` or slid more than
``SLIDE_TOL`` on its own.
"""

from __future__ import annotations

import numpy as np

from worlddirector.artifacts.agent_report import Violation
from worlddirector.artifacts.analysis import Analysis
from worlddirector.simulation.checks import violation
from worlddirector.simulation.geometry import Box
from worlddirector.simulation.placement import Cameras, compress_frames
from worlddirector.simulation.settle import SettleResult

DROP_TOL = 0.35  # m: grounded boxes' fitted bases sit up to ~0.3 m high (measured, docs/simulation.md); a seen hover is more
REL_DROP_TOL = 0.1  # of the box's height: bigger boxes are fitted less tightly
TILT_DEG = 20.0
SLIDE_TOL = 0.25  # m
MIN_CONFIDENCE = 0.6  # below it (about 20 supporting points or a loose cluster) boxes were phantoms or misplaced tops on dev


MIN_SEEN_VIEWS = 2  # registered views in which a track shows the object
MIN_SEEN_BASE = 0.25  # m: median height of the tracked box's bottom at the obstacle's depth (dev hovers: 0.44-1.14)
INSIDE_SHARE = 0.6  # of the track box's area inside the obstacle's projected box
MIN_BOX_SHARE = 0.1  # of the projected box's area the track box covers (not a speck of texture on it)
UNSEEN_SEVERITY = 0.6  # severity factor of a fall no track shows (a weaker finding, still reported)


def drop_threshold(height: float) -> float:
    return max(DROP_TOL, REL_DROP_TOL * height)


def track_boxes_by_frame(analysis: Analysis, cams: Cameras) -> dict[int, list[tuple[str, tuple]]]:
    """The analysis' track boxes at the registered frames, in the cameras' pixels."""
    registered = set(cams.frames)
    scale = cams.width / analysis.video.width if analysis.video.width and cams.width else 1.0
    out: dict[int, list[tuple[str, tuple]]] = {}
    for t in analysis.tracks:
        for q in t.points:
            if q.frame in registered:
                out.setdefault(q.frame, []).append((t.id, tuple(scale * v for v in q.box)))
    return out


def seen_base_heights(b: Box, boxes_by_frame: dict[int, list[tuple[str, tuple]]], cams: Cameras) -> list[tuple[int, str, float]]:
    """(frame, track, height): for each registered view and track box lying within the obstacle's
    projected box, the height above the floor of the track box's bottom-centre pixel, placed on its
    viewing ray at the obstacle centre's camera depth. For a grounded object the bottom of its
    picture is on the floor (about 0); for a hovering one it is the hover."""
    out = []
    corners = b.corners()
    for f, P in zip(cams.frames, cams.poses, strict=True):
        proj = cams.project_box(P, corners)
        if proj is None:
            continue
        depth = float((P[:, :3] @ np.asarray(b.center) + P[:, 3])[2])
        area = (proj[2] - proj[0]) * (proj[3] - proj[1])
        for tid, (x0, y0, x1, y1) in boxes_by_frame.get(f, []):
            own = max(0.0, x1 - x0) * max(0.0, y1 - y0)
            inside = max(0.0, min(x1, proj[2]) - max(x0, proj[0])) * max(0.0, min(y1, proj[3]) - max(y0, proj[1]))
            if own <= 0 or inside < INSIDE_SHARE * own or own < MIN_BOX_SHARE * area:
                continue
            out.append((f, tid, float(cams.point_at_depth(P, (x0 + x1) / 2, y1, depth)[2])))
    return out


def _seen_hover(b: Box, boxes_by_frame, cams: Cameras) -> tuple[bool, str]:
    """(whether the tracks show the hover, evidence text) for a box that fell in the settle test."""
    seen = seen_base_heights(b, boxes_by_frame, cams)
    views = len({f for f, _, _ in seen})
    if views < MIN_SEEN_VIEWS:
        return False, f"; no analysis track shows it in {MIN_SEEN_VIEWS}+ registered views (weaker evidence)"
    base = float(np.median([z for _, _, z in seen]))
    tracks = ", ".join(sorted({tid for _, tid, _ in seen})[:3])
    if base < MIN_SEEN_BASE:
        return False, (f"; but in {views} registered views its tracked box ({tracks}) reaches down to {base:.2f} m "
                       "above the floor at its depth (weaker evidence)")
    return True, (f"; in {views} registered views the bottom of its tracked box ({tracks}) lies a median "
                  f"{base:.2f} m above the floor at its depth")


def floating_and_unstable(res: SettleResult, cams: Cameras, analysis: Analysis | None = None,
                          unconfirmed: list[str] | None = None) -> list[Violation]:
    """Findings of the settle test. With ``analysis`` tracks (and registered cameras) each fall is
    checked against the tracks: shown -> the evidence says so; not shown -> severity x
    ``UNSEEN_SEVERITY`` and its id goes to ``unconfirmed``."""
    # no analysis, no registered cameras or no tracks at all: nothing to look for, the settle test decides alone
    judged = analysis is not None and cams.ok and bool(analysis.tracks)
    boxes_by_frame = track_boxes_by_frame(analysis, cams) if judged else None
    out = []
    for i, b in enumerate(res.boxes):
        if b.confidence < MIN_CONFIDENCE:
            continue
        if b.support is not None and b.support != "free_below":
            continue  # no free space seen under it: its base is hidden, not hovering
        drop = float(res.start[i, 2] - res.end[i, 2])
        slide = float(np.linalg.norm(res.end[i, :2] - res.start[i, :2]))
        name = f"obstacle {b.id}" + (f" ({b.label})" if b.label else "")
        frames = compress_frames(cams.visible_frames(b.center))
        thr = drop_threshold(b.size[2])
        if drop > thr:
            seen, weight = "", 1.0
            if boxes_by_frame is not None:
                shown, seen = _seen_hover(b, boxes_by_frame, cams)
                if not shown:
                    weight = UNSEEN_SEVERITY
                    if unconfirmed is not None:
                        unconfirmed.append(b.id)
            t = res.drop_time[i] if res.drop_time[i] is not None else res.seconds
            out.append(violation(
                "floating", min(1.0, drop / 0.5) * (0.5 + 0.5 * b.confidence) * weight, b.center, t,
                f"{name} rests on nothing: its base is {b.bottom:.2f} m above the floor and, released under "
                f"gravity in MuJoCo, it fell {drop:.2f} m (tolerance {thr:.2f} m; confidence {b.confidence:.2f})"
                + ("; the cameras see the floor through the gap under it" if b.support == "free_below" else "") + seen,
                frames=frames, object_id=b.id,
            ))
        elif res.tilt_deg[i] > TILT_DEG or slide > SLIDE_TOL:
            how = f"tipped {res.tilt_deg[i]:.0f} degrees" if res.tilt_deg[i] > TILT_DEG else f"slid {slide:.2f} m"
            out.append(violation(
                "unstable_object", min(1.0, max(res.tilt_deg[i] / 90.0, slide / 1.0)) * (0.5 + 0.5 * b.confidence),
                b.center, res.seconds,
                f"{name} {how} on its own within {res.seconds:.1f} s of simulated gravity (it is not resting stably)",
                frames=frames, object_id=b.id,
            ))
    return out
