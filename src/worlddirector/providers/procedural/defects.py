"""Emulated generative-video failures, injected into a finished scene and recorded exactly.

Each injector changes the per-frame object tracks (or the per-frame brightness gain) and returns the
:class:`~worlddirector.artifacts.ground_truth.Defect` it made. Every defect is chosen to be clearly
visible in pixels, because the analysis and simulation detectors are measured against it:

* ``floating``: a floor-resting obstacle hovers 0.45–1.0 m above the floor for the whole clip
  (``magnitude`` = height in metres, ``frames`` = the whole clip).
* ``interpenetration``: an obstacle is moved so that it sinks 0.3–0.45 m into another obstacle or
  into a wall (``magnitude`` = penetration depth in metres; ``note`` names both, e.g.
  ``"obj_04 intersects obj_02"`` or ``"obj_04 intersects wall +y"``).
* ``pop_in`` / ``pop_out``: an object covering at least 0.4% of the image is not drawn before /
  from frame ``f``; ``frames = [f, f]`` (first drawn / first missing frame), ``magnitude`` = its
  image-area fraction at ``f``.
* ``flicker``: 2–4 single frames get a global brightness gain of 0.45–0.6 or 1.45–1.7;
  ``frames`` = first and last such frame, ``magnitude`` = the largest ``|gain - 1|``, the note lists
  every frame and gain.
* ``teleport``: at frame ``f`` an object jumps 1.2–3 m (movers skip ahead along their loop; obstacles
  move to a free spot); ``frames = [f, f]``, ``magnitude`` = jump in metres.
* ``size_drift``: an object's scale ramps linearly to 1.45 (or 0.6 when growing would collide) from
  frame ``s`` to the last frame, feet kept on the floor; ``frames = [s, last]``, ``magnitude`` =
  ``|final scale - 1|``.
"""

from __future__ import annotations

import numpy as np

from worlddirector.artifacts.ground_truth import Defect
from worlddirector.errors import BadInputError
from worlddirector.providers.procedural import camera as cam
from worlddirector.providers.procedural.kinds import KINDS
from worlddirector.providers.procedural.rates import (
    ALL_DEFECTS,
    AUDIO_DEFECTS,
    PIN_FACTOR,
    RATES,
    VISUAL_DEFECTS,
)
from worlddirector.providers.procedural.scene import LANE_MOTIONS, OBB, Scene, SceneObject, stadium_point

MOVABLE = {"crate", "barrel", "chair", "rock", "cone", "table", "bench", "sign", "ball", "lamp", "bush", "statue", "shelf"}


def parse_defects_arg(value: str | list[str]) -> str | list[str]:
    """``"auto"``, ``"none"``, or a comma list of type names (validated)."""
    if isinstance(value, list):
        items = value
    else:
        v = value.strip().lower()
        if v in ("auto", "none"):
            return v
        items = [s.strip() for s in v.split(",") if s.strip()]
    if not items:
        return "none"
    bad = [s for s in items if s not in ALL_DEFECTS]
    if bad:
        raise BadInputError(f"unknown defect type(s) {', '.join(bad)}; choose from: auto, none, {', '.join(ALL_DEFECTS)}")
    out: list[str] = []
    for s in items:
        if s not in out:
            out.append(s)
    return out


def choose_types(defects: str | list[str], pins: list[str], rng: np.random.Generator, audio: bool) -> list[str]:
    """Which defect types to inject: exactly the list, nothing, or per-type Bernoulli draws at the rates."""
    if defects == "none":
        return []
    if isinstance(defects, list):
        return list(defects)
    chosen = []
    for typ in ALL_DEFECTS:
        p = RATES[typ] * (PIN_FACTOR if typ in pins else 1.0)
        draw = rng.random()  # always draw, so one type's pin does not reshuffle the others
        if typ in AUDIO_DEFECTS and not audio:
            continue
        if draw < p:
            chosen.append(typ)
    return chosen


# ---- helpers ---------------------------------------------------------------------------------------


def _box_area(scene: Scene, o: SceneObject, i: int) -> float:
    if not o.visible[i]:
        return 0.0
    b = cam.projected_box(cam.box_corners(o.pos[i], o.size * o.scale[i], o.yaw[i]), scene.cams[i], scene.kmat,
                          scene.width, scene.height)
    if b is None:
        return 0.0
    return (b[2] - b[0]) * (b[3] - b[1]) / float(scene.width * scene.height)


