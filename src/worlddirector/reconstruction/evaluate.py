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
* **Static obstacles.** True objects marked ``static`` and on screen at least 24 px tall (at 360 p)
  in at least a quarter of the frames are the obstacles a reconstruction can know about. Estimated box centres are mapped by
  the Sim3 and matched one-to-one (Hungarian) to true centres; a true obstacle is *recalled* when
  its match is within ``gate`` metres (3D centre distance). Precision uses the same matches.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from worlddirector.artifacts.ground_truth import GroundTruth
from worlddirector.artifacts.world import World


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


def score(world: World, gt: GroundTruth, gate: float = 0.3) -> Score:
    n_frames = gt.n_frames
    if world.method != "multiview" or len(world.cameras) < 3:
        nan = float("nan")
        return Score(world.method, len(world.cameras), n_frames, nan, nan, nan, nan, nan,
                     len(visible_static_objects(gt)), len(world.obstacles), 0, 0.0, 0.0, nan)
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
    # obstacles
    truth = visible_static_objects(gt)
    T = np.array([c for _, c in truth]).reshape(-1, 3)
    E = np.array([o.center for o in world.obstacles]).reshape(-1, 3)
    E = (s * (R @ E.T)).T + t if len(E) else E
    recalled, errs = 0, []
    if len(T) and len(E):
        D = np.linalg.norm(T[:, None, :] - E[None, :, :], axis=2)
        rows, cols = linear_sum_assignment(D)
        for r, c in zip(rows, cols, strict=True):
            if D[r, c] <= gate:
                recalled += 1
                errs.append(D[r, c])
    return Score(
        method=world.method, registered=len(frames), n_frames=n_frames, ate_rmse_m=ate, path_length_m=path,
        ate_ratio=ate / path if path > 0 else float("inf"), sim3_scale=float(s), floor_angle_deg=floor_angle,
        n_true_obstacles=len(T), n_est_obstacles=len(E), recalled=recalled,
        recall=recalled / len(T) if len(T) else 1.0, precision=recalled / len(E) if len(E) else 1.0,
        center_err_m=float(np.mean(errs)) if errs else float("nan"),
    )
