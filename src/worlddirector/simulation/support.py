"""Support the boxes do not show: thin poles, trunks and legs seen only as a few points.

Reconstruction fits boxes to dense clusters of points. The shade of a lamp or the canopy of a
tree is dense; the pole or trunk under it is a thin line of a few points that never forms a
cluster, so its box seems to hover. Before the settle test we look in ``points.ply`` under every
raised box: points in the column beneath its footprint (not inside another box, above the floor
band) that reach down to the floor are a support, and the box is extended down to the floor for
the settle test. A box that really hovers has nothing under it but floor (the generator's
``floating`` objects lift their whole body, legs and pole included, at least 0.45 m).

When no point shows the stem, :func:`stem_prior` still presumes one for boxes shaped like the top
of a thin-stemmed thing; those are reported in ``stats.presumed_supported`` and not as floating.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from worlddirector.simulation.geometry import Box

FLOOR_BAND = 0.12  # m: points lower than this are floor
REACH_FLOOR = 0.35  # m: a support's lowest point must be at most this high
MIN_POINTS = 3
MIN_SPAN = 0.3  # of the gap under the box that the support points must cover
RAISED = 0.15  # m: only boxes whose base is at least this high are examined


@dataclass
class Support:
    box_id: str
    n_points: int
    lowest: float
    base: float


def read_ply_points(path: Path) -> np.ndarray | None:
    """(n, 3) float points of a binary little-endian or ASCII PLY with x, y, z first (None if unusable)."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    end = raw.find(b"end_header\n")
    if end < 0:
        return None
    header = raw[:end].decode("ascii", errors="replace").splitlines()
    n, props, fmt = 0, [], ""
    in_vertex = False
    for line in header:
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "format":
            fmt = parts[1]
        elif parts[0] == "element":
            in_vertex = parts[1] == "vertex"
            if in_vertex:
                n = int(parts[2])
        elif parts[0] == "property" and in_vertex:
            props.append((parts[-1], parts[1]))
    if n == 0 or [p[0] for p in props[:3]] != ["x", "y", "z"]:
        return None
    body = raw[end + len(b"end_header\n"):]
    types = {"float": "<f4", "float32": "<f4", "double": "<f8", "uchar": "u1", "uint8": "u1", "int": "<i4",
             "uint": "<u4", "short": "<i2", "ushort": "<u2", "char": "i1"}
    try:
        if fmt == "binary_little_endian":
            dt = np.dtype([(name, types[t]) for name, t in props])
            a = np.frombuffer(body[: n * dt.itemsize], dtype=dt, count=n)
            pts = np.stack([a["x"], a["y"], a["z"]], axis=1).astype(float)
        elif fmt == "ascii":
            pts = np.loadtxt(body.decode().splitlines()[:n], usecols=(0, 1, 2), ndmin=2)
        else:
            return None
    except (KeyError, ValueError):
        return None
    return pts[np.isfinite(pts).all(axis=1)]


def find_supports(boxes: list[Box], points: np.ndarray) -> dict[int, Support]:
    """Index of each raised box that has a floor-reaching column of points under it."""
    out: dict[int, Support] = {}
    if points is None or not len(points):
        return out
    above = points[points[:, 2] > FLOOR_BAND]
    if not len(above):
        return out
    in_some_box = np.zeros(len(above), dtype=bool)
    for b in boxes:
        in_some_box |= (b.xy_depth(above[:, :2]) > 0) & (above[:, 2] >= b.bottom) & (above[:, 2] <= b.top)
    free_pts = above[~in_some_box]
    for i, b in enumerate(boxes):
        if b.bottom < RAISED or not len(free_pts):
            continue
        col = free_pts[(b.xy_depth(free_pts[:, :2]) > -0.05) & (free_pts[:, 2] < b.bottom)]
        if len(col) < MIN_POINTS:
            continue
        lowest = float(col[:, 2].min())
        span = float(col[:, 2].max() - lowest)
        if lowest <= REACH_FLOOR and span >= MIN_SPAN * (b.bottom - FLOOR_BAND):
            out[i] = Support(b.id, int(len(col)), lowest, b.bottom)
    return out


STEM_GAP_RATIO = 1.5  # gap under the box / the box's height ...
STEM_MIN_GAP = 1.0  # m ... when the gap is also above this (a slab seen low down is a lid, not a shade)
STEM_TOP = 2.6  # m


def stem_prior(b: Box) -> str | None:
    """Why a raised box is presumably the top of a thin-stemmed thing (None if it is not).

    A lamp shade or a tree canopy is reconstructed, its pole or trunk is not (a few points at
    most). Such tops sit either more than 1 m up *and* far above their own height (gap > 1.5 x
    height), or high up (top above 2.6 m). These thresholds are a calibrated prior (measured on
    the generator's scenes, see docs/simulation.md): furniture that really hovers is seen closer
    to the floor, often only as its lid.
    """
    if b.bottom < RAISED:
        return None
    gap = b.bottom
    if gap > STEM_MIN_GAP and gap > STEM_GAP_RATIO * b.size[2]:
        return f"its base is {gap:.2f} m up, more than {STEM_GAP_RATIO:g}x its own height ({b.size[2]:.2f} m)"
    if b.top > STEM_TOP:
        return f"its top is {b.top:.2f} m up (a canopy or shade on an unseen stem)"
    return None


def extend_to_floor(b: Box) -> Box:
    """The same box grown down to the floor (its unseen support made solid)."""
    top = b.top
    seen = b.seen_bottom  # what was seen of it stays marked: the stem is a presumption, not evidence
    return replace(b, center=(b.center[0], b.center[1], top / 2), size=(b.size[0], b.size[1], top), observed_bottom=seen)