def _centre_on_screen(scene: Scene, o: SceneObject, i: int, margin: float = 0.04) -> bool:
    uv, z = cam.project(o.pos[i][None], scene.cams[i], scene.kmat)
    u, v = uv[0]
    return z[0] > 0.5 and margin * scene.width < u < (1 - margin) * scene.width and margin * scene.height < v < (1 - margin) * scene.height


def _occluded_frames(scene: Scene, o: SceneObject) -> np.ndarray:
    """Per frame: does the sight line from the camera to the object's centre pass through another object?"""
    others = [x for x in scene.objects if x is not o]
    if not others:
        return np.zeros(scene.n, bool)
    eye = np.stack([cam.centre_of(c) for c in scene.cams])  # (n, 3)
    s = np.linspace(0.05, 0.92, 14)
    pts = eye[:, None, :] + s[None, :, None] * (o.pos - eye)[:, None, :]  # (n, 14, 3)
    pos = np.stack([x.pos for x in others], axis=1)  # (n, K, 3)
    half = np.stack([x.size[None, :] * x.scale[:, None] for x in others], axis=1) / 2  # (n, K, 3)
    yaw = np.stack([x.yaw for x in others], axis=1)  # (n, K)
    vis = np.stack([x.visible for x in others], axis=1)  # (n, K)
    d = pts[:, None, :, :] - pos[:, :, None, :]  # (n, K, 14, 3)
    c, sn = np.cos(yaw)[:, :, None], np.sin(yaw)[:, :, None]
    lx = c * d[..., 0] + sn * d[..., 1]
    ly = -sn * d[..., 0] + c * d[..., 1]
    inside = (np.abs(lx) < half[:, :, None, 0]) & (np.abs(ly) < half[:, :, None, 1]) & (np.abs(d[..., 2]) < half[:, :, None, 2])
    return (inside.any(axis=2) & vis).any(axis=1)


def _screen_frames(scene: Scene, o: SceneObject, min_area: float = 0.004) -> np.ndarray:
    """Frames where the object is clearly seen: centre on screen, big enough, not hidden behind another."""
    hidden = _occluded_frames(scene, o)
    return np.array([not hidden[i] and _centre_on_screen(scene, o, i) and _box_area(scene, o, i) >= min_area
                     for i in range(scene.n)])


def _pick(rng, items):
    return items[int(rng.integers(len(items)))] if items else None


def _ordered_candidates(rng, objs: list[SceneObject], used: set[str] = frozenset()) -> list[SceneObject]:
    """Asked-for objects first (shuffled), then scenery; never an object another defect already uses."""
    objs = [o for o in objs if o.id not in used]
    asked = [o for o in objs if o.role == "asked"]
    rest = [o for o in objs if o.role != "asked"]
    return [asked[i] for i in rng.permutation(len(asked))] + [rest[i] for i in rng.permutation(len(rest))]


def _new_crate(scene: Scene, rng, near: SceneObject | None = None) -> SceneObject | None:
    """Add a plain crate in a free, visible spot to carry a defect when no existing object can."""
    from worlddirector.providers.procedural.scene import _new_object

    ids = [int(o.id.split("_")[1]) for o in scene.objects]
    o = _new_object(f"obj_{max(ids, default=0) + 1:02d}", "crate", "orange", 1.0, None, "defect", scene.n)
    (x0, y0), (x1, y1) = scene.stage_min, scene.stage_max
    if scene.walls:
        (x0, y0), (x1, y1) = (scene.floor_min[0] + 0.6, scene.floor_min[1] + 0.6), (scene.floor_max[0] - 0.6, scene.floor_max[1] - 0.6)
    for k in range(400):
        p = np.array([rng.uniform(x0, x1), rng.uniform(y0, y1)])
        yaw = float(rng.uniform(-np.pi, np.pi))
        box = OBB(float(p[0]), float(p[1]), o.size[0] / 2, o.size[1] / 2, yaw, o.id)
        if not scene.is_free(box, margin=0.2):
            continue
        o.pos[:] = (p[0], p[1], o.size[2] / 2)
        o.yaw[:] = yaw
        if _screen_frames(scene, o).mean() < (0.6 if k < 200 else 0.35):
            continue
        scene.occupancy.append(box)
        scene.objects.append(o)
        return o
    return None


# ---- injectors -------------------------------------------------------------------------------------


