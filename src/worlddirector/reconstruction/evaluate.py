"""Score a reconstructed world against the generator's ``ground_truth.json``.

Only evaluation (tests, ``worlddirector bench reconstruction``) calls this; the pipeline never
reads ground truth.

* **ATE.** Camera centres ``C = -R^T t`` of registered frames are aligned to the true ones with a
  similarity transform (Sim3) and ATE is the RMSE of the aligned centres, reported as a fraction
  of the true path length (sum of frame-to-frame centre distances between the first and last
  registered frame). The Sim3 rotation is the chordal mean of the per-camera rotations
  ``R_true^T R_est`` (plain Umeyama on centres is degenerate for the straight dolly paths that
  are common in generated clips: any roll about the path fits); scale and translation then
  follow by least squares on the centres (Umeyama with the rotation fixed).
* **Floor normal.** Independent of the centre alignment: each registered camera gives a rotation
  ``Q_i = R_true_i^T R_est_i`` from the estimated world to the true world; their chordal mean ``Q``
  maps our ``+z`` (the floor normal) into the true world, and the error is its angle to true ``+z``.
* **Static obstacles.** The obstacles a reconstruction can know about are the true objects marked
  ``static`` that the *registered frames* show (:func:`shown_static_objects`): in at least a
  quarter of those frames the object is at least 24 px tall (at 360 p) and at least half of its
  camera-facing surface (6x6 samples per box face) is inside the image and not behind another
  object's box (shrunk to 80 %: meshes fill less than their bounding box). Off-screen, hidden or
  tiny objects cannot be rebuilt from the video. The old rule (>= 24 px tall in a quarter of
  *all* frames, occlusion ignored) is still reported (``n_true_all``, ``recalled_all``).
  Estimated box centres are mapped by the Sim3 and matched one-to-one (Hungarian) to true
  centres; a true obstacle is *recalled* when its match is within ``gate`` metres (3D centre
  distance, the same 0.3 m for either rule). Precision uses the same matches.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from worlddirector.artifacts.ground_truth import GroundTruth
from worlddirector.artifacts.world import World
from worlddirector.reconstruction.geometry import ray_box_span


@dataclass
class Score:
    method: str
    registered: int
    n_frames: int
    ate_rmse_m: float
    path_length_m: float
    ate_ratio: float
    sim3_scale: float  # true metres per reconstructed metre (1.0 = the height prior was right)
    floor_angle_deg: float
    n_true_obstacles: int
    n_est_obstacles: int
    recalled: int
    recall: float
    precision: float
    center_err_m: float  # mean over recalled obstacles
    n_true_all: int = 0  # old rule: every static object >= 24 px tall in >= 25 % of all frames
    recalled_all: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def _centres(M: np.ndarray) -> np.ndarray:
    R, t = M[..., :3, :3], M[..., :3, 3]
    return -np.einsum("...ji,...j->...i", R, t)


def _mean_rotation(R_true: np.ndarray, R_est: np.ndarray) -> np.ndarray:
    """Chordal L2 mean of ``R_true_i^T R_est_i`` (maps estimated-world vectors to the true world)."""
    Q = np.einsum("nji,njk->nik", R_true, R_est).sum(0)
    U, _, Vt = np.linalg.svd(Q)
    return U @ np.diag([1.0, 1.0, np.linalg.det(U @ Vt)]) @ Vt


def _scale_translation(src: np.ndarray, dst: np.ndarray, R: np.ndarray) -> tuple[float, np.ndarray]:
    a = (src - src.mean(0)) @ R.T
    b = dst - dst.mean(0)
    s = float((a * b).sum() / max((a * a).sum(), 1e-12))
    return s, dst.mean(0) - s * R @ src.mean(0)


def visible_static_objects(gt: GroundTruth, min_fraction: float = 0.25, min_height: float = 0.066) -> list[tuple[str, np.ndarray]]:
    """Static objects a reconstruction can be expected to find: on screen in at least
    ``min_fraction`` of the frames at least ``min_height`` of the frame tall (24 px at 360 p)."""
    out = []
    for o in gt.objects:
        if not o.static:
            continue
        seen = sum(1 for b in o.bbox2d if b is not None and (b[3] - b[1]) >= min_height * gt.height)
        if seen >= max(1, min_fraction * gt.n_frames):
            out.append((o.id, np.median(np.array(o.position), axis=0)))
    return out


OCCLUDER_SHRINK = 0.8  # other objects occlude with 80 % of their bounding box: meshes (trees, lamps, chairs) fill less than their box
FACE_GRID = 6  # surface samples per face edge (6 x 6 per face)


def _box_samples(center: np.ndarray, size: np.ndarray, yaw: float) -> tuple[np.ndarray, np.ndarray]:
    """Points on the six faces of an upright box and their outward normals."""
    g = (np.arange(FACE_GRID) + 0.5) / FACE_GRID - 0.5
    a, b = np.meshgrid(g, g)
    a, b = a.ravel(), b.ravel()
    pts, nrm = [], []
    for axis in range(3):
        o1, o2 = [k for k in range(3) if k != axis]
        for sign in (-0.5, 0.5):
            q = np.zeros((len(a), 3))
            q[:, axis] = sign
            q[:, o1], q[:, o2] = a, b
            n = np.zeros(3)
            n[axis] = np.sign(sign)
            pts.append(q * size)
            nrm.append(np.repeat(n[None], len(a), 0))
    c, s = np.cos(yaw), np.sin(yaw)
    Rz = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1.0]])
    return np.concatenate(pts) @ Rz.T + center, np.concatenate(nrm) @ Rz.T


def _ray_hits_box(C: np.ndarray, X: np.ndarray, center: np.ndarray, half: np.ndarray, yaw: float) -> np.ndarray:
    """For rays from ``C`` to each ``X``: does the segment pass through the upright box (slab test)?"""
    tmin, tmax = ray_box_span(C, X, center, half, yaw)
    return (tmax >= tmin) & (tmin < 0.999) & (tmax > 0.0)


def shown_static_objects(gt: GroundTruth, frames: list[int], min_fraction: float = 0.25, min_height: float = 0.066,
                         min_unoccluded: float = 0.5) -> list[tuple[str, np.ndarray]]:
    """Static objects the *registered frames* actually show: in at least ``min_fraction`` of them the
    object is at least ``min_height`` of the frame tall and at least ``min_unoccluded`` of its
    camera-facing surface samples are inside the image and not hidden behind another object's
    (shrunk) bounding box. An object that is off screen, hidden or a few pixels big in the frames
    the reconstruction used cannot be rebuilt from the video."""
    frames = [f for f in frames if 0 <= f < gt.n_frames]
    if not frames:
        return []
    K = gt.camera.intrinsics
    M = np.array(gt.camera.cam_from_world)
    boxes = {}
    for o in gt.objects:
        boxes[o.id] = o
    out = []
    for o in gt.objects:
        if not o.static:
            continue
        good = 0
        for f in frames:
            b = o.bbox2d[f]
            if b is None or not o.visible[f] or (b[3] - b[1]) < min_height * gt.height:
                continue
            R, t = M[f, :, :3], M[f, :, 3]
            C = -R.T @ t
            sz = np.array(o.size) * o.scale[f]
            X, N = _box_samples(np.array(o.position[f]), sz, o.yaw[f])
            facing = np.einsum("ij,ij->i", N, C - X) > 0
            X = X[facing]
            Xc = X @ R.T + t
            z = Xc[:, 2]
            u = K.fx * Xc[:, 0] / np.maximum(z, 1e-6) + K.cx
            v = K.fy * Xc[:, 1] / np.maximum(z, 1e-6) + K.cy
            ok = (z > 0.05) & (u >= 0) & (u < K.width) & (v >= 0) & (v < K.height)
            for q in gt.objects:
                if q.id == o.id or not q.visible[f] or not ok.any():
                    continue
                half = np.array(q.size) * q.scale[f] * OCCLUDER_SHRINK / 2
                ok &= ~_ray_hits_box(C, X, np.array(q.position[f]), half, q.yaw[f])
            if len(X) and ok.mean() >= min_unoccluded:
                good += 1
        if good >= max(1, min_fraction * len(frames)):
            out.append((o.id, np.median(np.array(o.position), axis=0)))
    return out


def _match(T: np.ndarray, E: np.ndarray, gate: float) -> list[float]:
    """One-to-one (Hungarian) matching of true to estimated centres; distances of the matches within ``gate``."""
    if not (len(T) and len(E)):
        return []
    D = np.linalg.norm(T[:, None, :] - E[None, :, :], axis=2)
    rows, cols = linear_sum_assignment(D)
    return [float(D[r, c]) for r, c in zip(rows, cols, strict=True) if D[r, c] <= gate]


def score(world: World, gt: GroundTruth, gate: float = 0.3) -> Score:
    n_frames = gt.n_frames
    if world.method != "multiview" or len(world.cameras) < 3:
        nan = float("nan")
        n_all = len(visible_static_objects(gt))
        return Score(world.method, len(world.cameras), n_frames, nan, nan, nan, nan, nan,
                     n_all, len(world.obstacles), 0, 0.0, 0.0, nan, n_all, 0)
    frames = [c.frame for c in world.cameras if c.frame < len(gt.camera.cam_from_world)]
    est = np.array([c.cam_from_world for c in world.cameras if c.frame < len(gt.camera.cam_from_world)])
    true_all = np.array(gt.camera.cam_from_world)
    true = true_all[frames]
    ce, ct = _centres(est), _centres(true)
    R = _mean_rotation(true[:, :, :3], est[:, :, :3])
    s, t = _scale_translation(ce, ct, R)
    aligned = (s * (R @ ce.T)).T + t
    ate = float(np.sqrt(np.mean(np.sum((aligned - ct) ** 2, axis=1))))
    path_c = _centres(true_all[min(frames): max(frames) + 1])
    path = float(np.sum(np.linalg.norm(np.diff(path_c, axis=0), axis=1)))
    # floor normal from orientations only
    up = R @ np.array([0.0, 0.0, 1.0])
    floor_angle = float(np.degrees(np.arccos(np.clip(up[2], -1, 1))))
    # obstacles: the headline set is what the registered frames show; the old rule is kept beside it
    E = np.array([o.center for o in world.obstacles]).reshape(-1, 3)
    E = (s * (R @ E.T)).T + t if len(E) else E
    shown = shown_static_objects(gt, frames)
    T = np.array([c for _, c in shown]).reshape(-1, 3)
    errs = _match(T, E, gate)
    T_all = np.array([c for _, c in visible_static_objects(gt)]).reshape(-1, 3)
    errs_all = _match(T_all, E, gate)
    recalled = len(errs)
    return Score(
        method=world.method, registered=len(frames), n_frames=n_frames, ate_rmse_m=ate, path_length_m=path,
        ate_ratio=ate / path if path > 0 else float("inf"), sim3_scale=float(s), floor_angle_deg=floor_angle,
        n_true_obstacles=len(T), n_est_obstacles=len(E), recalled=recalled,
        recall=recalled / len(T) if len(T) else 1.0, precision=recalled / len(E) if len(E) else 1.0,
        center_err_m=float(np.mean(errs)) if errs else float("nan"),
        n_true_all=len(T_all), recalled_all=len(errs_all),
    )
