"""Offline scene description from pixels: setting guess, dominant colours, sky/ground, movers.

No model is involved, so it says only what colour statistics and tracks support:

* dominant colours: k-means (k=5) over pixels of the keyframes, named by hue/saturation/value;
* sky: the top 20 % of the frame is bright and blue-ish or grey-white with little texture;
* ground: the colour name of the bottom 20 % (grass-green, sand, grey pavement, brown wood...);
* setting guess: outdoor when sky is seen (then field/forest/desert/street from the ground and the
  amount of green), indoor otherwise (dark and low-texture -> cave, else room/hallway);
* moving objects: tracks that travel more than 10 % of the frame width, with their colour and
  main direction of motion.
"""

from __future__ import annotations

import cv2
import numpy as np

from worlddirector import colors
from worlddirector.colors import color_name


def dominant_colors(rgb_frames: np.ndarray, k: int = 5) -> list[dict]:
    px = rgb_frames[:, ::4, ::4].reshape(-1, 3)
    if len(px) > 20000:
        px = px[np.linspace(0, len(px) - 1, 20000).astype(int)]
    return [
        {"name": color_name(c), "rgb": [int(v) for v in c], "fraction": round(share, 3)}
        for c, share in colors.dominant_colors(px, k, attempts=2)
    ]


def _band(rgb: np.ndarray, top: bool) -> np.ndarray:
    h = rgb.shape[1]
    return rgb[:, : h // 5] if top else rgb[:, -h // 5 :]


def describe_scene(rgb_frames: np.ndarray, tracks: list, width: int, camera_label: str) -> dict:
    """``rgb_frames``: keyframes at analysis resolution; ``tracks``: artifact Track objects."""
    if len(rgb_frames) == 0:
        return {}
    top = _band(rgb_frames, True).reshape(-1, 3).astype(np.float32)
    bottom = _band(rgb_frames, False).reshape(-1, 3).astype(np.float32)
    top_mean, bot_mean = top.mean(0), bottom.mean(0)
    top_gray = cv2.cvtColor(np.ascontiguousarray(_band(rgb_frames, True)[0]), cv2.COLOR_RGB2GRAY)
    texture = float(cv2.Laplacian(top_gray, cv2.CV_32F).std())
    r, g, b = top_mean
    sky = bool((b > r + 10 and b > 110) or (min(r, g, b) > 170 and texture < 12))
    ground = color_name(bot_mean)
    green_frac = float(
        np.mean(
            (rgb_frames[..., 1].astype(int) > rgb_frames[..., 0] + 15)
            & (rgb_frames[..., 1].astype(int) > rgb_frames[..., 2] + 15)
        )
    )
    brightness = float(rgb_frames.mean())
    if sky:
        if green_frac > 0.35:
            setting = "forest" if green_frac > 0.55 else "field"
        elif ground in ("yellow", "orange", "brown") and bot_mean.mean() > 120:
            setting = "desert"
        elif ground in ("gray", "black", "white"):
            setting = "street"
        else:
            setting = "outdoor"
        where = "outdoor"
    else:
        where = "indoor"
        setting = "cave" if brightness < 60 else "room or hallway"
    movers = []
    for t in tracks:
        if len(t.points) < 2:
            continue
        c0 = np.array(
            [(t.points[0].box[0] + t.points[0].box[2]) / 2, (t.points[0].box[1] + t.points[0].box[3]) / 2]
        )
        c1 = np.array(
            [(t.points[-1].box[0] + t.points[-1].box[2]) / 2, (t.points[-1].box[1] + t.points[-1].box[3]) / 2]
        )
        d = c1 - c0
        if np.linalg.norm(d) < 0.1 * width:
            continue
        direction = (
            ("right" if d[0] > 0 else "left") if abs(d[0]) >= abs(d[1]) else ("down" if d[1] > 0 else "up")
        )
        movers.append(
            {
                "track_id": t.id,
                "color": color_name(t.points[len(t.points) // 2].color),
                "moves": direction,
                "distance_px": round(float(np.linalg.norm(d)), 1),
            }
        )
    colors = dominant_colors(rgb_frames)
    text = (
        f"{where} scene ({setting}), mostly {', '.join(c['name'] for c in colors[:3])}; "
        f"{'sky above, ' if sky else ''}{ground} ground; camera {camera_label}; "
        f"{len(movers)} moving object(s)"
        + (": " + ", ".join(f"{m['color']} moving {m['moves']}" for m in movers[:4]) if movers else "")
    )
    return {
        "source": "offline",
        "setting_guess": setting,
        "indoor_outdoor": where,
        "sky": sky,
        "ground_color": ground,
        "dominant_colors": colors,
        "moving_objects": movers,
        "brightness": round(brightness, 1),
        "text": text,
    }
