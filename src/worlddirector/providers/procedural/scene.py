"""Parsed prompt + seed → a complete animated scene: room, objects with per-frame poses, camera path.

Layout order matters, because a clean clip must contain no failure that ground truth does not
list: movers get lanes first (a stadium-shaped loop per group, all objects on one loop moving at the
same speed so they never meet), then the camera path is fixed, then static obstacles are placed by
rejection sampling so they overlap no lane, no other obstacle, no wall and no camera position, and
(for the objects the prompt asked for) are on screen for most of the clip.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np

from worlddirector.artifacts.ground_truth import Intrinsics
from worlddirector.providers.procedural import camera as cam
from worlddirector.providers.procedural.kinds import KINDS
from worlddirector.providers.procedural.parse import ParsedPrompt
from worlddirector.providers.procedural.settings import KIND_HINTS, SETTINGS, SettingSpec
from worlddirector.providers.procedural.vocab import COLORS, SETTING_NAMES

G = 9.81
SPEEDS = {"walk": 1.3, "run": 3.2, "roll": 1.8, "fly": 2.0, "drive": 5.0, "bounce": 1.1}
STRIDES = {"person": 1.5, "robot": 1.1, "dog": 0.9, "bird": 0.6}
LANE_MOTIONS = ("walk", "run", "roll", "fly", "drive", "bounce")


@dataclass
class SceneObject:
    id: str
    kind: str
    color_name: str
    rgb: tuple[int, int, int]
    factor: float
    static: bool
    motion: str | None
    role: str  # asked | scenery | projectile_source
    pos: np.ndarray
    yaw: np.ndarray
    scale: np.ndarray
    visible: np.ndarray
    anim: dict[str, np.ndarray] = field(default_factory=dict)
    events: list[tuple[str, float]] = field(default_factory=list)  # (kind, frame); may be fractional
    path: dict | None = None

    @property
    def size(self) -> np.ndarray:
        return np.asarray(KINDS[self.kind].size, np.float64) * self.factor

    @property
    def radius(self) -> float:
        s = self.size
        return 0.5 * float(np.hypot(s[0], s[1]))


@dataclass
class OBB:
    """An oriented 2D footprint: centre, half extents, angle; ``owner`` names what it belongs to."""

    cx: float
    cy: float
    hx: float
    hy: float
    ang: float
    owner: str

    def overlaps(self, o: OBB, margin: float = 0.0) -> bool:
        ca, sa, cb, sb = np.cos(self.ang), np.sin(self.ang), np.cos(o.ang), np.sin(o.ang)
        axes = [(ca, sa), (-sa, ca), (cb, sb), (-sb, cb)]
        d = (o.cx - self.cx, o.cy - self.cy)
        for ax in axes:
            ra = self.hx * abs(ca * ax[0] + sa * ax[1]) + self.hy * abs(-sa * ax[0] + ca * ax[1])
            rb = o.hx * abs(cb * ax[0] + sb * ax[1]) + o.hy * abs(-sb * ax[0] + cb * ax[1])
            if abs(d[0] * ax[0] + d[1] * ax[1]) > ra + rb + margin:
                return False
        return True


@dataclass
class Scene:
    prompt: str
    seed: int
    fps: int
    width: int
    height: int
    n: int
    setting: str
    spec: SettingSpec
    light: str
    floor_min: tuple[float, float]
    floor_max: tuple[float, float]
    stage_min: tuple[float, float]
    stage_max: tuple[float, float]
    intr: Intrinsics
    kmat: np.ndarray
    cams: np.ndarray  # (n, 3, 4)
    cam_move: str
    cam_height: float
    objects: list[SceneObject]
    gain: np.ndarray  # per-frame global brightness (flicker)
    occupancy: list[OBB]
    notes: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    defect_objects: set[str] = field(default_factory=set)

    @property
    def walls(self) -> bool:
        return self.spec.walls

    @property
    def wall_h(self) -> float:
        return self.spec.wall_h

    def footprint(self, obj: SceneObject, center=None, yaw=None, scale: float = 1.0) -> OBB:
        s = obj.size * scale
        c = obj.pos[0] if center is None else center
        return OBB(float(c[0]), float(c[1]), s[0] / 2, s[1] / 2, float(obj.yaw[0] if yaw is None else yaw), obj.id)

    def is_free(self, box: OBB, ignore: set[str] = frozenset(), margin: float = 0.15) -> bool:
        """No overlap with the occupancy (obstacles, lanes, camera path) and inside the walls."""
        if self.walls:
            ext = _extent(box)
            if (box.cx - ext[0] < self.floor_min[0] + 0.05 or box.cx + ext[0] > self.floor_max[0] - 0.05
                    or box.cy - ext[1] < self.floor_min[1] + 0.05 or box.cy + ext[1] > self.floor_max[1] - 0.05):
                return False
        return not any(o.owner not in ignore and o.overlaps(box, margin) for o in self.occupancy)

    def on_screen_fraction(self, point: np.ndarray, margin: float = 0.06) -> float:
        """Fraction of frames where a world point projects inside the image (with a margin)."""
        p = np.asarray(point, np.float64)
        pc = np.einsum("nij,j->ni", self.cams[:, :, :3], p) + self.cams[:, :, 3]
        z = pc[:, 2]
        ok = z > 0.3
        zs = np.where(ok, z, 1.0)
        u = self.kmat[0, 0] * pc[:, 0] / zs + self.kmat[0, 2]
        v = self.kmat[1, 1] * pc[:, 1] / zs + self.kmat[1, 2]
        ok &= (u > margin * self.width) & (u < (1 - margin) * self.width)
        ok &= (v > margin * self.height) & (v < (1 - margin) * self.height)
        return float(ok.mean())


def _extent(b: OBB) -> tuple[float, float]:
    c, s = abs(np.cos(b.ang)), abs(np.sin(b.ang))
    return (b.hx * c + b.hy * s, b.hx * s + b.hy * c)


def scene_rng(prompt: str, seed: int) -> np.random.Generator:
    return np.random.default_rng([seed & 0xFFFFFFFF, zlib.crc32(prompt.strip().lower().encode())])


# ---- stadium lanes ---------------------------------------------------------------------------------


def stadium_point(s: np.ndarray, cx: float, cy: float, ls: float, r: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Position and heading at arc length ``s`` on a loop: +X along y=cy-r, turn, -X along y=cy+r, turn."""
    per = 2 * ls + 2 * np.pi * r
    s = np.mod(s, per)
    x = np.zeros_like(s)
    y = np.zeros_like(s)
    h = np.zeros_like(s)
    a = s < ls
    x[a], y[a], h[a] = cx - ls / 2 + s[a], cy - r, 0.0
    b = (s >= ls) & (s < ls + np.pi * r)
    th = (s[b] - ls) / max(r, 1e-6) - np.pi / 2
    x[b], y[b], h[b] = cx + ls / 2 + r * np.cos(th), cy + r * np.sin(th), th + np.pi / 2
    c = (s >= ls + np.pi * r) & (s < 2 * ls + np.pi * r)
    x[c], y[c], h[c] = cx + ls / 2 - (s[c] - ls - np.pi * r), cy + r, np.pi
    d = s >= 2 * ls + np.pi * r
    th = (s[d] - 2 * ls - np.pi * r) / max(r, 1e-6) + np.pi / 2
    x[d], y[d], h[d] = cx - ls / 2 + r * np.cos(th), cy + r * np.sin(th), th + np.pi / 2
    return x, y, h


