"""The horizon's motion from the camera's rotation over the floor (session 9,
:mod:`worlddirector.analysis.horizon`), on a rendered textured floor with a known camera."""

from __future__ import annotations

import cv2
import numpy as np

from worlddirector.analysis.camera import guessed_intrinsics
from worlddirector.analysis.horizon import tilt_rows

N, H, W = 49, 180, 320
WINDOW = 12


def _texture(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = cv2.GaussianBlur(rng.uniform(0, 255, (n, n)).astype(np.float32), (0, 0), 1.5)
    return cv2.normalize(t, None, 20, 235, cv2.NORM_MINMAX)


def _rotation(pitch: float, yaw: float) -> np.ndarray:
    """cam_from_world rotation of a camera looking along world +y, pitched down by ``pitch``,
    turned left by ``yaw`` (world z up, camera x right, y down, z forward)."""
    base = np.array([[1.0, 0, 0], [0, 0, -1.0], [0, 1.0, 0]])  # camera axes in world: x, -z, y
    cy, sy = np.cos(yaw), np.sin(yaw)
    rz = np.array([[cy, -sy, 0], [sy, cy, 0], [0, 0, 1.0]])
    cp, sp = np.cos(pitch), np.sin(pitch)
    rx = np.array([[1.0, 0, 0], [0, cp, -sp], [0, sp, cp]])
    return rx @ base @ rz.T


def _render(pitches: np.ndarray, yaws: np.ndarray, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Frames of a textured floor (z = 0, 1 texel = 2.5 cm) under a grey sky, and the true
    horizon row at the middle column of each frame."""
    tex = _texture(1024, 3)
    K = guessed_intrinsics(H, W)
    Kinv = np.linalg.inv(K)
    u, v = np.meshgrid(np.arange(W) + 0.5, np.arange(H) + 0.5)
    pix = np.stack([u, v, np.ones_like(u)], -1).reshape(-1, 3).T
    frames, rows = [], []
    for p, yw, c in zip(pitches, yaws, centres):
        R = _rotation(p, yw)
        d = R.T @ (Kinv @ pix)  # rays in world
        lam = np.where(d[2] < -1e-6, -c[2] / np.minimum(d[2], -1e-6), np.nan)
        X, Y = c[0] + lam * d[0], c[1] + lam * d[1]
        mx = ((X / 0.025) % 1024).astype(np.float32).reshape(H, W)
        my = ((Y / 0.025) % 1024).astype(np.float32).reshape(H, W)
        img = cv2.remap(tex, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP)
        far = (~np.isfinite(lam) | (lam > 60)).reshape(H, W)
        img[far] = 150.0
        frames.append(np.clip(img, 0, 255).astype(np.uint8))
        r3 = R[:, 2]
        rows.append(K[1, 2] - K[1, 1] * r3[2] / r3[1])
    return np.stack(frames), np.array(rows)


def test_a_dolly_that_tilts_moves_the_horizon_and_the_floor_says_by_how_much():
    """The camera moves forward 1 m and tilts up 3 degrees over the clip: the horizon falls about
    13 rows; its change between window boundaries is measured within half a row of the truth, and
    the floor's plane gives the level within a few rows."""
    k = np.arange(N) / (N - 1)
    pitches = np.radians(14.0 - 3.0 * k)
    centres = np.stack([np.zeros(N), 1.0 * k, np.full(N, 1.6)], 1)
    gray, true = _render(pitches, np.zeros(N), centres)
    rows, level = tilt_rows(gray, (0, N), WINDOW)
    bounds = np.arange(0, N - WINDOW, WINDOW)
    change_true = true[bounds] - true[0]
    change = rows[bounds] - rows[0]
    assert abs(true[-1] - true[0]) > 10
    assert np.max(np.abs(change - change_true)) < 1.0  # a horizon held still would be 10 rows off
    assert level is not None and abs(level - true[N // 2]) < 5


def test_a_camera_that_only_turns_sideways_leaves_the_horizon_where_it_is():
    """A pan (yaw only, no translation): no tilt, the horizon keeps its row; the floor has no
    parallax, so it gives no level."""
    k = np.arange(N) / (N - 1)
    gray, true = _render(np.full(N, np.radians(12.0)), np.radians(8.0) * k, np.tile([0.0, 0.0, 1.6], (N, 1)))
    rows, level = tilt_rows(gray, (0, N), WINDOW)
    assert np.ptp(true) < 1e-6
    assert np.max(np.abs(rows)) < 0.5
    assert level is None
