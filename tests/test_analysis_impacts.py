"""``impacts.impact_signal`` tests only the pixels that can win (session 12 speed work): it must
give exactly what testing every pixel gives."""

from __future__ import annotations

import cv2
import numpy as np

from worlddirector.analysis.impacts import BOX, CUSP, FLIGHT, FLIGHT_TOL, SUSTAIN, SYMMETRY, impact_signal


def _every_pixel(vy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The straightforward computation (session 11's code): every test on the whole image."""
    n = len(vy)
    sig, frac = np.zeros(n), np.zeros(n)
    if n < 3:
        return sig, frac
    v = np.stack([cv2.boxFilter(x, -1, (BOX, BOX)) for x in vy])
    inner = np.zeros(v.shape[1:], bool)
    inner[BOX:-BOX, BOX:-BOX] = True
    for q in range(1, n - 1):
        down, up = np.maximum(0.0, v[q - 1]), np.maximum(0.0, -v[q + 1])
        ok = inner & (np.minimum(down, up) >= SYMMETRY * np.maximum(down, up))
        side = np.zeros_like(down)
        if q >= 2:
            ok &= v[q - 2] >= SUSTAIN * down
            side += np.abs(v[q - 2] - v[q - 1])
        if q + 2 < n:
            ok &= -v[q + 2] >= SUSTAIN * up
            side += np.abs(v[q + 2] - v[q + 1])
        ok &= down + up >= CUSP * side
        if FLIGHT:
            tol = FLIGHT_TOL * np.sqrt(down * up)
            for k in range(max(0, q - FLIGHT), q - 2):
                ok &= v[k] >= -tol
            for k in range(q + 3, min(n, q + FLIGHT + 1)):
                ok &= v[k] <= tol
        prod = np.where(ok, down * up, 0.0)
        i = int(np.argmax(prod))
        sig[q] = float(np.sqrt(prod.flat[i]))
        speed = 0.5 * (float(v[q - 1].flat[i]) - float(v[q + 1].flat[i]))
        frac[q] = float(np.clip(0.5 * (1.0 + float(v[q].flat[i]) / max(speed, 1e-6)), 0.0, 1.0))
    return sig, frac


def _bounces(rng, n: int, h: int, w: int) -> np.ndarray:
    """Residual vertical flow: smooth noise plus blobs that fall, land (a cusp) and rise."""
    vy = np.stack([cv2.GaussianBlur(rng.normal(0, 0.3, (h, w)).astype(np.float32), (0, 0), 2.0) for _ in range(n)])
    yy, xx = np.mgrid[:h, :w]
    for _ in range(4):
        cy, cx, t0 = rng.uniform(0.2 * h, 0.8 * h), rng.uniform(0.2 * w, 0.8 * w), int(rng.integers(1, max(2, n - 1)))
        blob = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 30.0).astype(np.float32)
        speed = rng.uniform(0.5, 6.0)
        for k in range(n):
            vy[k] += blob * np.float32(speed * (1.0 if k < t0 else -1.0) * (0.9 if k == t0 else 1.0))
    return vy


def test_impact_signal_is_the_every_pixel_computation():
    rng = np.random.default_rng(21)
    strong = 0
    for n, h, w in ((40, 90, 160), (25, 60, 80), (3, 40, 40), (2, 40, 40), (30, 20, 20)):
        vy = _bounces(rng, n, h, w)
        sig, frac = impact_signal(vy)
        ref_sig, ref_frac = _every_pixel(vy)
        assert sig.tobytes() == ref_sig.tobytes() and frac.tobytes() == ref_frac.tobytes()
        strong += int((sig > 1.0).sum())
    still = np.zeros((12, 40, 60), np.float32)  # no motion: no winner anywhere, pixel 0's fraction
    assert [a.tobytes() for a in impact_signal(still)] == [a.tobytes() for a in _every_pixel(still)]
    assert strong >= 3  # the blobs do land
