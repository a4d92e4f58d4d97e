"""Camera-motion classes on small ray-cast clips of a 3D scene (textured ground plane and a far
wall) whose camera moves exactly as named: the labels must follow the two-view geometry."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from worlddirector.analysis.camera import classify_camera
from worlddirector.analysis.flow import compute_motion
from worlddirector.providers.procedural.camera import look_at

W, H, N = 320, 180, 40
F = 0.5 * W / np.tan(np.radians(33.0))  # 66 degree horizontal field of view
WALL_Y = 14.0


def _texture(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = rng.integers(0, 255, (512, 512)).astype(np.float32)
    return cv2.GaussianBlur(t, (0, 0), 1.5)


def _render(cam: np.ndarray, ground: np.ndarray, wall: np.ndarray) -> np.ndarray:
    """Gray frame of the ground z=0 and the wall y=WALL_Y seen by the 3x4 cam_from_world ``cam``."""
    xs, ys = np.meshgrid(np.arange(W) + 0.5, np.arange(H) + 0.5)
    d_cam = np.stack([(xs - W / 2) / F, (ys - H / 2) / F, np.ones_like(xs)], -1)
    R, t = cam[:, :3], cam[:, 3]
    eye = -R.T @ t
    d = d_cam @ R  # world ray directions (R.T @ d_cam per pixel)
    with np.errstate(divide="ignore", invalid="ignore"):
        s_ground = np.where(d[..., 2] < -1e-6, -eye[2] / d[..., 2], np.inf)
        s_wall = np.where(d[..., 1] > 1e-6, (WALL_Y - eye[1]) / d[..., 1], np.inf)
    on_ground = s_ground < s_wall
    s = np.where(on_ground, s_ground, s_wall)
    p = eye + d * s[..., None]
    u = np.where(on_ground, p[..., 0], p[..., 0])
    v = np.where(on_ground, p[..., 1], p[..., 2])
    # texture coordinates: 20 texels per metre, wrapped; the wall uses its own texture
    mu = ((u * 20) % 512).astype(np.float32)
    mv = ((v * 20) % 512).astype(np.float32)
    g = cv2.remap(ground, mu, mv, cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP)
    wl = cv2.remap(wall, mu, mv, cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP)
    return np.clip(np.where(on_ground, g, wl), 0, 255).astype(np.uint8)


def _cams(move: str) -> list[np.ndarray]:
    pivot = np.array([0.0, 4.0, 0.5])
    s = np.linspace(0.0, 1.0, N)
    out = []
    for k in s:
        if move == "orbit":  # circle the pivot, always looking at it
            a = 0.5 * (k - 0.5)
            eye = pivot + np.array([5.0 * np.sin(a), -5.0 * np.cos(a), 1.0])
            out.append(look_at(eye, pivot))
        elif move == "tracking":  # sideways travel, looking straight ahead
            eye = np.array([-1.0 + 2.0 * k, -1.0, 1.5])
            out.append(look_at(eye, eye + np.array([0.0, 5.0, -1.0])))
        elif move == "dolly":  # forward travel
            eye = np.array([0.0, -1.0 + 2.0 * k, 1.5])
            out.append(look_at(eye, eye + np.array([0.0, 5.0, -1.0])))
        elif move == "pan":  # turn about the camera centre
            a = 0.3 * (k - 0.5)
            eye = np.array([0.0, -1.0, 1.5])
            out.append(look_at(eye, eye + np.array([5.0 * np.sin(a), 5.0 * np.cos(a), -1.0])))
        else:
            eye = np.array([0.0, -1.0, 1.5])
            out.append(look_at(eye, eye + np.array([0.0, 5.0, -1.0])))
    return out


@pytest.mark.parametrize(
    ("move", "label"),
    [("orbit", "orbit"), ("tracking", "pan"), ("dolly", "dolly"), ("pan", "pan"), ("static", "static")],
)
def test_camera_label_follows_the_geometry(move, label):
    ground, wall = _texture(1), _texture(2)
    gray = np.stack([_render(c, ground, wall) for c in _cams(move)])
    m = classify_camera(compute_motion(gray), [(0, N)])
    assert m["label"] == label, m


def test_orbit_moves_top_and_bottom_the_opposite_way_tracking_does_not():
    ground, wall = _texture(1), _texture(2)
    res = {}
    for move in ("orbit", "tracking"):
        gray = np.stack([_render(c, ground, wall) for c in _cams(move)])
        res[move] = classify_camera(compute_motion(gray), [(0, N)])
    o, t = res["orbit"], res["tracking"]
    assert o["top_flow_x_px"] * o["bottom_flow_x_px"] < 0
    assert t["top_flow_x_px"] * t["bottom_flow_x_px"] > 0
    # the essential matrix sees sideways translation in both (its yaw is not used: on this pure
    # sideways travel it reports ~0.14 deg/frame of turning that the camera never does)
    assert o["geometry"]["abs_translation_dir"][0] > 0.8 and t["geometry"]["abs_translation_dir"][0] > 0.8
    assert o["label"] == "orbit" and t["label"] == "pan"


def test_a_two_view_solve_opencv_refuses_leaves_the_window_unknown(monkeypatch):
    """Session 17: OpenCV's five-point solver asserted on a degenerate RANSAC sample (``solvePoly``) in
    one window of a generated car clip and the whole analysis stopped with a traceback. The window's
    geometry is then unknown; the label comes from the other cues."""
    from worlddirector.analysis import camera

    ground, wall = _texture(1), _texture(2)
    motion = compute_motion(np.stack([_render(c, ground, wall) for c in _cams("orbit")]))

    def refuse(*args, **kwargs):
        raise cv2.error("OpenCV(5.1.0) mathfuncs.cpp:1601: (-215:Assertion failed) in function 'solvePoly'")

    monkeypatch.setattr(camera.cv2, "findEssentialMat", refuse)
    assert camera._window_pose(motion, np.arange(0, 8)) is None
    m = classify_camera(motion, [(0, N)])
    assert m["label"] in ("orbit", "pan", "dolly", "static", "handheld")