# ---- building the scene ------------------------------------------------------------------------------


def build_scene(parsed: ParsedPrompt, prompt: str, seed: int, seconds: float, size: tuple[int, int], fps: int,
                prev: dict | None = None) -> Scene:
    rng = scene_rng(prompt, seed)
    n = max(1, int(round(seconds * fps)))
    t = np.arange(n) / fps
    width, height = size
    notes: list[str] = []

    # setting, room, light
    if prev:
        setting = prev["setting"]
    elif parsed.setting:
        setting = parsed.setting
    else:
        hinted = [KIND_HINTS[g.kind] for g in parsed.groups if g.kind in KIND_HINTS]
        setting = hinted[0] if hinted else str(rng.choice(SETTING_NAMES))
        notes.append(f"setting not named: sampled {setting}")
    spec = SETTINGS[setting]
    if prev:
        fmin, fmax = tuple(prev["floor_min"]), tuple(prev["floor_max"])
        smin, smax = tuple(prev["stage_min"]), tuple(prev["stage_max"])
    else:
        sx, sy = (float(np.clip(v, 0.6, 2.0)) for v in parsed.room_scale)
        if not spec.walls:
            sx = sy = 1.0
        fmin, fmax = (-spec.half[0] * sx, -spec.half[1] * sy), (spec.half[0] * sx, spec.half[1] * sy)
        (x0, y0), (x1, y1) = spec.stage
        smin, smax = (x0 * sx, y0 * sy), (x1 * sx, y1 * sy)
    light = parsed.light or (prev["light"] if prev else None) or str(rng.choice(spec.lights))
    intr = cam.intrinsics(width, height)
    scene = Scene(prompt=prompt, seed=seed, fps=fps, width=width, height=height, n=n, setting=setting, spec=spec,
                  light=light, floor_min=fmin, floor_max=fmax, stage_min=smin, stage_max=smax, intr=intr,
                  kmat=cam.k_matrix(intr), cams=np.zeros((n, 3, 4)), cam_move="static",
                  cam_height=spec.cam_height, objects=[], gain=np.ones(n), occupancy=[], notes=notes)

    # objects the prompt asked for (and, when continuing, the previous clip's objects)
    specs: list[dict] = []
    for gi, g in enumerate(parsed.groups):
        k = KINDS[g.kind]
        for _ in range(g.count):
            color = g.color or str(rng.choice(k.colors))
            factor = g.size_factor or float(rng.uniform(0.9, 1.1))
            motion = g.motion if g.motion else (k.default_motion if not k.static else None)
            specs.append(dict(kind=g.kind, color=color, factor=factor, motion=motion, role="asked", group=gi,
                              projectile_of=g.projectile_of))
    if not prev:
        n_asked = len(specs)
        for kind, lo, hi, where in spec.scenery:
            cnt = int(rng.integers(lo, hi + 1))
            if where == "stage" and n_asked >= 3:
                cnt = cnt // 2
            k = KINDS[kind]
            for _ in range(cnt):
                factor = float(rng.uniform(0.8, 1.3)) if kind in ("tree", "rock", "bush", "building") else float(rng.uniform(0.9, 1.1))
                if kind == "pillar":
                    factor = 1.0
                specs.append(dict(kind=kind, color=str(rng.choice(k.colors)), factor=factor, motion=None,
                                  role="scenery", where=where))

    objects: list[SceneObject] = []
    next_id = 1
    if prev:
        for po in prev["objects"]:
            objects.append(_new_object(po["id"], po["kind"], po["color_name"], po["factor"], po["motion"], po["role"], n))
            objects[-1].path = dict(po.get("path") or {}, from_prev=True)
            objects[-1].pos[:] = po["last_pos"]
            objects[-1].yaw[:] = po["last_yaw"]
            next_id = max(next_id, int(po["id"].split("_")[1]) + 1)
    for sp in specs:
        o = _new_object(f"obj_{next_id:02d}", sp["kind"], sp["color"], sp["factor"], sp["motion"], sp["role"], n)
        o.path = {"group": sp.get("group"), "where": sp.get("where", "stage"), "projectile_of": sp.get("projectile_of")}
        objects.append(o)
        next_id += 1
    scene.objects = objects

    from worlddirector.providers.procedural import layout

    if prev:  # the previous clip's obstacles stay where they were: new lanes must avoid them
        for o in objects:
            if (o.path or {}).get("from_prev") and o.motion not in LANE_MOTIONS:
                scene.occupancy.append(scene.footprint(o))
    layout.assign_motion(scene, rng, t, prev is not None)
    scene.cam_move = layout.camera_path(scene, parsed.camera, rng, t, prev)
    layout.place_statics(scene, rng, t, prev is not None)
    return scene


def _new_object(oid: str, kind: str, color: str, factor: float, motion: str | None, role: str, n: int) -> SceneObject:
    return SceneObject(
        id=oid, kind=kind, color_name=color, rgb=COLORS.get(color, (128, 128, 128)), factor=float(factor),
        static=motion is None, motion=motion, role=role, pos=np.zeros((n, 3)), yaw=np.zeros(n), scale=np.ones(n),
        visible=np.ones(n, bool),
    )
