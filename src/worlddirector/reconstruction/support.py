"""What holds an obstacle up: floor contact seen, floor contact assumed, or free space seen below.

Reconstructed points rarely reach the floor: the bottom band of an object is dark (ambient
occlusion, shadow), untextured, or removed with the floor band, and dense clusters split by
colour leave a pillar's or lamp's lower part in another cluster or in none. A box whose lowest
point is 0.2-1.5 m up is therefore *usually* a grounded object whose base was not reconstructed,
and reading it as hovering gives the simulation false ``floating`` findings.

The evidence that tells the two apart is free space: when an object really hovers, the cameras
look *through* the gap between its base and the floor and see the floor or the background behind
it. Every dense point is the end of a viewing ray from its reference camera, so a ray that
crosses the gap volume (the box footprint between just above the floor and just below the base)
and ends beyond it is direct evidence that the gap is empty. A grounded object whose base was
missed hides that volume: rays into it end on the object itself (inside the footprint) or find
no depth at all.

* Bottom within the fit's snap band: ``floor_contact`` (seen), box on the floor.
* Raised, gap not seen through (below): ``floor_assumed`` -- the box is
  extended down to the floor (its contact is hidden, not absent).
* Raised, and the gap is seen through: at least ``MIN_FREE_RAYS`` rays from two views cross it
  and end on the floor clearly behind it, they are at least half of the rays that look into it
  (the others end in it or just behind it: something is there), and at least ``MIN_FREE_RATIO``
  per point on the box: ``free_below`` -- the gap is kept (what the floating
  check needs to see).

``observed_bottom`` keeps the height of the lowest reconstructed point either way.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from worlddirector.reconstruction.geometry import ray_box_span
from worlddirector.reconstruction.layout import ObstacleFit

GAP_FLOOR = 0.12  # m: the gap volume starts above the floor band (floor depth noise is up to ~8-12 cm)
GAP_TOP_MARGIN = 0.08  # m: and ends below the observed base (the base's own depth noise)
FOOTPRINT_SHRINK = 0.1  # m off each side of the footprint: rays grazing the box's edge are not "through"
MIN_GAP = 0.15  # m: thinner gaps cannot be probed (the floor band and base noise fill them)
BEYOND_MIN = 0.3  # m
BEYOND_FRACTION = 0.06  # of the ray's length (~2 sweep planes of depth at the clips' ranges)
ON_FLOOR = 0.12  # m: the ray must end on the floor seen through the gap (textured floors are what the sweep matches)
MIN_FREE_RAYS = 12  # rays through the gap that end beyond it; fewer is consistent with stray mismatches
MIN_FREE_REFS = 2  # from at least two reference views (one view's mismatches are correlated)
# Of the rays that look into the gap, the share that passes through it: a hovering object's gap
# is mostly see-through (0.68-0.99 measured on generated floating-defect clips), a grounded
# object's hidden base stops most of them (mostly < 0.3 on clean clips)
MIN_FREE_FRACTION = 0.5
# and free rays per point on the box itself, so that a handful of stray rays under a well-seen
# object does not count: 0.38-0.89 measured under hovering objects, 0.00-0.07 under pillars
MIN_FREE_RATIO = 0.1


def _through(A: np.ndarray, P: np.ndarray, center: np.ndarray, half: np.ndarray, yaw: float) -> tuple[np.ndarray, np.ndarray]:
    """For rays A_i -> P_i: (enters the upright box and ends clearly beyond it, enters it and ends in it
    or just behind it)."""
    tmin, tmax = ray_box_span(A, P, center, half, yaw)
    length = np.linalg.norm(P - A, axis=1)
    beyond = (1.0 - tmax) * length  # how far behind the volume the ray ends
    enters = (tmax > tmin) & (tmin > 0.0) & (tmin < 1.0)
    # the point must lie clearly behind the volume: plane-sweep depth noise at range r is several
    # per cent of r, so a ray ending just behind is the object's own surface mismatched, not a gap
    free = enters & (beyond > np.maximum(BEYOND_MIN, BEYOND_FRACTION * length))
    return free, enters & ~free


def free_rays_below(box: ObstacleFit, bottom: float, points: np.ndarray, origins: np.ndarray,
                    ref: np.ndarray) -> tuple[int, int, int]:
    """(rays through the gap under ``box`` that end on the floor beyond it, distinct reference views
    among them, rays into the gap that end in it or just behind it)."""
    top = bottom - GAP_TOP_MARGIN
    if top - GAP_FLOOR < MIN_GAP - GAP_TOP_MARGIN or len(points) == 0:
        return 0, 0, 0
    half = np.array([max(box.size[0] / 2 - FOOTPRINT_SHRINK, 0.05), max(box.size[1] / 2 - FOOTPRINT_SHRINK, 0.05),
                     (top - GAP_FLOOR) / 2])
    center = np.array([box.center[0], box.center[1], (top + GAP_FLOOR) / 2])
    # cheap pre-filter: the ray's end must not be nearer to its camera than the gap
    far = np.linalg.norm(points[:, :2] - origins[:, :2], axis=1) > np.linalg.norm(center[:2] - origins[:, :2], axis=1) - 0.6
    idx = np.flatnonzero(far)
    free, blocked = _through(origins[idx], points[idx], center, half, box.yaw)
    free &= np.abs(points[idx, 2]) < ON_FLOOR
    return int(free.sum()), len(np.unique(ref[idx[free]])), int(blocked.sum())


def resolve_support(boxes: list[ObstacleFit], points: np.ndarray, origins: np.ndarray,
                    ref: np.ndarray) -> list[ObstacleFit]:
    """Label every box's support and extend raised boxes with a hidden (not seen-empty) gap to the
    floor. ``points``: dense world points; ``origins``: the centre of the camera each was seen from;
    ``ref``: that camera's index."""
    out = []
    for b in boxes:
        bottom = b.center[2] - b.size[2] / 2
        observed = b.observed_bottom if b.observed_bottom is not None else bottom
        if bottom <= 1e-6:
            out.append(replace(b, support="floor_contact", observed_bottom=round(float(observed), 3)))
            continue
        n_free, n_refs, n_blocked = free_rays_below(b, bottom, points, origins, ref)
        seen_through = n_free >= MIN_FREE_FRACTION * (n_free + n_blocked) and n_free >= MIN_FREE_RATIO * max(b.n_points, 1)
        if n_free >= MIN_FREE_RAYS and n_refs >= MIN_FREE_REFS and seen_through:
            out.append(replace(b, support="free_below", observed_bottom=round(float(observed), 3), free_rays=n_free, blocked_rays=n_blocked))
            continue
        top = b.center[2] + b.size[2] / 2
        out.append(replace(b, center=(b.center[0], b.center[1], top / 2), size=(b.size[0], b.size[1], top),
                           support="floor_assumed", observed_bottom=round(float(observed), 3), free_rays=n_free, blocked_rays=n_blocked))
    return out
