"""Boxes the simulation reasons about: obstacles, walls and moving objects as oriented boxes.

Everything in the world frame of ``world.json`` (Z up, metres, floor ``z = 0``). Walls are thin
boxes standing *outside* the floor rectangle so their inner face is the reconstructed wall plane:
an object touching a wall then touches, and does not overlap, the wall box.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from worlddirector.artifacts.world import World

WALL_THICKNESS = 0.2  # metres; thick enough that MuJoCo never lets a walking agent through


@dataclass(frozen=True)
class Box:
    """An oriented box: ``center`` (x, y, z), full ``size`` (x, y, z), rotation ``yaw`` about +Z."""

    id: str
    kind: str  # "obstacle" | "wall"
    center: tuple[float, float, float]
    size: tuple[float, float, float]
    yaw: float
    confidence: float
    label: str | None = None
    # what reconstruction says holds it up (world.json ``support``): floor_contact, floor_assumed,
    # free_below (the cameras saw the floor through a gap under it), or None (not assessed)
    support: str | None = None
    completed: bool = False  # part of the footprint is reconstruction's guess
    # height of its lowest reconstructed points (world.json ``observed_bottom``); a base below it was
    # extended down to the floor as a guess (``floor_assumed``, or a presumed unseen stem)
    observed_bottom: float | None = None

    @property
    def seen_bottom(self) -> float:
        """Bottom of the part of the box reconstruction saw (the box's own bottom when not known)."""
        return self.bottom if self.observed_bottom is None else min(self.top, max(self.bottom, self.observed_bottom))

    def seen_part(self) -> Box:
        """The box cut down to its seen part (between :attr:`seen_bottom` and the top)."""
        lo = self.seen_bottom
        return replace(self, center=(self.center[0], self.center[1], (lo + self.top) / 2),
                       size=(self.size[0], self.size[1], max(self.top - lo, 1e-3)))

    @property
    def bottom(self) -> float:
        return self.center[2] - self.size[2] / 2

    @property
    def top(self) -> float:
        return self.center[2] + self.size[2] / 2

    def footprint(self, inflate: float = 0.0) -> np.ndarray:
        """The 4 corners (x, y) of the box's floor footprint, grown by ``inflate`` on every side."""
        hx, hy = self.size[0] / 2 + inflate, self.size[1] / 2 + inflate
        c, s = math.cos(self.yaw), math.sin(self.yaw)
        local = np.array([[-hx, -hy], [hx, -hy], [hx, hy], [-hx, hy]])
        rot = np.array([[c, -s], [s, c]])
        return local @ rot.T + np.array(self.center[:2])

    def corners(self) -> np.ndarray:
        """The 8 corners (x, y, z) of the box."""
        fp = self.footprint()
        return np.vstack([np.hstack([fp, np.full((4, 1), z)]) for z in (self.bottom, self.top)])

    def local_xy(self, pts: np.ndarray) -> np.ndarray:
        """World (x, y) points into the box's own frame (axis-aligned, centred)."""
        c, s = math.cos(self.yaw), math.sin(self.yaw)
        d = np.asarray(pts, dtype=float)[..., :2] - np.array(self.center[:2])
        return np.stack([c * d[..., 0] + s * d[..., 1], -s * d[..., 0] + c * d[..., 1]], axis=-1)

    def xy_depth(self, pts: np.ndarray) -> np.ndarray:
        """How far each (x, y) point is inside the footprint (negative = outside, metres)."""
        loc = self.local_xy(pts)
        return np.minimum(self.size[0] / 2 - np.abs(loc[..., 0]), self.size[1] / 2 - np.abs(loc[..., 1]))


def obstacle_boxes(world: World) -> list[Box]:
    return [
        Box(o.id, "obstacle", tuple(o.center), tuple(o.size), o.yaw, o.confidence, o.label,
            getattr(o, "support", None), bool(getattr(o, "completed", False)), getattr(o, "observed_bottom", None))
        for o in world.obstacles
    ]


def floor_center(world: World) -> tuple[float, float]:
    f = world.floor
    return ((f.extent_min[0] + f.extent_max[0]) / 2, (f.extent_min[1] + f.extent_max[1]) / 2)


def wall_boxes(world: World) -> list[Box]:
    """Each wall segment as a box whose inner face lies on the segment, on the side away from the floor."""
    cx, cy = floor_center(world)
    boxes = []
    for w in world.walls:
        (x0, y0), (x1, y1) = w.p0, w.p1
        length = math.hypot(x1 - x0, y1 - y0)
        if length < 1e-6:
            continue
        yaw = math.atan2(y1 - y0, x1 - x0)
        nx, ny = -math.sin(yaw), math.cos(yaw)  # a unit normal of the segment
        mx, my = (x0 + x1) / 2, (y0 + y1) / 2
        if (cx - mx) * nx + (cy - my) * ny > 0:  # normal points into the room: push the box outwards
            nx, ny = -nx, -ny
        t = WALL_THICKNESS
        center = (mx + nx * t / 2, my + ny * t / 2, w.height / 2)
        boxes.append(Box(w.id, "wall", center, (length + 2 * t, t, w.height), yaw, w.confidence))
    return boxes


def segment_box_crossing(p: np.ndarray, q: np.ndarray, box: Box, shrink: float = 0.0, samples: int = 8) -> float:
    """Deepest (x, y) penetration of the segment p→q into the box footprint shrunk by ``shrink``.

    Sampled along the segment (segments are short: one video frame or one physics tick).
    """
    ts = np.linspace(0.0, 1.0, samples)
    pts = p[None, :2] * (1 - ts[:, None]) + q[None, :2] * ts[:, None]
    return float(np.max(box.xy_depth(pts))) - shrink


class BoxSet:
    """Many boxes as arrays, so per-tick checks over all agents x all boxes are one numpy call."""

    def __init__(self, boxes: list[Box]):
        self.boxes = boxes
        self.c = np.array([b.center[:2] for b in boxes], dtype=float).reshape(-1, 2)
        self.cos = np.array([math.cos(b.yaw) for b in boxes])
        self.sin = np.array([math.sin(b.yaw) for b in boxes])
        self.half = np.array([(b.size[0] / 2, b.size[1] / 2) for b in boxes], dtype=float).reshape(-1, 2)
        self.bottom = np.array([b.bottom for b in boxes])
        self.top = np.array([b.top for b in boxes])

    def local(self, pts: np.ndarray) -> np.ndarray:
        """[n, 2] points → [n, m, 2] in each box's frame."""
        d = pts[:, None, :] - self.c[None, :, :]
        x = self.cos * d[..., 0] + self.sin * d[..., 1]
        y = -self.sin * d[..., 0] + self.cos * d[..., 1]
        return np.stack([x, y], axis=-1)

    def depth(self, pts: np.ndarray) -> np.ndarray:
        """[n, m] footprint penetration depth (negative = outside)."""
        loc = np.abs(self.local(pts))
        return np.minimum(self.half[None, :, 0] - loc[..., 0], self.half[None, :, 1] - loc[..., 1])
