"""Violation thumbnails: the frame where a finding happened, cropped to where it happened.

Where a finding points at a tracked object, the crop is that track's box at the nearest frame;
otherwise the finding's world position is projected through the nearest registered camera; when
neither is possible the whole frame is shown (and the caption says so). Thumbnails are small JPEGs
returned as data URLs so ``report.html`` stays one self-contained file.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from worlddirector.artifacts.agent_report import Violation
from worlddirector.artifacts.analysis import Analysis
from worlddirector.artifacts.world import World

THUMB_W = 176


def violation_frame(v: Violation, fps: float, n_frames: int) -> int:
    f = v.frames[0] if v.frames else round(v.time * fps)
    return max(0, min(n_frames - 1, f)) if n_frames > 0 else max(0, f)


def read_frames(video: Path, wanted: set[int]) -> dict[int, Image.Image]:
    """Decode only up to the last wanted frame (clips are short) and keep the wanted ones."""
    import av

    out: dict[int, Image.Image] = {}
    if not wanted or not video.exists():
        return out
    last = max(wanted)
    try:
        with av.open(str(video)) as c:
            stream = c.streams.video[0]
            for i, frame in enumerate(c.decode(stream)):
                if i in wanted:
                    out[i] = frame.to_image()
                if i >= last:
                    break
    except (av.error.FFmpegError, OSError):  # an unreadable clip gives a report without thumbnails
        return out
    return out


def _track_box(analysis: Analysis | None, world: World | None, object_id: str | None, frame: int):
    if analysis is None or not object_id:
        return None
    track_id = object_id
    if world is not None:
        for m in world.moving_objects:
            if m.id == object_id:
                track_id = m.track_id
                break
    for t in analysis.tracks:
        if t.id == track_id and t.points:
            p = min(t.points, key=lambda q: abs(q.frame - frame))
            return p.box
    return None


def _project(world: World | None, frame: int, pos, size: tuple[int, int]):
    if world is None or not world.cameras:
        return None
    cam = min(world.cameras, key=lambda c: abs(c.frame - frame))
    k = world.intrinsics
    try:
        fx, fy, cx, cy = float(k["fx"]), float(k["fy"]), float(k["cx"]), float(k["cy"])
    except (KeyError, TypeError, ValueError):
        return None
    sx = size[0] / float(k.get("width", size[0]) or size[0])
    sy = size[1] / float(k.get("height", size[1]) or size[1])
    rt = np.asarray(cam.cam_from_world, dtype=float)
    if rt.shape != (3, 4):
        return None
    x = rt[:, :3] @ np.asarray(pos, dtype=float) + rt[:, 3]
    if x[2] <= 1e-3:
        return None
    u, v = (fx * x[0] / x[2] + cx) * sx, (fy * x[1] / x[2] + cy) * sy
    r = max(24.0, 0.12 * size[0])
    return (u - r, v - r, u + r, v + r)


def thumbnail(
    img: Image.Image,
    v: Violation,
    frame: int,
    analysis: Analysis | None,
    world: World | None,
    video_size: tuple[int, int] | None = None,
) -> tuple[str, str]:
    """(data URL, how the crop was chosen)."""
    w, h = img.size
    sx = sy = 1.0
    if video_size and video_size[0] and video_size[1]:
        sx, sy = w / video_size[0], h / video_size[1]
    box = _track_box(analysis, world, v.object_id, frame)
    how = "tracked object"
    if box is not None:
        box = (box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy)
    else:
        box = _project(world, frame, v.position, (w, h))
        how = "projected position"
    if box is not None and (box[2] < 0 or box[3] < 0 or box[0] > w or box[1] > h):
        box = None
    if box is None:
        crop, mark, how = (0, 0, w, h), None, "whole frame"
    else:
        bw, bh = box[2] - box[0], box[3] - box[1]
        side = max(bw, bh * 16 / 9, w * 0.2) * 1.8
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        cw, ch = min(w, side), min(h, side * 9 / 16)
        x0 = min(max(0.0, cx - cw / 2), w - cw)
        y0 = min(max(0.0, cy - ch / 2), h - ch)
        crop = (int(x0), int(y0), int(x0 + cw), int(y0 + ch))
        mark = (box[0] - crop[0], box[1] - crop[1], box[2] - crop[0], box[3] - crop[1])
    tile = img.crop(crop).convert("RGB")
    scale = THUMB_W / max(1, tile.width)
    tile = tile.resize((THUMB_W, max(1, int(tile.height * scale))), Image.BILINEAR)
    if mark is not None:
        ImageDraw.Draw(tile).rectangle([c * scale for c in mark], outline=(255, 60, 60), width=2)
    buf = io.BytesIO()
    tile.save(buf, format="JPEG", quality=72)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii"), how
