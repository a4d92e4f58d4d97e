"""A clearly marked single-view world, for clips that cannot support multi-view geometry.

Nothing here is triangulated. The camera is placed ``camera_height`` metres above a flat floor
and pitched so that the horizon falls where we see it; everything else follows from that
assumption:

* **Horizon.** The row that best splits a middle frame into two differently coloured halves
  (sky above ground), accepted only when the split is strong and level (left and right halves
  agree). Otherwise the camera is assumed level (horizon through the principal point).
* **Ground plane.** ``z = 0``; its visible extent is where the image's lower corners and the
  horizon-limited far distance land on it.
* **Objects.** Each analysis track becomes an upright billboard (thin box facing the camera)
  standing where its box bottom meets the ground, sized from the box at that depth. Tracks that
  travel become moving objects with floor trajectories.

Every element carries low confidence, and ``world.method == "single_view"`` with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass
class Horizon:
    row: float  # processing pixels
    source: str  # "colour boundary" | "assumed level camera"
    strength: float


def find_horizon(rgb: np.ndarray, cy: float) -> Horizon:
    """Strongest level colour boundary in the upper 70% of the frame, else the principal row."""
    h, w = rgb.shape[:2]
    labf = cv2.cvtColor(cv2.GaussianBlur(rgb, (5, 5), 0), cv2.COLOR_RGB2LAB).astype(np.float32)

    def split(img):
        rows = img.mean(axis=1)  # (h,3)
        cum = np.cumsum(rows, axis=0)
        total = cum[-1]
        best_r, best_s = None, 0.0
        for r in range(int(0.08 * h), int(0.7 * h)):
            above = cum[r - 1] / r
            below = (total - cum[r - 1]) / (h - r)
            s = float(np.linalg.norm(above - below)) * np.sqrt(r * (h - r)) / h
            if s > best_s:
                best_r, best_s = r, s
        return best_r, best_s

    r_all, s_all = split(labf)
    r_l, _ = split(labf[:, : w // 2])
    r_r, _ = split(labf[:, w // 2:])
    if r_all is not None and s_all > 12 and r_l is not None and r_r is not None and abs(r_l - r_r) < 0.04 * h:
        return Horizon(float(r_all), "colour boundary", round(s_all, 2))
    return Horizon(float(cy), "assumed level camera", round(s_all, 2))


def level_camera(pitch: float, height: float) -> tuple[np.ndarray, np.ndarray]:
    """cam_from_world for a camera at (0, 0, height) looking along +x, pitched down by ``pitch`` rad."""
    f = np.array([np.cos(pitch), 0.0, -np.sin(pitch)])
    r = np.array([0.0, -1.0, 0.0])
    d = np.cross(f, r)
    R = np.stack([r, d, f])
    C = np.array([0.0, 0.0, height])
    return R, -R @ C
