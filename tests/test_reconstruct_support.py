"""Obstacle support (free space seen under raised boxes), fragment joining, and the bench's rule for
which true obstacles the registered frames show."""

from __future__ import annotations

import numpy as np
import pytest

from worlddirector.artifacts.ground_truth import CameraTrack, GroundTruth, Intrinsics, ObjectTrack, Room
from worlddirector.reconstruction.evaluate import shown_static_objects, visible_static_objects
from worlddirector.reconstruction.layout import fit_box
from worlddirector.reconstruction.objects3d import find_dense_obstacles
from worlddirector.reconstruction.support import resolve_support

CAMS = np.array([[0.0, -1.5, 1.6], [0.0, -0.5, 1.6], [0.0, 0.5, 1.6], [0.0, 1.5, 1.6]])


def _faces(center, size, n, rng, zmin=None, top=True):
    """Points on the camera-facing (-x) face and the top of a box, optionally only above ``zmin``."""
    c, s = np.array(center, float), np.array(size, float)
    lo = c - s / 2
    z0 = lo[2] if zmin is None else max(lo[2], zmin)
    front = np.c_[np.full(n, lo[0]), lo[1] + rng.random(n) * s[1], z0 + rng.random(n) * (lo[2] + s[2] - z0)]
    if not top:
        return front + rng.normal(0, 0.01, front.shape)
    up = np.c_[lo[0] + rng.random(n // 2) * s[0], lo[1] + rng.random(n // 2) * s[1], np.full(n // 2, lo[2] + s[2])]
    return np.r_[front, up] + rng.normal(0, 0.01, (n + n // 2, 3))


def _floor_seen(rng, n, x=(2.0, 10.0), y=(-3.0, 3.0), hidden=None):
    """Floor points (z = 0) each seen from one of the cameras; ``hidden`` (a box) removes those whose
    viewing ray the box blocks (what a solid object standing there does)."""
    P = np.c_[rng.uniform(*x, n), rng.uniform(*y, n), np.zeros(n)]
    ref = rng.integers(0, len(CAMS), n)
    if hidden is not None:
        lo, hi = np.array(hidden[0]) - np.array(hidden[1]) / 2, np.array(hidden[0]) + np.array(hidden[1]) / 2
        A = CAMS[ref]
        d = P - A
        with np.errstate(divide="ignore", invalid="ignore"):
            t1, t2 = (lo - A) / d, (hi - A) / d
        tn, tx = np.nanmax(np.minimum(t1, t2), 1), np.nanmin(np.maximum(t1, t2), 1)
        keep = ~((tn <= tx) & (tn > 0) & (tn < 1))
        P, ref = P[keep], ref[keep]
    return P, ref


def _box(P):
    cols = np.full((len(P), 3), 128, np.uint8)
    return fit_box(P, cols, CAMS, snap_fraction=0.2, snap_min=0.2)


def test_hovering_box_with_floor_seen_through_its_gap_keeps_the_gap():
    rng = np.random.default_rng(0)
    center, size = (6.0, 0.0, 0.6 + 0.4), (0.8, 0.8, 0.8)  # base 0.6 m above the floor
    obj = _faces(center, size, 1500, rng)
    floor, fref = _floor_seen(rng, 60000, hidden=(center, size))  # the gap lets rays through
    b = _box(obj)
    assert b.center[2] - b.size[2] / 2 == pytest.approx(0.6, abs=0.05)
    (out,) = resolve_support([b], floor, CAMS[fref], fref)
    assert out.support == "free_below"
    assert out.center[2] - out.size[2] / 2 == pytest.approx(0.6, abs=0.05)  # the floating check sees it
    assert out.observed_bottom == pytest.approx(0.6, abs=0.05)


def test_grounded_box_whose_base_was_not_reconstructed_reaches_the_floor():
    rng = np.random.default_rng(1)
    center, size = (6.0, 0.0, 1.5), (0.8, 0.8, 3.0)  # a pillar standing on the floor
    obj = _faces(center, size, 1500, rng, zmin=0.9)  # but only its upper part was matched
    floor, fref = _floor_seen(rng, 60000, hidden=(center, size))  # the pillar hides the floor behind it
    b = _box(obj)
    assert b.center[2] - b.size[2] / 2 > 0.8  # as fitted: raised
    (out,) = resolve_support([b], floor, CAMS[fref], fref)
    assert out.support == "floor_assumed"
    assert out.center[2] - out.size[2] / 2 == pytest.approx(0.0, abs=1e-6)
    assert out.size[2] == pytest.approx(3.0, abs=0.1)
    assert out.center[2] == pytest.approx(1.5, abs=0.1)
    assert out.observed_bottom > 0.8  # what was actually seen is kept


def test_box_on_the_floor_is_floor_contact():
    rng = np.random.default_rng(2)
    obj = _faces((6.0, 0.0, 0.45), (0.9, 0.9, 0.9), 1500, rng, zmin=0.1)
    floor, fref = _floor_seen(rng, 20000, hidden=((6.0, 0.0, 0.45), (0.9, 0.9, 0.9)))
    (out,) = resolve_support([_box(obj)], floor, CAMS[fref], fref)
    assert out.support == "floor_contact"
    assert out.center[2] - out.size[2] / 2 == 0.0


def _dense_obstacles_of_two_colours(a: np.ndarray, b: np.ndarray, rng):
    """Dense obstacles from two point sets, the first tan, the second dark brown, each point matched
    in a random camera."""
    P = np.r_[a, b]
    col = np.r_[np.tile([200, 150, 90], (len(a), 1)), np.tile([90, 60, 35], (len(b), 1))].astype(np.uint8)
    obs, _, _ = find_dense_obstacles(P, col, rng.integers(0, len(CAMS), len(P)), CAMS, [])
    return obs


def test_differently_coloured_halves_of_one_crate_are_joined():
    rng = np.random.default_rng(3)
    # one crate (6, 0), 0.9 m; only its front face was matched, and it comes out as two colour
    # regions (a lit and a shaded half): two voxel components, each completed to a 0.4 m square
    # whose centre is ~0.25 m off sideways and ~0.25 m short of the crate's
    left = _faces((6.0, -0.25, 0.45), (0.9, 0.4, 0.9), 2000, rng, top=False)
    right = _faces((6.0, 0.25, 0.45), (0.9, 0.4, 0.9), 2000, rng, top=False)
    obs = _dense_obstacles_of_two_colours(left, right, rng)
    assert len(obs) == 1, [(o.center, o.size) for o in obs]
    assert obs[0].center[:2] == pytest.approx((6.0, 0.0), abs=0.12)


def test_two_neighbouring_crates_are_not_joined():
    rng = np.random.default_rng(4)
    # 0.1 m apart (close enough to be fragments), but together 1.9 m wide: two objects
    a = _faces((6.0, -0.5, 0.45), (0.9, 0.9, 0.9), 2000, rng, top=False)
    b = _faces((6.0, 0.5, 0.45), (0.9, 0.9, 0.9), 2000, rng, top=False)
    obs = _dense_obstacles_of_two_colours(a, b, rng)
    assert len(obs) == 2
    assert sorted(round(o.center[1], 1) for o in obs) == pytest.approx([-0.5, 0.5], abs=0.15)


# ---- which true obstacles the registered frames show ----------------------------------------------

def _gt(objects: dict[str, tuple[tuple[float, float, float], tuple[float, float, float]]], n: int = 8) -> GroundTruth:
    W, H, f = 640, 360, 500.0
    R = np.array([[0.0, -1, 0], [0, 0, -1], [1, 0, 0]])  # looking along +x, z up
    cams = []
    for i in range(n):
        C = np.array([0.0, -0.2 + 0.05 * i, 1.6])
        cams.append(np.c_[R, -R @ C].tolist())
    tracks = []
    for oid, (c, s) in objects.items():
        boxes = []
        for M in cams:
            M = np.array(M)
            corners = np.array(c) + np.array(np.meshgrid([-.5, .5], [-.5, .5], [-.5, .5])).reshape(3, -1).T * s
            X = corners @ M[:, :3].T + M[:, 3]
            if np.any(X[:, 2] <= 0.1):
                boxes.append(None)
                continue
            u, v = f * X[:, 0] / X[:, 2] + W / 2, f * X[:, 1] / X[:, 2] + H / 2
            x0, x1, y0, y1 = max(u.min(), 0), min(u.max(), W), max(v.min(), 0), min(v.max(), H)
            boxes.append((x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None)
        tracks.append(ObjectTrack(id=oid, kind="crate", color_name="tan", rgb=(200, 170, 120), size=s, static=True,
                                  position=[c] * n, yaw=[0.0] * n, scale=[1.0] * n, visible=[True] * n, bbox2d=boxes))
    return GroundTruth(prompt="t", seed=0, fps=24, width=W, height=H, n_frames=n, setting="warehouse", light="day",
                       room=Room(floor_min=(-10, -10), floor_max=(10, 10), walls=False),
                       camera=CameraTrack(intrinsics=Intrinsics(fx=f, fy=f, cx=W / 2, cy=H / 2, width=W, height=H),
                                          move="tracking", cam_from_world=cams, height_m=1.6),
                       objects=tracks, defects=[])


def test_hidden_and_offscreen_obstacles_are_not_counted_as_shown():
    gt = _gt({
        "front": ((5.0, 0.0, 1.0), (1.0, 1.4, 2.0)),
        "behind_front": ((8.0, 0.0, 0.45), (0.9, 0.9, 0.9)),  # fully hidden behind "front"
        "aside": ((8.0, 2.0, 0.5), (1.0, 1.0, 1.0)),
        "behind_camera": ((-4.0, 0.0, 0.5), (1.0, 1.0, 1.0)),
    })
    frames = list(range(gt.n_frames))
    shown = {oid for oid, _ in shown_static_objects(gt, frames)}
    assert shown == {"front", "aside"}
    old = {oid for oid, _ in visible_static_objects(gt)}
    assert "behind_front" in old  # the old rule ignored occlusion
    assert shown_static_objects(gt, []) == []


def test_low_wide_face_seen_face_on_is_completed_no_deeper_than_it_is_tall():
    """A bench seen only from the front (1.6 m wide, 0.6 m deep, 0.5 m tall): the unseen depth is
    guessed from its height, not its width, and the box does not reach in front of the face."""
    rng = np.random.default_rng(3)
    center, size = (6.0, 0.0, 0.25), (0.6, 1.6, 0.5)
    b = _box(_faces(center, size, 1500, rng, top=False))
    assert b.completed
    assert b.center[0] == pytest.approx(5.7 + 0.25, abs=0.08)  # half its height behind the face
    depth_x = b.size[0] if abs(np.cos(b.yaw)) > 0.7 else b.size[1]
    assert 0.4 <= depth_x <= 0.6
    assert b.center[0] - depth_x / 2 >= 5.7 - 0.05  # the box starts at the face, not in front of it
    assert b.center[2] - b.size[2] / 2 == pytest.approx(0.0, abs=0.05)
