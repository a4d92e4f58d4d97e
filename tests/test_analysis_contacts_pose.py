"""``contacts.pose_signals`` cuts a path's leg patches once for both views of the gait (session 12
speed work): each must be exactly what ``pose_signal`` gives for that view alone."""

from __future__ import annotations

import numpy as np

from worlddirector.analysis.contacts import pose_signal, pose_signals


def test_pose_signals_are_pose_signal_in_each_mode():
    rng = np.random.default_rng(31)
    n, h, w = 40, 120, 200
    yy, xx = np.mgrid[:h, :w]
    gray = np.zeros((n, h, w), np.uint8)
    boxes = np.zeros((n, 4))
    for i in range(n):  # a walker: a box moving right, two legs swinging below it
        x = 30 + 2.5 * i
        img = 90 + 20 * rng.standard_normal((h, w))
        img[40:70, int(x) : int(x) + 16] = 200
        for side in (-1, 1):
            fx = x + 8 + side * 6 * np.sin(2 * np.pi * i / 10)
            img[(70 <= yy) & (yy < 100) & (np.abs(xx - fx - (yy - 70) * side * 0.1) < 2.5)] = 30
        gray[i] = np.clip(img, 0, 255).astype(np.uint8)
        boxes[i] = (x, 40 + rng.normal(0, 0.5), x + 16, 70 + rng.normal(0, 0.5))
    pos = np.arange(n)
    pose, motion = pose_signals(gray, boxes, pos)
    for got, mode in ((pose, "pose"), (motion, "motion")):
        ref = pose_signal(gray, boxes, pos, mode)
        assert got.dtype == ref.dtype and got.tobytes() == ref.tobytes()
    assert pose_signal(gray, boxes, pos).tobytes() == pose.tobytes()  # MODE is "pose"
    assert not np.array_equal(pose, motion)
