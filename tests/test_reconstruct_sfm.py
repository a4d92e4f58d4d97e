"""Structure from motion over open ground: the plane's mirror solution and the ground prior."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from worlddirector.reconstruction.sfm import ground_pose

K = np.array([[500.0, 0, 320], [0, 500.0, 180], [0, 0, 1]])


def _camera(C, pitch_deg):
    """cam_from_world (x right, y down, z forward) of a camera at C looking along world +y, pitched
    down; world z is up."""
    p = np.radians(pitch_deg)
    base = np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]])  # world (x, y forward, z up) -> camera, level
    tilt = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])  # pitch down about x
    R = tilt @ base
    return R, -R @ np.asarray(C, dtype=float)


def _pixels(R, t, X):
    x = (K @ (R @ X.T + t[:, None])).T
    return x[:, :2] / x[:, 2:]


def _pair(points, C1, C2, pitch=11.0):
    R1, t1 = _camera(C1, pitch)
    R2, t2 = _camera(C2, pitch)
    x1, x2 = _pixels(R1, t1, points), _pixels(R2, t2, points)
    keep = np.all((x1 > 0) & (x1 < [640, 360]) & (x2 > 0) & (x2 < [640, 360]), axis=1)
    H, _ = cv2.findHomography(x1[keep], x2[keep])
    R21 = R2 @ R1.T
    t21 = t2 - R21 @ t1
    return H, x1[keep], R21, t21 / np.linalg.norm(t21), keep


def test_a_forward_move_over_the_ground_gets_the_ground_solution_not_its_mirror():
    rng = np.random.default_rng(0)
    ground = np.c_[rng.uniform(-8, 8, 400), rng.uniform(2, 30, 400), np.zeros(400)]
    C1, C2 = np.array([0, 0, 1.6]), np.array([0, 0.4, 1.6])
    H, x1, R_true, t_true, keep = _pair(ground, C1, C2)
    # the homography has two solutions with the points in front: the true one, and the camera
    # rising in front of a wall (what COLMAP's mappers settled in on open-ground dollies)
    _, _, _, ns = cv2.decomposeHomographyMat(H, K)
    assert sum(abs(n.ravel()[2]) > 0.9 for n in ns) >= 1  # the mirror: a plane facing the camera
    pose = ground_pose(H, K, x1)
    assert pose is not None
    assert np.degrees(np.arccos(np.clip((np.trace(pose.R.T @ R_true) - 1) / 2, -1, 1))) < 0.5
    assert pose.t @ t_true > 0.999  # forward along the ground, not along the camera's up axis
    # the median angle at which the two rays meet on the plane: the true one
    a, b = ground[keep] - C1, ground[keep] - C2
    angles = np.degrees(np.arccos(np.sum(a * b, 1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)))
    assert pose.angle_deg == pytest.approx(np.median(angles), rel=0.02)


def test_a_plane_facing_the_camera_has_no_ground_solution():
    rng = np.random.default_rng(1)
    wall = np.c_[rng.uniform(-6, 6, 400), np.full(400, 8.0), rng.uniform(-2, 6, 400)]
    H, x1, _, _, _ = _pair(wall, [0, 0, 1.6], [0.5, 0, 1.6], pitch=0.0)
    assert ground_pose(H, K, x1) is None


@pytest.fixture(scope="module")
def desert_dolly(tmp_path_factory):
    from worlddirector.providers.procedural import generate_clip

    d = tmp_path_factory.mktemp("desert")
    generate_clip("a red ball rolls over a sandy desert, the camera moves forward slowly", d, seed=1, seconds=4.0,
                  size=(640, 360), fps=24, defects="none", audio=False)
    return d


def test_a_forward_dolly_over_open_ground_is_rebuilt_with_its_floor(desert_dolly):
    """Both COLMAP mappers put this clip's cameras on a path along their own up axis (no floor:
    a single-view world); the ground-seeded mapping rebuilds it."""
    from worlddirector.artifacts.ground_truth import GroundTruth
    from worlddirector.reconstruction import reconstruct
    from worlddirector.reconstruction.evaluate import score

    world = reconstruct(desert_dolly / "video.mp4", desert_dolly)
    assert world.method == "multiview", world.reason
    assert world.stats["mapper"] == "ground_seeded"
    assert "ground-seeded incremental SfM" in world.reason
    s = score(world, GroundTruth.load(desert_dolly))
    assert s.registered >= 8
    assert s.floor_angle_deg < 3.0
    assert s.ate_ratio < 0.03
    # the cameras move level over the floor, at the prior's height
    C = np.array([-np.asarray(c.cam_from_world)[:, :3].T @ np.asarray(c.cam_from_world)[:, 3] for c in world.cameras])
    assert np.ptp(C[:, 2]) < 0.15 and np.linalg.norm(C[-1, :2] - C[0, :2]) > 0.5
