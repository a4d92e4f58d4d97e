"""Where things go and how they move: mover lanes, launch corridors, the camera path, obstacles.

See :mod:`.scene` for why the order is lanes → camera → obstacles. All randomness comes from the
scene's seeded generator, so the same prompt and seed give the same layout.
"""

from __future__ import annotations

import zlib

import numpy as np

from worlddirector.providers.procedural import camera as cam
from worlddirector.providers.procedural.kinds import KINDS, leg_geometry
from worlddirector.providers.procedural.meshes import rot_y
from worlddirector.providers.procedural.scene import (
    LANE_MOTIONS,
    OBB,
    SPEEDS,
    STRIDES,
    G,
    Scene,
    SceneObject,
    stadium_point,
)

TALL = {"tree", "building", "pillar", "shelf", "lamp", "statue", "truck", "sign"}


def _smooth(x: np.ndarray, sigma_frames: float) -> np.ndarray:
    if sigma_frames < 0.5 or len(x) < 3:
        return x.copy()
    r = int(3 * sigma_frames)
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma_frames) ** 2)
    k /= k.sum()
    pad = np.pad(x, (r, r), mode="edge")
    return np.convolve(pad, k, mode="valid")


RUN_STRIDE = 1.6
"""A run's stride is this much longer than a walk's (people: ~1.5 m walking, ~2.4 m running at
3 m/s), so running cadence stays near the real ~3 steps/s instead of 4+."""
STEP_JITTER = 0.06
"""Step-to-step variation of the step duration (fraction, 1 sigma): real gait varies by a few per
cent, so a footstep train is not strictly periodic (and cannot be matched one step off)."""


def _gait(scene: Scene, o: SceneObject, t: np.ndarray, s0: float, v: float) -> tuple[np.ndarray, list[float]]:
    """Gait phase per frame and the (fractional) frames of the heel strikes.

    The legs swing as ``amp * sin(gait + phase)`` (see the kinds' ``swing`` parts), so the feet are
    furthest apart, where a foot strikes the ground, at ``gait = pi/2 + k pi``. Each step (half a
    cycle) lasts the nominal ``stride / (2 v)`` times ``1 + STEP_JITTER * N(0, 1)``; the phase is
    linear within a step. The variation comes from a generator seeded by the scene's seed and the
    object id, so the layout's own random sequence is unchanged.
    """
    stride = STRIDES[o.kind] * (RUN_STRIDE if o.motion == "run" else 1.0)
    step = stride / (2 * v)
    rng = np.random.default_rng([int(scene.seed) & 0xFFFFFFFF, zlib.crc32(o.id.encode())])
    g0 = 2 * np.pi * s0 / stride
    k0 = np.floor((g0 - np.pi / 2) / np.pi)  # the last strike at or before t[0]
    t_prev = t[0] - (g0 - (np.pi / 2 + k0 * np.pi)) / np.pi * step
    times, phases = [t_prev], [np.pi / 2 + k0 * np.pi]
    while times[-1] <= t[-1] + step:
        times.append(times[-1] + step * float(np.clip(1 + STEP_JITTER * rng.standard_normal(), 0.85, 1.15)))
        phases.append(phases[-1] + np.pi)
    times_a = np.asarray(times)
    gait = np.interp(t, times_a, np.asarray(phases))
    fps = scene.fps
    strikes = [float((tk - t[0]) * fps) for tk in times_a[1:] if t[0] < tk <= t[-1]]
    return gait, strikes


LEG_ANGLE_MAX = 0.6
"""The widest a stance leg opens from the vertical (rad, ~34 deg). A step longer than
``2 L sin(LEG_ANGLE_MAX)`` (runs; a dog's short legs) takes off before the next foot lands: a
ballistic flight."""
SWING_CLEAR = 0.06
"""Peak height of a swinging foot above the floor, as a fraction of the leg's length (the knee bends
to lift it: the swinging leg is shortened to reach its foot's path)."""


def _ease(p: float) -> float:
    """0 -> 1 with zero speed at both ends: a swinging foot leaves the ground and lands gently."""
    return 0.5 - 0.5 * float(np.cos(np.pi * np.clip(p, 0.0, 1.0)))


