"""``interpenetration``: solids that share space.

Two sources of evidence:

* **at rest**: obstacle boxes overlapping each other or a wall, measured as MuJoCo contact
  penetration depth before anything moves. Boxes fitted to noisy points touch and graze; a
  finding needs a depth above ``max(MIN_DEPTH, REL_DEPTH x the thinner box's smallest side)``;
* **in motion**: a tracked object's reconstructed trajectory carries its centre through an obstacle
  or a wall (in one side, out the other) over several consecutive video frames, while its picture
  stays whole (a track whose box shrinks there is being hidden *behind* the obstacle, and
  floor-contact lifting then puts it inside). Trajectories lifted by floor contact
  (``lifted_by`` starting with ``floor_contact``) are not used: the lift assumes the bottom of the
  track's box touches the floor, and where that bottom lies on an obstacle's image it is as likely
  the obstacle's edge hiding the object's feet (passing behind) as the feet inside it.
"""

from __future__ import annotations

import numpy as np

from worlddirector.artifacts.agent_report import Violation
from worlddirector.artifacts.analysis import Track
from worlddirector.artifacts.world import World
from worlddirector.simulation.checks import violation
from worlddirector.simulation.geometry import Box
from worlddirector.simulation.placement import Cameras, compress_frames
from worlddirector.simulation.settle import Overlap, rest_overlaps

MIN_DEPTH = 0.25  # m: found obstacles' centres are each off by ~0.16 m (reconstruction bench): their overlap by up to ~sqrt(2) x 0.16
REL_DEPTH = 0.12  # of the thinner box's smallest dimension
MIN_CONFIDENCE = 0.3
MIN_WALL_DEPTH = 0.15  # m
MIN_WALL_CONFIDENCE = 0.5
TRACK_MIN_DEPTH = 0.15  # m of the centre inside an obstacle footprint
TRACK_MIN_FRAMES = 3
TRACK_MAX_INSIDE = 2.0  # s: a pass through takes about (widths) / (speed)
TRACK_MIN_SIZE = 0.25  # m: smaller tracked blobs are too uncertain to place
TRACK_MIN_SOLID_CONFIDENCE = 0.5  # the obstacle passed through must itself be well seen
SEEN_MARGIN = 0.05  # m: a box whose lowest seen points are higher than its base by more has a guessed base
WHOLE_AREA = 0.8  # of the track's median box area elsewhere: below it, the object is partly hidden during the pass


def completed(b: Box) -> bool:
    """Reconstruction marks boxes whose footprint is partly a guess (``completed``); older worlds
    did not, but completed a box seen from one side into an exactly square footprint, grown away
    from the cameras (``reconstruction/layout.py``); a fitted footprint is never exactly square."""
    return b.kind == "obstacle" and (b.completed or abs(b.size[0] - b.size[1]) < 1e-6 * max(b.size[0], 1.0))


def depth_threshold(a: Box, b: Box) -> float:
    if b.kind == "wall":
        # reconstruction completes boxes seen from one side by growing them away from the camera,
        # i.e. towards the wall behind them: wall overlaps need more depth and a well-seen box
        return max(MIN_WALL_DEPTH, REL_DEPTH * min(a.size))
    return max(MIN_DEPTH, REL_DEPTH * min(min(a.size), min(b.size)))


def rest_interpenetration(overlaps: list[Overlap], obstacles: list[Box], walls: list[Box], cams: Cameras) -> list[Violation]:
    out = []
    for o in overlaps:
        a = obstacles[o.a]
        b = obstacles[o.b] if o.b >= 0 else walls[-1 - o.b]
        if min(a.confidence, b.confidence) < (MIN_WALL_CONFIDENCE if b.kind == "wall" else MIN_CONFIDENCE):
            continue
        if completed(a) or (b.kind == "obstacle" and completed(b)):
            continue  # the unseen side of a completed box is a guess: overlaps there are not evidence
        thr = depth_threshold(a, b)
        if o.depth <= thr:
            continue
        guessed_base = [x for x in (a, b) if x.kind == "obstacle" and x.seen_bottom > x.bottom + SEEN_MARGIN]
        if guessed_base:
            # a base below the lowest reconstructed points was extended to the floor as a guess (a lamp
            # head's hidden pole, a shade's presumed stem): measure the overlap of the seen parts only
            o = _seen_overlap(a, b)
            if o is None or o.depth <= thr:
                continue
        conf = min(a.confidence, b.confidence)
        sev = min(1.0, o.depth / max(0.5 * min(min(a.size), min(b.size)), 1e-3)) * (0.5 + 0.5 * conf)
        what_a = f"obstacle {a.id}" + (f" ({a.label})" if a.label else "")
        what_b = (f"obstacle {b.id}" + (f" ({b.label})" if b.label else "")) if b.kind == "obstacle" else f"wall {b.id}"
        out.append(violation(
            "interpenetration", sev, o.point, 0.0,
            f"{what_a} and {what_b} overlap by {o.depth:.2f} m at rest (solid boxes; tolerance {thr:.2f} m "
            f"for reconstruction noise; confidences {a.confidence:.2f}/{b.confidence:.2f})"
            + (" in the parts reconstruction saw (guessed bases below the lowest points left out)" if guessed_base else ""),
            frames=compress_frames(cams.visible_frames(o.point)), object_id=a.id,
        ))
    return out


