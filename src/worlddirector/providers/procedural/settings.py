"""The eight settings: room extents, surfaces, the stage where asked-for objects go, and scenery.

Coordinates: the stage (where the prompt's objects are placed and movers have their lanes) is
centred near the origin; the default camera stands on the -X side looking +X. Enclosed settings
have walls on the floor rectangle's sides (recorded in ground truth as ``room.walls``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SettingSpec:
    name: str
    half: tuple[float, float]  # floor half extents (x, y) at room scale 1
    walls: bool
    wall_h: float
    ceiling: bool
    floor: str  # texture layer
    wall: str
    stage: tuple[tuple[float, float], tuple[float, float]]  # (xmin, ymin), (xmax, ymax) at scale 1
    floor_freq: float  # texture repeats per metre
    scenery: tuple[tuple[str, int, int, str], ...]  # (kind, min, max, where: stage|room|sides|ring)
    lights: tuple[str, ...]  # light styles sampled when the prompt names none
    cam_height: float
    sky: tuple[int, int, int]


SETTINGS: dict[str, SettingSpec] = {s.name: s for s in (
    SettingSpec("hallway", (9.0, 1.8), True, 3.0, True, "tiles", "plaster", ((-3.0, -1.3), (6.5, 1.3)), 0.45,
                (("pillar", 0, 2, "room"), ("crate", 0, 2, "stage"), ("lamp", 0, 1, "room"), ("bench", 0, 1, "room")),
                ("bright", "dim", "neon"), 1.6, (200, 200, 200)),
    SettingSpec("room", (6.0, 6.0), True, 3.0, True, "wood", "plaster", ((-2.8, -2.8), (2.8, 2.8)), 0.4,
                (("table", 0, 1, "stage"), ("chair", 0, 2, "stage"), ("shelf", 1, 2, "room"), ("lamp", 0, 1, "room")),
                ("bright", "dim", "sunset"), 1.6, (200, 200, 200)),
    SettingSpec("warehouse", (12.0, 9.0), True, 7.0, True, "concrete", "metal", ((-4.0, -4.5), (6.0, 4.5)), 0.25,
                (("crate", 2, 4, "stage"), ("barrel", 1, 3, "stage"), ("pillar", 2, 4, "room"), ("shelf", 1, 3, "room")),
                ("bright", "dim", "neon"), 1.8, (180, 180, 180)),
    SettingSpec("cave", (10.0, 2.6), True, 4.0, True, "rock", "rock", ((-3.0, -2.0), (7.0, 2.0)), 0.35,
                (("rock", 2, 5, "room"), ("barrel", 0, 1, "stage"), ("crate", 0, 1, "stage"), ("lamp", 0, 2, "room")),
                ("dim", "bright"), 1.6, (30, 30, 35)),
    SettingSpec("street", (45.0, 45.0), False, 0.0, False, "asphalt", "concrete", ((-6.0, -5.0), (8.0, 5.0)), 0.2,
                (("building", 4, 6, "sides"), ("lamp", 1, 3, "room"), ("cone", 0, 3, "stage"), ("sign", 0, 1, "room")),
                ("bright", "sunset", "overcast", "neon"), 1.8, (150, 190, 230)),
    SettingSpec("forest", (45.0, 45.0), False, 0.0, False, "grass", "bark", ((-4.0, -4.5), (6.0, 4.5)), 0.3,
                (("tree", 8, 14, "ring"), ("bush", 2, 4, "room"), ("rock", 1, 3, "stage")),
                ("bright", "sunset", "overcast"), 1.7, (160, 200, 235)),
    SettingSpec("field", (50.0, 50.0), False, 0.0, False, "grass", "bark", ((-4.0, -4.5), (6.0, 4.5)), 0.3,
                (("tree", 2, 5, "ring"), ("fence", 1, 3, "room"), ("rock", 1, 3, "stage")),
                ("bright", "sunset", "overcast"), 1.7, (150, 195, 240)),
    SettingSpec("desert", (50.0, 50.0), False, 0.0, False, "sand", "rock", ((-4.0, -4.5), (6.0, 4.5)), 0.3,
                (("rock", 4, 8, "ring"), ("rock", 1, 2, "stage"), ("barrel", 0, 1, "stage")),
                ("bright", "sunset"), 1.7, (170, 200, 235)),
)}

# kind -> setting it implies when the prompt names no setting
KIND_HINTS: dict[str, str] = {"car": "street", "truck": "street", "building": "street", "cone": "street",
                              "tree": "forest", "bush": "forest", "bird": "field", "catapult": "field",
                              "shelf": "warehouse", "barrel": "warehouse", "crate": "warehouse",
                              "table": "room", "chair": "room", "rock": "desert"}


@dataclass(frozen=True)
class LightSpec:
    name: str
    sun_dir: tuple[float, float, float]  # towards the light
    sun: tuple[float, float, float]
    sky: tuple[float, float, float]  # ambient from above
    ground: tuple[float, float, float]  # ambient from below
    fog_density: float
    sky_tint: tuple[float, float, float]  # multiplies the setting's sky colour


LIGHTS: dict[str, LightSpec] = {s.name: s for s in (
    LightSpec("bright", (0.35, -0.45, 0.82), (0.85, 0.83, 0.78), (0.42, 0.44, 0.48), (0.25, 0.24, 0.22), 0.004, (1, 1, 1)),
    LightSpec("overcast", (0.1, -0.2, 0.97), (0.35, 0.36, 0.38), (0.55, 0.56, 0.58), (0.3, 0.3, 0.3), 0.012, (0.8, 0.82, 0.85)),
    LightSpec("dim", (0.3, -0.4, 0.86), (0.42, 0.42, 0.48), (0.27, 0.28, 0.34), (0.14, 0.14, 0.16), 0.01, (0.35, 0.38, 0.5)),
    LightSpec("neon", (-0.4, 0.3, 0.86), (0.62, 0.38, 0.72), (0.3, 0.42, 0.52), (0.3, 0.14, 0.3), 0.008, (0.5, 0.3, 0.6)),
    LightSpec("sunset", (0.85, 0.3, 0.3), (1.0, 0.6, 0.32), (0.35, 0.3, 0.38), (0.25, 0.15, 0.1), 0.006, (1.2, 0.75, 0.55)),
)}