def _stance(scene: Scene, o: SceneObject, t: np.ndarray, s0: float, v: float
            ) -> tuple[np.ndarray, list[float], np.ndarray, np.ndarray, np.ndarray]:
    """Compass-gait walking: planted feet, a hip that vaults over them, strikes at touchdown.

    The hip moves along the lane at ``v`` (the path coordinate ``s``); the feet land at points
    ``F_j`` of that path (each step ``stride / 2`` times ``1 + sqrt(2) STEP_JITTER N(0, 1)``, so a
    strike-to-strike time varies by ~``STEP_JITTER``). While foot j is planted the stance leg
    (length L) reaches from the hip to it: angle ``-asin((F_j - s) / L)`` and hip height
    ``L cos a`` (+ the sole's corner), so the body is lowest when the legs are furthest apart
    (double support: the strike) and highest at mid-stance. The other foot swings from its last
    footprint to its next one along the ground with zero speed at both ends (so both feet are
    still at a strike, as in real walking) and up to ``SWING_CLEAR`` L above the floor, its leg
    shortened (a knee bend) to reach it.
    Foot j lands when the hip is ``u_j = min(D_j / 2, L sin LEG_ANGLE_MAX)`` behind it (D_j the
    step from the foot before), the foot before lifts off ``u_j`` ahead of its own; in between
    (``D_j > 2 L sin LEG_ANGLE_MAX``) the body flies ballistically.

    Returns the gait phase per frame (``pi/2 + k pi`` at the strikes, for the arms), the strike
    frames (fractional), the two leg angles per frame (column 0: the legs of phase 0, 1: phase pi),
    their shortening fractions and the root (box centre) height.
    """
    length, width, pz = leg_geometry(o.kind)
    f = o.factor
    L, hw = length * f, width * f / 2
    stride = STRIDES[o.kind] * (RUN_STRIDE if o.motion == "run" else 1.0)
    D = stride / 2
    reach = L * np.sin(LEG_ANGLE_MAX)
    rng = np.random.default_rng([int(scene.seed) & 0xFFFFFFFF, zlib.crc32(o.id.encode())])
    s = s0 + v * (t - t[0])
    m0 = int(np.floor(s0 / D)) - 2
    feet, idx = [m0 * D], [m0]
    while feet[-1] <= s[-1] + 3 * D:
        feet.append(feet[-1] + D * float(np.clip(1 + np.sqrt(2) * STEP_JITTER * rng.standard_normal(), 0.8, 1.2)))
        idx.append(idx[-1] + 1)
    F = np.asarray(feet)
    u = np.minimum(np.diff(F) / 2, reach)  # u[j-1]: the hip's distance from both feet at landing j / lift-off j-1
    td = np.concatenate([[-np.inf], F[1:] - u])  # hip position when foot j lands
    lo = np.concatenate([F[:-1] + u, [np.inf]])  # ... when foot j lifts off
    # foot m lands at gait phase pi/2 + (m-1) pi: on the legs of phase 0 (column 0) when m is even
    col = np.asarray(idx) % 2
    n = len(t)
    legs = np.zeros((n, 2))
    bend = np.zeros((n, 2))
    h = np.zeros(n)
    for i, si in enumerate(s):
        j = int(np.searchsorted(td, si, side="right") - 1)  # the last foot that landed
        if si <= lo[j]:  # stance on foot j: the hip vaults over it
            a = -float(np.arcsin(np.clip((F[j] - si) / L, -1, 1)))
            h[i] = L * np.cos(a) + hw * abs(np.sin(a))
        else:  # flight from lift-off j to landing j + 1: the body is ballistic
            a = float(np.arcsin(u[j] / L))
            tau, tf = (si - lo[j]) / v, (td[j + 1] - lo[j]) / v
            h[i] = L * np.cos(a) + hw * np.sin(a) + G / 2 * tau * (tf - tau)
        for m in (j, j - 1):  # the latest foot of each leg
            c = col[m]
            if si <= lo[m]:  # planted
                legs[i, c] = -float(np.arcsin(np.clip((F[m] - si) / L, -1, 1)))
                continue
            # swinging from foot m to foot m + 2: the foot's path over the ground eases from one
            # footprint to the next and rises SWING_CLEAR L at mid-swing; the leg reaches it
            p = (si - lo[m]) / (td[m + 2] - lo[m])
            x = F[m] + (F[m + 2] - F[m]) * _ease(p) - si
            lift = SWING_CLEAR * L * np.sin(np.pi * np.clip(p, 0, 1))
            a = -float(np.arcsin(np.clip(x / L, -1, 1)))
            for _ in range(3):  # the sole's lowest corner (not its centre) follows the path
                dz = h[i] - lift - hw * abs(np.sin(a))
                a = float(np.arctan2(-x, dz))
            reach_len = float(np.hypot(x, dz))
            if reach_len >= L:
                legs[i, c] = -float(np.arcsin(np.clip(x / L, -1, 1)))
            else:
                legs[i, c], bend[i, c] = a, 1.0 - reach_len / L
    times = t[0] + (td[1:] - s0) / v
    phases = np.pi / 2 + (np.asarray(idx[1:]) - 1) * np.pi
    gait = np.interp(t, times, phases)
    strikes = [float((tk - t[0]) * scene.fps) for tk in times if t[0] < tk <= t[-1]]
    return gait, strikes, legs, bend, h - f * pz