def _seen_overlap(a: Box, b: Box) -> Overlap | None:
    """The deepest overlap between the seen parts of obstacle ``a`` and obstacle-or-wall ``b``."""
    if b.kind == "wall":
        found = rest_overlaps([a.seen_part()], [b])
    else:
        found = rest_overlaps([a.seen_part(), b.seen_part()], [])
    return max(found, key=lambda o: o.depth) if found else None


def _hidden_during(track: Track | None, f0: int, f1: int) -> bool:
    """True when the track's box is clearly smaller while "inside" than elsewhere (occluded)."""
    if track is None:
        return False
    inside = [p.area for p in track.points if f0 <= p.frame <= f1]
    rest = [p.area for p in track.points if p.frame < f0 - 2 or p.frame > f1 + 2]
    if not inside or not rest:
        return False
    return float(np.median(inside)) < WHOLE_AREA * float(np.median(rest))


def tracked_interpenetration(world: World, obstacles: list[Box], walls: list[Box],
                             tracks: dict[str, Track] | None = None) -> list[Violation]:
    """A tracked object whose centre goes *through* a solid: it enters the footprint from one side
    and leaves from the opposite side (or stays deep inside), at a height that overlaps the solid,
    for several frames. Floor-contact lifting misplaces occluded objects by metres, so grazing an
    obstacle's footprint is not enough."""
    out = []
    solids = [b for b in obstacles if b.confidence >= TRACK_MIN_SOLID_CONFIDENCE] + walls
    for m in world.moving_objects:
        if len(m.trajectory) < TRACK_MIN_FRAMES or min(m.size[0], m.size[1]) < TRACK_MIN_SIZE:
            continue
        if m.lifted_by.startswith("floor_contact"):
            continue  # no depth of its own: behind and through look the same
        pos = np.array([p.position for p in m.trajectory], dtype=float)
        bottom = pos[:, 2] - m.size[2] / 2
        top = pos[:, 2] + m.size[2] / 2
        for b in solids:
            depth = b.xy_depth(pos[:, :2])  # of the object's centre
            need = max(TRACK_MIN_DEPTH, 0.25 * min(b.size[0], b.size[1]))
            inside = (depth > need) & (bottom < b.top - 0.05) & (top > b.bottom + 0.05)
            run = _longest_run(inside)
            if run is None or run[1] - run[0] + 1 < TRACK_MIN_FRAMES:
                continue
            s, e = run
            if s == 0 or e == len(pos) - 1:
                continue  # must be seen outside, then inside, then outside again
            if m.trajectory[e].time - m.trajectory[s].time > TRACK_MAX_INSIDE:
                continue  # lingering "inside" for seconds is a misplaced (occluded) track, not a pass
            loc_in = b.local_xy(pos[s - 1: s, :2])[0]
            loc_out = b.local_xy(pos[e + 1: e + 2, :2])[0]
            axis = int(np.argmax(np.abs(loc_in) / np.array([b.size[0], b.size[1]])))
            if np.sign(loc_in[axis]) == np.sign(loc_out[axis]):
                continue  # went in and came back out the same side: a placement error, not a pass
            if _hidden_during((tracks or {}).get(m.track_id), m.trajectory[s].frame, m.trajectory[e].frame):
                continue  # partly hidden there: it passed behind the obstacle, not through it
            k = s + int(np.argmax(depth[s: e + 1]))
            pt = m.trajectory[k]
            what = f"obstacle {b.id}" + (f" ({b.label})" if b.label else "") if b.kind == "obstacle" else f"wall {b.id}"
            sev = min(1.0, float(depth[k]) / max(0.5 * min(b.size[0], b.size[1]), 0.1))
            out.append(violation(
                "interpenetration", sev, pt.position, pt.time,
                f"tracked object {m.id} passes through {what}: its centre goes {float(depth[k]):.2f} m deep and out "
                f"the far side over frames {m.trajectory[s].frame}-{m.trajectory[e].frame}; solid things cannot pass "
                "through each other",
                frames=[p.frame for p in m.trajectory[s: e + 1]][:64], object_id=m.id,
            ))
    return out


def _longest_run(mask: np.ndarray) -> tuple[int, int] | None:
    best, start = None, None
    for i, v in enumerate(list(mask) + [False]):
        if v and start is None:
            start = i
        elif not v and start is not None:
            if best is None or i - 1 - start > best[1] - best[0]:
                best = (start, i - 1)
            start = None
    return best
