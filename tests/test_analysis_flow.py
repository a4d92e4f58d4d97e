"""``flow.camera_flow``: the cached-grid version and its one-component form give exactly the flow
the homography maps every pixel to (session 9 speed work)."""

from __future__ import annotations

import cv2
import numpy as np

from worlddirector.analysis.flow import camera_flow


def test_camera_flow_is_the_homography_minus_the_pixel_and_one_component_matches():
    rng = np.random.default_rng(11)
    for h, w in ((90, 160), (180, 320), (37, 53)):
        gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
        grid = np.stack([gx, gy], -1)
        for _ in range(5):
            H = np.eye(3) + np.diag([1, 1, 0]) * rng.normal(0, 0.02, 3) + rng.normal(0, 1e-4, (3, 3))
            H[:2, 2] = rng.normal(0, 3, 2)
            ref = (cv2.perspectiveTransform(grid.reshape(-1, 1, 2).astype(np.float64), H).reshape(h, w, 2) - grid
                   ).astype(np.float32)
            full = camera_flow(H, h, w)
            assert full.dtype == np.float32 and np.array_equal(full, ref)
            for c in (0, 1):
                part = camera_flow(H, h, w, component=c)
                assert part.shape == (h, w) and np.array_equal(part, ref[..., c])
    assert not camera_flow(np.eye(3), 9, 7).any()


def _motion(rng, n=6, h=30, w=40):
    from worlddirector.analysis.flow import compute_motion

    base = cv2.GaussianBlur(rng.integers(0, 256, (h + 20, w + 20)).astype(np.uint8), (5, 5), 0)
    gray = np.stack([base[2 + i : 2 + i + h, 3 : 3 + w] for i in range(n)])  # a tilting camera
    gray[3, 5:15, 5:15] = 255  # something that changes at one frame
    return compute_motion(gray, width=w)


def test_residual_is_the_norm_of_flow_minus_camera_flow():
    from worlddirector.analysis.flow import _residual_flow

    m = _motion(np.random.default_rng(2))
    for q in range(len(m.flow)):
        f = m.flow[q]
        ref = np.linalg.norm(f - camera_flow(m.homography[q], *f.shape[:2]), axis=2)
        got = _residual_flow(m, q)
        assert got.dtype == ref.dtype and np.array_equal(got, ref)


def test_error_maps_take_the_largest_channel_error():
    from worlddirector.analysis.flow import warp_by_flow
    from worlddirector.analysis.transients import error_maps

    rng = np.random.default_rng(4)
    m = _motion(rng)
    n, h, w = m.gray_small.shape
    rgb = rng.integers(0, 256, (n, h, w, 3)).astype(np.uint8)
    err = error_maps(rgb, m)
    for i, f in enumerate(m.flow):
        ref = cv2.absdiff(warp_by_flow(rgb[i + 1], f), rgb[i]).max(axis=2)
        assert err.dtype == np.float32 and np.array_equal(err[i], ref)


def _two_plane_warp(img, flow, t=1.0):
    """The straightforward warp: two float32 coordinate planes."""
    h, w = flow.shape[:2]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(img, gx + t * flow[..., 0], gy + t * flow[..., 1], cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE)


def test_warp_by_flow_matches_two_plane_maps():
    """One interleaved map gives the pixels of two planes (every t the pipeline uses, flows that
    leave the image, sub-pixel and integer shifts, gray and RGB)."""
    from worlddirector.analysis.flow import warp_by_flow

    rng = np.random.default_rng(5)
    for h, w in ((90, 160), (180, 320), (37, 53)):
        flow = (rng.normal(0, 4, (h, w, 2)) * rng.random((h, w, 1))).astype(np.float32)
        flow[: h // 4] = np.round(flow[: h // 4])  # whole-pixel shifts
        flow[-3:, -3:] = 60.0  # far outside (the border is replicated)
        for img in (rng.integers(0, 256, (h, w), dtype=np.uint8), rng.integers(0, 256, (h, w, 3), dtype=np.uint8)):
            for t in (1.0, 0.5, -0.5):
                assert np.array_equal(warp_by_flow(img, flow, t), _two_plane_warp(img, flow, t))


def test_camera_flow_of_the_identity_is_zero_without_the_transform():
    """The still-camera shortcut gives what the transform gives (zeros, +0.0, float32), and only
    for the exact identity."""
    for h, w in ((90, 160), (180, 320), (37, 53)):
        gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
        grid = np.stack([gx, gy], -1)
        ref = (cv2.perspectiveTransform(grid.reshape(-1, 1, 2).astype(np.float64), np.eye(3)).reshape(h, w, 2)
               - grid).astype(np.float32)
        for H in (np.eye(3), np.diag([2.0, 2.0, 1.0]) @ np.eye(3) @ np.diag([0.5, 0.5, 1.0])):
            full = camera_flow(H, h, w)
            assert full.dtype == np.float32 and full.shape == (h, w, 2) and np.array_equal(full, ref)
            assert not np.signbit(full).any()
            assert np.array_equal(camera_flow(H, h, w, component=1), ref[..., 1])
        near = np.eye(3)
        near[0, 2] = 1e-9  # not the identity: the transform runs
        assert camera_flow(near, h, w)[..., 0].max() > 0


def test_mean_absdiff_is_numpys_mean():
    from worlddirector.analysis.flow import mean_absdiff

    rng = np.random.default_rng(6)
    for shape in ((180, 320, 3), (90, 160), (37, 53, 3), (1, 1), (5, 7, 4), (4, 4, 6)):
        a, b = rng.integers(0, 256, shape, dtype=np.uint8), rng.integers(0, 256, shape, dtype=np.uint8)
        b[: shape[0] // 2] = a[: shape[0] // 2]
        got = mean_absdiff(a, b)
        assert type(got) is float and got == float(np.mean(cv2.absdiff(a, b)))
    x = rng.normal(0, 50, (20, 30)).astype(np.float32)  # not uint8: numpy's own mean
    assert mean_absdiff(x, -x) == float(np.mean(cv2.absdiff(x, -x)))


def test_stacked_area_resize_and_colour_conversion_are_per_frame():
    """Frames stacked into one image and resized (a whole shrink factor) or converted (per pixel)
    by one call give each frame's own result; other factors go frame by frame."""
    from worlddirector.analysis.decode import convert_stack
    from worlddirector.analysis.flow import area_resize_stack

    rng = np.random.default_rng(8)
    for shape, size in (((7, 180, 320, 3), (160, 90)), ((5, 180, 320), (160, 90)), ((4, 90, 120, 3), (40, 30)),
                        ((3, 178, 320), (160, 89)), ((4, 150, 200, 3), (160, 120)), ((2, 9, 9), (9, 9))):
        frames = rng.integers(0, 256, shape, dtype=np.uint8)
        ref = np.stack([cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in frames])
        got = area_resize_stack(frames, *size)
        assert got.shape == ref.shape and np.array_equal(got, ref)
    rgb = rng.integers(0, 256, (6, 90, 160, 3), dtype=np.uint8)
    for code in (cv2.COLOR_RGB2LAB, cv2.COLOR_RGB2GRAY, cv2.COLOR_RGB2HSV):
        ref = np.stack([cv2.cvtColor(f, code) for f in rgb])
        got = convert_stack(rgb, code)
        assert got.shape == ref.shape and np.array_equal(got, ref)
