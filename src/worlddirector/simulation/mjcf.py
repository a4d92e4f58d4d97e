"""MuJoCo models (MJCF strings) generated from a world.

Two scenes are built from the same geometry:

* the **settle** scene: every obstacle is a free rigid body under gravity beside the static floor
  and walls, to see what stays put (supported, stable) and what falls, tips or slides;
* the **agent** scene: floor, walls and obstacles static; tracked moving objects as dynamic bodies
  with estimated mass pulled along their reconstructed trajectory by a soft weld to a mocap target;
  agents as upright capsules on x/y/z slide joints driven by velocity actuators.

Collision groups (``contype``/``conaffinity`` bits) keep tracked objects from fighting static
geometry and the floor (the weld carries them; a reconstructed track grazing the floor is noise) (their passing *through* obstacles is a finding the checks report, not a crash to
simulate) while agents collide with everything, including each other.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from worlddirector.simulation.geometry import Box

GRAVITY = 9.81
FLOOR, STATIC, AGENT, MOVING = 1, 2, 4, 8

# Densities (kg/m³ of the bounding box) for mass estimates: hollow/irregular things fill little of
# their box. Unknown labels get a furniture-like default.
DENSITY_BY_LABEL = {
    "crate": 250, "box": 200, "barrel": 300, "rock": 1500, "boulder": 1500, "table": 120, "chair": 90,
    "lamp": 60, "pillar": 1200, "column": 1200, "tree": 300, "car": 250, "person": 950, "robot": 600,
    "ball": 150, "fence": 100, "building": 300, "catapult": 200,
}
DEFAULT_DENSITY = 250.0


def density_for(label: str | None) -> float:
    if label:
        low = label.lower()
        for key, val in DENSITY_BY_LABEL.items():
            if key in low:
                return float(val)
    return DEFAULT_DENSITY


def _f(v: float) -> str:
    return f"{v:.6g}"


def _vec(v) -> str:
    return " ".join(_f(x) for x in v)


def _quat_yaw(yaw: float) -> str:
    return _vec((math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2)))


def _header(timestep: float, extent: float) -> list[str]:
    return [
        '<mujoco model="worlddirector">',
        f'  <option timestep="{_f(timestep)}" gravity="0 0 {-GRAVITY}" integrator="implicitfast"/>',
        f'  <statistic extent="{_f(extent)}"/>',
        '  <size memory="64M"/>',
        "  <worldbody>",
        (f'    <geom name="floor" type="plane" size="0 0 1" contype="{FLOOR}" conaffinity="{STATIC | AGENT}"'
         ' friction="0.8 0.005 0.0001"/>'),
    ]


def _static_box(name: str, b: Box, affinity: int) -> str:
    return (
        f'    <geom name="{name}" type="box" pos="{_vec(b.center)}" quat="{_quat_yaw(b.yaw)}" '
        f'size="{_vec(s / 2 for s in b.size)}" contype="{STATIC}" conaffinity="{affinity}"/>'
    )


def settle_mjcf(obstacles: list[Box], walls: list[Box], exclude: list[tuple[int, int]], timestep: float = 0.002) -> str:
    """Obstacles as free bodies ``ob{i}`` (geom ``obg{i}``), walls static ``wall{i}``.

    ``exclude`` lists obstacle index pairs whose mutual contact is switched off (pairs already
    reported as interpenetrating, so the solver does not fling them apart and fake a fall).
    """
    extent = max([10.0] + [abs(c) for b in obstacles + walls for c in b.center[:2]])
    lines = _header(timestep, extent)
    for i, w in enumerate(walls):
        lines.append(_static_box(f"wall{i}", w, FLOOR | STATIC))
    for i, b in enumerate(obstacles):
        lines.append(f'    <body name="ob{i}" pos="{_vec(b.center)}" quat="{_quat_yaw(b.yaw)}">')
        lines.append("      <freejoint/>")
        lines.append(
            f'      <geom name="obg{i}" type="box" size="{_vec(s / 2 for s in b.size)}" density="{_f(density_for(b.label))}" '
            f'contype="{STATIC}" conaffinity="{FLOOR | STATIC}" friction="0.8 0.005 0.0001"/>'
        )
        lines.append("    </body>")
    lines.append("  </worldbody>")
    if exclude:
        lines.append("  <contact>")
        for i, j in exclude:
            lines.append(f'    <exclude body1="ob{i}" body2="ob{j}"/>')
        lines.append("  </contact>")
    lines.append("</mujoco>")
    return "\n".join(lines)


@dataclass(frozen=True)
class AgentSpec:
    radius: float = 0.25
    height: float = 1.7
    mass: float = 70.0
    kv: float = 1400.0  # N per (m/s) of velocity error: ~0.05 s time constant at 70 kg
    max_force: float = 500.0


@dataclass(frozen=True)
class MovingSpec:
    size: tuple[float, float, float]
    start: tuple[float, float, float]
    label: str | None
    solid: bool = True  # collides with agents (only objects that stay put: see agents.py)


def agent_mjcf(
    obstacles: list[Box],
    walls: list[Box],
    starts: list[tuple[float, float]],
    moving: list[MovingSpec],
    spec: AgentSpec,
    timestep: float = 1.0 / 120.0,
) -> str:
    """Agents ``agent{k}`` (joints ``a{k}x/y/z``, actuators ``a{k}vx/vy``); moving objects ``mo{k}``
    welded to mocap bodies ``mo{k}t``."""
    pts = [abs(c) for b in obstacles + walls for c in b.center[:2]] + [abs(c) for s in starts for c in s]
    lines = _header(timestep, max([10.0] + pts))
    for i, w in enumerate(walls):
        lines.append(_static_box(f"wall{i}", w, AGENT))
    for i, b in enumerate(obstacles):
        lines.append(_static_box(f"obg{i}", b, AGENT))
    r, h = spec.radius, spec.height
    for k, (x, y) in enumerate(starts):
        lines += [
            f'    <body name="agent{k}" pos="{_f(x)} {_f(y)} 0">',
            f'      <joint name="a{k}x" type="slide" axis="1 0 0" damping="5"/>',
            f'      <joint name="a{k}y" type="slide" axis="0 1 0" damping="5"/>',
            f'      <joint name="a{k}z" type="slide" axis="0 0 1"/>',
            (f'      <geom name="ag{k}" type="capsule" fromto="0 0 {_f(r)} 0 0 {_f(h - r)}" size="{_f(r)}" '
             f'mass="{_f(spec.mass)}" priority="1" friction="0.02 0.005 0.0001" '
             f'contype="{AGENT}" conaffinity="{FLOOR | STATIC | AGENT | MOVING}"/>'),
            "    </body>",
        ]
    for k, m in enumerate(moving):
        half = _vec(max(s, 0.02) / 2 for s in m.size)
        lines += [
            f'    <body name="mo{k}t" mocap="true" pos="{_vec(m.start)}"/>',
            f'    <body name="mo{k}" pos="{_vec(m.start)}" gravcomp="1">',
            "      <freejoint/>",
            (f'      <geom name="mog{k}" type="box" size="{half}" density="{_f(density_for(m.label))}" '
             f'contype="{MOVING if m.solid else 0}" conaffinity="{AGENT if m.solid else 0}"/>'),
            "    </body>",
        ]
    lines.append("  </worldbody>")
    if moving:
        lines.append("  <equality>")
        for k in range(len(moving)):
            lines.append(f'    <weld body1="mo{k}" body2="mo{k}t" solref="0.02 1"/>')
        lines.append("  </equality>")
    if starts:
        lines.append("  <actuator>")
        for k in range(len(starts)):
            for ax in "xy":
                lines.append(
                    f'    <velocity name="a{k}v{ax}" joint="a{k}{ax}" kv="{_f(spec.kv)}" '
                    f'forcelimited="true" forcerange="{_f(-spec.max_force)} {_f(spec.max_force)}"/>'
                )
        lines.append("  </actuator>")
    lines.append("</mujoco>")
    return "\n".join(lines)
