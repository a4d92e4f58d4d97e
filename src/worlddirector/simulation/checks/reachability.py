"""``unreachable_area``: walkable floor that no agent can get to from where agents start.

Computed on the configuration-space grid (free cells = where an agent's centre fits), so a gap
narrower than an agent is a wall to it. Small pockets (below ``MIN_AREA`` or ``MIN_SHARE`` of the
free floor) are ignored: corners behind furniture are not findings.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from worlddirector.artifacts.agent_report import Violation
from worlddirector.simulation.checks import violation
from worlddirector.simulation.geometry import Box
from worlddirector.simulation.grid import Grid
from worlddirector.simulation.placement import Cameras, compress_frames

MIN_AREA = 1.0  # m²
MIN_SHARE = 0.03  # of the free floor
MAIN_MIN_SHARE = 0.25  # the camera's component counts as "where agents start" only if it is this big


def main_component(grid: Grid, start_hint: tuple[float, float] | None) -> tuple[np.ndarray, np.ndarray, int]:
    """(labels, mask of the start component, its label). The start component is the one under the
    camera when that is a real part of the floor, else the largest."""
    labels, n = grid.components()
    if n == 0:
        return labels, np.zeros_like(grid.free), 0
    sizes = ndimage.sum(np.ones_like(labels), labels, index=np.arange(1, n + 1))
    main = int(np.argmax(sizes)) + 1
    if start_hint is not None:
        cell = grid.nearest_free(*start_hint)
        if cell is not None:
            lab = int(labels[cell])
            if sizes[lab - 1] >= MAIN_MIN_SHARE * sizes.sum():
                main = lab
    return labels, labels == main, main


def unreachable_areas(grid: Grid, labels: np.ndarray, main: int, boxes: list[Box], agent_radius: float,
                      cams: Cameras) -> tuple[list[Violation], float]:
    total = int(grid.free.sum())
    if total == 0:
        return [], 0.0
    reach = float((labels == main).sum()) / total
    cell_area = grid.res ** 2
    out = []
    gx, gy = grid.cell_centers()
    for lab in range(1, int(labels.max()) + 1):
        if lab == main:
            continue
        mask = labels == lab
        area = float(mask.sum()) * cell_area
        if area < max(MIN_AREA, MIN_SHARE * total * cell_area):
            continue
        cx, cy = float(gx[mask].mean()), float(gy[mask].mean())
        # nearest cell of the region to its centroid (the centroid of an L-shape may lie outside it)
        d = np.where(mask, (gx - cx) ** 2 + (gy - cy) ** 2, np.inf)
        i, j = np.unravel_index(int(np.argmin(d)), d.shape)
        pos = (float(gx[i, j]), float(gy[i, j]), 0.0)
        ring = ndimage.binary_dilation(mask, iterations=max(2, round(2 * agent_radius / grid.res) + 1)) & ~mask
        pts = np.stack([gx[ring], gy[ring]], axis=1)
        enclosing = [b for b in boxes if len(pts) and float(np.max(b.xy_depth(pts))) > -agent_radius - grid.res]
        names = ", ".join(f"{b.kind} {b.id}" for b in enclosing[:6]) or "the floor's edge"
        out.append(violation(
            "unreachable_area", min(1.0, area / max(total * cell_area, 1e-6) * 3), pos, 0.0,
            f"{area:.1f} m² of walkable floor around ({pos[0]:.1f}, {pos[1]:.1f}) has no path from where agents "
            f"start (cut off by {names}); agents can reach {reach:.0%} of the walkable floor",
            frames=compress_frames(cams.visible_frames(pos)), object_id=None,
        ))
    return out, reach