def inject_floating(scene: Scene, rng) -> Defect | None:
    cands = [o for o in scene.objects if o.static and KINDS[o.kind].floor_resting and o.kind not in ("building", "tree", "pillar")]
    o = next((c for c in _ordered_candidates(rng, cands, scene.defect_objects) if _screen_frames(scene, c).mean() >= 0.5),
             None) or _new_crate(scene, rng)
    if o is None:
        return None
    h = float(rng.uniform(0.45, 1.0))
    o.pos[:, 2] += h
    return Defect(type="floating", object_id=o.id, frames=(0, scene.n - 1), magnitude=round(h, 3),
                  note=f"{o.kind} hovers {h:.2f} m above the floor")


def _wall_push(scene: Scene, o: SceneObject, rng) -> tuple[np.ndarray, str, float] | None:
    if not scene.walls:
        return None
    pen = float(rng.uniform(0.3, 0.45))
    hx, hy = o.size[0] / 2, o.size[1] / 2
    yaw = float(o.yaw[0])
    ex = abs(np.cos(yaw)) * hx + abs(np.sin(yaw)) * hy
    ey = abs(np.sin(yaw)) * hx + abs(np.cos(yaw)) * hy
    p = o.pos[0].copy()
    opts = [("+y", np.array([p[0], scene.floor_max[1] - ey + pen])), ("-y", np.array([p[0], scene.floor_min[1] + ey - pen])),
            ("+x", np.array([scene.floor_max[0] - ex + pen, p[1]])), ("-x", np.array([scene.floor_min[0] + ex - pen, p[1]]))]
    for name, xy in [opts[i] for i in rng.permutation(len(opts))]:
        for shift in np.linspace(-4, 4, 9)[rng.permutation(9)]:
            q = xy.copy()
            if name in ("+y", "-y"):
                q[0] = np.clip(q[0] + shift, scene.stage_min[0], scene.stage_max[0] + 2)
            else:
                q[1] = np.clip(q[1] + shift, scene.floor_min[1] + ey, scene.floor_max[1] - ey)
            box = OBB(float(q[0]), float(q[1]), hx, hy, yaw, o.id)
            if any(b.owner != o.id and b.overlaps(box, 0.1) for b in scene.occupancy):
                continue
            old = o.pos.copy()
            o.pos[:, 0], o.pos[:, 1] = q[0], q[1]
            good = _screen_frames(scene, o).mean() >= 0.4
            o.pos[:] = old
            if good:
                return np.array([q[0], q[1], p[2]]), f"wall {name}", pen
    return None


def inject_interpenetration(scene: Scene, rng) -> Defect | None:
    statics = [o for o in scene.objects if o.static and o.kind != "building"]
    movable = [o for o in _ordered_candidates(rng, statics, scene.defect_objects) if o.kind in MOVABLE]
    use_wall = scene.walls and rng.random() < 0.35
    if use_wall:
        for b in movable:
            res = _wall_push(scene, b, rng)
            if res:
                p, wall, pen = res
                _move_static(scene, b, p)
                return Defect(type="interpenetration", object_id=b.id, frames=(0, scene.n - 1), magnitude=round(pen, 3),
                              note=f"{b.id} intersects {wall}")
    anchors = (o for o in _ordered_candidates(rng, statics, scene.defect_objects) if _screen_frames(scene, o).mean() >= 0.4)
    for a in anchors:
        for b in movable + [None]:
            if b is a:
                continue
            if b is None:
                b = _new_crate(scene, rng)
                if b is None:
                    break
            pen = float(rng.uniform(0.3, 0.45))
            ra = min(a.size[0], a.size[1]) / 2
            rb = min(b.size[0], b.size[1]) / 2
            pen = min(pen, 0.9 * 2 * min(ra, rb))
            for ang in rng.uniform(-np.pi, np.pi, 12):
                d = np.array([np.cos(ang), np.sin(ang)])
                q = a.pos[0, :2] + d * (ra + rb - pen)
                box = OBB(float(q[0]), float(q[1]), b.size[0] / 2, b.size[1] / 2, float(b.yaw[0]), b.id)
                if not scene.is_free(box, ignore={a.id, b.id}, margin=0.1):
                    continue
                old = b.pos.copy()
                b.pos[:, 0], b.pos[:, 1] = q[0], q[1]
                if _screen_frames(scene, b).mean() < 0.4:
                    b.pos[:] = old
                    continue
                b.pos[:] = old
                _move_static(scene, b, np.array([q[0], q[1], b.pos[0, 2]]))
                return Defect(type="interpenetration", object_id=b.id, frames=(0, scene.n - 1), magnitude=round(pen, 3),
                              note=f"{b.id} intersects {a.id}")
    return None


