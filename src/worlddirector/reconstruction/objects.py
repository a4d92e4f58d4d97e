"""Objects in the world that geometry alone does not give us: moving things and names.

**Moving objects.** SfM's RANSAC throws moving points away, so moving things come from the
analysis stage's 2D tracks. Each tracked box's bottom-centre is taken as the object's floor
contact and lifted into the world by intersecting the camera ray through it with ``z = 0``
(cameras interpolated between registered keyframes). Width and height follow from the box size
at that depth. Objects that do not actually touch the floor (flying, falling) get the point on
the floor *behind* them; this is the documented limit of floor-contact lifting.

**Labels.** A scene graph (from the vision model via analysis) names objects with colours; we
attach a label to the geometric cluster or track whose colour is closest in CIELAB, only when
the match is clear.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from worlddirector.artifacts.analysis import Analysis, Track
from worlddirector.reconstruction.geometry import intersect_floor, pixel_ray

PoseAt = Callable[[int], tuple[np.ndarray, np.ndarray]]  # frame -> (R cam_from_world, centre)

COLOR_NAMES: dict[str, tuple[int, int, int]] = {
    "red": (200, 40, 40), "green": (50, 160, 60), "blue": (40, 70, 200), "yellow": (230, 210, 40),
    "orange": (240, 140, 30), "purple": (130, 60, 170), "pink": (240, 130, 180), "white": (235, 235, 235),
    "black": (25, 25, 25), "gray": (128, 128, 128), "grey": (128, 128, 128), "brown": (120, 80, 40),
    "cyan": (40, 200, 210), "teal": (30, 130, 130), "silver": (190, 190, 195), "gold": (210, 170, 50),
    "beige": (220, 205, 170), "navy": (20, 30, 100), "magenta": (210, 40, 170), "lime": (150, 220, 40),
}


def lab(rgb) -> np.ndarray:
    a = np.array(rgb, dtype=np.uint8).reshape(1, 1, 3)
    return cv2.cvtColor(a, cv2.COLOR_RGB2LAB).reshape(3).astype(float)


def color_of(name: str | None) -> tuple[int, int, int] | None:
    if not name:
        return None
    for word in str(name).lower().replace("-", " ").split():
        if word in COLOR_NAMES:
            return COLOR_NAMES[word]
    return None


@dataclass
class Lifted:
    track_id: str
    label: str | None
    color: tuple[int, int, int]
    frames: list[int]
    times: list[float]
    positions: np.ndarray  # (k,3) floor-contact point lifted to the box centre height
    size: tuple[float, float, float]
    travel: float  # metres between the first and last quarter (0 when within the jitter)

    @property
    def moving(self) -> bool:
        return self.travel > 0.5


def lift_track(track: Track, pose_at: PoseAt, K: np.ndarray, px_scale: float, fps: float) -> Lifted | None:
    """Lift one 2D track to a floor trajectory. ``px_scale`` maps track pixels to K's pixels."""
    frames, times, pos, widths, heights = [], [], [], [], []
    for p in track.points:
        x0, y0, x1, y1 = (v * px_scale for v in p.box)
        R, C = pose_at(p.frame)
        foot = np.array([(x0 + x1) / 2, y1])
        g = intersect_floor(C, pixel_ray(K, R, foot)[0])
        if g is None:
            continue
        depth = float((R @ (g - C))[2])  # along the optical axis
        if depth <= 0.1 or depth > 40:  # beyond ~40 m a floor intersection is meaningless
            continue
        w = (x1 - x0) * depth / K[0, 0]
        h = (y1 - y0) * depth / K[1, 1]
        frames.append(p.frame)
        times.append(p.frame / fps)
        pos.append(g)
        widths.append(w)
        heights.append(h)
    if len(frames) < 2:
        return None
    P = np.array(pos)
    hh = float(np.median(heights))
    ww = float(np.median(widths))
    P[:, 2] = hh / 2
    # robust travel: first vs last quarter (medians), against the jitter within those quarters,
    # so that a static object's noisy floor contact does not read as motion
    q = max(1, len(P) // 4)
    a, b = np.median(P[:q, :2], axis=0), np.median(P[-q:, :2], axis=0)
    jitter = float(np.median(np.linalg.norm(np.r_[P[:q, :2] - a, P[-q:, :2] - b], axis=1)))
    shift = float(np.linalg.norm(b - a))
    travel = shift if shift > 3 * jitter else 0.0
    colors = np.array([p.color for p in track.points])
    col = tuple(int(c) for c in np.median(colors, axis=0))
    return Lifted(track.id, track.label, col, frames, times, P, (ww, ww, hh), travel)


def lift_tracks(analysis: Analysis | None, pose_at: PoseAt, K: np.ndarray, px_scale: float, fps: float) -> list[Lifted]:
    if analysis is None:
        return []
    out = []
    for tr in analysis.tracks:
        lt = lift_track(tr, pose_at, K, px_scale, fps)
        if lt is not None:
            out.append(lt)
    return out


def scene_graph_objects(analysis: Analysis | None) -> list[dict]:
    """Objects named by a scene graph in ``analysis.scene_description`` (any of the usual nestings)."""
    if analysis is None:
        return []
    sd = analysis.scene_description or {}
    found: list[dict] = []
    for cand in (sd.get("scene_graph"), sd):
        if isinstance(cand, dict) and isinstance(cand.get("objects"), list):
            found = [o for o in cand["objects"] if isinstance(o, dict) and o.get("label")]
            if found:
                break
    return found


def match_labels(colors: list[tuple[int, int, int]], named: list[dict], max_dist: float = 45.0) -> list[str | None]:
    """Greedy one-to-one assignment of named objects to colours (CIELAB distance, clear matches only)."""
    labels: list[str | None] = [None] * len(colors)
    cands = []
    for j, obj in enumerate(named):
        rgb = color_of(obj.get("color")) or color_of(obj.get("label"))
        if rgb is None:
            continue
        for i, c in enumerate(colors):
            cands.append((float(np.linalg.norm(lab(c) - lab(rgb))), i, j))
    used_i, used_j = set(), set()
    for d, i, j in sorted(cands):
        if d > max_dist or i in used_i or j in used_j:
            continue
        labels[i] = str(named[j]["label"])
        used_i.add(i)
        used_j.add(j)
    return labels
