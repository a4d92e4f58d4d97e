"""The settle test: release every obstacle under gravity and watch what it does.

A resting object that is supported stays where it is. One that hovers over nothing falls (the
generator's ``floating`` failure, rebuilt as a box whose base is above the floor); one resting on
a corner or an edge tips or slides (``unstable_object``). Obstacles already overlapping each
other at rest are measured first from MuJoCo's contact depths (``interpenetration``); their
mutual contact is then switched off so the solver does not fling them apart and fake a fall.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from worlddirector.simulation.engine import mujoco
from worlddirector.simulation.geometry import Box
from worlddirector.simulation.mjcf import settle_mjcf


@dataclass
class Overlap:
    a: int  # obstacle index
    b: int  # obstacle index, or -1 - wall index for a wall
    depth: float  # metres, MuJoCo contact penetration
    point: tuple[float, float, float]


@dataclass
class SettleResult:
    boxes: list[Box]  # obstacles as simulated (sunken bases lifted to the floor)
    lifted: dict[int, float]
    overlaps: list[Overlap]
    start: np.ndarray  # [n, 3] initial centres
    end: np.ndarray  # [n, 3] final centres
    tilt_deg: np.ndarray  # [n] rotation away from the initial orientation
    drop_time: list[float | None]  # first time each obstacle had dropped by more than the tolerance
    max_speed: np.ndarray  # [n]
    trajectory: dict[int, list[tuple[float, float, float]]] = field(default_factory=dict)  # 30 Hz
    seconds: float = 0.0


def _lift_sunken(obstacles: list[Box]) -> tuple[list[Box], dict[int, float]]:
    out, lifted = [], {}
    for i, b in enumerate(obstacles):
        if b.bottom < 0.0:
            dz = -b.bottom  # a base below the floor is reconstruction noise: rest it on the floor
            lifted[i] = dz
            b = replace(b, center=(b.center[0], b.center[1], b.center[2] + dz))
        out.append(b)
    return out, lifted


def rest_overlaps(obstacles: list[Box], walls: list[Box]) -> list[Overlap]:
    """Penetrating contacts between obstacles, and between obstacles and walls, before anything moves."""
    if not obstacles:
        return []
    model = mujoco.MjModel.from_xml_string(settle_mjcf(obstacles, walls, []))
    data = mujoco.MjData(model)
    mujoco.mj_forward(model, data)
    deepest: dict[tuple[int, int], Overlap] = {}
    for c in data.contact[: data.ncon]:
        names = [mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_GEOM, g) or "" for g in (c.geom1, c.geom2)]
        idx = []
        for n in names:
            if n.startswith("obg"):
                idx.append(int(n[3:]))
            elif n.startswith("wall"):
                idx.append(-1 - int(n[4:]))
            else:
                idx.append(None)
        if None in idx or (idx[0] < 0 and idx[1] < 0):
            continue
        a, b = sorted(idx, reverse=True)  # obstacle first
        depth = -float(c.dist)
        if depth <= 0:
            continue
        key = (a, b)
        if key not in deepest or depth > deepest[key].depth:
            deepest[key] = Overlap(a, b, depth, tuple(float(x) for x in c.pos))
    return sorted(deepest.values(), key=lambda o: (o.a, o.b))


def settle(obstacles: list[Box], walls: list[Box], seconds: float = 1.5, drop_tol: float = 0.1,
           exclude_overlaps_deeper_than: float = 0.0) -> SettleResult:
    """Run the settle test for ``seconds`` of simulated time."""
    boxes, lifted = _lift_sunken(obstacles)
    overlaps = rest_overlaps(boxes, walls)
    exclude = sorted({(o.a, o.b) for o in overlaps if o.b >= 0 and o.depth > exclude_overlaps_deeper_than})
    n = len(boxes)
    start = np.array([b.center for b in boxes], dtype=float).reshape(n, 3)
    if n == 0:
        return SettleResult(boxes, lifted, overlaps, start, start.copy(), np.zeros(0), [], np.zeros(0), {}, seconds)
    # Obstacles pushed into walls would be shoved out; keep walls out of their way by dropping wall
    # contacts for obstacles found overlapping a wall (that overlap is already a finding).
    wall_hit = {o.a for o in overlaps if o.b < 0}
    model = mujoco.MjModel.from_xml_string(settle_mjcf(boxes, walls, exclude))
    for i in wall_hit:
        gid = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_GEOM, f"obg{i}")
        model.geom_contype[gid] = 0  # touches the floor (its contype 1) and nothing else
        model.geom_conaffinity[gid] = 1
    data = mujoco.MjData(model)
    body_ids = [mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, f"ob{i}") for i in range(n)]
    mujoco.mj_forward(model, data)
    q0 = data.xquat[body_ids].copy()
    steps = round(seconds / model.opt.timestep)
    per_tick = max(1, round(1.0 / 30.0 / model.opt.timestep))
    drop_time: list[float | None] = [None] * n
    max_speed = np.zeros(n)
    traj: dict[int, list[tuple[float, float, float]]] = {i: [] for i in range(n)}
    done = 0
    while done < steps:
        k = min(per_tick, steps - done)
        mujoco.mj_step(model, data, nstep=k)
        done += k
        pos = data.xpos[body_ids]
        for i in range(n):
            traj[i].append(tuple(round(float(v), 4) for v in pos[i]))
            if drop_time[i] is None and start[i, 2] - pos[i, 2] > drop_tol:
                drop_time[i] = round(done * model.opt.timestep, 4)
        vel = np.linalg.norm(data.cvel[body_ids][:, 3:], axis=1)
        max_speed = np.maximum(max_speed, vel)
    end = data.xpos[body_ids].copy()
    q1 = data.xquat[body_ids]
    tilt = np.zeros(n)
    for i in range(n):
        # angle of the relative rotation's effect on the box's up axis (yaw spin is not tipping)
        up0 = _rotate(q0[i], (0, 0, 1))
        up1 = _rotate(q1[i], (0, 0, 1))
        tilt[i] = math.degrees(math.acos(max(-1.0, min(1.0, float(np.dot(up0, up1))))))
    return SettleResult(boxes, lifted, overlaps, start, end, tilt, drop_time, max_speed, traj, seconds)


def _rotate(q, v) -> np.ndarray:
    out = np.zeros(3)
    mujoco.mju_rotVecQuat(out, np.asarray(v, dtype=float), np.asarray(q, dtype=float))
    return out