def _move_static(scene: Scene, o: SceneObject, p: np.ndarray) -> None:
    scene.occupancy = [b for b in scene.occupancy if b.owner != o.id]
    o.pos[:, 0], o.pos[:, 1] = p[0], p[1]
    scene.occupancy.append(OBB(float(p[0]), float(p[1]), o.size[0] / 2, o.size[1] / 2, float(o.yaw[0]), o.id))


def _pop(scene: Scene, rng, kind: str, avoid: set[str]) -> Defect | None:
    n = scene.n
    lo, hi = int(0.2 * n), max(int(0.8 * n), int(0.2 * n) + 1)
    for o in _ordered_candidates(rng, [o for o in scene.objects if o.id not in avoid and o.kind != "building"], scene.defect_objects):
        good = _screen_frames(scene, o, 0.004)
        frames = [f for f in range(max(lo, 2), min(hi, n - 2)) if good[max(0, f - 2): f + 3].all()]
        if not frames:
            continue
        f = int(_pick(rng, frames))
        area = _box_area(scene, o, f)
        if kind == "pop_in":
            o.visible[:f] = False
        else:
            o.visible[f:] = False
        return Defect(type=kind, object_id=o.id, frames=(f, f), magnitude=round(area, 4),
                      note=f"{o.kind} {'appears' if kind == 'pop_in' else 'vanishes'} at frame {f}")
    return None


