"""Occupancy grid of the walkable floor, A* paths on it, and which parts connect to which.

Cells are free when an agent's centre may stand there: inside the floor rectangle, and outside
every obstacle and wall footprint grown by the agent radius (configuration space), so a path on
the grid is a path a capsule of that radius fits through.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from worlddirector.simulation.geometry import Box

MAX_CELLS_PER_SIDE = 240  # bounds planning cost on huge open floors (resolution grows instead)
SQRT2 = math.sqrt(2.0)


@dataclass
class Grid:
    origin: tuple[float, float]  # world (x, y) of cell (0, 0)'s centre
    res: float  # metres per cell
    free: np.ndarray  # bool [nx, ny]; free[i, j] is the cell at x = origin_x + i*res, y = origin_y + j*res
    walkable: np.ndarray  # bool [nx, ny]: on the floor and not under an obstacle/wall footprint itself

    @property
    def shape(self) -> tuple[int, int]:
        return self.free.shape

    def to_cell(self, x: float, y: float) -> tuple[int, int]:
        i = round((x - self.origin[0]) / self.res)
        j = round((y - self.origin[1]) / self.res)
        return min(max(i, 0), self.shape[0] - 1), min(max(j, 0), self.shape[1] - 1)

    def to_world(self, i: int, j: int) -> tuple[float, float]:
        return self.origin[0] + i * self.res, self.origin[1] + j * self.res

    def cell_centers(self) -> tuple[np.ndarray, np.ndarray]:
        xs = self.origin[0] + np.arange(self.shape[0]) * self.res
        ys = self.origin[1] + np.arange(self.shape[1]) * self.res
        return np.meshgrid(xs, ys, indexing="ij")

    def nearest_free(self, x: float, y: float, mask: np.ndarray | None = None) -> tuple[int, int] | None:
        """The free cell closest to (x, y) (optionally restricted to ``mask``)."""
        m = self.free if mask is None else (self.free & mask)
        if not m.any():
            return None
        gx, gy = self.cell_centers()
        d = (gx - x) ** 2 + (gy - y) ** 2
        d = np.where(m, d, np.inf)
        i, j = np.unravel_index(int(np.argmin(d)), d.shape)
        return int(i), int(j)

    def components(self) -> tuple[np.ndarray, int]:
        """Connected components of free cells as A* sees them: label image (0 = blocked) and count.

        A* moves diagonally only when both orthogonal neighbours are free, so its connectivity is
        exactly 4-connectivity."""
        labels, n = ndimage.label(self.free)
        return labels, int(n)

    def astar(self, start: tuple[int, int], goal: tuple[int, int]) -> list[tuple[int, int]] | None:
        """Shortest 8-connected path of free cells (no corner cutting), or ``None`` when none exists.

        Flat indices and lists instead of tuples and dicts: planning runs inside the 30 Hz loop.
        """
        free = self.free
        if not free[start] or not free[goal]:
            return None
        nx, ny = free.shape
        flat = free.ravel().tolist()
        n = nx * ny
        s0 = start[0] * ny + start[1]
        g0 = goal[0] * ny + goal[1]
        gi, gj = goal
        g = [math.inf] * n
        came = [-1] * n
        closed = [False] * n
        g[s0] = 0.0
        heap = [(0.0, s0)]
        steps = ((1, 0, 1.0), (-1, 0, 1.0), (0, 1, 1.0), (0, -1, 1.0),
                 (1, 1, SQRT2), (1, -1, SQRT2), (-1, 1, SQRT2), (-1, -1, SQRT2))
        k2 = SQRT2 - 2
        while heap:
            _, cur = heapq.heappop(heap)
            if cur == g0:
                path = [cur]
                while came[cur] >= 0:
                    cur = came[cur]
                    path.append(cur)
                return [(c // ny, c % ny) for c in reversed(path)]
            if closed[cur]:
                continue
            closed[cur] = True
            ci, cj = divmod(cur, ny)
            cost = g[cur]
            for di, dj, w in steps:
                ni, nj = ci + di, cj + dj
                if ni < 0 or nj < 0 or ni >= nx or nj >= ny:
                    continue
                nb = ni * ny + nj
                if not flat[nb] or closed[nb]:
                    continue
                if di and dj and not (flat[(ci + di) * ny + cj] and flat[ci * ny + cj + dj]):
                    continue  # never squeeze diagonally between two blocked cells
                nc = cost + w
                if nc < g[nb]:
                    g[nb] = nc
                    came[nb] = cur
                    dx, dy = abs(ni - gi), abs(nj - gj)
                    heapq.heappush(heap, (nc + dx + dy + k2 * (dx if dx < dy else dy), nb))
        return None


def _inside_box(gx: np.ndarray, gy: np.ndarray, box: Box, inflate: float) -> np.ndarray:
    pts = np.stack([gx, gy], axis=-1)
    return box.xy_depth(pts) > -inflate


def build_grid(
    floor_min: tuple[float, float],
    floor_max: tuple[float, float],
    boxes: list[Box],
    agent_radius: float,
    res: float = 0.15,
    agent_height: float = 1.7,
) -> Grid:
    """Rasterise the floor; a box blocks only if it reaches below an agent's head (a low-hanging
    shelf blocks, a sign 3 m up does not)."""
    w = floor_max[0] - floor_min[0]
    h = floor_max[1] - floor_min[1]
    res = max(res, max(w, h) / MAX_CELLS_PER_SIDE)
    nx = max(int(math.floor(w / res)), 1)
    ny = max(int(math.floor(h / res)), 1)
    origin = (floor_min[0] + (w - (nx - 1) * res) / 2, floor_min[1] + (h - (ny - 1) * res) / 2)
    xs = origin[0] + np.arange(nx) * res
    ys = origin[1] + np.arange(ny) * res
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    on_floor = (gx >= floor_min[0] + agent_radius) & (gx <= floor_max[0] - agent_radius)
    on_floor &= (gy >= floor_min[1] + agent_radius) & (gy <= floor_max[1] - agent_radius)
    under = np.zeros_like(on_floor)
    blocked = np.zeros_like(on_floor)
    for b in boxes:
        if b.bottom > agent_height or b.top < 0.05:
            continue
        under |= _inside_box(gx, gy, b, 0.0)
        blocked |= _inside_box(gx, gy, b, agent_radius)
    inside_floor = (gx >= floor_min[0]) & (gx <= floor_max[0]) & (gy >= floor_min[1]) & (gy <= floor_max[1])
    return Grid(origin=origin, res=res, free=on_floor & ~blocked, walkable=inside_floor & ~under)


def smooth_path(grid: Grid, cells: list[tuple[int, int]]) -> list[tuple[float, float]]:
    """Grid path → world waypoints, dropping cells visible in a straight line (string pulling)."""
    if not cells:
        return []
    pts = [grid.to_world(*c) for c in cells]
    out = [pts[0]]
    anchor = 0
    k = 1
    while k < len(cells):
        if not _line_free(grid, cells[anchor], cells[k]):
            out.append(pts[k - 1])
            anchor = k - 1
        k += 1
    out.append(pts[-1])
    return out


def _line_free(grid: Grid, a: tuple[int, int], b: tuple[int, int]) -> bool:
    n = max(abs(b[0] - a[0]), abs(b[1] - a[1])) * 2 + 1
    f = np.arange(n + 1) / n
    ii = np.rint(a[0] + (b[0] - a[0]) * f).astype(int)
    jj = np.rint(a[1] + (b[1] - a[1]) * f).astype(int)
    return bool(grid.free[ii, jj].all())
