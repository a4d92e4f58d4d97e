"""Write the world as a browser/physics-friendly glTF binary and a coloured point cloud.

glTF is Y-up; our world is Z-up. Every node is converted with ``(x, y, z) -> (x, z, -y)``.
Each solid element appears twice: a coloured visual mesh (``floor``, ``wall_*``, ``obstacle_*``,
``billboard_*``) and a collider with the same shape named ``collider_<name>``, so a viewer can hide
colliders by name and a physics loader can take only them. Moving objects are visual only
(``moving_*``, placed at their first position), and the reliable SfM points are a ``points`` node.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import trimesh

from worlddirector.artifacts.world import World

Z_UP_TO_Y_UP = np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, -1, 0, 0], [0, 0, 0, 1]], dtype=float)


def _box(size, center, yaw: float, rgba) -> trimesh.Trimesh:
    m = trimesh.creation.box(extents=np.maximum(np.asarray(size, float), 1e-3))
    T = trimesh.transformations.rotation_matrix(yaw, [0, 0, 1])
    T[:3, 3] = center
    m.apply_transform(T)
    m.visual.face_colors = np.tile(np.asarray(rgba, np.uint8), (len(m.faces), 1))
    return m


def build_scene(world: World, points: np.ndarray | None = None, colors: np.ndarray | None = None) -> trimesh.Scene:
    scene = trimesh.Scene()

    def add(name: str, mesh, collider: bool = True):
        scene.add_geometry(mesh, node_name=name, geom_name=name, transform=Z_UP_TO_Y_UP)
        if collider:
            c = mesh.copy()
            c.visual.face_colors = np.tile(np.array([255, 0, 255, 80], np.uint8), (len(c.faces), 1))
            scene.add_geometry(c, node_name=f"collider_{name}", geom_name=f"collider_{name}", transform=Z_UP_TO_Y_UP)

    f = world.floor
    (x0, y0), (x1, y1) = f.extent_min, f.extent_max
    thick = 0.05
    add("floor", _box((x1 - x0, y1 - y0, thick), ((x0 + x1) / 2, (y0 + y1) / 2, -thick / 2), 0.0, (150, 150, 140, 255)))
    for w in world.walls:
        p0, p1 = np.array(w.p0), np.array(w.p1)
        length = float(np.linalg.norm(p1 - p0))
        yaw = float(np.arctan2(*(p1 - p0)[::-1]))
        mid = (p0 + p1) / 2
        add(w.id, _box((length, 0.1, w.height), (mid[0], mid[1], w.height / 2), yaw, (200, 195, 185, 255)))
    for o in world.obstacles:
        rgba = (*(o.color or (90, 120, 200)), 255)
        add(o.id, _box(o.size, o.center, o.yaw, rgba))
    for m in world.moving_objects:
        if m.trajectory:
            rgba = (*(m.color or (220, 80, 60)), 255)
            add(f"moving_{m.id}", _box(m.size, m.trajectory[0].position, 0.0, rgba), collider=False)
    if points is not None and len(points):
        rgba = np.c_[colors if colors is not None else np.full((len(points), 3), 200), np.full(len(points), 255)]
        pc = trimesh.PointCloud(np.asarray(points, float), colors=rgba.astype(np.uint8))
        scene.add_geometry(pc, node_name="points", geom_name="points", transform=Z_UP_TO_Y_UP)
    return scene


def write_glb(path: Path, world: World, points=None, colors=None) -> Path:
    data = build_scene(world, points, colors).export(file_type="glb")
    tmp = path.with_suffix(".glb.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path


def write_ply(path: Path, points: np.ndarray, colors: np.ndarray) -> Path:
    """Binary PLY with per-vertex RGB (an empty cloud is written as a valid zero-vertex file)."""
    points = np.asarray(points, float).reshape(-1, 3)
    colors = np.asarray(colors, np.uint8).reshape(-1, 3)
    header = (
        "ply\nformat binary_little_endian 1.0\ncomment worlddirector points, world frame Z-up metres\n"
        f"element vertex {len(points)}\nproperty float x\nproperty float y\nproperty float z\n"
        "property uchar red\nproperty uchar green\nproperty uchar blue\nend_header\n"
    )
    rec = np.zeros(len(points), dtype=[("x", "<f4"), ("y", "<f4"), ("z", "<f4"), ("r", "u1"), ("g", "u1"), ("b", "u1")])
    if len(points):
        rec["x"], rec["y"], rec["z"] = points.T
        rec["r"], rec["g"], rec["b"] = colors.T
    tmp = path.with_suffix(".ply.tmp")
    with open(tmp, "wb") as fh:
        fh.write(header.encode())
        fh.write(rec.tobytes())
    tmp.replace(path)
    return path