BOUNCE_T, BOUNCE_H = 0.8, 0.9
"""A bouncing thing's nominal time between landings (s) and apex height (m)."""
BOUNCE_JITTER = 0.06
"""Bounce-to-bounce variation of that time (fraction, 1 sigma): a real ball on real ground never
bounces strictly periodically; the apex height follows the flight time (h ~ T^2, ballistic)."""


def _bounces(scene: Scene, o: SceneObject, t: np.ndarray, s0: float, rest: float) -> tuple[np.ndarray, list[float]]:
    """Height per frame of a bouncing object and the (fractional) frames of its landings."""
    rng = np.random.default_rng([int(scene.seed) & 0xFFFFFFFF, zlib.crc32(o.id.encode()), 1])
    t_land = t[0] - ((t[0] + s0 * 0.1) % BOUNCE_T)  # the last landing at or before t[0]
    lands = [t_land]
    while lands[-1] <= t[-1]:
        lands.append(lands[-1] + BOUNCE_T * float(np.clip(1 + BOUNCE_JITTER * rng.standard_normal(), 0.8, 1.2)))
    la = np.asarray(lands)
    k = np.clip(np.searchsorted(la, t, side="right") - 1, 0, len(la) - 2)
    dur = la[k + 1] - la[k]
    u = (t - la[k]) / dur
    z = rest + BOUNCE_H * (dur / BOUNCE_T) ** 2 * np.sin(np.pi * u)
    frames = [float((tk - t[0]) * scene.fps) for tk in la[1:] if t[0] < tk <= t[-1]]
    return z, frames


# ---- movers ------------------------------------------------------------------------------------------


def _lane_object_motion(scene: Scene, o: SceneObject, t: np.ndarray, lane: dict, s0: float) -> None:
    v = SPEEDS[o.motion]
    s = s0 + v * t
    x, y, h = stadium_point(s, lane["cx"], lane["cy"], lane["ls"], lane["r"])
    size = o.size
    z = np.full_like(x, size[2] / 2)
    if o.motion == "fly":
        alt = lane.get("alt", 2.5)
        z = alt + 0.15 * np.sin(2 * np.pi * t / 1.7 + s0)
    elif o.motion == "bounce":
        z, lands = _bounces(scene, o, t, s0, size[2] / 2)
        # each landing at its exact (fractional) frame: the sound lands on the bounce's lowest point
        o.events.extend(("impact", f) for f in lands)
    o.pos[:, 0], o.pos[:, 1], o.pos[:, 2] = x, y, z
    o.yaw[:] = np.unwrap(h)
    o.anim["dist"] = s.copy()
    if o.kind in STRIDES:
        if o.motion in ("walk", "run") and leg_geometry(o.kind) is not None:
            gait, strikes, legs, bend, z = _stance(scene, o, t, s0, v)
            o.anim["gait"], o.anim["legs"], o.anim["bend"] = gait, legs, bend
            o.pos[:, 2] = z
            o.events.extend(("footstep", f) for f in strikes)
        elif o.motion in ("walk", "run"):
            gait, strikes = _gait(scene, o, t, s0, v)
            o.anim["gait"] = gait
            o.events.extend(("footstep", f) for f in strikes)
        else:
            o.anim["gait"] = 2 * np.pi * s / STRIDES[o.kind]
    o.anim["spin"] = 40.0 * t
    o.anim["flap"] = 2 * np.pi * 3.5 * t
    if o.motion == "drive":
        o.events.append(("engine", 0))
    if o.motion == "roll":
        o.events.append(("rolling", 0))
    o.path = dict(o.path or {}, lane=lane, s_end=float(s[-1] + v / scene.fps))


