"""Image regions of the dense reference views (segments2d) and what the voxel clustering, the
fragment joining and the box refinement do with them (objects3d)."""

from __future__ import annotations

import numpy as np
import pytest
from test_reconstruct_dense import CAMS_XY, _box_points, _seed, _stack

from worlddirector.reconstruction.objects3d import find_dense_obstacles, refine_boxes
from worlddirector.reconstruction.segments2d import point_regions, segment_view

H, W = 180, 320


def _scene(depth_right: float):
    """A grey floor, a dark background, two touching red rectangles (left at 4 m, right at
    ``depth_right``) and a textured crate seen corner-on: two faces of one colour, one 10 % darker,
    at one depth. (Faces 20 % or more apart in brightness stay two regions.)"""
    rng = np.random.default_rng(0)
    img = np.zeros((H, W, 3), np.float32)
    img[:] = (40, 45, 60)
    img[120:] = (150, 150, 150)
    depth = np.full((H, W), np.nan, np.float32)
    cls = np.zeros((H, W), np.int8)
    img[40:120, 30:90] = (200, 40, 40)
    depth[40:120, 30:90] = 4.0
    img[40:120, 90:150] = (200, 40, 40)
    depth[40:120, 90:150] = depth_right
    img[50:120, 200:240] = (170, 110, 50)  # lit face
    img[50:120, 240:280] = np.array((170, 110, 50)) * 0.9  # the other face, 10 % darker
    img[50:120, 200:280] += rng.normal(0, 8, (70, 80, 3))  # wood texture
    depth[50:120, 200:280] = 5.0
    cls[40:120, 30:150] = 1
    cls[50:120, 200:280] = 1
    cls[120:] = 2
    img = np.clip(img + rng.normal(0, 2, img.shape), 0, 255).astype(np.uint8)
    return img, depth, cls


def test_regions_split_same_colour_at_a_depth_jump_and_join_shaded_faces():
    img, depth, cls = _scene(depth_right=6.0)
    lab = segment_view(img, depth, cls)
    assert lab[80, 60] != lab[80, 120]  # same red, 2 m apart in depth: two regions
    assert lab[80, 220] == lab[80, 260]  # lit and shaded face of the crate: one region
    assert lab[80, 220] != lab[150, 220]  # the floor is never merged with an object
    assert lab[80, 60] != lab[30, 60]  # the red box is not the background
    # the same image with the right box at the left one's depth: the red boxes are one region,
    # so the split above comes from the depth jump, not from the colours
    img, depth, cls = _scene(depth_right=4.0)
    lab = segment_view(img, depth, cls)
    assert lab[80, 60] == lab[80, 120]


def test_point_regions_label_each_point_from_its_own_view():
    """Points lifted from two views get the region of the pixel they came from, ids distinct per view."""
    img, depth, _ = _scene(depth_right=6.0)
    K = np.array([[300.0, 0, 320], [0, 300.0, 180], [0, 0, 1]])  # processing resolution 640x360
    R = np.stack([np.eye(3)] * 2)
    t = np.zeros((2, 3))
    big = np.repeat(np.repeat(img, 2, 0), 2, 1)
    Ks = K.copy()
    Ks[:2] *= 0.5
    v, u = np.nonzero(np.isfinite(depth))  # every pixel with a depth becomes a point, in both views
    z = depth[v, u].astype(float)
    X = np.c_[(u - Ks[0, 2]) / Ks[0, 0] * z, (v - Ks[1, 2]) / Ks[1, 1] * z, z]
    n = len(X)
    pts, ref = np.r_[X, X], np.r_[np.zeros(n, int), np.ones(n, int)]
    floor = np.zeros(2 * n, bool)
    reg = point_regions([big, big], R, t, K, pts, ref, np.ones(2 * n, bool), floor, floor)
    assert (reg >= 0).all()

    def at(x, y, view):
        return reg[view * n + np.flatnonzero((u == x) & (v == y))[0]]

    assert at(60, 80, 0) != at(120, 80, 0)  # the red boxes at 4 and 6 m: apart
    assert at(220, 80, 0) == at(260, 80, 0)  # the crate's faces: together
    assert at(60, 80, 0) != at(60, 80, 1)  # region ids are unique across views


def _two_crates():
    a = _box_points((5.0, -0.45, 0.45), (0.9, 0.9, 0.9), (200, 40, 40), seed=1)
    b = _box_points((5.0, 0.55, 0.45), (0.9, 0.9, 0.9), (200, 40, 40), seed=2)  # same colour, 0.1 m apart
    return _stack(a, b)


