"""Agents walking the world under physics: plan with A*, drive capsules along the plan, record.

Each agent is a 70 kg upright capsule on x/y/z slide joints (gravity keeps it on the floor; it
cannot tip). A 30 Hz controller turns the next waypoint into a desired velocity, adds a short-range
repulsion from other agents (people step aside), and MuJoCo's velocity actuators and contacts do
the rest: agents collide with walls, obstacles, tracked objects and each other.

Goals cover the reachable floor (farthest-point sampling), shared out by proximity, so a run of
30 s visits most of a room. What goes wrong is recorded, not hidden: an agent that makes no
progress for ``STUCK_SECONDS`` despite replanning and side-stepping is *stuck*; an agent whose
centre ends up deep inside geometry or below the floor *tunneled*.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.spatial import cKDTree

from worlddirector.artifacts.world import World
from worlddirector.simulation.engine import mujoco
from worlddirector.simulation.geometry import Box, BoxSet
from worlddirector.simulation.grid import Grid, smooth_path
from worlddirector.simulation.mjcf import AgentSpec, MovingSpec, agent_mjcf

HZ = 30.0
SPEED = 1.2  # m/s walking pace
WAYPOINT_RADIUS = 0.3
STUCK_WINDOW = 3.0  # s: the displacement quoted in the evidence
STUCK_PROGRESS = 0.3  # m: getting this much closer to the goal (along the plan) counts as progress
STUCK_SECONDS = 6.0  # s without progress (despite side-steps and re-plans) before it is reported
SIDESTEP_SECONDS = 0.8
TUNNEL_EVERY = 3
BLOCKER_SHARE = 0.3  # an obstruction must be in contact for this share of the stall
RECOVER_AFTER = 2.0  # s without progress before side-stepping and re-planning
FALL_DEPTH = 0.3  # m below the floor: fell through it
MAX_OBJECT_STEP = 1.0  # m per control tick: a tracked object moving further jumped (moved, not dragged)
MAX_AGENT_SPEED = 4.0  # m/s per horizontal axis
MAX_AGENT_RISE = 0.5  # m/s upwards
PARKED_SPREAD = 0.5  # m
PLAN_TRIES = 5
PARK = np.array([0.0, 0.0, -100.0])  # where a tracked object waits while it is not in the clip


@dataclass
class AgentEvent:
    kind: str  # "agent_stuck" | "tunneling"
    agent: int
    time: float
    position: tuple[float, float, float]
    evidence: str
    severity: float
    object_id: str | None = None
    repeats: int = 1


@dataclass
class AgentRun:
    hz: float
    agents: dict[str, list[tuple[float, float, float]]]
    objects: dict[str, list[tuple[float, float, float]]]
    present: dict[str, list[tuple[int, int]]]
    events: list[AgentEvent]
    goals_reached: int
    goals_attempted: int
    coverage: float
    sim_seconds: float
    wall_seconds: float
    cpu_seconds: float
    physics_seconds: float
    steps: int
    transient_blocks: int = 0
    starts: list[tuple[float, float]] = field(default_factory=list)


def _fps_cells(cells: np.ndarray, k: int, first: int) -> list[int]:
    """Farthest-point sampling: k indices into ``cells`` [n, 2] spread as evenly as possible."""
    chosen = [first]
    d = np.linalg.norm(cells - cells[first], axis=1)
    while len(chosen) < min(k, len(cells)):
        nxt = int(np.argmax(d))
        if d[nxt] <= 0:
            break
        chosen.append(nxt)
        d = np.minimum(d, np.linalg.norm(cells - cells[nxt], axis=1))
    return chosen


def run_agents(
    world: World,
    grid: Grid,
    main_mask: np.ndarray,
    start_hint: tuple[float, float] | None,
    obstacles: list[Box],
    walls: list[Box],
    n_agents: int,
    seconds: float,
    seed: int,
    spec: AgentSpec | None = None,
    on_progress: Callable[[float, str], None] | None = None,
) -> AgentRun:
    spec = spec or AgentSpec()
    rng = np.random.default_rng(seed)
    t_wall0 = time.perf_counter()
    t_cpu0 = time.process_time()
    ii, jj = np.nonzero(main_mask & grid.free)
    cells = np.stack([ii, jj], axis=1)
    xy = np.stack([grid.origin[0] + ii * grid.res, grid.origin[1] + jj * grid.res], axis=1) if len(ii) else np.zeros((0, 2))
    n_agents = max(0, min(n_agents, len(cells)))

    # Spawn: the first agent where the camera stood (or a seeded random free cell), the rest spread out.
    if n_agents:
        if start_hint is not None:
            first = int(np.argmin(np.linalg.norm(xy - np.array(start_hint), axis=1)))
        else:
            first = int(rng.integers(len(cells)))
        spawn_idx = _fps_cells(xy, n_agents, first)
        n_agents = len(spawn_idx)
    else:
        spawn_idx = []
    starts = [tuple(float(v) for v in xy[i]) for i in spawn_idx]

    # Goals: farthest-point samples of the reachable floor, each owned by the nearest agent.
    goal_idx = _fps_cells(xy, max(4 * n_agents, 16), int(rng.integers(len(cells)))) if n_agents else []
    goals = xy[goal_idx] if goal_idx else np.zeros((0, 2))
    queues: list[list[np.ndarray]] = [[] for _ in range(n_agents)]
    if n_agents:
        owner = np.argmin(np.linalg.norm(goals[:, None, :] - xy[spawn_idx][None, :, :], axis=2), axis=1)
        for k in range(n_agents):
            mine = [goals[g] for g in range(len(goals)) if owner[g] == k]
            cur = xy[spawn_idx[k]]
            ordered = []
            while mine:  # nearest-neighbour tour
                d = [np.linalg.norm(g - cur) for g in mine]
                cur = mine.pop(int(np.argmin(d)))
                ordered.append(cur)
            queues[k] = ordered

    moving = [m for m in world.moving_objects if m.trajectory]
    mspecs = [MovingSpec(tuple(m.size), tuple(m.trajectory[0].position), m.label, _parked(m)) for m in moving]
    model = mujoco.MjModel.from_xml_string(agent_mjcf(obstacles, walls, starts, mspecs, spec))
    data = mujoco.MjData(model)
    jx = [model.jnt_qposadr[mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_JOINT, f"a{k}x")] for k in range(n_agents)]
    agent_geom = {mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_GEOM, f"ag{k}"): k for k in range(n_agents)}
    ag_geom_ids = [mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_GEOM, f"ag{k}") for k in range(n_agents)]
    geom_label: dict[int, str] = {}
    for i, b in enumerate(obstacles):
        geom_label[mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_GEOM, f"obg{i}")] = f"obstacle {b.id}" + (f" ({b.label})" if b.label else "")
    for i, w in enumerate(walls):
        geom_label[mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_GEOM, f"wall{i}")] = f"wall {w.id}"
    for k, m in enumerate(moving):
        geom_label[mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_GEOM, f"mog{k}")] = f"moving object {m.id}"
    geom_id = {g: lab.split(" (")[0].split(" ")[-1] for g, lab in geom_label.items()}  # solid things only
    mover_of_geom = {mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_GEOM, f"mog{k}"): k for k in range(len(moving))}
    for g, k in agent_geom.items():
        geom_label[g] = f"agent a{k}"
    mo_body = [mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, f"mo{k}") for k in range(len(moving))]
    mo_mocap = [model.body_mocapid[mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, f"mo{k}t")] for k in range(len(moving))]
    mo_qpos = [model.jnt_qposadr[model.body_jntadr[b]] for b in mo_body]
    mo_qvel = [model.jnt_dofadr[model.body_jntadr[b]] for b in mo_body]
    mo_tracks = [
        (np.array([p.time for p in m.trajectory]), np.array([p.position for p in m.trajectory], dtype=float))
        for m in moving
    ]
    mujoco.mj_forward(model, data)

    n_ticks = round(seconds * HZ)
    nstep = max(1, round(1.0 / HZ / model.opt.timestep))
    window = round(STUCK_WINDOW * HZ)
    paths: list[list[tuple[float, float]]] = [[] for _ in range(n_agents)]
    goal_of: list[np.ndarray | None] = [None] * n_agents
    reached = attempted = transient_blocks = 0
    hist = np.zeros((n_agents, n_ticks + 1, 3))
    best = [math.inf] * n_agents  # shortest remaining path length achieved towards the current goal
    best_t = [0.0] * n_agents  # when it was achieved
    blockers: list[dict[int, int]] = [{} for _ in range(n_agents)]  # geoms touched while making no progress
    now = [0.0]
    sidestep_until = [0.0] * n_agents
    sidestep_dir = np.zeros((n_agents, 2))
    tunneled = [False] * n_agents
    events: list[AgentEvent] = []
    phys = 0.0

    qidx = np.array([[j, j + 1, j + 2] for j in jx], dtype=int).reshape(-1, 3)
    vzidx = np.array([model.jnt_dofadr[mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_JOINT, f"a{k}z")]
                      for k in range(n_agents)], dtype=int)
    vidx = np.array([model.jnt_dofadr[mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_JOINT, f"a{k}{ax}")]
                     for k in range(n_agents) for ax in "xy"], dtype=int)
    base = np.array([[s[0], s[1], 0.0] for s in starts], dtype=float).reshape(-1, 3)
    solids = BoxSet(list(obstacles) + list(walls))

    def pos_all() -> np.ndarray:
        return data.qpos[qidx] + base

    def plan(k: int, p: np.ndarray) -> None:
        """Next goal from the agent's queue (then seeded random goals), at most PLAN_TRIES attempts."""
        nonlocal attempted
        for _ in range(PLAN_TRIES):
            if not queues[k]:  # tour finished: wander to a seeded random reachable cell
                queues[k].append(xy[int(rng.integers(len(xy)))])
            g = queues[k].pop(0)
            attempted += 1
            path = grid.astar(grid.to_cell(p[0], p[1]), grid.to_cell(g[0], g[1]))
            if path is None:
                s = grid.nearest_free(p[0], p[1], main_mask)  # knocked off the grid: start from nearest free cell
                path = grid.astar(s, grid.to_cell(g[0], g[1])) if s else None
            if path:
                paths[k] = smooth_path(grid, path)[1:] or [tuple(g)]
                if goal_of[k] is not g:  # a new goal (a re-plan keeps the progress record)
                    best[k], best_t[k] = math.inf, now[0]
                goal_of[k] = g
                return
        paths[k] = []
        goal_of[k] = None

    def touching_geoms(k: int) -> list[int]:
        n = data.ncon
        if n == 0:
            return []
        g1 = data.contact.geom1[:n]
        g2 = data.contact.geom2[:n]
        mine = ag_geom_ids[k]
        others = np.concatenate([g2[g1 == mine], g1[g2 == mine]])
        out = []
        for g in others.tolist():
            if g in geom_label and g not in out:
                out.append(g)
        return out

    def touching(k: int) -> list[str]:
        return [geom_label[g] for g in touching_geoms(k)]

    P = pos_all()
    hist[:, 0] = P
    obj_hist = np.zeros((len(moving), n_ticks + 1, 3))
    # Tracked objects replay their clip in a loop; outside its track an object is not in the scene
    # (parked far below the floor, where nothing collides with it).
    loop = max([float(tr[0][-1]) for tr in mo_tracks] + [0.0])
    tick_t = np.arange(n_ticks + 1) / HZ
    t_clip = tick_t % loop if loop > 0 else tick_t
    present = np.zeros((len(moving), n_ticks + 1), dtype=bool)
    targets = np.zeros((len(moving), n_ticks + 1, 3))
    for k, (tr_t, tr_p) in enumerate(mo_tracks):
        present[k] = (t_clip >= tr_t[0] - 0.5 / HZ) & (t_clip <= tr_t[-1] + 0.5 / HZ)
        for ax in range(3):
            targets[k, :, ax] = np.interp(t_clip, tr_t, tr_p[:, ax])
        targets[k, ~present[k]] = PARK
    mo_mocap = np.array(mo_mocap, dtype=int)
    for k in range(len(moving)):
        if not present[k, 0]:
            data.mocap_pos[mo_mocap[k]] = PARK
            data.qpos[mo_qpos[k]: mo_qpos[k] + 3] = PARK
    mujoco.mj_forward(model, data)
    if moving:
        obj_hist[:, 0] = data.xpos[mo_body]
    for k in range(n_agents):
        plan(k, P[k])

    for tick in range(1, n_ticks + 1):
        t = tick / HZ
        now[0] = t
        P = pos_all()
        ctrl = np.zeros((n_agents, 2))
        for k in range(n_agents):
            if tunneled[k]:
                continue
            p = P[k]
            while paths[k] and math.hypot(paths[k][0][0] - p[0], paths[k][0][1] - p[1]) < WAYPOINT_RADIUS:
                paths[k].pop(0)
                if not paths[k]:
                    reached += 1
                    plan(k, p)
            if not paths[k]:
                plan(k, p)
            if paths[k]:
                dx, dy = paths[k][0][0] - p[0], paths[k][0][1] - p[1]
                n = math.hypot(dx, dy)
                if n > 1e-6:
                    ctrl[k] = (SPEED * dx / n, SPEED * dy / n)
            if t < sidestep_until[k]:
                ctrl[k] = SPEED * sidestep_dir[k]
        # people step aside for each other: short-range repulsion
        if n_agents > 1:
            d = P[:, None, :2] - P[None, :, :2]
            dist = np.linalg.norm(d, axis=2)
            close = (dist < 1.0) & (dist > 1e-6)
            w = np.where(close, 0.8 * (1.0 - dist) / np.maximum(dist, 1e-6), 0.0)
            ctrl += (w[..., None] * d).sum(axis=1)
        sp = np.linalg.norm(ctrl, axis=1, keepdims=True)
        ctrl = np.where(sp > 1.6, ctrl * 1.6 / np.maximum(sp, 1e-9), ctrl)
        data.ctrl[: 2 * n_agents] = ctrl.reshape(-1)
        if moving:
            target = targets[:, tick]
            jumped = np.flatnonzero(np.linalg.norm(target - data.mocap_pos[mo_mocap], axis=1) > MAX_OBJECT_STEP)
            for k in jumped.tolist():
                # a jump in the reconstructed track (a teleport, a lifting glitch, entering or leaving
                # the clip): move the body with it instead of letting the weld sling it across the world
                data.qpos[mo_qpos[k]: mo_qpos[k] + 3] = target[k]
                data.qvel[mo_qvel[k]: mo_qvel[k] + 6] = 0.0
            data.mocap_pos[mo_mocap] = target
            # an absent object's weld is switched off: parked bodies cost the solver nothing
            data.eq_active[:] = present[:, tick]
        t0 = time.perf_counter()
        mujoco.mj_step(model, data, nstep=nstep)
        phys += time.perf_counter() - t0
        # agents walk: contact impulses (a tracked object ramming one) never launch them faster than a sprint
        v = data.qvel[vidx]
        if (np.abs(v) > MAX_AGENT_SPEED).any():
            data.qvel[vidx] = np.clip(v, -MAX_AGENT_SPEED, MAX_AGENT_SPEED)
        vz = data.qvel[vzidx]
        if (vz > MAX_AGENT_RISE).any():  # nobody jumps: a shove never lifts an agent off its feet
            data.qvel[vzidx] = np.minimum(vz, MAX_AGENT_RISE)
        P = pos_all()
        hist[:, tick] = P
        if moving:
            obj_hist[:, tick] = data.xpos[mo_body]

        # tunneling: every TUNNEL_EVERY ticks (a capsule cannot cross 0.2 m walls in that time)
        reasons = _tunnel_reasons(P, hist[:, max(0, tick - TUNNEL_EVERY)], solids, spec) if tick % TUNNEL_EVERY == 0 \
            else [None] * n_agents
        for k in range(n_agents):
            if tunneled[k]:
                continue
            p = P[k]
            why = reasons[k]
            if why:
                tunneled[k] = True
                events.append(AgentEvent("tunneling", k, round(t, 3), tuple(float(v) for v in p),
                                         f"agent a{k} {why} at t={t:.2f} s", 1.0, None))
                continue
            if goal_of[k] is None or not paths[k]:
                continue
            rem = _remaining(p, paths[k])
            if rem < best[k] - STUCK_PROGRESS:
                best[k], best_t[k] = rem, t
            stalled = t - best_t[k]
            if stalled >= RECOVER_AFTER and t >= sidestep_until[k] + SIDESTEP_SECONDS:
                # try to get free: a seeded random side-step, then re-plan to the same goal
                ang = float(rng.uniform(0, 2 * math.pi))
                sidestep_dir[k] = (math.cos(ang), math.sin(ang))
                sidestep_until[k] = t + SIDESTEP_SECONDS
                paths[k] = []
                queues[k].insert(0, goal_of[k])
                attempted -= 1
            if stalled >= 1.0:
                for g_ in touching_geoms(k):
                    blockers[k][g_] = blockers[k].get(g_, 0) + 1
            else:
                blockers[k].clear()
            if stalled >= STUCK_SECONDS:
                top = sorted(blockers[k].items(), key=lambda kv: (-kv[1], kv[0]))
                # Only a lasting obstruction is a finding: static geometry, or a tracked object that
                # stood still the whole time. Crowding by other agents or a passing object is not.
                lasting = []
                stall_ticks = max(1, round((stalled - 1.0) * HZ))
                t_from = max(0, tick - round(stalled * HZ))
                for g_, n_touch in top:
                    if n_touch < BLOCKER_SHARE * stall_ticks:
                        continue  # brushed against it once: not what holds the agent
                    if g_ in mover_of_geom:
                        mk = mover_of_geom[g_]
                        if present[mk, t_from: tick + 1].all() and \
                                np.linalg.norm(obj_hist[mk, tick] - obj_hist[mk, t_from]) < STUCK_PROGRESS:
                            lasting.append(g_)
                    elif g_ in geom_id:
                        lasting.append(g_)
                against = [geom_label[g_] for g_ in lasting[:3]]
                blocker_id = geom_id[lasting[0]] if lasting else None
                blockers[k].clear()
                g = goal_of[k]
                if not lasting:  # crowding, a passing object, or dithering: not a finding about the world
                    transient_blocks += 1
                    paths[k] = []
                    goal_of[k] = None
                    if queues[k] and queues[k][0] is g:
                        queues[k].pop(0)
                    continue
                w0 = max(0, tick - window)
                moved = math.hypot(hist[k, tick, 0] - hist[k, w0, 0], hist[k, tick, 1] - hist[k, w0, 1])
                prior = next((e for e in events if e.kind == "agent_stuck" and e.agent == k
                              and math.dist(e.position[:2], p[:2]) < 1.5), None)
                if prior is not None:  # the same agent stuck at the same place again: one finding
                    prior.repeats += 1
                    prior.severity = min(1.0, prior.severity + 0.15)
                else:
                    events.append(AgentEvent(
                        "agent_stuck", k, round(best_t[k], 3), tuple(round(float(v), 3) for v in p),
                        f"agent a{k} got no closer to its goal ({g[0]:.2f}, {g[1]:.2f}) for {stalled:.1f} s despite "
                        f"side-steps and re-planning ({rem:.1f} m of planned path left; moved {moved:.2f} m in the "
                        f"last {STUCK_WINDOW:.0f} s)" + (f"; kept running into {', '.join(against)}" if against else ""),
                        min(1.0, stalled / (2 * STUCK_SECONDS)),
                        blocker_id,
                    ))
                # give up on this goal and go on with the tour
                paths[k] = []
                goal_of[k] = None
                if queues[k] and queues[k][0] is g:
                    queues[k].pop(0)
        if on_progress and tick % max(1, n_ticks // 10) == 0:
            on_progress(tick / n_ticks, f"agents: {t:.1f}/{seconds:.0f} s simulated")

    # Coverage: reachable cells within 1.5 m of some agent's path.
    coverage = 0.0
    if n_agents and len(xy):
        samples = hist[:, :: max(1, int(HZ / 3)), :2].reshape(-1, 2)
        dist, _ = cKDTree(samples).query(xy, k=1, distance_upper_bound=1.5)
        visited = np.isfinite(dist)
        coverage = float(visited.mean())
    agents_replay = {f"a{k}": [tuple(p) for p in np.round(hist[k], 3).tolist()] for k in range(n_agents)}
    objects_replay = {}
    spans = {}
    for k, m in enumerate(moving):
        pos = obj_hist[k].copy()
        # while absent, hold the nearest present position so a viewer never flies to the parking spot
        idx = np.flatnonzero(present[k])
        if len(idx):
            nearest = idx[np.clip(np.searchsorted(idx, np.arange(len(pos))), 0, len(idx) - 1)]
            pos[~present[k]] = pos[nearest[~present[k]]]
        objects_replay[m.id] = [tuple(p) for p in np.round(pos, 3).tolist()]
        spans[m.id] = _spans(present[k])
    return AgentRun(
        hz=HZ, agents=agents_replay, objects=objects_replay, present=spans, events=events, goals_reached=reached,
        goals_attempted=attempted, coverage=coverage, sim_seconds=n_ticks / HZ,
        wall_seconds=time.perf_counter() - t_wall0, cpu_seconds=time.process_time() - t_cpu0, physics_seconds=phys, steps=n_ticks * nstep,
        transient_blocks=transient_blocks, starts=starts,
    )


def _parked(m) -> bool:
    """A tracked object that stays put (its whole track within ``PARKED_SPREAD``) is solid to agents:
    the planner does not know it, so it can really block a passage. Moving tracks pass through
    agents: floor-contact lifting misplaces them by metres, and a misplaced object ramming agents
    would manufacture findings about the world."""
    pos = np.array([p.position for p in m.trajectory], dtype=float)
    return bool(np.ptp(pos[:, 0]) < PARKED_SPREAD and np.ptp(pos[:, 1]) < PARKED_SPREAD)


def _spans(mask: np.ndarray) -> list[tuple[int, int]]:
    """Inclusive [first, last] tick ranges where ``mask`` is true."""
    out, start = [], None
    for i, v in enumerate(mask.tolist() + [False]):
        if v and start is None:
            start = i
        elif not v and start is not None:
            out.append((start, i - 1))
            start = None
    return out


def _remaining(p: np.ndarray, path: list[tuple[float, float]]) -> float:
    """Length of the planned path still to walk from ``p``."""
    total = math.hypot(path[0][0] - p[0], path[0][1] - p[1])
    for a, b in itertools.pairwise(path):
        total += math.hypot(b[0] - a[0], b[1] - a[1])
    return total


def _tunnel_reasons(P: np.ndarray, prev: np.ndarray, solids: BoxSet, spec: AgentSpec) -> list[str | None]:
    """Per agent, why its centre is somewhere a solid capsule cannot be (None when all is well)."""
    out: list[str | None] = [None] * len(P)
    if not len(P):
        return out
    fell = P[:, 2] < -FALL_DEPTH
    if solids.boxes:
        tall = (solids.bottom < spec.height - spec.radius) & (solids.top > spec.radius)
        # inside a footprint and below its top (standing on top of a low box is not tunneling)
        within = tall[None, :] & (P[:, 2:3] < solids.top[None, :] - 0.1)
        depth = np.where(within, solids.depth(P[:, :2]), -np.inf)
        loc_prev = solids.local(prev[:, :2])
        loc_now = solids.local(P[:, :2])
        is_wall = np.array([b.kind == "wall" for b in solids.boxes])
        crossed = (is_wall & tall)[None, :] & (np.abs(loc_now[..., 0]) < solids.half[None, :, 0]) & (
            np.sign(loc_prev[..., 1]) != np.sign(loc_now[..., 1]))
    for k in range(len(P)):
        if fell[k]:
            out[k] = f"fell through the floor to z={P[k, 2]:.2f} m"
        elif solids.boxes:
            j = int(np.argmax(depth[k]))
            if depth[k, j] > spec.radius * 0.8:
                b = solids.boxes[j]
                out[k] = f"is {depth[k, j]:.2f} m inside {b.kind} {b.id} (passed through solid geometry)"
            elif crossed[k].any():
                out[k] = f"crossed wall {solids.boxes[int(np.argmax(crossed[k]))].id} between two ticks"
    return out