def assign_motion(scene: Scene, rng: np.random.Generator, t: np.ndarray, continuing: bool) -> None:
    (x0, y0), (x1, y1) = scene.stage_min, scene.stage_max
    fmin, fmax = scene.floor_min, scene.floor_max
    groups: dict[str, list[SceneObject]] = {}
    for o in scene.objects:
        if o.motion in LANE_MOTIONS:
            if o.path and o.path.get("lane"):
                lane = o.path["lane"]
                _lane_object_motion(scene, o, t, lane, o.path["s_end"])
                scene.occupancy.append(OBB(lane["cx"], lane["cy"], lane["hx"], lane["hy"], 0.0, f"lane:{o.motion}"))
                continue
            groups.setdefault(o.motion, []).append(o)
    # launch corridors: one per projectile (paired with its launcher when there is one)
    corridors = []
    for o in scene.objects:
        if o.motion == "launch" and not (o.path and o.path.get("launched")):
            src = None
            gi = (o.path or {}).get("projectile_of")
            if gi is not None:
                cands = [s for s in scene.objects if (s.path or {}).get("group") == gi and s.role != "projectile_source"
                         and s.motion is None]
                cands = [s for s in cands if not any(c[1] is s for c in corridors)]
                if cands:
                    src = cands[0]
            corridors.append((o, src))

    # lane requests: (width, kind, payload)
    reqs = []
    for motion, objs in groups.items():
        w = max(o.radius for o in objs)
        if motion == "drive":
            r = 2.2 if not scene.walls else 1.2
        elif len(objs) == 1:
            r = 0.15
        else:
            r = w + 0.15
        reqs.append([2 * r + 2 * w + 0.1, "lane", (motion, objs, r, w)])
    for proj, src in corridors:
        wsrc = src.size[1] / 2 if src else 0.0
        reqs.append([2 * max(wsrc, proj.radius) + 0.6, "corridor", (proj, src)])
    if not reqs:
        return
    gap = 0.15
    total = sum(r[0] for r in reqs) + gap * (len(reqs) - 1)
    ya, yb = y0, y1
    if total > yb - ya:
        if scene.walls:
            ya, yb = fmin[1] + 0.3, fmax[1] - 0.3
        else:
            grow = (total - (yb - ya)) / 2 + 0.5
            ya, yb = ya - grow, yb + grow
    while sum(r[0] for r in reqs) + gap * (len(reqs) - 1) > yb - ya + 1e-9 and reqs:
        # shrink loops first, then drop the last request
        shrunk = False
        for r in reqs:
            if r[1] == "lane" and r[2][2] > 0.15 and r[2][0] != "drive":
                motion, objs, _r, w = r[2]
                r[2] = (motion, objs, 0.15, w)
                r[0] = 2 * 0.15 + 2 * w + 0.1
                shrunk = True
        if shrunk:
            continue
        r = reqs.pop()
        objs = r[2][1] if r[1] == "lane" else [r[2][0]]
        for o in objs:
            scene.dropped.append(f"{o.id} {o.kind} ({o.motion}): no room for its path")
        scene.objects = [o for o in scene.objects if o not in objs]
    used = sum(r[0] for r in reqs) + gap * (len(reqs) - 1)
    slack = max(0.0, (yb - ya) - used)
    order = list(rng.permutation(len(reqs)))
    # lanes sit around the middle of the stage, where the camera looks
    y = ya + slack / 2 + float(rng.uniform(-0.25, 0.25)) * slack
    for idx in order:
        width, typ, payload = reqs[idx]
        cy = y + width / 2
        y += width + gap
        if scene.occupancy:
            cy = _free_lane_y(scene, cy, width, x0, x1)
            if cy is None:
                objs = payload[1] if typ == "lane" else [payload[0]]
                for o in objs:
                    scene.dropped.append(f"{o.id} {o.kind} ({o.motion}): no room for its path")
                scene.objects = [o for o in scene.objects if o not in objs]
                continue
        if typ == "lane":
            motion, objs, r, w = payload
            xa, xb = x0, x1
            if motion == "drive" and not scene.walls:
                xb = x1 + 14.0
            ls = max(0.5, (xb - xa) - 2 * r - 2 * w - 0.3)
            lane = dict(cx=(xa + xb) / 2, cy=cy, ls=ls, r=r, hx=ls / 2 + r + w + 0.1, hy=width / 2)
            if motion == "fly":
                lane["alt"] = float(rng.uniform(1.8, 2.8))
            per = 2 * ls + 2 * np.pi * r
            base = float(rng.uniform(0.25, 0.75)) * ls  # start mid-way along the near straight, in view
            for j, o in enumerate(objs):
                _lane_object_motion(scene, o, t, lane, base + per * j / len(objs))
            scene.occupancy.append(OBB(lane["cx"], cy, lane["hx"], lane["hy"], 0.0, f"lane:{motion}"))
        else:
            proj, src = payload
            _launch(scene, rng, t, proj, src, x0, x1, cy, width)


