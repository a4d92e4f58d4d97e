"""``reconstruct``: video in, ``world.json`` + ``world.glb`` + ``points.ply`` out.

The stage tries multi-view geometry first (parallax keyframes -> pycolmap -> floor, scale,
walls, obstacles, lifted tracks). When the clip cannot support it (static camera, a pure pan,
too few features or registered frames, no floor below the cameras) it says why and builds a
single-view world instead, marked ``method: single_view``. A file that is not a usable video is
bad input (one-line reason); nothing is ever written as an empty success.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from worlddirector.artifacts.analysis import Analysis
from worlddirector.artifacts.clip import Generation
from worlddirector.artifacts.world import (
    Floor,
    MovingObject,
    Obstacle,
    RegisteredCamera,
    TrajectoryPoint,
    Wall,
    World,
)
from worlddirector.errors import BadInputError
from worlddirector.logging import get_logger
from worlddirector.reconstruction import dense as D
from worlddirector.reconstruction import frames as F
from worlddirector.reconstruction import layout as L
from worlddirector.reconstruction import objects as O
from worlddirector.reconstruction import objects3d as O3
from worlddirector.reconstruction import segments2d as S2
from worlddirector.reconstruction import single_view as SV
from worlddirector.reconstruction import support as SUP
from worlddirector.reconstruction import visibility as VIS
from worlddirector.reconstruction.export import write_glb, write_ply
from worlddirector.reconstruction.geometry import interpolate_poses
from worlddirector.reconstruction.klt import track
from worlddirector.reconstruction.sfm import SfMResult, run_sfm_tracks

log = get_logger(__name__)

Progress = Callable[[float, str], None] | None

MIN_MOTION_FRACTION = 0.03  # accumulated median image motion below 3% of the width: static camera
MIN_REGISTERED = 6
MIN_REGISTERED_FRACTION = 0.5


MAPPER_NAMES = {"global": "global", "incremental": "incremental", "ground_seeded": "ground-seeded incremental"}
MAX_HEIGHT_SPREAD = 0.12  # std/mean of camera heights above the floor beyond which a model is suspect


def _height_spread(sfm: SfMResult, camera_height: float) -> float:
    try:
        return float(L.align(sfm, camera_height).height_spread)
    except L.LayoutError:
        return float("inf")


class _NoMultiView(Exception):
    """Multi-view geometry is not possible for this clip; the message says why."""


def _p(cb: Progress, f: float, msg: str) -> None:
    if cb is not None:
        cb(float(min(1.0, max(0.0, f))), msg)


def _load_optional(cls, out_dir: Path):
    path = out_dir / cls.FILENAME
    return cls.load(path) if path.is_file() else None


def _known_intrinsics(gen: Generation | None, dv: F.DecodedVideo) -> tuple[float, float, float, float] | None:
    if gen is None or gen.intrinsics is None:
        return None
    k = gen.intrinsics
    if k.width <= 0 or k.height <= 0:
        return None
    sx, sy = dv.proc_size[0] / k.width, dv.proc_size[1] / k.height
    return (k.fx * sx, k.fy * sy, k.cx * sx, k.cy * sy)


def reconstruct(
    video: Path,
    out_dir: Path,
    *,
    analysis: Analysis | None = None,
    generation: Generation | None = None,
    on_progress: Progress = None,
    camera_height: float = L.DEFAULT_CAMERA_HEIGHT,
    keyframes: int = 24,
) -> World:
    """Rebuild the clip's world. See the module docstring and ``docs/reconstruction.md``."""
    video, out_dir = Path(video), Path(out_dir)
    if not (0.2 <= camera_height <= 50):
        raise BadInputError(f"camera height prior {camera_height} m is not plausible (0.2..50)")
    if out_dir.exists() and not out_dir.is_dir():
        raise BadInputError(f"{out_dir}: exists and is not a directory")
    if analysis is None:
        analysis = _load_optional(Analysis, out_dir)
    if generation is None:
        generation = _load_optional(Generation, out_dir)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    _p(on_progress, 0.0, "decoding video")
    dv = F.decode(video)
    usable_idx = [i for i, f in enumerate(dv.frames) if F.usable(f)]
    if not usable_idx:
        raise BadInputError(f"{video}: no usable frames (every frame is blank or a single flat colour)")
    timings["decode"] = time.perf_counter() - t0
    out_dir.mkdir(parents=True, exist_ok=True)
    _p(on_progress, 0.1, "measuring camera motion")
    t = time.perf_counter()
    F.measure_motion(dv)
    idx = F.select_keyframes(dv, target=keyframes)
    timings["select_frames"] = time.perf_counter() - t
    stats: dict = {
        "video_frames": dv.n_frames, "fps": dv.fps, "processing_size": list(dv.proc_size),
        "accumulated_motion_px": round(float(sum(dv.motion)), 1), "keyframes": [dv.frame_ids[i] for i in idx],
    }
    K_known = _known_intrinsics(generation, dv)
    try:
        world, extra = _multiview(dv, idx, K_known, analysis, camera_height, stats, timings, on_progress)
    except _NoMultiView as exc:
        reason = str(exc)
        log.debug("reconstruction.single_view", reason=reason)
        _p(on_progress, 0.7, "building a single-view world")
        t = time.perf_counter()
        world, extra = _single_view(dv, usable_idx, K_known, analysis, camera_height, reason, stats)
        timings["single_view"] = time.perf_counter() - t
    points, colors = extra
    _p(on_progress, 0.9, "writing world.glb and points.ply")
    t = time.perf_counter()
    write_ply(out_dir / "points.ply", points, colors)
    write_glb(out_dir / "world.glb", world, points, colors)
    timings["export"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    world.timings = {k: round(v, 3) for k, v in timings.items()}
    world.save(out_dir)
    _p(on_progress, 1.0, f"{world.method} world written")
    return world


def _intrinsics_dict(K: np.ndarray, size: tuple[int, int], known: bool) -> dict[str, float]:
    return {"fx": float(K[0, 0]), "fy": float(K[1, 1]), "cx": float(K[0, 2]), "cy": float(K[1, 2]),
            "width": float(size[0]), "height": float(size[1]), "known": 1.0 if known else 0.0}


def _cam(frame: int, R: np.ndarray, t: np.ndarray) -> RegisteredCamera:
    M = np.c_[R, t]
    return RegisteredCamera(frame=int(frame), cam_from_world=[[round(float(v), 6) for v in row] for row in M])


def _multiview(dv, idx, K_known, analysis, camera_height, stats, timings, on_progress):
    w = dv.proc_size[0]
    motion = float(sum(dv.motion[idx[0] + 1: idx[-1] + 1])) if idx else 0.0
    if motion < MIN_MOTION_FRACTION * w:
        raise _NoMultiView(
            f"static camera: the image moves only {motion:.1f} px over the clip (< {MIN_MOTION_FRACTION:.0%} of "
            "the width), so there is no parallax to triangulate"
        )
    if len(idx) < 3:
        raise _NoMultiView(f"only {len(idx)} usable keyframes with distinct viewpoints (need at least 3)")
    _p(on_progress, 0.15, f"structure from motion on {len(idx)} keyframes")
    t = time.perf_counter()
    need = max(MIN_REGISTERED, int(np.ceil(MIN_REGISTERED_FRACTION * len(idx))))
    sfm: SfMResult | None = None
    attempts = 0
    with tempfile.TemporaryDirectory(prefix="wd-sfm-") as tmp:
        tmp = Path(tmp)
        names = F.write_images(dv, idx, tmp / "images")
        tk = time.perf_counter()
        kps, tids = track(dv.frames, idx, skip=dv.flashes)
        timings["tracks"] = time.perf_counter() - tk
        stats["tracked_points_per_keyframe"] = int(np.median([len(k) for k in kps]))
        # Global mapping (GLOMAP) on our tracks first: incremental mapping drifts badly on forward
        # dollies. Incremental mapping is the second opinion, run when the global model is
        # incomplete or implausible (cameras at very different heights above the fitted floor:
        # generated and most real camera moves keep their height; global positioning sometimes
        # bends orbits). The model with more registered frames, then steadier height, wins. When
        # the winner has too few frames or no floor below its cameras, a third starts incremental
        # mapping from a pair posed by its ground-plane solution (``sfm.ground_pose``): over open
        # ground both mappers can settle in the plane's mirror solution (the camera rising in front
        # of a wall).
        best_key = None
        for mapper in ("global", "incremental", "ground_seeded"):
            if mapper == "ground_seeded" and best_key is not None and best_key[0] and np.isfinite(best_key[1]):
                break  # a model with enough frames and a floor
            attempts += 1
            try:
                got = run_sfm_tracks(tmp / "images", tmp, names, kps, tids, intrinsics=K_known, mapper=mapper,
                                     seed=attempts)
            except (RuntimeError, ValueError) as exc:  # COLMAP check failures surface as these
                log.debug("reconstruction.sfm_failed", mapper=mapper, error=str(exc))
                got = None
            if got is None:
                continue
            spread = _height_spread(got, camera_height)
            stats[f"{mapper}_height_spread"] = round(spread, 3) if np.isfinite(spread) else None
            key = (len(got.frames) >= need, -spread if len(got.frames) >= need else len(got.frames))
            if best_key is None or key > best_key:
                sfm, best_key = got, key
                stats["mapper"] = mapper
            if best_key[0] and len(sfm.frames) >= int(0.8 * len(idx)) and -best_key[1] < MAX_HEIGHT_SPREAD:
                break
    timings["sfm"] = time.perf_counter() - t
    stats["sfm_attempts"] = attempts
    if sfm is None:
        raise _NoMultiView(
            f"structure from motion could not initialise from {len(idx)} keyframes (too few matched features, "
            "or the camera only rotates)"
        )
    n_reg = len(sfm.frames)
    stats.update({"registered": n_reg, "keyframes_used": len(idx), "sfm_points": len(sfm.points),
                  "mean_reprojection_px": round(sfm.mean_reproj, 3)})
    if n_reg < need:
        raise _NoMultiView(f"only {n_reg} of {len(idx)} keyframes registered (need {need})")
    C = sfm.centers
    baseline = float(np.max(np.linalg.norm(C - C[0], axis=1)))
    depth = float(np.median(np.linalg.norm(sfm.points - C.mean(0), axis=1))) if len(sfm.points) else 0.0
    stats["baseline_over_depth"] = round(baseline / max(depth, 1e-9), 4)
    if depth <= 0 or baseline / depth < 0.01:
        raise _NoMultiView("the camera rotates in place (baseline under 1% of scene depth): no usable parallax")
    _p(on_progress, 0.6, "finding floor, walls and obstacles")
    t = time.perf_counter()
    try:
        al = L.align(sfm, camera_height)
    except L.LayoutError as exc:
        raise _NoMultiView(str(exc)) from None
    timings["layout"] = time.perf_counter() - t
    _p(on_progress, 0.7, "dense stereo on the registered keyframes")
    t = time.perf_counter()
    fid = {f: i for i, f in enumerate(dv.frame_ids)}
    images = [dv.frames[fid[f]] for f in sfm.frames]
    dense = D.densify(images, al.R, al.t, sfm.K, al.points[al.reliable])
    refit = L.refit_floor(al, dense.points)
    if refit is not None:  # the dense points' floor disagrees with the sparse one: re-frame on it
        al, tf = refit
        dense = dataclasses.replace(dense, points=tf(dense.points))
    timings["dense"] = time.perf_counter() - t
    t = time.perf_counter()
    walls, wall_mask = L.find_walls(al)
    sparse_obst = L.find_obstacles(al, wall_mask, focal=float(sfm.K[0, 0]))
    timings["layout"] += time.perf_counter() - t
    t = time.perf_counter()
    obst, dstats, (vox_p, vox_c) = obstacle_stage(images, al.R, al.t, sfm.K, dense, al.C, walls, sparse_obst)
    stats["obstacle_support"] = {k: sum(1 for o in obst if o.support == k)
                                 for k in ("floor_contact", "floor_assumed", "free_below")}
    stats.update(dstats)
    stats.update({"dense_reference_views": dense.n_refs, "sparse_obstacles": len(sparse_obst)})
    timings["dense"] += time.perf_counter() - t
    stats.update({k: v for k, v in al.stats.items()})
    stats.update({"floor_angle_to_up_prior_deg": round(al.floor_angle_deg, 2),
                  "camera_height_spread": round(al.height_spread, 3), "scale_m_per_unit": round(al.scale, 5)})

    # moving objects via floor contact; static tracks lend their names to obstacles
    Rs, Cs = al.R, al.C

    def pose_at(frame: int):
        return interpolate_poses(sfm.frames, Rs, Cs, frame)

    lifted = O.lift_tracks(analysis, pose_at, sfm.K, dv.scale, dv.fps)
    named = O.scene_graph_objects(analysis)
    labels = O.match_labels([o.color for o in obst], named)
    for lt in lifted:
        if lt.moving or not lt.label:
            continue
        for i, o in enumerate(obst):
            if labels[i] is None and np.hypot(o.center[0] - lt.positions[:, 0].mean(), o.center[1] - lt.positions[:, 1].mean()) < 1.0:
                labels[i] = lt.label
                break
    mv_labels = O.match_labels([lt.color for lt in lifted], named)

    pts_keep = al.reliable
    # sparse SfM points plus the centroids of multi-view-consistent dense voxels above the floor
    P = np.r_[al.points[pts_keep], vox_p]
    Ccol = np.r_[al.colors[pts_keep], vox_c].astype(np.uint8)
    stats["dense_voxel_points"] = len(vox_p)
    floor_xy = al.points[al.floor_mask][:, :2]
    xy = np.r_[floor_xy, al.C[:, :2]] if len(floor_xy) else al.C[:, :2]
    lo, hi = np.percentile(xy, 1, axis=0), np.percentile(xy, 99, axis=0)
    for o in obst:  # the floor must hold every obstacle
        lo = np.minimum(lo, np.array(o.center[:2]) - np.array(o.size[:2]) / 2)
        hi = np.maximum(hi, np.array(o.center[:2]) + np.array(o.size[:2]) / 2)
    world = World(
        method="multiview",
        reason=(f"{n_reg} of {len(idx)} keyframes registered by {MAPPER_NAMES.get(stats.get('mapper', ''), '')} SfM, "
                f"{len(sfm.points)} points, mean reprojection error {sfm.mean_reproj:.2f} px"),
        scale_source=f"camera height prior: median camera height above the fitted floor set to {camera_height:g} m",
        intrinsics=_intrinsics_dict(sfm.K, dv.proc_size, K_known is not None),
        cameras=[_cam(f, R, tt) for f, R, tt in zip(sfm.frames, al.R, al.t, strict=True)],
        floor=Floor(normal=(0.0, 0.0, 1.0), extent_min=(float(lo[0]), float(lo[1])),
                    extent_max=(float(hi[0]), float(hi[1])), confidence=al.floor_confidence),
        walls=[Wall(id=f"wall_{i}", p0=wf.p0, p1=wf.p1, height=wf.height, confidence=wf.confidence)
               for i, wf in enumerate(walls)],
        obstacles=[Obstacle(id=f"obstacle_{i}", center=o.center, size=o.size, yaw=o.yaw, confidence=o.confidence,
                            label=labels[i], n_points=o.n_points, kind="box", color=o.color,
                            completed=o.completed, support=o.support or None,
                            observed_bottom=None if o.observed_bottom is None else round(float(o.observed_bottom), 3))
                   for i, o in enumerate(obst)],
        moving_objects=[
            MovingObject(id=f"mover_{i}", track_id=lt.track_id, size=lt.size, label=lt.label or mv_labels[i],
                         color=lt.color, lifted_by="floor_contact",
                         trajectory=[TrajectoryPoint(frame=f, time=round(tt, 4), position=tuple(float(v) for v in p))
                                     for f, tt, p in zip(lt.frames, lt.times, lt.positions, strict=True)])
            for i, lt in enumerate(lifted) if lt.moving
        ],
        n_points=len(P),
        stats=stats,
    )
    return world, (P, Ccol)


def obstacle_stage(images, R, t, K, dense: D.DensePoints, cams: np.ndarray, walls, sparse_obst):
    """Static obstacles from the dense points (and the sparse clusters): voxel components, boxes,
    refinement, support. ``images``/``R``/``t``/``K``: the registered keyframes and their cameras
    (world frame of ``cams``). Returns the boxes, counts for ``world.stats`` and the consistent
    voxels (centroids, colours) for ``points.ply``."""
    regions = None
    if len(dense.points):
        obj, floor, wall = O3.point_classes(dense.points, cams, walls)
        regions = S2.point_regions(images, R, t, K, dense.points, dense.ref, obj, floor, wall)
    dense_obst, dstats, vox = O3.find_dense_obstacles_two_scales(dense.points, dense.colors, dense.ref, cams, walls,
                                                                 regions=regions)
    obst = O3.combine(dense_obst, sparse_obst)
    # colour components are often single faces: grow each box over the consistent points around it
    obst, rstats = O3.refine_boxes(obst, dense.points, dense.colors, dense.ref, cams, walls, regions=regions)
    dstats.update(rstats)
    # clusters of mismatched wall or ground texture float in the air: the other views look through them
    obst, dstats["seen_through_dropped"] = VIS.drop_seen_through(obst, dense.points, dense.ref, R, t, K,
                                                                 images[0].shape[:2] if images else (0, 0))
    # raised boxes: extended to the floor unless the cameras see through the gap under them
    obst = SUP.resolve_support(obst, dense.points, cams[dense.ref] if len(dense.ref) else np.zeros((0, 3)), dense.ref)
    return obst, dstats, vox


def _single_view(dv, usable_idx, K_known, analysis, camera_height, reason, stats):
    w, h = dv.proc_size
    if K_known is not None:
        fx, fy, cx, cy = K_known
    else:
        fx = fy = 1.2 * max(w, h)  # COLMAP's default focal guess
        cx, cy = w / 2, h / 2
    K = np.array([[fx, 0, cx], [0, fy, cy], [0, 0, 1.0]])
    mid = dv.frames[usable_idx[len(usable_idx) // 2]]
    hz = SV.find_horizon(mid, cy)
    pitch = float(np.arctan2(cy - hz.row, fy))
    R, t = SV.level_camera(pitch, camera_height)
    C = -R.T @ t
    frame0 = dv.frame_ids[usable_idx[0]]

    def pose_at(frame: int):
        return R, C

    # visible ground: from the bottom corners of the image to a far limit below the horizon
    from worlddirector.reconstruction.geometry import intersect_floor, pixel_ray

    far_row = max(hz.row + 0.05 * h, min(h - 1, hz.row + 2))
    pts = []
    for uv in [(0, h - 1), (w - 1, h - 1), (0, far_row), (w - 1, far_row)]:
        g = intersect_floor(C, pixel_ray(K, R, np.array(uv, float))[0])
        if g is not None:
            pts.append(g[:2])
    pts = np.array(pts) if pts else np.array([[0.5, -2.0], [20.0, 2.0]])
    pts[:, 0] = np.minimum(pts[:, 0], 40.0)
    pts[:, 1] = np.clip(pts[:, 1], -40.0, 40.0)
    lo, hi = pts.min(0), pts.max(0)
    lo[0] = min(lo[0], 0.0)

    lifted = O.lift_tracks(analysis, pose_at, K, dv.scale, dv.fps)
    named = O.scene_graph_objects(analysis)
    labels = O.match_labels([lt.color for lt in lifted], named)
    obstacles, movers = [], []
    for i, lt in enumerate(lifted):
        label = lt.label or labels[i]
        if lt.moving:
            movers.append(MovingObject(
                id=f"mover_{i}", track_id=lt.track_id, size=lt.size, label=label, color=lt.color,
                lifted_by="floor_contact (single view, assumed camera height)",
                trajectory=[TrajectoryPoint(frame=f, time=round(tt, 4), position=tuple(float(v) for v in p))
                            for f, tt, p in zip(lt.frames, lt.times, lt.positions, strict=True)]))
        else:
            c = lt.positions.mean(0)
            yaw = float(np.arctan2(c[1] - C[1], c[0] - C[0]))  # thin axis (x of the box) faces the camera
            obstacles.append(Obstacle(
                id=f"billboard_{i}", center=(float(c[0]), float(c[1]), float(lt.size[2] / 2)),
                size=(0.05, float(lt.size[0]), float(lt.size[2])), yaw=yaw, confidence=0.2, label=label,
                n_points=0, kind="billboard", color=lt.color))
        lo = np.minimum(lo, lt.positions[:, :2].min(0) - 0.5)
        hi = np.maximum(hi, lt.positions[:, :2].max(0) + 0.5)
    if analysis is None:
        reason += "; no analysis tracks were available, so the world has no objects"
    stats.update({"horizon_row": round(hz.row, 1), "horizon_source": hz.source, "horizon_strength": float(hz.strength),
                  "pitch_deg": round(float(np.degrees(pitch)), 2)})
    world = World(
        method="single_view",
        reason=reason,
        scale_source=(f"single-view guess: camera assumed {camera_height:g} m above a flat floor, pitch from the "
                      f"horizon ({hz.source})"),
        intrinsics=_intrinsics_dict(K, (w, h), K_known is not None),
        cameras=[_cam(frame0, R, t)],
        floor=Floor(normal=(0.0, 0.0, 1.0), extent_min=(float(lo[0]), float(lo[1])),
                    extent_max=(float(hi[0]), float(hi[1])), confidence=0.2 if hz.source == "colour boundary" else 0.1),
        walls=[],
        obstacles=obstacles,
        moving_objects=movers,
        n_points=0,
        stats=stats,
    )
    return world, (np.zeros((0, 3)), np.zeros((0, 3), np.uint8))
