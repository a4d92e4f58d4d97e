"""Load and sanity-check what the simulation reads: ``world.json`` (required) and ``analysis.json``.

A world the physics engine cannot stand on (no floor, a floor of no area, NaNs, boxes of zero or
negative size) is refused with a one-line :class:`BadInputError` before MuJoCo ever sees it, so
the CLI never shows a traceback and the engine never integrates garbage.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from pydantic import ValidationError

from worlddirector.artifacts.analysis import Analysis
from worlddirector.artifacts.world import World
from worlddirector.errors import BadInputError

MIN_FLOOR_AREA = 0.25  # m²: smaller than this no agent can stand anywhere


def _read_json(path: Path) -> object:
    if not path.exists():
        raise BadInputError(f"{path}: file not found")
    text = path.read_text(errors="replace")
    if not text.strip():
        raise BadInputError(f"{path}: file is empty")
    try:
        return json.loads(text, parse_constant=_refuse_constant(path))
    except json.JSONDecodeError as exc:
        raise BadInputError(f"{path}: not valid JSON ({exc})") from None


def _refuse_constant(path: Path):
    def refuse(name: str):
        raise BadInputError(f"{path}: contains NaN or infinite numbers ({name})")

    return refuse


def _validation_reason(path: Path, exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"]) or "(root)"
    return f"{path}: {loc}: {err['msg']} ({exc.error_count()} problem(s))"


def load_world(path: Path) -> World:
    """Parse and check ``world.json``; every refusal names the file and the first problem."""
    raw = _read_json(path)
    if not isinstance(raw, dict) or not raw:
        raise BadInputError(f"{path}: expected a world object, got {type(raw).__name__ if raw != {} else 'an empty object'}")
    if raw.get("floor") is None:
        raise BadInputError(f"{path}: the world has no floor, so there is nothing to stand on or walk")
    try:
        world = World.model_validate(raw)
    except ValidationError as exc:
        raise BadInputError(_validation_reason(path, exc)) from None
    check_world(world, path)
    return world


def check_world(world: World, path: Path | str = "world.json") -> None:
    f = world.floor
    nx, ny, nz = f.normal
    if nz < 0.9 * math.sqrt(nx * nx + ny * ny + nz * nz) or nz <= 0:
        raise BadInputError(f"{path}: floor normal {f.normal} is not Z-up; the world must be gravity-aligned")
    w = f.extent_max[0] - f.extent_min[0]
    h = f.extent_max[1] - f.extent_min[1]
    if w <= 0 or h <= 0 or w * h < MIN_FLOOR_AREA:
        raise BadInputError(f"{path}: the floor has no usable area ({w:.2f} x {h:.2f} m)")
    if max(w, h) > 2000:
        raise BadInputError(f"{path}: the floor is {w:.0f} x {h:.0f} m, larger than any scene this simulates")
    for o in world.obstacles:
        if min(o.size) <= 0:
            raise BadInputError(f"{path}: obstacle {o.id} has a non-positive size {o.size}")
    for m in world.moving_objects:
        if min(m.size) <= 0:
            raise BadInputError(f"{path}: moving object {m.id} has a non-positive size {m.size}")
    for wall in world.walls:
        if wall.height <= 0:
            raise BadInputError(f"{path}: wall {wall.id} has a non-positive height")
    ids = [o.id for o in world.obstacles] + [w.id for w in world.walls] + [m.id for m in world.moving_objects]
    if len(set(ids)) != len(ids):
        raise BadInputError(f"{path}: obstacle, wall and moving-object ids must be unique")


def load_analysis(path: Path) -> Analysis | None:
    """``analysis.json`` when present (continuity checks need it); ``None`` when the file is absent."""
    if not path.exists():
        return None
    raw = _read_json(path)
    try:
        return Analysis.model_validate(raw)
    except ValidationError as exc:
        raise BadInputError(_validation_reason(path, exc)) from None
