"""Size drift from an object's own texture (session 7, :mod:`worlddirector.analysis.scale_drift`)."""

from __future__ import annotations

import cv2
import numpy as np

from worlddirector.analysis.scale_drift import ScaleDrift, fit_scale, measure_drifts
from worlddirector.analysis.tracks import Det, RawTrack

N, H, W = 48, 180, 320
FACTOR = 2.0  # analysis pixels per flow pixel, as in the pipeline for 640x360 clips


def _texture(h: int, w: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = cv2.GaussianBlur(rng.uniform(0, 255, (h, w)).astype(np.float32), (0, 0), 1.2)
    return cv2.normalize(t, None, 20, 235, cv2.NORM_MINMAX).astype(np.uint8)


def _clip(scales: np.ndarray, bottoms: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """A textured object (40 px tall at scale 1) over a textured still background; frame ``k``
    shows it at ``scales[k]`` with its bottom at row ``bottoms[k]``, centred at column 160."""
    bg = _texture(H, W, 1)
    obj = _texture(40, 30, 2)
    frames, boxes = [], []
    for s, yb in zip(scales, bottoms):
        f = bg.copy()
        h, w = 40 * s, 30 * s
        x0, y0 = 160 - w / 2, yb - h
        A = np.array([[s, 0, x0], [0, s, y0]], np.float64)
        warped = cv2.warpAffine(obj, A, (W, H), flags=cv2.INTER_LINEAR)
        mask = cv2.warpAffine(np.full_like(obj, 255), A, (W, H), flags=cv2.INTER_LINEAR) > 127
        f[mask] = warped[mask]
        frames.append(f)
        boxes.append(np.array([x0, y0, x0 + w, yb]))
    return np.stack(frames), boxes


def _track(boxes: list[np.ndarray]) -> RawTrack:
    dets = [
        Det(
            pos=k,
            box=b / FACTOR,
            area=float(np.prod(b[2:] - b[:2])) / FACTOR**2,
            lab=np.zeros(3),
            rgb=np.zeros(3),
            moving=False,
        )
        for k, b in enumerate(boxes)
    ]
    return RawTrack(id=7, dets=dets)


def _drift(scales: np.ndarray, bottoms: np.ndarray) -> ScaleDrift:
    gray, boxes = _clip(scales, bottoms)
    homs = np.tile(np.eye(3), (N - 1, 1, 1))
    (measured,) = measure_drifts(gray, None, [_track(boxes)], homs, FACTOR, [(0, N)])
    return measured


def test_the_similarity_fit_recovers_a_scale_about_a_point():
    rng = np.random.default_rng(0)
    p0 = rng.uniform(0, 50, (30, 2))
    p1 = 1.2 * (p0 - [10, 40]) + [10, 40]
    s, _, ty = fit_scale(p0, p1)
    assert abs(s - 1.2) < 1e-9 and abs(ty / (1 - s) - 40) < 1e-6


def test_an_object_growing_about_its_contact_point_drifts_a_rigid_one_does_not():
    """Growing x1.45 while its bottom stays put is a steady positive ramp; the same object at a
    constant size has none; one that approaches the camera (it grows about the horizon row 20,
    so its bottom comes down the frame) is rigid, whatever its size change."""
    ramp = np.clip((np.arange(N) - 8) / (N - 9), 0, 1)
    grow = 1.0 + 0.45 * ramp
    drift = _drift(grow, np.full(N, 150.0))
    still = _drift(np.ones(N), np.full(N, 150.0))
    approach = _drift(grow, 20.0 + (120.0 - 20.0) * grow)
    assert drift.track == 7 and drift.drift > 0.2 and drift.texture_scale > 0.2
    assert abs(still.drift) < 0.05 and abs(still.texture_scale) < 0.05
    assert abs(approach.drift) < 0.5 * drift.drift and approach.texture_scale > 0.2


def test_a_shrinking_object_drifts_negative():
    shrink = 1.0 - 0.4 * np.clip((np.arange(N) - 8) / (N - 9), 0, 1)
    assert _drift(shrink, np.full(N, 150.0)).drift < -0.2


def test_a_box_size_resize_stands_only_when_the_texture_confirms_it():
    """A ``resize`` from the colour boxes is dropped when its track's texture did not scale (a
    segmentation that merged with a neighbour), kept with the texture's change otherwise."""
    from worlddirector.analysis.events import RawEvent
    from worlddirector.analysis.scale_drift import confirm_resizes

    scales = 1.0 + 0.45 * np.clip((np.arange(N) - 8) / (N - 9), 0, 1)
    homs = np.tile(np.eye(3), (N - 1, 1, 1))
    kept = {}
    for name, s in (("grow", scales), ("still", np.ones(N))):
        gray, boxes = _clip(s, np.full(N, 150.0))
        drifts = measure_drifts(gray, None, [_track(boxes)], homs, FACTOR, [(0, N)])
        resize = RawEvent("resize", 20, (70.0, 55.0, 90.0, 75.0), 1.4, "size changed x1.40", 7)
        other = RawEvent("appear", 5, (0.0, 0.0, 5.0, 5.0), 1.0, "", None)
        kept[name] = confirm_resizes([resize, other], drifts)
    assert [e.type for e in kept["grow"]] == ["resize", "appear"]
    assert "texture scaled" in kept["grow"][0].evidence
    assert [e.type for e in kept["still"]] == ["appear"]


def test_the_horizon_moves_with_the_camera_tilt_not_with_the_pair_homographies():
    """A camera tilting up moves the whole picture down by 1.2 rows per window (the pair
    homographies of a slow camera are snapped to the identity) while three rigid objects approach
    it (x1.00-1.03 per window), 6 windows: with the tilt the fit finds their horizon (row 40) and
    no residual; a horizon held still by identity homographies leaves the objects ramps."""
    from worlddirector.analysis.scale_drift import WINDOW, _residuals, fit_horizon

    n, yh, step = 6 * WINDOW + 1, 40.0, 1.2
    tilt = step * np.arange(n) / WINDOW
    win = []
    for yb0, height, s in ((60.0, 6.0, 1.03), (75.0, 12.0, 1.0), (100.0, 20.0, 1.02)):
        below, h = yb0 - yh, height
        for k in range(6):
            a = k * WINDOW
            yb = yh + tilt[a] + below
            yb_next = yh + tilt[a + WINDOW] + s * below  # the contact point's depth scales like the object
            win.append((a, a + WINDOW, s, yb_next - s * yb, yb, h))
            below, h = s * below, s * h
    win = np.array(win)
    homs = np.tile(np.eye(3), (n - 1, 1, 1))
    with_tilt = fit_horizon(win, homs, FACTOR, (0, n), H, W, tilt - tilt[n // 2])
    still = fit_horizon(win, homs, FACTOR, (0, n), H, W)
    assert abs(with_tilt[0] - yh) < 3.0 and np.all(np.abs(_residuals(win, with_tilt[:, None], 0)) < 0.01)
    assert np.nanmax(np.abs(_residuals(win, still[:, None], 0))) > 0.01


def test_the_homography_carried_horizon_lands_on_the_right_frames():
    """Pair homographies that move the picture down one flow pixel per frame carry a horizon row
    down ``FACTOR`` analysis rows per frame, both ways from the middle frame (the backward carry
    was one frame off before session 9, leaving the frame before the middle empty)."""
    from worlddirector.analysis.scale_drift import horizon_rows

    n = 9
    homs = np.tile(np.array([[1.0, 0, 0], [0, 1, 1], [0, 0, 1]]), (n - 1, 1, 1))
    rows = horizon_rows(np.array([50.0]), homs, FACTOR, (0, n), W)[:, 0]
    assert np.allclose(rows, 50.0 + FACTOR * (np.arange(n) - n // 2))


def test_a_resize_whose_texture_scaled_as_perspective_has_it_is_dropped_where_the_floor_gave_the_horizon():
    """Session 13, dev seed 600: a robot walking away shrank x0.53-0.73 by its boxes against the
    box rule's own horizon, but its texture scaled as perspective has it against the floor's horizon
    (drift ~0): not a size change. Where the floor gave no level (a pan, a still camera, no floor),
    the objects' own horizon can explain any growth about a point as an approach, so the drift
    cannot judge and the texture's scale alone decides (the synthetic drift clip's disc)."""
    from worlddirector.analysis.events import RawEvent
    from worlddirector.analysis.scale_drift import confirm_resizes

    def drift(residual: float, floor: bool) -> ScaleDrift:
        wins = [(12 * k, 12 * k + 12, residual) for k in range(6)]
        return ScaleDrift(7, windows=wins, log_scales=[-0.1] * 6, floor_level=floor)  # texture x0.55

    resize = RawEvent("resize", 30, (70.0, 55.0, 90.0, 75.0), 0.6, "size changed x0.60", 7)
    assert confirm_resizes([resize], [drift(0.0, floor=True)]) == []  # perspective explains it
    assert [e.type for e in confirm_resizes([resize], [drift(-0.05, floor=True)])] == ["resize"]  # x0.74 beyond
    assert [e.type for e in confirm_resizes([resize], [drift(0.0, floor=False)])] == ["resize"]  # cannot judge