def _free_lane_y(scene: Scene, cy: float, width: float, x0: float, x1: float) -> float | None:
    """The lane centre nearest ``cy`` whose strip overlaps nothing already placed (continued scenes)."""
    lo = scene.floor_min[1] + width / 2 + 0.3 if scene.walls else scene.stage_min[1] - 8
    hi = scene.floor_max[1] - width / 2 - 0.3 if scene.walls else scene.stage_max[1] + 8
    for d in np.concatenate([[0.0], np.repeat(np.arange(0.25, 16.0, 0.25), 2) * np.tile([1, -1], 63)]):
        y = cy + d
        if not lo <= y <= hi:
            continue
        box = OBB((x0 + x1) / 2, y, (x1 - x0) / 2 + 0.5, width / 2, 0.0, "probe")
        if not any(o.overlaps(box, 0.1) for o in scene.occupancy):
            return float(y)
    return None


def _launch(scene: Scene, rng, t, proj: SceneObject, src: SceneObject | None, x0: float, x1: float, cy: float,
            width: float) -> None:
    n, fps = scene.n, scene.fps
    pr = proj.size[2] / 2
    tl = float(min(1.0, 0.2 * n / fps))
    if src is not None:
        src.role = "projectile_source"
        sx = x0 + src.size[0] / 2 + 0.2
        src.pos[:] = (sx, cy, src.size[2] / 2)
        src.yaw[:] = 0.0
        src.path = dict(src.path or {}, placed=True)
        if src.kind == "catapult":
            f = src.factor
            pivot = np.array([-0.1, 0, 0.3]) * f
            bucket = np.array([-1.45, 0, 0.51]) * f + np.array([0, 0, pr])
            swing = np.clip((t - tl) / 0.3, 0, 1)
            arm = 1.9 * (1 - (1 - swing) ** 2)
            src.anim["arm"] = arm
            held = [src.pos[0] + pivot + rot_y(a) @ (bucket - pivot) for a in arm]
            t_rel = tl + 0.3 * (1 - np.sqrt(1 - 1.3 / 1.9))
            i_rel = int(np.searchsorted(t, t_rel))
            start = src.pos[0] + pivot + rot_y(1.3) @ (bucket - pivot)
        else:
            hand = np.array([0.35, 0.0, 0.45]) * src.factor
            held = [src.pos[0] + hand] * n
            i_rel = int(np.searchsorted(t, tl))
            t_rel = tl
            start = src.pos[0] + hand
        src.events.append(("launch", min(i_rel, n - 1)))
        land_x = min(float(start[0] + rng.uniform(6.0, 9.0)), x1 + 4.0)
    else:
        start = np.array([x0 + 0.5, cy, pr])
        held = [start] * n
        t_rel = tl
        i_rel = int(np.searchsorted(t, tl))
        land_x = min(float(start[0] + rng.uniform(5.0, 8.0)), x1 + 4.0)
    tf = 1.3
    vx = (land_x - start[0]) / tf
    vz = (pr - start[2] + 0.5 * G * tf * tf) / tf
    pos = np.zeros((n, 3))
    for i in range(n):
        ti = t[i]
        if i < i_rel:
            pos[i] = held[i]
        elif ti - t_rel <= tf:
            dt = ti - t_rel
            pos[i] = (start[0] + vx * dt, start[1], start[2] + vz * dt - 0.5 * G * dt * dt)
        else:
            dt = min(ti - t_rel - tf, 0.8)
            roll = 1.2 * dt - 0.75 * dt * dt  # decelerating roll after landing
            pos[i] = (land_x + roll, start[1], pr)
    pos[:, 2] = np.maximum(pos[:, 2], pr)
    proj.pos[:] = pos
    proj.yaw[:] = 0.0
    proj.anim["dist"] = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pos[:, :2], axis=0), axis=1))])
    i_land = int(np.searchsorted(t, t_rel + tf))
    if i_land < n:
        proj.events.append(("impact", float((t_rel + tf - t[0]) * scene.fps)))  # the landing, (fractional) frames
    proj.path = dict(proj.path or {}, launched=True, placed=True)
    end_x = land_x + 1.0
    xa = min(x0, start[0] - 0.5)
    scene.occupancy.append(OBB((xa + end_x) / 2 + 0.3, cy, (end_x - xa) / 2 + 0.3, width / 2, 0.0, f"lane:launch:{proj.id}"))


# ---- camera ------------------------------------------------------------------------------------------


def _inside(scene: Scene, p: np.ndarray, margin: float = 0.45) -> bool:
    if not scene.walls:
        return True
    return (scene.floor_min[0] + margin <= p[0] <= scene.floor_max[0] - margin
            and scene.floor_min[1] + margin <= p[1] <= scene.floor_max[1] - margin)


