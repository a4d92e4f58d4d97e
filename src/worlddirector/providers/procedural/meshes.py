"""Unit primitives (box, cylinder, sphere, cone) as triangle soups, and the :class:`Part` that places one.

Every primitive spans ``[-0.5, 0.5]`` on each axis. A part scales it by ``dims`` (metres), rotates it
by a fixed ``rot`` and moves it to ``center`` in its object's frame (origin at the object's
bounding-box centre, +X forward, +Z up). Texture coordinates are metric (planar projection along each
triangle's dominant normal axis), so texture density is the same on every surface whatever its size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import numpy as np


@cache
def primitive(name: str) -> tuple[np.ndarray, np.ndarray]:
    """(positions, normals), each (N, 3) float32, N a multiple of 3 (triangle soup)."""
    if name == "box":
        return _box()
    if name == "cylinder":
        return _lathe([(0.0, -0.5), (0.5, -0.5), (0.5, 0.5), (0.0, 0.5)], 20, smooth_side=True)
    if name == "cone":
        return _lathe([(0.0, -0.5), (0.5, -0.5), (0.0, 0.5)], 20, smooth_side=True)
    if name == "sphere":
        rings = 10
        prof = [(0.5 * np.sin(np.pi * i / rings), -0.5 * np.cos(np.pi * i / rings)) for i in range(rings + 1)]
        return _lathe(prof, 18, smooth_side=True, sphere=True)
    if name == "disc":
        return _lathe([(0.0, 0.0), (0.5, 0.0)], 20, smooth_side=False)
    raise KeyError(name)


def _box() -> tuple[np.ndarray, np.ndarray]:
    pos, nrm = [], []
    for axis in range(3):
        for sign in (-1.0, 1.0):
            n = np.zeros(3)
            n[axis] = sign
            u = np.zeros(3)
            v = np.zeros(3)
            u[(axis + 1) % 3] = 1.0
            v[(axis + 2) % 3] = 1.0
            c = n * 0.5
            quad = [c - 0.5 * u - 0.5 * v, c + 0.5 * u - 0.5 * v, c + 0.5 * u + 0.5 * v, c - 0.5 * u + 0.5 * v]
            tri = [quad[0], quad[1], quad[2], quad[0], quad[2], quad[3]]
            if sign < 0:
                tri = tri[::-1]
            pos += tri
            nrm += [n] * 6
    return np.asarray(pos, np.float32), np.asarray(nrm, np.float32)


def _lathe(profile, segments: int, smooth_side: bool, sphere: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Revolve a (radius, z) profile about +Z."""
    pos, nrm = [], []
    angles = np.linspace(0, 2 * np.pi, segments + 1)
    for (r0, z0), (r1, z1) in zip(profile[:-1], profile[1:], strict=True):
        for a0, a1 in zip(angles[:-1], angles[1:], strict=True):
            p00 = np.array([r0 * np.cos(a0), r0 * np.sin(a0), z0])
            p01 = np.array([r0 * np.cos(a1), r0 * np.sin(a1), z0])
            p10 = np.array([r1 * np.cos(a0), r1 * np.sin(a0), z1])
            p11 = np.array([r1 * np.cos(a1), r1 * np.sin(a1), z1])
            if sphere:
                ns = [p / (np.linalg.norm(p) + 1e-9) for p in (p00, p01, p11, p00, p11, p10)]
            else:
                face = np.cross(p01 - p00, p10 - p00) if r0 > 1e-6 else np.cross(p11 - p10, p00 - p10)
                if np.linalg.norm(face) < 1e-9:
                    face = np.cross(p11 - p00, p10 - p00)
                face = face / (np.linalg.norm(face) + 1e-9)
                if abs(z1 - z0) < 1e-9:  # caps: flat normal
                    ns = [np.array([0, 0, -1.0 if r1 > r0 else 1.0])] * 6
                elif smooth_side:
                    dz = (r0 - r1) / max(abs(z1 - z0), 1e-9)
                    def sn(a, dz=dz):
                        v = np.array([np.cos(a), np.sin(a), dz])
                        return v / np.linalg.norm(v)
                    ns = [sn(a0), sn(a1), sn(a1), sn(a0), sn(a1), sn(a0)]
                else:
                    ns = [face] * 6
            tri = [p00, p01, p11, p00, p11, p10]
            pos += tri
            nrm += ns
    pos_a = np.asarray(pos, np.float32)
    nrm_a = np.asarray(nrm, np.float32)
    # outward winding is not needed (no culling), but drop degenerate triangles
    t = pos_a.reshape(-1, 3, 3)
    area = np.linalg.norm(np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0]), axis=1)
    keep = np.repeat(area > 1e-10, 3)
    return pos_a[keep], nrm_a[keep]


def euler_xyz(deg) -> np.ndarray:
    """Rotation matrix from X, then Y, then Z angles in degrees (R = Rz @ Ry @ Rx)."""
    ax, ay, az = np.radians(deg)
    cx, sx, cy, sy, cz, sz = np.cos(ax), np.sin(ax), np.cos(ay), np.sin(ay), np.cos(az), np.sin(az)
    rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return rz @ ry @ rx


def rot_y(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def rot_x(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def rot_z(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


@dataclass
class Part:
    """One primitive of an object's mesh.

    ``color`` is ``"body"`` (the object's colour) or an RGB triple. ``anim`` names how the part moves
    relative to the object: ``("swing", pivot, amp, phase)`` pitches about +Y with the gait phase
    (arms), ``("leg", pivot, amp, phase)`` pitches about +Y as the walker's stance model says (legs of
    walking and running movers, see ``layout._stance``; otherwise it swings like ``swing``; phase 0 and
    pi are the two alternating legs), ``("flap", pivot, amp, phase)`` rolls about +X (wings), ``("roll", pivot, radius)``
    turns with distance travelled (wheels, balls), ``("rotor", pivot)`` spins about +Z, ``("arm", pivot)``
    follows the launch arm angle (catapult).
    """

    prim: str
    center: tuple[float, float, float]
    dims: tuple[float, float, float]
    color: str | tuple[int, int, int] = "body"
    layer: str = "detail"
    rot: tuple[float, float, float] = (0.0, 0.0, 0.0)
    anim: tuple | None = None
    emit: float = 0.0
    _cache: dict = field(default_factory=dict, repr=False)

    def geometry(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(positions, normals, metric uvs) in the object frame at scale 1, before animation."""
        if "g" not in self._cache:
            p, n = primitive(self.prim)
            dims = np.asarray(self.dims, np.float64)
            local = p.astype(np.float64) * dims
            nn = n.astype(np.float64) / np.maximum(dims, 1e-6)
            nn /= np.linalg.norm(nn, axis=1, keepdims=True) + 1e-12
            # metric planar uv along each triangle's dominant normal axis
            tri_n = nn.reshape(-1, 3, 3).sum(axis=1)
            dom = np.argmax(np.abs(tri_n), axis=1).repeat(3)
            a = (dom + 1) % 3
            b = (dom + 2) % 3
            idx = np.arange(len(local))
            uv = np.stack([local[idx, a], local[idx, b]], axis=1)
            r = euler_xyz(self.rot)
            pos = local @ r.T + np.asarray(self.center)
            nrm = nn @ r.T
            self._cache["g"] = (pos, nrm, uv)
        return self._cache["g"]