def inject_flicker(scene: Scene, rng) -> Defect | None:
    n = scene.n
    lo, hi = int(0.15 * n), max(int(0.9 * n), int(0.15 * n) + 1)
    k = int(rng.integers(2, 5))
    pool = list(range(lo, hi))
    frames: list[int] = []
    for f in rng.permutation(pool):
        if all(abs(int(f) - g) >= 3 for g in frames):
            frames.append(int(f))
        if len(frames) == k:
            break
    if not frames:
        frames = [n // 2]
    frames.sort()
    parts = []
    mag = 0.0
    for f in frames:
        g = float(rng.uniform(0.45, 0.6)) if rng.random() < 0.6 else float(rng.uniform(1.45, 1.7))
        scene.gain[f] = g
        mag = max(mag, abs(g - 1))
        parts.append(f"{f}x{g:.2f}")
    return Defect(type="flicker", object_id=None, frames=(frames[0], frames[-1]), magnitude=round(mag, 3),
                  note="frame x gain: " + ", ".join(parts))


def inject_teleport(scene: Scene, rng) -> Defect | None:
    n = scene.n
    lo, hi = int(0.25 * n), max(int(0.75 * n), int(0.25 * n) + 1)
    movers = [o for o in scene.objects if o.motion in LANE_MOTIONS and o.path and o.path.get("lane")]
    for o in _ordered_candidates(rng, movers, scene.defect_objects):
        lane = o.path["lane"]
        mates = [m for m in movers if m is not o and m.path["lane"] is lane]
        per = 2 * lane["ls"] + 2 * np.pi * lane["r"]
        good = _screen_frames(scene, o)
        frames = [f for f in range(max(lo, 1), min(hi, n - 1)) if good[f - 1] and good[min(f + 2, n - 1)]]
        for f in [frames[i] for i in rng.permutation(len(frames))][:20]:
            ds = float(rng.uniform(1.6, 3.0))
            s = o.anim["dist"].copy()
            s[f:] += ds
            ok = True
            for m in mates:
                gap = (m.anim["dist"][f] - s[f]) % per
                if min(gap, per - gap) < 2 * o.radius + 0.4:
                    ok = False
            if not ok:
                continue
            x, y, h = stadium_point(s, lane["cx"], lane["cy"], lane["ls"], lane["r"])
            jump = float(np.hypot(x[f] - o.pos[f - 1, 0], y[f] - o.pos[f - 1, 1]))
            if jump < 1.2:
                continue
            old = (o.pos.copy(), o.yaw.copy())
            o.pos[:, 0], o.pos[:, 1] = x, y
            o.yaw[:] = np.unwrap(h)
            if not (_centre_on_screen(scene, o, f) and _centre_on_screen(scene, o, f - 1)):
                o.pos[:], o.yaw[:] = old
                continue
            o.anim["dist"] = s
            if "gait" in o.anim:
                o.anim["gait"] = o.anim["gait"] + 0.0  # the gait keeps its rhythm: only the place jumps
            return Defect(type="teleport", object_id=o.id, frames=(f, f), magnitude=round(jump, 3),
                          note=f"{o.kind} jumps {jump:.2f} m along its path at frame {f}")
    statics = [o for o in scene.objects if o.static and o.kind != "building" and o.kind in MOVABLE | {"pillar", "tree"}]
    for o in _ordered_candidates(rng, statics, scene.defect_objects):
        good = _screen_frames(scene, o)
        frames = [f for f in range(max(lo, 1), min(hi, n - 1)) if good[f - 1]]
        if not frames:
            continue
        for _ in range(40):
            f = int(_pick(rng, frames))
            d = float(rng.uniform(1.3, 2.5))
            a = float(rng.uniform(-np.pi, np.pi))
            q = o.pos[0, :2] + d * np.array([np.cos(a), np.sin(a)])
            box = OBB(float(q[0]), float(q[1]), o.size[0] / 2, o.size[1] / 2, float(o.yaw[0]), o.id)
            if not scene.is_free(box, ignore={o.id}, margin=0.2):
                continue
            old = o.pos.copy()
            o.pos[f:, 0], o.pos[f:, 1] = q[0], q[1]
            if not _centre_on_screen(scene, o, f):
                o.pos[:] = old
                continue
            scene.occupancy.append(box)
            return Defect(type="teleport", object_id=o.id, frames=(f, f), magnitude=round(d, 3),
                          note=f"{o.kind} jumps {d:.2f} m at frame {f}")
    return None


def inject_size_drift(scene: Scene, rng) -> Defect | None:
    n = scene.n
    cands = [o for o in scene.objects if o.kind != "building"]
    for o in _ordered_candidates(rng, cands, scene.defect_objects):
        good = _screen_frames(scene, o)
        if good.mean() < 0.5:
            continue
        start = int(rng.integers(int(0.1 * n), max(int(0.35 * n), int(0.1 * n) + 1)))
        end = n - 1
        if end - start < 2:
            start = 0
        grow = 1.45
        if o.static:
            box = OBB(float(o.pos[0, 0]), float(o.pos[0, 1]), o.size[0] / 2 * grow, o.size[1] / 2 * grow, float(o.yaw[0]), o.id)
            factor = grow if scene.is_free(box, ignore={o.id}, margin=0.1) else 0.6
        else:
            factor = 0.6 if rng.random() < 0.5 else grow
            lane = (o.path or {}).get("lane")
            if lane and factor > 1 and 2 * lane["hy"] < (2 * lane["r"] + 2 * o.radius * factor + 0.2):
                factor = 0.6
        ramp = np.clip((np.arange(n) - start) / max(end - start, 1), 0, 1)
        scale = 1.0 + (factor - 1.0) * ramp
        grounded = o.motion not in ("fly",) and not (o.motion in ("bounce", "fall", "launch"))
        if grounded and "legs" in o.anim:  # a walker's hip height (its stance) grows with its legs
            o.pos[:, 2] = o.pos[:, 2] * scale / o.scale
        elif grounded:
            bottom = o.pos[:, 2] - o.size[2] / 2 * o.scale
            o.pos[:, 2] = bottom + o.size[2] / 2 * scale
        o.scale[:] = scale
        return Defect(type="size_drift", object_id=o.id, frames=(start, end), magnitude=round(abs(factor - 1), 3),
                      note=f"{o.kind} scale 1.00 -> {factor:.2f}")
    return None


def inject(scene: Scene, types: list[str], rng: np.random.Generator) -> list[Defect]:
    """Inject each requested visual type once; a requested type that cannot be placed is an error."""
    out: list[Defect] = []
    popped: set[str] = set()
    for typ in VISUAL_DEFECTS:
        if typ not in types:
            continue
        if typ == "floating":
            d = inject_floating(scene, rng)
        elif typ == "interpenetration":
            d = inject_interpenetration(scene, rng)
        elif typ in ("pop_in", "pop_out"):
            d = _pop(scene, rng, typ, popped)
            if d:
                popped.add(d.object_id)
        elif typ == "flicker":
            d = inject_flicker(scene, rng)
        elif typ == "teleport":
            d = inject_teleport(scene, rng)
        else:
            d = inject_size_drift(scene, rng)
        if d is None:
            scene.notes.append(f"defect {typ} could not be placed in this scene")
        else:
            out.append(d)
            if d.object_id:
                scene.defect_objects.add(d.object_id)
            for word in d.note.split():
                if word.startswith("obj_"):
                    scene.defect_objects.add(word)
    return out
