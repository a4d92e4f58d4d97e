"""Unit tests on synthetic point sets: floor/gravity/scale, walls, obstacles, alignment helpers."""

from __future__ import annotations

import numpy as np
import pytest

from worlddirector.reconstruction import layout as L
from worlddirector.reconstruction.geometry import (
    R_from_quat,
    interpolate_poses,
    quat_from_R,
    ransac_plane,
    rotation_between,
    umeyama,
)
from worlddirector.reconstruction.objects import match_labels
from worlddirector.reconstruction.sfm import SfMResult


def _rand_rot(rng):
    q = rng.normal(size=4)
    return R_from_quat(q / np.linalg.norm(q))


def _look(C, target):
    f = target - C
    f = f / np.linalg.norm(f)
    r = np.cross(f, [0, 0, 1.0])
    r /= np.linalg.norm(r)
    return np.stack([r, np.cross(f, r), f])


def _scene(rng):
    """A room in metres (Z up): floor points, a wall at x=9, two boxes; cameras at 1.6 m."""
    floor = np.c_[rng.uniform(0, 9, 600), rng.uniform(-4, 4, 600), rng.normal(0, 0.005, 600)]
    wall = np.c_[np.full(200, 9.0) + rng.normal(0, 0.005, 200), rng.uniform(-4, 4, 200), rng.uniform(0, 3, 200)]
    boxes = [((4.0, -1.0, 0.4), (0.8, 0.8, 0.8)), ((6.0, 1.5, 0.6), (1.0, 1.0, 1.2))]
    pts = [floor, wall]
    for c, s in boxes:
        p = rng.uniform(-0.5, 0.5, (80, 3)) * s + c
        face = rng.integers(0, 3, 80)  # put each point on a face of the box
        p[np.arange(80), face] = np.array(c)[face] + np.sign(rng.uniform(-1, 1, 80)) * np.array(s)[face] / 2
        p[:, 2] = np.clip(p[:, 2], 0.02, None)
        pts.append(p)
    P = np.concatenate(pts)
    Cs = np.c_[np.linspace(0, 2, 10), np.linspace(-1, 1, 10), np.full(10, 1.6)]
    Rs = np.array([_look(c, np.array([6.0, 0, 0.5])) for c in Cs])
    return P, Cs, Rs, boxes


def _as_sfm(P, Cs, Rs, s, M, t):
    """The metric scene seen through an unknown similarity: X' = s M X + t (as SfM would return)."""
    P2 = s * P @ M.T + t
    C2 = s * Cs @ M.T + t
    R2 = np.einsum("nij,kj->nik", Rs, M)
    t2 = -np.einsum("nij,nj->ni", R2, C2)
    n = len(P2)
    return SfMResult(frames=list(range(len(Cs))), R=R2, t=t2, points=P2, colors=np.full((n, 3), 128, np.uint8),
                     errors=np.full(n, 0.5), track_len=np.full(n, 3), K=np.eye(3))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_align_recovers_gravity_scale_and_floor(seed):
    rng = np.random.default_rng(seed)
    P, Cs, Rs, _ = _scene(rng)
    sfm = _as_sfm(P, Cs, Rs, s=rng.uniform(0.2, 5), M=_rand_rot(rng), t=rng.normal(size=3))
    al = L.align(sfm, camera_height=1.6)
    # every camera 1.6 m above the floor, and the true floor points at z ~ 0
    assert np.allclose(al.C[:, 2], 1.6, atol=0.02)
    assert np.abs(al.points[:600, 2]).max() < 0.05
    assert al.floor_mask[:600].mean() > 0.95
    # recovered cameras agree with the truth up to a yaw and a floor translation: tilt is exact
    up_true = np.array([R @ [0, 0, 1.0] for R in Rs])
    up_est = np.array([R @ [0, 0, 1.0] for R in al.R])
    assert np.degrees(np.arccos(np.clip((up_true * up_est).sum(1), -1, 1))).max() < 0.5
    # first camera above the origin, facing +x
    assert np.allclose(al.C[0, :2], 0, atol=1e-6)
    assert al.R[0][2][1] == pytest.approx(0, abs=1e-6) and al.R[0][2][0] > 0


def _tilted(P: np.ndarray, deg: float, pivot_x: float = 4.0) -> np.ndarray:
    """``P`` rotated by ``deg`` about the y axis through (pivot_x, 0, 0): the floor rises with x."""
    a = np.radians(deg)
    Ry = np.array([[np.cos(a), 0, -np.sin(a)], [0, 1, 0], [np.sin(a), 0, np.cos(a)]])
    q = P - [pivot_x, 0, 0]
    return q @ Ry.T + [pivot_x, 0, 0]


