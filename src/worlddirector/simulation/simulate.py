"""``simulate``: put a reconstructed world into MuJoCo, walk agents through it, report what is wrong.

Order of work (each step feeds the next, and each finding names its evidence):

1. load and check ``world.json`` (required) and ``analysis.json`` (for continuity checks);
2. settle test: obstacles released under gravity → ``interpenetration`` (at rest), ``floating``,
   ``unstable_object``;
3. occupancy grid and reachability from where the camera stood → ``unreachable_area``;
4. agents walking planned paths under physics for ``seconds`` → ``agent_stuck``, ``tunneling``;
5. tracked objects: motion through obstacles (``interpenetration``) and implausible ballistic
   motion (``implausible_motion``);
6. analysis events and flicker frames placed in the world → ``pop_in``, ``pop_out``, ``teleport``,
   ``size_drift``, ``flicker``.

Deterministic: the same inputs and seed give the same violations and replay (only ``timings`` and
the speed figures in ``stats`` vary).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path

from worlddirector.artifacts.agent_report import AgentReport, Replay, Violation
from worlddirector.errors import BadInputError
from worlddirector.logging import get_logger
from worlddirector.simulation.agents import HZ, run_agents
from worlddirector.simulation.checks import violation
from worlddirector.simulation.checks.av_sync import av_desync
from worlddirector.simulation.checks.ballistic import implausible_motion
from worlddirector.simulation.checks.continuity import continuity
from worlddirector.simulation.checks.floating import floating_and_unstable
from worlddirector.simulation.checks.interpenetration import rest_interpenetration, tracked_interpenetration
from worlddirector.simulation.checks.reachability import main_component, unreachable_areas
from worlddirector.simulation.geometry import obstacle_boxes, wall_boxes
from worlddirector.simulation.grid import build_grid
from worlddirector.simulation.inputs import load_analysis, load_world
from worlddirector.simulation.mjcf import AgentSpec
from worlddirector.simulation.placement import Cameras
from worlddirector.simulation.settle import settle
from worlddirector.simulation.support import extend_to_floor, find_supports, read_ply_points, stem_prior

log = get_logger(__name__)

TYPE_ORDER = [
    "floating", "interpenetration", "unstable_object", "tunneling", "unreachable_area", "agent_stuck",
    "implausible_motion", "pop_in", "pop_out", "teleport", "size_drift", "flicker", "av_desync",
]
SETTLE_SECONDS = 1.5
MAX_AGENTS = 64
MAX_SECONDS = 600.0


def simulate(
    run_dir: Path,
    *,
    agents: int = 8,
    seconds: float = 30.0,
    seed: int = 0,
    on_progress: Callable[[float, str], None] | None = None,
) -> AgentReport:
    """Read ``run_dir/world.json`` (+ ``analysis.json``), simulate, write ``run_dir/agent_report.json``."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise BadInputError(f"{run_dir}: not a directory (expected a run directory with world.json)")
    if not 0 <= agents <= MAX_AGENTS:
        raise BadInputError(f"--agents must be between 0 and {MAX_AGENTS}, got {agents}")
    if not (isinstance(seconds, (int, float)) and math.isfinite(seconds) and 0 < seconds <= MAX_SECONDS):
        raise BadInputError(f"--seconds must be in (0, {MAX_SECONDS:.0f}], got {seconds}")
    progress = on_progress or (lambda f, m: None)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    world = load_world(run_dir / "world.json")
    analysis = load_analysis(run_dir / "analysis.json")
    timings["load"] = time.perf_counter() - t0
    progress(0.02, "loaded world")
    cams = Cameras(world)
    spec = AgentSpec()
    stats: dict = {"world_method": world.method, "n_obstacles": len(world.obstacles), "n_walls": len(world.walls),
                   "n_moving_objects": len(world.moving_objects), "skipped_checks": []}
    violations: list[Violation] = []

    # 2. settle test
    t = time.perf_counter()
    obstacles = obstacle_boxes(world)
    walls = wall_boxes(world)
    # unseen stems (lamp poles, tree trunks): from points.ply when it shows them, else a shape prior
    presumed: dict[str, str] = {}
    if world.method == "multiview":
        pts = read_ply_points(run_dir / world.files.get("points", "points.ply"))
        if pts is None:
            stats["skipped_checks"].append("support columns: points.ply missing or unreadable")
        for i, sup in find_supports(obstacles, pts).items():
            if obstacles[i].support == "free_below":
                continue  # reconstruction saw the floor through the gap: stray points there are not a stem
            presumed[obstacles[i].id] = (f"{sup.n_points} points under it reach down to {sup.lowest:.2f} m "
                                         "(a pole, trunk or legs the boxes do not show)")
        for b in obstacles:
            why = stem_prior(b)
            if why and b.id not in presumed:
                presumed[b.id] = why
        obstacles = [extend_to_floor(b) if b.id in presumed else b for b in obstacles]
    stats["presumed_supported"] = presumed
    res = settle(obstacles, walls, seconds=SETTLE_SECONDS)
    guessed = world.method != "multiview"
    if guessed:
        stats["skipped_checks"].append(
            "interpenetration between obstacles and of tracked motion: single-view geometry is guessed "
            "(upright billboards at estimated depth), so overlaps in it are not evidence")
    else:
        violations += rest_interpenetration(res.overlaps, res.boxes, walls, cams)
    unseen: list[str] = []
    violations += floating_and_unstable(res, cams, analysis if world.method == "multiview" else None, unseen)
    stats["floating_not_in_tracks"] = unseen  # floating boxes the video's tracks do not show (lower severity)
    for i, b in enumerate(res.boxes):
        if res.end[i, 2] < -0.3 - b.size[2] / 2:
            violations.append(violation("tunneling", 1.0, res.end[i], res.seconds,
                                        f"obstacle {b.id} fell through the floor in the settle test", object_id=b.id))
    stats["lifted_to_floor"] = {res.boxes[i].id: round(v, 3) for i, v in res.lifted.items()}
    timings["settle"] = time.perf_counter() - t
    progress(0.1, "settle test done")

    # 3. grid and reachability
    t = time.perf_counter()
    grid = build_grid(world.floor.extent_min, world.floor.extent_max, res.boxes + walls, spec.radius, agent_height=spec.height)
    start_hint = None
    c0 = cams.center(cams.frames[0]) if cams.ok and cams.frames else None
    if c0 is not None:
        start_hint = (float(c0[0]), float(c0[1]))
    labels, main_mask, main = main_component(grid, start_hint)
    unreach, reach = unreachable_areas(grid, labels, main, res.boxes + walls, spec.radius, cams)
    violations += unreach
    stats.update(grid_resolution=round(grid.res, 3), grid_cells=int(grid.free.size),
                 free_floor_m2=round(float(grid.free.sum()) * grid.res ** 2, 2))
    timings["plan"] = time.perf_counter() - t
    if agents and not (main_mask & grid.free).any():
        stats["skipped_checks"].append("agents: no floor is free of obstacles wide enough for an agent to stand")

    # 4. agents under physics
    run = run_agents(world, grid, main_mask, start_hint, res.boxes, walls, agents, seconds, seed, spec,
                     on_progress=lambda f, m: progress(0.12 + 0.8 * f, m))
    for ev in run.events:
        more = f"; stuck here {ev.repeats} times, abandoning a goal each time" if ev.repeats > 1 else ""
        violations.append(violation(ev.kind, ev.severity, ev.position, ev.time, ev.evidence + more, object_id=ev.object_id))
    timings["agents"] = run.wall_seconds
    stats.update(
        physics_steps=run.steps, transient_blocks=run.transient_blocks, goals_reached=run.goals_reached, goals_attempted=run.goals_attempted,
        coverage=round(run.coverage, 3),
        realtime_factor=round(run.sim_seconds / run.wall_seconds, 1) if run.wall_seconds > 0 else None,
        # the same per second of this process's CPU time: what the machine can do when not shared
        realtime_factor_cpu=round(run.sim_seconds / run.cpu_seconds, 1) if run.cpu_seconds > 0 else None,
        physics_realtime_factor=round(run.sim_seconds / run.physics_seconds, 1) if run.physics_seconds > 0 else None,
    )

    # 5-6. tracked motion and video continuity
    t = time.perf_counter()
    if not guessed:
        violations += tracked_interpenetration(world, res.boxes, walls,
                                               {tr.id: tr for tr in analysis.tracks} if analysis is not None else None)
    violations += implausible_motion(world)
    if analysis is not None:
        dropped: list[str] = []
        violations += continuity(analysis, world, cams, dropped)
        stats["continuity_not_reported"] = dropped[:50]  # analysis events too weak to report, and why
        violations += av_desync(analysis, world, cams, stats)
    else:
        stats["skipped_checks"].append("pop_in/pop_out/teleport/size_drift/flicker: no analysis.json in the run directory")
    timings["checks"] = time.perf_counter() - t

    violations.sort(key=lambda v: (TYPE_ORDER.index(v.type), v.time, v.object_id or "", v.position))
    violations = [v.model_copy(update={"id": f"v{k + 1:03d}"}) for k, v in enumerate(violations)]
    stats["counts"] = {ty: sum(1 for v in violations if v.type == ty) for ty in TYPE_ORDER if any(v.type == ty for v in violations)}
    settle_replay = {res.boxes[i].id: traj for i, traj in res.trajectory.items()}
    report = AgentReport(
        seed=seed, n_agents=len(run.agents), sim_seconds=run.sim_seconds, violations=violations,
        reachable_fraction=round(reach, 4),
        replay=Replay(hz=HZ, agents=run.agents, objects=run.objects, present=run.present, settle=settle_replay,
                      starts={f"a{k}": s for k, s in enumerate(run.starts)}),
        stats=stats, timings={k: round(v, 4) for k, v in timings.items()},
    )
    report.timings["total"] = round(time.perf_counter() - t0, 4)
    report.save(run_dir)
    progress(1.0, f"{len(violations)} violation(s)")
    log.info("simulated", run_dir=str(run_dir), violations=len(violations), realtime=stats["realtime_factor"])
    return report