def test_views_that_show_two_same_coloured_crates_apart_keep_them_apart():
    """Two same-coloured crates 0.1 m apart (their voxels are neighbours): colour links them into one
    cluster; views that put them in different regions cut those links. (Crates in contact share
    voxels whose points come from both and are not split: the documented limit.)"""
    P, col, ref = _two_crates()
    merged, _, _ = find_dense_obstacles(P, col, ref, CAMS_XY, [])
    assert len(merged) == 1  # colour alone links them
    which = np.arange(len(P)) >= len(P) // 2  # the second crate's points
    obs, _, _ = find_dense_obstacles(P, col, ref, CAMS_XY, [], regions=ref * 10 + which)  # apart in every view
    assert len(obs) == 2
    ys = sorted(o.center[1] for o in obs)
    assert ys[0] == pytest.approx(-0.45, abs=0.15) and ys[1] == pytest.approx(0.55, abs=0.15)
    one, _, _ = find_dense_obstacles(P, col, ref, CAMS_XY, [], regions=ref * 10)  # views that see one object
    assert len(one) == 1


def _crate_edges():
    """A flat-faced crate whose faces gave no depth: only its two vertical edges were triangulated,
    0.5 m apart (two pieces, each box 0.25 m from the crate's centre)."""
    rng = np.random.default_rng(4)
    parts = []
    for y in (-0.25, 0.25):
        n = 1500
        P = np.c_[4.55 + rng.uniform(0, 0.15, n), y + rng.uniform(-0.08, 0.08, n), rng.uniform(0.05, 0.9, n)]
        parts.append((P, np.full((n, 3), (180, 120, 60), np.uint8), rng.integers(0, 6, n)))
    return _stack(*parts)


def test_pieces_the_views_put_in_one_region_are_one_object():
    P, col, ref = _crate_edges()
    apart, _, _ = find_dense_obstacles(P, col, ref, CAMS_XY, [])
    assert len(apart) == 2  # 0.34 m between their boxes: too far for the colour fragments to join
    one, _, _ = find_dense_obstacles(P, col, ref, CAMS_XY, [], regions=ref * 10)  # one region per view
    assert len(one) == 1
    assert one[0].center[1] == pytest.approx(0.0, abs=0.1)
    split, _, _ = find_dense_obstacles(P, col, ref, CAMS_XY, [], regions=ref * 10 + (P[:, 1] > 0))
    assert len(split) == 2  # views that separate them keep them apart


def test_a_grown_box_takes_in_a_neighbour_only_when_the_views_show_one_object():
    """A crate's box fitted to its left part grows over the right part, where a second box sits:
    when the views put both parts in one region it is one crate (one box); when they separate them
    the growth is undone, as without regions."""
    P, col, ref = _box_points((5.0, 0.0, 0.45), (0.9, 0.9, 0.9), (200, 40, 40), seed=11)
    left, right = _seed((4.7, -0.25, 0.45), (0.3, 0.4, 0.9)), _seed((4.7, 0.25, 0.45), (0.3, 0.4, 0.9))
    out, stats = refine_boxes([left, right], P, col, ref, CAMS_XY, [], regions=ref * 10)
    assert len(out) == 1 and stats["refine_absorbed"] == 1
    assert np.linalg.norm(np.array(out[0].center) - (5.0, 0.0, 0.45)) < 0.15
    out, stats = refine_boxes([left, right], P, col, ref, CAMS_XY, [], regions=ref * 10 + (P[:, 1] > 0))
    assert len(out) == 2 and stats["refine_absorbed"] == 0


def test_links_need_a_view_that_saw_both_voxels_and_a_strict_majority(monkeypatch):
    """Session 8 rule (``SEG_STRICT``, off by default): colour alone links nothing; a tie between
    views does not link."""
    import worlddirector.reconstruction.objects3d as O3
    from worlddirector.reconstruction.objects3d import _co_member

    monkeypatch.setattr(O3, "SEG_STRICT", True)

    La = np.array([[-1, -1, -1], [1, 2, -1], [1, 2, 3], [5, -1, -1]])
    Lb = np.array([[-1, -1, -1], [1, 9, -1], [1, 2, 7], [5, -1, -1]])
    colour = np.array([True, True, True, False])
    # unseen together / a 1:1 tie / 2 of 3 views agree / views agree but colours differ
    assert _co_member(La, Lb, colour).tolist() == [False, False, True, False]


def test_shaded_faces_keep_their_chromaticity_two_paints_do_not(monkeypatch):
    import worlddirector.reconstruction.objects3d as O3
    from worlddirector.reconstruction.layout import ObstacleFit

    monkeypatch.setattr(O3, "MAX_JOIN_CHROMA", 0.1)
    from worlddirector.reconstruction.objects3d import _chroma_apart

    def box(rgb):
        return ObstacleFit(center=(0.0, 0.0, 0.5), size=(1.0, 1.0, 1.0), yaw=0.0, confidence=1.0, n_points=10,
                           color=rgb, points_idx=np.zeros(0, int))

    assert not _chroma_apart(box((200, 150, 90)), box((90, 60, 35)))  # lit and shaded tan face
    assert _chroma_apart(box((9, 13, 40)), box((48, 40, 34)))  # dim blue barrel vs tan crate (set C clip 06)
    assert not _chroma_apart(box((9, 8, 6)), box((3, 9, 12)))  # too dark to tell