def test_the_dense_floor_refits_a_tilted_sparse_floor_and_leaves_a_good_one():
    """Session 13, set F clip 22: the sparse floor was 8.9 deg off and the dense points put the real
    floor along another plane; the world is re-framed on the dense floor (its points end at z ~ 0,
    the cameras at the prior height). A dense floor within REFIT_ANGLE of the sparse one changes
    nothing."""
    rng = np.random.default_rng(3)
    P, Cs, Rs, _ = _scene(rng)
    al = L.align(_as_sfm(P, Cs, Rs, 1.0, np.eye(3), np.zeros(3)), camera_height=1.6)
    dense = _tilted(P, 6.0)  # the dense floor rises 0.1 m per metre in the sparse floor's frame
    got = L.refit_floor(al, dense)
    assert got is not None
    al2, tf = got
    floor = tf(dense[:600])
    assert np.abs(floor[:, 2]).max() < 0.05
    assert np.median(al2.C[:, 2]) == pytest.approx(1.6, abs=1e-6)
    assert al2.stats["floor_refit_deg"] == pytest.approx(6.0, abs=0.3)
    up_old = np.array([R @ [0, 0, 1.0] for R in al.R])
    up_new = np.array([R @ [0, 0, 1.0] for R in al2.R])
    tilt = np.degrees(np.arccos(np.clip((up_old * up_new).sum(1), -1, 1)))
    assert np.allclose(tilt, 6.0, atol=0.3)
    assert L.refit_floor(al, _tilted(P, 1.0)) is None


def test_align_rejects_scene_without_floor():
    rng = np.random.default_rng(0)
    Cs = np.c_[np.linspace(0, 1, 5), np.zeros(5), np.full(5, 1.6)]
    Rs = np.array([_look(c, np.array([5.0, 0, 1.6])) for c in Cs])
    P = np.c_[rng.uniform(5, 6, 100), rng.uniform(-1, 1, 100), rng.uniform(1.5, 1.7, 100)]  # a blob at eye level
    P[:, 2] += rng.normal(0, 0.3, 100)
    with pytest.raises(L.LayoutError):
        L.align(_as_sfm(P, Cs, Rs, 1.0, np.eye(3), np.zeros(3)))


def test_walls_and_obstacles_found_with_metric_centres():
    rng = np.random.default_rng(3)
    P, Cs, Rs, boxes = _scene(rng)
    al = L.align(_as_sfm(P, Cs, Rs, 2.0, _rand_rot(rng), np.array([1.0, 2, 3])), camera_height=1.6)
    walls, used = L.find_walls(al)
    assert len(walls) == 1
    assert used[600:800].mean() > 0.9  # the wall's points are explained by it
    obst = L.find_obstacles(al, used)
    assert len(obst) == 2
    # map the truth into the reconstructed frame using the first camera (known metric frame change)
    M = al.R[0].T @ Rs[0]  # world_est_from_world_true rotation
    T = al.C[0] - M @ Cs[0]
    for c, s in boxes:
        tc = M @ np.array(c) + T
        best = min(obst, key=lambda o: np.linalg.norm(np.array(o.center) - tc))
        assert np.linalg.norm(np.array(best.center) - tc) < 0.3
        assert best.size[2] == pytest.approx(s[2], abs=0.15)


def test_ransac_plane_respects_orientation_prior():
    rng = np.random.default_rng(0)
    vert = np.c_[np.zeros(300), rng.uniform(-2, 2, 300), rng.uniform(0, 3, 300)]  # a big vertical plane
    horiz = np.c_[rng.uniform(-2, 2, 100), rng.uniform(-2, 2, 100), np.zeros(100)]  # a smaller floor
    P = np.r_[vert, horiz]
    n, d, inl = ransac_plane(P, 0.01, axis=np.array([0, 0, 1.0]), max_angle_deg=20)
    assert abs(n[2]) > 0.99 and inl[300:].all() and not inl[:300].any()
    n, d, inl = ransac_plane(P, 0.01, axis=np.array([0, 0, 1.0]), perpendicular=True, max_angle_deg=10)
    assert abs(n[0]) > 0.99 and inl[:300].all()


def test_umeyama_and_rotations():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 3))
    R = _rand_rot(rng)
    Y = 2.5 * X @ R.T + np.array([1.0, -2, 3])
    s, R2, t = umeyama(X, Y)
    assert s == pytest.approx(2.5) and np.allclose(R2, R) and np.allclose(t, [1, -2, 3])
    a, b = np.array([0.3, 0.1, 0.9]), np.array([0.0, 0.0, 1.0])
    assert np.allclose(rotation_between(a, b) @ (a / np.linalg.norm(a)), b)
    assert np.allclose(R_from_quat(quat_from_R(R)), R)


def test_interpolate_poses_midpoint():
    Ra, Rb = np.eye(3), R_from_quat(np.array([np.cos(0.25), 0, 0, np.sin(0.25)]))  # 0.5 rad about z
    R, C = interpolate_poses([0, 10], np.stack([Ra, Rb]), np.array([[0, 0, 0], [2.0, 0, 0]]), 5)
    assert np.allclose(C, [1, 0, 0])
    assert np.allclose(R, R_from_quat(np.array([np.cos(0.125), 0, 0, np.sin(0.125)])))
    R, C = interpolate_poses([0, 10], np.stack([Ra, Rb]), np.array([[0, 0, 0], [2.0, 0, 0]]), 99)
    assert np.allclose(C, [2, 0, 0])


def test_labels_match_by_colour_one_to_one():
    named = [{"label": "red crate", "color": "red"}, {"label": "blue barrel", "color": "blue"},
             {"label": "ghost", "color": "white"}]
    labels = match_labels([(40, 60, 190), (190, 40, 35), (20, 160, 40)], named)
    assert labels == ["blue barrel", "red crate", None]
