"""Tiny real media files made with PyAV for tests (so fakes can serve a valid mp4)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np


def encode_frames(path: Path, frames, *, fps: int, options: dict | None = None) -> Path:
    """An H.264 (yuv420p) file of the RGB uint8 ``frames`` (an iterable of equal-sized arrays)."""
    with av.open(str(path), "w") as out:
        vs = None
        for img in frames:
            if vs is None:
                vs = out.add_stream("libx264", rate=fps)
                vs.height, vs.width = img.shape[:2]
                vs.pix_fmt = "yuv420p"
                vs.options = dict(options or {"preset": "ultrafast"})
            for pkt in vs.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(pkt)
        for pkt in vs.encode() if vs is not None else ():
            out.mux(pkt)
    return path


def make_mp4(path: Path, *, seconds: float = 1.0, size: tuple[int, int] = (160, 96), fps: int = 12,
             codec: str = "libx264", audio: bool = False) -> Path:
    """A moving-square clip: decodable, with ``round(seconds*fps)`` frames."""
    w, h = size
    with av.open(str(path), "w") as out:
        vs = out.add_stream(codec, rate=fps)
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
        if audio:
            aus = out.add_stream("aac", rate=22050)
        n = int(round(seconds * fps))
        for i in range(n):
            img = np.full((h, w, 3), 30, np.uint8)
            x = int((w - 20) * i / max(n - 1, 1))
            img[h // 2 - 10: h // 2 + 10, x: x + 20] = (220, 40, 40)
            for pkt in vs.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(pkt)
        for pkt in vs.encode():
            out.mux(pkt)
        if audio:
            samples = int(22050 * seconds)
            t = np.arange(samples) / 22050
            data = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32).reshape(1, -1)
            frame_size = aus.codec_context.frame_size or 1024
            for i in range(0, samples, frame_size):
                chunk = data[:, i:i + frame_size]
                fr = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
                fr.sample_rate = 22050
                for pkt in aus.encode(fr):
                    out.mux(pkt)
            for pkt in aus.encode():
                out.mux(pkt)
    return path
