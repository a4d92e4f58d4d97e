"""Streaming H.264 encoder (PyAV): frames go in one by one, nothing is held in memory.

Output: H.264 High profile, yuv420p, ``+faststart`` (the index is at the front, so browsers start
playing before the download ends). x264 runs with a fixed thread count, its deterministic mode and
without macroblock-tree rate control, so identical frames give an identical bitstream.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np


class H264Writer:
    def __init__(self, path: Path, width: int, height: int, fps: int, crf: int = 20, preset: str = "superfast",
                 audio_rate: int | None = None) -> None:
        self.path = Path(path)
        self.container = av.open(str(self.path), mode="w", options={"movflags": "+faststart"})
        self.stream = self.container.add_stream("libx264", rate=fps)
        self.stream.width = width
        self.stream.height = height
        self.stream.pix_fmt = "yuv420p"
        self.stream.codec_context.time_base = Fraction(1, fps)
        # Determinism: x264's macroblock-tree rate control gave different bitstreams for the same
        # rendered frames from one run to the next (measured here, even single-threaded), so it is off;
        # deterministic=1 keeps the two encoder threads from depending on timing.
        self.stream.options = {"crf": str(crf), "preset": preset, "threads": "2", "profile": "high",
                               "x264-params": "mbtree=0:deterministic=1"}
        self.audio = None
        self.count = 0
        if audio_rate:  # streams must all exist before the first packet is written
            self.add_audio(audio_rate)

    def add_audio(self, sample_rate: int = 48000, bitrate: int = 128000):
        self.audio = self.container.add_stream("aac", rate=sample_rate)
        self.audio.layout = "stereo"
        self.audio.bit_rate = bitrate
        return self.audio

    def write(self, rgb: np.ndarray) -> None:
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        frame.pts = self.count
        self.count += 1
        for packet in self.stream.encode(frame):
            self.container.mux(packet)

    def write_audio(self, samples: np.ndarray, sample_rate: int) -> None:
        """Encode a whole (2, N) float32 track in AAC frames of 1024 samples."""
        assert self.audio is not None
        n = samples.shape[1]
        step = 1024
        for start in range(0, n, step):
            chunk = np.ascontiguousarray(samples[:, start:start + step].astype(np.float32))
            if chunk.shape[1] < step:
                chunk = np.pad(chunk, ((0, 0), (0, step - chunk.shape[1])))
            fr = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
            fr.sample_rate = sample_rate
            fr.pts = start
            fr.time_base = Fraction(1, sample_rate)
            for packet in self.audio.encode(fr):
                self.container.mux(packet)
        for packet in self.audio.encode(None):
            self.container.mux(packet)

    def close(self) -> None:
        for packet in self.stream.encode(None):
            self.container.mux(packet)
        self.container.close()