def camera_path(scene: Scene, move: str | None, rng: np.random.Generator, t: np.ndarray, prev: dict | None) -> str:
    n = scene.n
    T = max(t[-1], 1.0 / scene.fps)
    s = t / T if T > 0 else np.zeros(n)
    (x0, y0), (x1, y1) = scene.stage_min, scene.stage_max
    centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2, 0.6])
    movers = [o for o in scene.objects if o.motion in LANE_MOTIONS]
    asked_movers = [o for o in movers if o.role == "asked"]
    if move is None:
        if prev:
            move = "dolly"
        elif movers:
            move = str(rng.choice(["dolly", "orbit", "tracking"], p=[0.35, 0.35, 0.3]))
        else:
            move = str(rng.choice(["dolly", "orbit"]))
    if move == "tracking" and not movers:
        scene.notes.append("tracking camera asked but nothing moves: dolly instead")
        move = "dolly"
    h = scene.cam_height + float(rng.uniform(-0.1, 0.2))
    scene.cam_height = h
    if prev:
        eye0 = np.asarray(prev["cam_eye"], float)
        fwd = np.asarray(prev["cam_forward"], float)
        cams = _continue_camera(scene, move, eye0, fwd, s, T, rng)
        scene.cams = cams
        return move

    L = float(np.clip(0.5 * T, 1.5, 4.5))
    ystart = centre[1] + float(rng.uniform(-0.25, 0.25)) * (y1 - y0) * 0.5
    start_x = x0 - 1.8 - L
    if scene.walls and start_x < scene.floor_min[0] + 0.5:
        start_x = scene.floor_min[0] + 0.5
        L = min(L, max(0.8, x0 - 1.2 - start_x))
    eye_a = np.array([start_x, ystart, h])
    cams = np.zeros((n, 3, 4))
    if move in ("dolly",):
        for i in range(n):
            eye = eye_a + np.array([L * s[i], 0, 0])
            cams[i] = cam.look_at(eye, centre)
    elif move in ("static", "handheld", "pan"):
        eye = eye_a + np.array([L * 0.5, 0, 0])
        d = centre - eye
        base = np.arctan2(d[1], d[0])
        pitch_target = centre[2]
        dist = np.hypot(d[0], d[1])
        if move == "handheld":
            jit = np.stack([_smooth(rng.normal(0, 0.03, n).cumsum() * 0.3, scene.fps * 0.2) for _ in range(4)], 1)
        amp = float(np.clip(0.06 * T, 0.25, 0.6)) * float(rng.choice([-1, 1]))
        for i in range(n):
            if move == "pan":
                a = base + amp * (s[i] - 0.5) * 2
                tgt = eye + np.array([np.cos(a) * dist, np.sin(a) * dist, pitch_target - eye[2]])
                cams[i] = cam.look_at(eye, tgt)
            elif move == "handheld":
                cams[i] = cam.look_at(eye + jit[i, :3] * 0.5, centre + np.array([0, jit[i, 3], jit[i, 0]]) * 2)
            else:
                cams[i] = cam.look_at(eye, centre)
    elif move == "orbit":
        half = max(x1 - x0, y1 - y0) / 2
        R = half + 2.2
        direction = float(rng.choice([-1, 1]))
        sweep = float(np.clip(0.22 * T, 0.5, 1.7))
        while True:
            angs = np.pi + direction * sweep * (s - 0.5)
            eyes = np.stack([centre[0] + R * np.cos(angs), centre[1] + R * np.sin(angs), np.full(n, h)], 1)
            if all(_inside(scene, e) for e in eyes[:: max(1, n // 24)]) and _inside(scene, eyes[-1]):
                break
            if sweep > 0.12:
                sweep *= 0.8
            elif R > 2.5:
                R *= 0.9
            else:
                break
        for i in range(n):
            cams[i] = cam.look_at(eyes[i], centre)
    elif move == "tracking":
        tgt = (asked_movers or movers)[0]
        sig = scene.fps * 0.8
        tx = _smooth(tgt.pos[:, 0], sig)
        ty = _smooth(tgt.pos[:, 1], sig)
        lane_y = float(np.mean(tgt.pos[:, 1]))
        D = 5.5 if not scene.walls else 4.0
        side_y = lane_y - D
        if _inside(scene, np.array([0.0, side_y, h]), 0.5) and (not scene.walls or side_y >= scene.floor_min[1] + 0.5):
            for i in range(n):
                eye = np.array([tx[i] - 1.0, side_y, h])
                cams[i] = cam.look_at(eye, np.array([tx[i], ty[i], 0.7]))
        else:
            for i in range(n):
                ex = max(tx[i] - 4.0, scene.floor_min[0] + 0.5) if scene.walls else tx[i] - 4.0
                eye = np.array([ex, float(np.clip(lane_y, scene.floor_min[1] + 0.5, scene.floor_max[1] - 0.5)), h])
                cams[i] = cam.look_at(eye, np.array([tx[i] + 0.5, ty[i], 0.7]))
    else:
        raise ValueError(move)
    scene.cams = cams
    return move


def _continue_camera(scene: Scene, move: str, eye0: np.ndarray, fwd: np.ndarray, s: np.ndarray, T: float, rng) -> np.ndarray:
    """Start exactly where the previous clip's camera ended and keep going from there."""
    n = len(s)
    fwd = fwd / (np.linalg.norm(fwd) + 1e-9)
    flat = np.array([fwd[0], fwd[1], 0.0])
    flat /= np.linalg.norm(flat) + 1e-9
    look0 = eye0 + fwd * 4.0
    cams = np.zeros((n, 3, 4))
    (x0, y0), (x1, y1) = scene.stage_min, scene.stage_max
    centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
    if move in ("dolly", "tracking"):
        L = float(np.clip(0.35 * T, 0.8, 3.0))
        dist_c = float(np.linalg.norm(eye0[:2] - centre))
        sign = 1.0 if dist_c > 4.5 else -1.0
        while L > 0.2 and not _inside(scene, eye0 + sign * flat * L):
            L *= 0.7
        for i in range(n):
            e = eye0 + sign * flat * L * s[i]
            cams[i] = cam.look_at(e, e + (look0 - eye0))
    elif move == "orbit":
        pivot = np.array([look0[0], look0[1], 0.6])
        R = float(np.linalg.norm((eye0 - pivot)[:2]))
        a0 = float(np.arctan2(eye0[1] - pivot[1], eye0[0] - pivot[0]))
        sweep = float(np.clip(0.15 * T, 0.3, 1.0)) * float(rng.choice([-1, 1]))
        while abs(sweep) > 0.05 and not _inside(scene, pivot + np.array([R * np.cos(a0 + sweep), R * np.sin(a0 + sweep), 0])):
            sweep *= 0.7
        for i in range(n):
            a = a0 + sweep * s[i]
            e = np.array([pivot[0] + R * np.cos(a), pivot[1] + R * np.sin(a), eye0[2]])
            # blend the look target from the previous one to the pivot over the first second
            w = min(1.0, s[i] * T / 1.0)
            cams[i] = cam.look_at(e, (1 - w) * (e + (look0 - eye0)) + w * np.array([pivot[0], pivot[1], look0[2]]))
    elif move == "pan":
        amp = float(np.clip(0.05 * T, 0.2, 0.5)) * float(rng.choice([-1, 1]))
        base = np.arctan2(fwd[1], fwd[0])
        for i in range(n):
            a = base + amp * s[i]
            d = np.array([np.cos(a) * np.hypot(fwd[0], fwd[1]), np.sin(a) * np.hypot(fwd[0], fwd[1]), fwd[2]])
            cams[i] = cam.look_at(eye0, eye0 + d)
    else:
        for i in range(n):
            cams[i] = cam.look_at(eye0, look0)
    return cams


# ---- obstacles -------------------------------------------------------------------------------------


def _reserve_camera(scene: Scene) -> None:
    step = max(1, scene.fps // 4)
    for i in list(range(0, scene.n, step)) + [scene.n - 1]:
        c = cam.centre_of(scene.cams[i])
        scene.occupancy.append(OBB(float(c[0]), float(c[1]), 0.35, 0.35, 0.0, "camera"))


def _blocks_view(scene: Scene, xy: np.ndarray, radius: float) -> bool:
    """True when a point sits between the camera and the stage centre (it would hide the action)."""
    (x0, y0), (x1, y1) = scene.stage_min, scene.stage_max
    c = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
    for i in range(0, scene.n, max(1, scene.n // 8)):
        e = cam.centre_of(scene.cams[i])[:2]
        d = c - e
        L = np.linalg.norm(d)
        if L < 1e-6:
            continue
        u = d / L
        along = float(np.dot(xy - e, u))
        if 0 < along < L - 1.0:
            r = xy - e
            perp = abs(float(u[0] * r[1] - u[1] * r[0]))  # 2-D cross product
            if perp < radius + 0.4:
                return True
    return False


def _fills_view(scene: Scene, o: SceneObject, p: np.ndarray, yaw: float, limit: float = 0.12) -> bool:
    """True when scenery would cover more than ``limit`` of the image in some frame (a wall in the lens)."""
    corners = cam.box_corners(np.array([p[0], p[1], o.size[2] / 2]), o.size, yaw)
    for i in range(0, scene.n, max(1, scene.n // 12)):
        b = cam.projected_box(corners, scene.cams[i], scene.kmat, scene.width, scene.height)
        if b and (b[2] - b[0]) * (b[3] - b[1]) > limit * scene.width * scene.height:
            return True
    return False


def _candidate(scene: Scene, o: SceneObject, where: str, rng) -> tuple[np.ndarray, float]:
    (x0, y0), (x1, y1) = scene.stage_min, scene.stage_max
    fmin, fmax = scene.floor_min, scene.floor_max
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    if where == "stage":
        p = np.array([rng.uniform(x0, x1), rng.uniform(y0, y1)])
    elif where == "ring":
        a = rng.uniform(0, 2 * np.pi)
        r = rng.uniform(6.0, 22.0)
        p = np.array([cx + 3.0 + r * np.cos(a), cy + r * np.sin(a)])
    elif where == "sides":
        side = rng.choice([-1, 1])
        p = np.array([rng.uniform(x0 - 4, x1 + 24), (y1 if side > 0 else y0) + side * (3.5 + o.size[1] / 2 + rng.uniform(0, 3))])
    else:  # room
        if scene.walls:
            p = np.array([rng.uniform(fmin[0] + 0.5, fmax[0] - 0.5), rng.uniform(fmin[1] + 0.5, fmax[1] - 0.5)])
        else:
            p = np.array([rng.uniform(x0 - 6, x1 + 12), rng.uniform(y0 - 8, y1 + 8)])
    if o.kind in ("building",):
        yaw = float(rng.integers(0, 4)) * np.pi / 2
    elif o.kind in ("pillar", "fence", "shelf"):
        yaw = float(rng.integers(0, 2)) * np.pi / 2
    else:
        yaw = float(rng.uniform(-np.pi, np.pi))
    return p, yaw


def place_statics(scene: Scene, rng: np.random.Generator, t: np.ndarray, continuing: bool) -> None:
    _reserve_camera(scene)
    todo = []
    for o in scene.objects:
        placed = (o.path or {}).get("placed") or (continuing and (o.path or {}).get("from_prev"))
        if o.motion in LANE_MOTIONS or placed:
            continue
        if (o.path or {}).get("from_prev"):
            continue
        todo.append(o)
    # previous-clip statics keep their place (their footprints were reserved before the lanes)
    todo.sort(key=lambda o: (o.role != "asked", -o.radius))
    dropped = []
    for o in todo:
        where = (o.path or {}).get("where", "stage") if o.role != "asked" else "stage"
        ok = False
        for attempt in range(260):
            w = where
            if o.role == "asked" and attempt >= 130:
                w = "room"
            p, yaw = _candidate(scene, o, w, rng)
            box = OBB(float(p[0]), float(p[1]), o.size[0] / 2, o.size[1] / 2, yaw, o.id)
            if not scene.is_free(box, margin=0.2):
                continue
            cdist = min(np.linalg.norm(cam.centre_of(c)[:2] - p) for c in scene.cams[:: max(1, scene.n // 16)])
            need = o.radius + (1.6 if o.kind in TALL else 1.0)
            if cdist < need:
                continue
            if o.role == "asked":
                if scene.on_screen_fraction(np.array([p[0], p[1], o.size[2] / 2])) < 0.5:
                    continue
            elif _blocks_view(scene, p, o.radius) or _fills_view(scene, o, p, yaw):
                continue
            o.pos[:] = (p[0], p[1], o.size[2] / 2)
            o.yaw[:] = yaw
            scene.occupancy.append(box)
            ok = True
            break
        if not ok:
            dropped.append(o)
            if o.role == "asked":
                scene.dropped.append(f"{o.id} {o.kind}: no free place in view")
    scene.objects = [o for o in scene.objects if o not in dropped]
    for o in scene.objects:
        if o.motion == "fall" and not (o.path or {}).get("fallen"):
            _fall(scene, o, t, rng)


def _fall(scene: Scene, o: SceneObject, t: np.ndarray, rng) -> None:
    rest = o.size[2] / 2
    z, v = rest + float(rng.uniform(2.0, 3.0)), 0.0
    dt = 1.0 / scene.fps / 8
    zs = np.zeros(scene.n)
    cur_t, i = 0.0, 0
    bounces = 0
    while i < scene.n:
        while cur_t + 1e-12 < t[i]:
            v -= G * dt
            z += v * dt
            if z <= rest:
                z = rest
                if abs(v) > 0.6 and bounces < 3:
                    o.events.append(("impact", (cur_t + dt - t[0]) * scene.fps))  # the contact, in (fractional) frames
                    v = -v * 0.3
                    bounces += 1
                else:
                    v = 0.0
            cur_t += dt
        zs[i] = z
        i += 1
    o.pos[:, 2] = zs
    o.path = dict(o.path or {}, fallen=True)


__all__ = ["KINDS", "assign_motion", "camera_path", "place_statics"]
