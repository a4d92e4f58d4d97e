"""Camera poses and sparse structure with pycolmap, from our own feature tracks (``klt.py``).

Keyframe pairs within ``overlap`` of each other get the tracks they share as matches; COLMAP
verifies each pair (RANSAC) and maps, globally (GLOMAP) or incrementally. When the provider knows
the intrinsics (our procedural generator does) we fix them (PINHOLE, no focal refinement): short
clips rarely constrain focal length well. Otherwise a SIMPLE_RADIAL camera starts from COLMAP's
1.2 x max(w, h) focal guess and is refined by bundle adjustment.

A scene that is mostly one plane (a forward dolly over open ground) has two two-view solutions
that explain the matches equally well: the true one (the camera moves along the ground) and its
mirror (the plane's normal and the translation swapped: the camera rises in front of a wall). Both
COLMAP mappers can settle in the mirror; ``mapper="ground_seeded"`` starts incremental mapping
from a pair posed by its homography solution whose plane lies below the camera (``ground_pose``),
the pair whose ground solution meets its matches at the widest angle (``_ground_seed``).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from worlddirector.logging import get_logger

log = get_logger(__name__)


@dataclass
class SfMResult:
    """Everything downstream needs from COLMAP, as plain arrays (COLMAP's arbitrary frame)."""

    frames: list[int]  # original frame index per registered image, sorted
    R: np.ndarray  # (n, 3, 3) cam_from_world rotations
    t: np.ndarray  # (n, 3)
    points: np.ndarray  # (m, 3)
    colors: np.ndarray  # (m, 3) uint8
    errors: np.ndarray  # (m,) reprojection error px
    track_len: np.ndarray  # (m,)
    K: np.ndarray  # 3x3 at processing resolution
    dist: list[float] = field(default_factory=list)  # extra params (SIMPLE_RADIAL k)
    n_input: int = 0
    mean_reproj: float = 0.0
    n_models: int = 0

    @property
    def centers(self) -> np.ndarray:
        return -np.einsum("nji,nj->ni", self.R, self.t)


@contextlib.contextmanager
def _quiet():
    """COLMAP logs through glog to stderr; keep the CLI readable unless debugging."""
    if os.environ.get("WD_COLMAP_VERBOSE"):
        yield
        return
    try:
        fd = os.dup(2)
    except OSError:
        yield
        return
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(fd, 2)
            os.close(fd)


def _reader(intrinsics):
    import pycolmap

    reader = pycolmap.ImageReaderOptions()
    if intrinsics is not None:
        reader.camera_model = "PINHOLE"
        reader.camera_params = ",".join(f"{v:.6f}" for v in intrinsics)
    else:
        reader.camera_model = "SIMPLE_RADIAL"
    return reader


def _mapper_options(intrinsics, threads: int, seed: int, init_min_tri_angle: float):
    import pycolmap

    opts = pycolmap.IncrementalPipelineOptions()
    opts.num_threads = threads
    opts.multiple_models = False
    opts.random_seed = seed
    opts.extract_colors = True
    opts.mapper.init_min_tri_angle = init_min_tri_angle
    opts.mapper.init_min_num_inliers = 50
    if intrinsics is not None:
        opts.ba_refine_focal_length = False
        opts.ba_refine_extra_params = False
        opts.mapper.abs_pose_refine_focal_length = False
        opts.mapper.abs_pose_refine_extra_params = False
    return opts


def run_sfm_tracks(
    image_dir: Path,
    work_dir: Path,
    image_names: list[str],
    keypoints: list[np.ndarray],
    track_ids: list[np.ndarray],
    *,
    intrinsics: tuple[float, float, float, float] | None = None,
    threads: int = 1,  # one thread: multi-threaded bundle adjustment sums in a varying order (not repeatable)
    overlap: int = 5,
    seed: int = 0,
    init_min_tri_angle: float = 8.0,
    mapper: str = "incremental",
) -> SfMResult | None:
    """COLMAP mapping on our own feature tracks: keypoints and matches go straight into the
    database, COLMAP verifies every pair geometrically (RANSAC) and maps with ``mapper``:
    ``global``, ``incremental`` or ``ground_seeded`` (incremental from a ground-plane start)."""
    import pycolmap

    from worlddirector.reconstruction.klt import pair_matches

    work_dir.mkdir(parents=True, exist_ok=True)
    db_path = work_dir / f"tracks-{seed}.db"
    if db_path.exists():
        db_path.unlink()
    pairs_path = work_dir / f"pairs-{seed}.txt"
    verify = pycolmap.TwoViewGeometryOptions()
    verify.ransac.max_error = 2.0
    verify.ransac.max_num_trials = 400  # tracked matches are mostly inliers: a few hundred trials suffice
    verify.ransac.confidence = 0.99
    verify.ransac.random_seed = seed  # COLMAP's default (-1) seeds each verification from the clock
    verify.detect_watermark = False  # tracks never include static overlays by construction
    with _quiet():
        pycolmap.set_random_seed(seed)
        pycolmap.Database.open(db_path).close()  # create the schema
        pycolmap.import_images(db_path, image_dir, camera_mode=pycolmap.CameraMode.SINGLE, image_names=image_names,
                               options=_reader(intrinsics))
        with pycolmap.Database.open(db_path) as db:
            id_of = {im.name: im.image_id for im in db.read_all_images()}
            for name, kp in zip(image_names, keypoints, strict=True):
                db.write_keypoints(id_of[name], np.ascontiguousarray(kp, dtype=np.float32).reshape(-1, 2))
            lines = []
            n = len(image_names)
            for i in range(n):
                for j in range(i + 1, min(n, i + 1 + overlap)):
                    m = pair_matches(track_ids[i], track_ids[j])
                    if len(m) >= 15:
                        db.write_matches(id_of[image_names[i]], id_of[image_names[j]], m)
                        lines.append(f"{image_names[i]} {image_names[j]}")
        pairs_path.write_text("\n".join(lines) + "\n")
        pycolmap.verify_matches(db_path, pairs_path, options=verify)
        if mapper == "global":
            gopts = pycolmap.GlobalPipelineOptions()
            gopts.num_threads = threads
            gopts.random_seed = seed
            gopts.multiple_models = False
            # positioning cost grows with tracks; ~700 well-spread long tracks fix the poses, and
            # retriangulation afterwards brings the other points back
            gopts.mapper.keep_max_num_tracks = 700
            gopts.mapper.ba_num_iterations = 2
            if intrinsics is not None:
                gopts.mapper.bundle_adjustment.refine_focal_length = False
                gopts.mapper.bundle_adjustment.refine_extra_params = False
            models = pycolmap.global_mapping(db_path, image_dir, work_dir / f"sparse-g{seed}", options=gopts)
        elif mapper == "ground_seeded":
            models = _ground_seeded_mapping(db_path, image_dir, work_dir / f"sparse-s{seed}",
                                            _mapper_options(intrinsics, threads, seed, init_min_tri_angle))
        else:
            models = pycolmap.incremental_mapping(db_path, image_dir, work_dir / f"sparse-t{seed}",
                                                  options=_mapper_options(intrinsics, threads, seed, init_min_tri_angle))
    if not models:
        return None
    rec = max(models.values(), key=lambda r: r.num_reg_images())
    return _to_result(rec, len(image_names), len(models))


GROUND_MIN_COS = 0.8  # the seed plane's normal within ~37 degrees of the camera's down axis
GROUND_MIN_FRONT = 0.5  # most matched rays must meet the plane in front of the camera


@dataclass
class GroundPose:
    R: np.ndarray  # cam2_from_cam1 rotation
    t: np.ndarray  # cam2_from_cam1 translation, unit length
    angle_deg: float  # median triangulation angle of the matches on that plane


def ground_pose(H: np.ndarray, K: np.ndarray, x1: np.ndarray) -> GroundPose | None:
    """The relative pose of the homography solution whose plane lies below the first camera, or
    None when no solution's plane does.

    ``H`` maps pixels of image 1 to image 2 (``x2 ~ H x1``), ``x1`` are image 1's matched pixels.
    A plane homography decomposes into up to four (R, t/d, n) solutions; the rays of most points
    must meet the plane in front of the camera (``n . K^-1 x1 > 0``), which leaves two: the true one
    and its mirror. The prior picks the one whose plane normal (camera frame: x right, y down) is
    closest to the camera's down axis: a camera above the ground, looking roughly level.
    """
    _, Rs, ts, ns = cv2.decomposeHomographyMat(np.asarray(H, dtype=float), np.asarray(K, dtype=float))
    rays = np.c_[x1, np.ones(len(x1))] @ np.linalg.inv(K).T
    best = None
    for R, t, n in zip(Rs, ts, ns, strict=True):
        n, t = n.ravel() / np.linalg.norm(n), t.ravel()
        if np.mean(rays @ n > 0) < GROUND_MIN_FRONT or n[1] < GROUND_MIN_COS:
            continue
        if best is None or n[1] > best[2][1]:
            best = (R, t, n)
    if best is None or not np.linalg.norm(best[1]) > 0:
        return None
    R, t, n = best
    depth = rays @ n
    X = rays[depth > 0] / depth[depth > 0, None]  # the matches on the plane n.X = 1 (t is t/d)
    C2 = -R.T @ t
    cos = np.sum(X * (X - C2), axis=1) / (np.linalg.norm(X, axis=1) * np.linalg.norm(X - C2, axis=1))
    return GroundPose(R, t / np.linalg.norm(t), float(np.degrees(np.median(np.arccos(np.clip(cos, -1, 1))))))


def _ground_seed(db, cache, min_inliers: int) -> tuple[int, int, GroundPose] | None:
    """The verified pair whose ground-plane solution triangulates its matches at the widest
    median angle."""
    import pycolmap

    best = None
    for pair_id, geometry in zip(*db.read_two_view_geometries(), strict=True):
        if geometry.H is None or len(geometry.inlier_matches) < min_inliers:
            continue
        i1, i2 = pycolmap.pair_id_to_image_pair(pair_id)
        K = np.asarray(cache.camera(cache.image(i1).camera_id).calibration_matrix())
        pose = ground_pose(geometry.H, K, db.read_keypoints(i1)[geometry.inlier_matches[:, 0], :2])
        if pose is not None and (best is None or pose.angle_deg > best[2].angle_deg):
            best = (i1, i2, pose)
    return best


def _ground_seeded_mapping(db_path: Path, image_dir: Path, out_dir: Path, opts) -> dict:
    """Incremental mapping that starts from the pair ``_ground_seed`` picks, posed by its ground
    solution: the pair is registered and triangulated here, then COLMAP's pipeline continues from
    that model."""
    import pycolmap

    mopts = opts.get_mapper()
    with pycolmap.Database.open(db_path) as db:
        cache = pycolmap.DatabaseCache.create(db, pycolmap.DatabaseCacheOptions())
        seed = _ground_seed(db, cache, mopts.init_min_num_inliers)
        if seed is None:
            return {}
        i1, i2, pose = seed
        mapper = pycolmap.IncrementalMapper(cache)
        mapper.begin_reconstruction(pycolmap.Reconstruction())
        mapper.register_initial_image_pair(mopts, i1, i2, pycolmap.Rigid3d(pycolmap.Rotation3d(pose.R), pose.t))
        tri = opts.get_triangulation()
        mapper.triangulate_image(tri, i1)
        mapper.triangulate_image(tri, i2)
        mapper.adjust_global_bundle(mopts, opts.get_global_bundle_adjustment())
        mapper.filter_points(mopts)
        seed_dir = out_dir.parent / f"{out_dir.name}-init"
        seed_dir.mkdir(parents=True, exist_ok=True)
        mapper.reconstruction.write(seed_dir)
        mapper.end_reconstruction(False)
    return pycolmap.incremental_mapping(db_path, image_dir, out_dir, options=opts, input_path=seed_dir)


def _to_result(rec, n_input: int, n_models: int) -> SfMResult:
    imgs = sorted((int(Path(im.name).stem), im) for im in rec.images.values() if im.has_pose)
    R = np.array([im.cam_from_world().rotation.matrix() for _, im in imgs])
    t = np.array([im.cam_from_world().translation for _, im in imgs])
    pts = list(rec.points3D.values())
    cam = next(iter(rec.cameras.values()))
    K = np.asarray(cam.calibration_matrix(), dtype=float)
    params = list(cam.params)
    dist = params[3:] if cam.model.name == "SIMPLE_RADIAL" else []
    return SfMResult(
        frames=[f for f, _ in imgs],
        R=R.reshape(-1, 3, 3),
        t=t.reshape(-1, 3),
        points=np.array([p.xyz for p in pts]).reshape(-1, 3),
        colors=np.array([p.color for p in pts], dtype=np.uint8).reshape(-1, 3),
        errors=np.array([p.error for p in pts]),
        track_len=np.array([p.track.length() for p in pts]),
        K=K,
        dist=[float(d) for d in dist],
        n_input=n_input,
        mean_reproj=float(rec.compute_mean_reprojection_error()),
        n_models=n_models,
    )
