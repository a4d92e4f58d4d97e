"""Put video-space findings into the world, and world-space findings into the video.

The reconstruction's registered cameras (``cam_from_world`` 3x4, OpenCV convention, pixel =
K(RX + t)) link the two: a pixel becomes a ray; the ray meets the floor ``z = 0`` (or a known
height) at a world point. A world point becomes the list of frames in which it is in view.
"""

from __future__ import annotations

import bisect

import numpy as np

from worlddirector.artifacts.world import RegisteredCamera, World


def camera_centre(P: np.ndarray) -> np.ndarray:
    """World position of the centre of camera ``P`` = [R | t]: ``-R^T t``."""
    return -P[:, :3].T @ P[:, 3]


class Cameras:
    """Registered cameras indexed by frame, with nearest-frame lookup."""

    def __init__(self, world: World):
        intr = world.intrinsics or {}
        self.ok = all(k in intr for k in ("fx", "fy", "cx", "cy")) and bool(world.cameras)
        self.width = float(intr.get("width", 2 * intr.get("cx", 0.0)))
        self.height = float(intr.get("height", 2 * intr.get("cy", 0.0)))
        if self.ok:
            self.K = np.array([[intr["fx"], 0, intr["cx"]], [0, intr["fy"], intr["cy"]], [0, 0, 1.0]])
            self.Kinv = np.linalg.inv(self.K)
        cams: list[RegisteredCamera] = sorted(world.cameras, key=lambda c: c.frame)
        self.frames = [c.frame for c in cams]
        self.poses = [np.asarray(c.cam_from_world, dtype=float).reshape(3, 4) for c in cams]

    def nearest(self, frame: int) -> np.ndarray | None:
        if not self.ok:
            return None
        k = bisect.bisect_left(self.frames, frame)
        cands = [c for c in (k - 1, k) if 0 <= c < len(self.frames)]
        best = min(cands, key=lambda c: abs(self.frames[c] - frame))
        return self.poses[best]

    def center(self, frame: int) -> np.ndarray | None:
        P = self.nearest(frame)
        return None if P is None else camera_centre(P)

    def pixel_to_height(self, frame: int, u: float, v: float, z: float = 0.0) -> np.ndarray | None:
        """Where the pixel's viewing ray meets the horizontal plane at height ``z`` (None if it never does)."""
        P = self.nearest(frame)
        if P is None:
            return None
        c = camera_centre(P)
        d = P[:, :3].T @ (self.Kinv @ np.array([u, v, 1.0]))
        if abs(d[2]) < 1e-9:
            return None
        s = (z - c[2]) / d[2]
        if s <= 0:
            return None
        return c + s * d

    def project_box(self, P: np.ndarray, points: np.ndarray) -> tuple[float, float, float, float] | None:
        """Image box (x0, y0, x1, y1) of world ``points`` seen by camera ``P`` (None if any is behind it)."""
        x = np.asarray(points, dtype=float) @ P[:, :3].T + P[:, 3]
        if (x[:, 2] <= 0.05).any():
            return None
        uv = x @ self.K.T
        uv = uv[:, :2] / uv[:, 2:]
        return float(uv[:, 0].min()), float(uv[:, 1].min()), float(uv[:, 0].max()), float(uv[:, 1].max())

    def point_at_depth(self, P: np.ndarray, u: float, v: float, depth: float) -> np.ndarray:
        """The world point on pixel (u, v)'s viewing ray at camera depth ``depth`` (metres along the optical axis)."""
        R, t = P[:, :3], P[:, 3]
        ray_cam = self.Kinv @ np.array([u, v, 1.0])
        return R.T @ (ray_cam * (depth / ray_cam[2]) - t)

    def visible_frames(self, point, margin: float = 0.0) -> list[int]:
        """Registered frames whose image contains the projection of ``point`` (in front of the camera)."""
        if not self.ok:
            return []
        X = np.asarray(point, dtype=float)
        out = []
        for f, P in zip(self.frames, self.poses, strict=True):
            x = P[:, :3] @ X + P[:, 3]
            if x[2] <= 0.05:
                continue
            u, v, _ = (self.K @ x) / x[2]
            if -margin <= u <= self.width + margin and -margin <= v <= self.height + margin:
                out.append(f)
        return out


def compress_frames(frames: list[int], limit: int = 64) -> list[int]:
    """At most ``limit`` frames, evenly kept (first and last always), so reports stay small."""
    if len(frames) <= limit:
        return frames
    idx = np.linspace(0, len(frames) - 1, limit).round().astype(int)
    return [frames[i] for i in sorted(set(idx.tolist()))]
