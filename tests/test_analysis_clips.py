"""Small synthetic clips drawn with numpy and written with PyAV, with known defects.

Used by the analysis tests (imported as a module); the few tests here check the writer itself.
Each clip: sky band, textured ground, a static blue disc, a red box walking right, a yellow box
walking left (they pass each other near 2.1 s). ``defects`` injects, at known frames: ``pop_in``
(yellow box invisible before the frame), ``pop_out`` (blue disc gone from the frame on),
``teleport`` (red box jumps forward), ``flicker`` (brightness +60 for two frames), ``size_drift`` (blue disc grows 2x over 20 frames).
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

W, H, FPS = 320, 180, 24


def draw_frame(
    i: int, n: int, defects: dict[str, int], rng_ground: np.ndarray, pan: float = 0.0
) -> np.ndarray:
    img = np.zeros((H, W, 3), np.float32)
    yy = np.linspace(0, 1, 70)[:, None]
    img[:70] = (np.array([90, 140, 230]) * (1 - 0.3 * yy))[:, None, :]
    shift = int(round(pan * i))
    ground = np.roll(rng_ground, -shift, axis=1)[:, :W]
    img[70:] = ground
    # static blue disc (may drift in size / pop out)
    scale = 1.0
    if "size_drift" in defects and i >= defects["size_drift"]:
        scale = 1.0 + min(1.0, (i - defects["size_drift"]) / 20.0)
    if not ("pop_out" in defects and i >= defects["pop_out"]):
        cy, cx, r = 120, 240 - shift, 14 * scale
        y, x = np.ogrid[:H, :W]
        img[(y - cy) ** 2 + (x - cx) ** 2 <= r * r] = (40, 80, 210)
    # red box walking right
    x0 = 20 + 2.0 * i
    if "teleport" in defects and i >= defects["teleport"]:
        x0 += 70
    x0 = int(round(x0)) - shift
    if -30 < x0 < W:
        img[100:140, max(0, x0) : max(0, x0 + 22)] = (200, 40, 35)
    # yellow box walking left (may pop in)
    if not ("pop_in" in defects and i < defects["pop_in"]):
        x1 = int(round(200 - 1.5 * i)) - shift
        if -30 < x1 < W:
            img[85:110, max(0, x1) : max(0, x1 + 18)] = (230, 200, 40)
    if "flicker" in defects and defects["flicker"] <= i < defects["flicker"] + 2:
        img += 60
    return np.clip(img, 0, 255).astype(np.uint8)


def make_clip(
    path: Path,
    *,
    seconds: float = 3.0,
    defects: dict[str, int] | None = None,
    pan: float = 0.0,
    seed: int = 0,
    fps: int = FPS,
) -> Path:
    defects = defects or {}
    rng = np.random.default_rng(seed)
    base = np.array([70, 120, 50], np.float32)
    noise = rng.normal(0, 9, (H - 70, W * 2 + 200, 1)).astype(np.float32)
    ground = np.clip(base + noise, 0, 255)
    n = int(round(seconds * fps))
    path = Path(path)
    with av.open(str(path), "w") as out:
        s = out.add_stream("libx264", rate=fps)
        s.width, s.height, s.pix_fmt = W, H, "yuv420p"
        s.options = {"crf": "18", "preset": "ultrafast"}
        for i in range(n):
            frame = av.VideoFrame.from_ndarray(draw_frame(i, n, defects, ground, pan), format="rgb24")
            for p in s.encode(frame):
                out.mux(p)
        for p in s.encode():
            out.mux(p)
    return path


def test_make_clip_writes_frames(tmp_path):
    p = make_clip(tmp_path / "c.mp4", seconds=1.0)
    with av.open(str(p)) as c:
        frames = list(c.decode(video=0))
    assert len(frames) == FPS
    assert frames[0].width == W and frames[0].height == H
