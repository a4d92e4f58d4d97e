"""Contact cues of walkers on synthetic frames: the body's vertical bob (lowest at the strikes)."""

from __future__ import annotations

import cv2
import numpy as np

from worlddirector.analysis import contacts

H, W = 180, 320


def _walker_frames(n: int = 72, period: float = 12.0, amp: float = 1.5, seed: int = 0, legless: bool = False,
                   legs_spread_at: float | None = None):
    """A textured head and torso crossing a textured background at 1.2 px/frame, bobbing by
    ``amp`` px: lowest (largest y) at frames 3 + k * period, the 'strikes'. Returns frames, tracker
    boxes (the torso, with a pixel of jitter) and the true vertical displacement (px, + = down).
    ``legs_spread_at``: two dark legs below the torso, scissoring, furthest apart at frames
    ``legs_spread_at`` + k * period (together half a step later)."""
    rng = np.random.default_rng(seed)
    bg = cv2.GaussianBlur(rng.uniform(60, 190, (H, W)).astype(np.float32), (0, 0), 2.0)
    body = cv2.GaussianBlur(rng.uniform(20, 120, (60, 24)).astype(np.float32), (0, 0), 1.0)
    if legless:  # a textured head on a long plain body reaching out of the frame: no legs to see
        body = np.concatenate([body[:14], np.full((150, 24), 70.0, np.float32)])
    t = np.arange(n)
    dy = amp * np.cos(2 * np.pi * (t - 3) / period)
    frames = np.zeros((n, H, W), np.uint8)
    boxes = np.zeros((n, 4))
    for i in range(n):
        x0, y0 = 40 + 1.2 * i, 70 + dy[i]
        img = bg.copy()
        # sub-pixel placement: warp the body patch onto the background with its mask
        m = np.float32([[1, 0, x0], [0, 1, y0]])
        patch = cv2.warpAffine(body, m, (W, H))
        mask = cv2.warpAffine(np.ones_like(body), m, (W, H))
        img = img * (1 - mask) + patch * mask
        if legs_spread_at is not None:
            th = 0.45 * np.cos(np.pi * (i - legs_spread_at) / period)
            hip = np.array([x0 + 12, y0 + 58])
            for a in (th, -th):
                foot = hip + 34 * np.array([np.sin(a), np.cos(a)])
                cv2.line(img, tuple(int(v) for v in np.round(hip * 16)), tuple(int(v) for v in np.round(foot * 16)),
                         25.0, 4, cv2.LINE_AA, 4)
        frames[i] = np.clip(img, 0, 255).astype(np.uint8)
        j = rng.normal(0, 0.7, 4)
        boxes[i] = (x0 + j[0], y0 + 14 + j[1], x0 + 24 + j[2], y0 + 60 + j[3])  # the torso: head left out
    return frames, boxes, dy


def test_bob_signal_follows_the_bodys_vertical_bob():
    frames, boxes, dy = _walker_frames()
    b = contacts.bob_signal(frames, boxes, np.arange(len(frames)))
    k = slice(contacts.POSE_HALF, len(dy) - contacts.POSE_HALF)  # full averaging window
    r = np.corrcoef(b[k], dy[k])[0, 1]
    slope = np.polyfit(dy[k], b[k], 1)[0]
    assert r > 0.9, r
    assert 0.6 < slope < 1.4, slope
    # a body that does not bob gives (almost) nothing
    still, boxes2, _ = _walker_frames(amp=0.0)
    b0 = contacts.bob_signal(still, boxes2, np.arange(len(still)))
    assert np.std(b0[k]) < 0.25 * np.std(b[k])


def _strikes_at_the_lowest_moments(frames, boxes, period: float, tol: float) -> list[dict]:
    """The path's footfalls: at least 5, at the found step period, each within ``tol`` frames of a
    lowest moment of the body (frames 3 + k * period)."""
    found = contacts._chain_events(frames, np.arange(len(frames)), boxes, 24.0, 0)
    assert found is not None
    per, events = found
    assert abs(per - period) < 0.5
    assert len(events) >= 5
    for e in events:
        k = (e["time_pos"] - 3) / period
        assert abs(k - round(k)) * period < tol, e["time_pos"]
    return events


def test_footfalls_of_a_bobbing_body_are_its_lowest_moments():
    """A walker whose legs the frames do not show (here: a plain body below the head; the legs' test
    finds no gait) is still timed: its body bobs once a step, lowest at the strikes, and that is
    found without any sound."""
    period = 12.0
    frames, boxes, _ = _walker_frames(n=96, period=period, amp=1.5, seed=1, legless=True)
    events = _strikes_at_the_lowest_moments(frames, boxes, period, tol=0.75)
    assert not any(e["guided"] for e in events)


def test_where_legs_and_bob_disagree_the_bob_times_the_strikes():
    """A walker whose legs show a gait (the legs' test finds one) at another phase than its bob: the
    strikes are the body's lowest moments (session 10: the bob is tried first; on the generated
    walkers the bob is at the strikes for 11 of 13 walking paths, the legs' views for at most 6)."""
    period = 12.0
    frames, boxes, _ = _walker_frames(n=96, period=period, amp=1.5, seed=2, legs_spread_at=3 + period / 2)
    _strikes_at_the_lowest_moments(frames, boxes, period, tol=1.0)
