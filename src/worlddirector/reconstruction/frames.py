"""Decode a video once and choose the frames structure-from-motion will see.

SfM needs *parallax*, not time: twenty frames one second apart from a static camera are useless,
while a fast dolly needs frames close together to keep enough matches. So we track corners with
pyramidal Lucas-Kanade through the whole clip (cheap, at <=320 px) and place keyframes evenly in
*accumulated image motion* (the median feature displacement), not evenly in time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import cv2
import numpy as np

from worlddirector.errors import BadInputError

PROCESS_WIDTH = 640  # SfM frames are downscaled to at most this width
TRACK_WIDTH = 320  # motion is measured at this width
MAX_CANDIDATES = 240  # long clips are subsampled in time before tracking


@dataclass
class DecodedVideo:
    """Frames at processing resolution plus the facts later steps need."""

    frames: list[np.ndarray]  # RGB uint8, PROCESS_WIDTH wide at most
    frame_ids: list[int]  # original frame index of each kept frame
    fps: float
    width: int  # original size
    height: int
    n_frames: int  # frames decoded from the file
    motion: list[float] = field(default_factory=list)  # per kept frame: median motion since previous (px at PROCESS res)

    @cached_property
    def flashes(self) -> frozenset[int]:
        """:func:`flash_frames` of these frames, found once (motion, keyframes and tracks skip them)."""
        return frozenset(flash_frames(self))

    @property
    def proc_size(self) -> tuple[int, int]:
        h, w = self.frames[0].shape[:2]
        return w, h

    @property
    def scale(self) -> float:
        """Processing pixels per original pixel."""
        return self.proc_size[0] / self.width


def decode(video: Path) -> DecodedVideo:
    """Decode every frame (subsampled for long clips), downscaled to PROCESS_WIDTH, as RGB."""
    import av

    video = Path(video)
    if video.is_dir():
        raise BadInputError(f"{video}: is a directory, not a video file")
    if not video.is_file():
        raise BadInputError(f"{video}: file not found")
    try:
        container = av.open(str(video))
    except Exception as exc:  # PyAV raises many error types for non-video input
        raise BadInputError(f"{video}: not a readable video ({type(exc).__name__}: {exc})".splitlines()[0]) from None
    with container:
        if not container.streams.video:
            raise BadInputError(f"{video}: no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        w0, h0 = stream.codec_context.width, stream.codec_context.height
        if not w0 or not h0:
            raise BadInputError(f"{video}: video stream has no frame size")
        fps = float(stream.average_rate or stream.guessed_rate or 24)
        est = stream.frames or int((float(stream.duration * stream.time_base) if stream.duration else 0) * fps)
        step = max(1, int(np.ceil(est / MAX_CANDIDATES))) if est else 1
        pw = min(PROCESS_WIDTH, w0 - w0 % 2)
        ph = int(round(h0 * pw / w0 / 2)) * 2
        frames: list[np.ndarray] = []
        ids: list[int] = []
        n = 0
        try:
            for i, frame in enumerate(container.decode(stream)):
                n = i + 1
                if i % step:
                    continue
                frames.append(frame.to_ndarray(width=pw, height=ph, format="rgb24"))
                ids.append(i)
        except Exception as exc:
            if not frames:
                raise BadInputError(f"{video}: cannot decode video frames ({type(exc).__name__})") from None
            # a truncated tail: keep what decoded
    if not frames:
        raise BadInputError(f"{video}: the video has no decodable frames")
    return DecodedVideo(frames=frames, frame_ids=ids, fps=fps, width=w0, height=h0, n_frames=n)


def usable(frame: np.ndarray) -> bool:
    """A frame with any structure at all (not blank, not one flat colour)."""
    return float(frame.std()) > 3.0


FLASH_RATIO = 1.25  # a frame this much brighter or darker than its neighbours' median is a flash
FLASH_WINDOW = 3  # neighbours on each side


def flash_frames(dv: DecodedVideo) -> set[int]:
    """Indices of frames whose mean brightness differs from the median of their ``FLASH_WINDOW``
    neighbours on each side by more than ``FLASH_RATIO`` (either way): single-frame exposure flashes
    (a generator's flicker, a camera's auto-exposure glitch). Their corners do not track (optical
    flow assumes constant brightness: a flash frame read as 50-310 px of motion where the camera
    moved 1.7 px a frame) and half their features are crushed or saturated, so they are neither
    measured for motion nor chosen as keyframes. A lasting change (a cut, lights switched on) moves
    the median with it after a few frames."""
    lum = np.array([float(f[::8, ::8].mean()) + 1.0 for f in dv.frames])
    out = set()
    for i in range(len(lum)):
        nb = np.concatenate([lum[max(0, i - FLASH_WINDOW):i], lum[i + 1:i + 1 + FLASH_WINDOW]])
        if len(nb) and abs(np.log(lum[i] / float(np.median(nb)))) > np.log(FLASH_RATIO):
            out.add(i)
    return out


def measure_motion(dv: DecodedVideo, step: int = 2) -> list[float]:
    """Median corner displacement (processing pixels) since the previous measured frame.

    Measured every ``step``-th frame (skipped frames get 0, the measured one the whole
    displacement), corners re-detected each time so the measure never runs out of tracks. Flash
    frames (:func:`flash_frames`) are skipped the same way.
    """
    w, h = dv.proc_size
    s = min(1.0, TRACK_WIDTH / w)
    prev = None
    motion = [0.0] * len(dv.frames)
    flashes = dv.flashes
    for i in list(range(0, len(dv.frames), step)) + ([len(dv.frames) - 1] if (len(dv.frames) - 1) % step else []):
        if i in flashes:
            continue  # measured from the frame before it to the next one after
        g = cv2.cvtColor(dv.frames[i], cv2.COLOR_RGB2GRAY)
        if s < 1:
            g = cv2.resize(g, (int(w * s), int(h * s)), interpolation=cv2.INTER_AREA)
        if prev is not None:
            pts = cv2.goodFeaturesToTrack(prev, maxCorners=200, qualityLevel=0.01, minDistance=7)
            if pts is not None and len(pts) >= 8:
                nxt, st, _ = cv2.calcOpticalFlowPyrLK(prev, g, pts, None, winSize=(21, 21), maxLevel=3)
                ok = st.ravel() == 1
                d = np.linalg.norm((nxt - pts).reshape(-1, 2)[ok], axis=1) if ok.any() else np.zeros(1)
                motion[i] = float(np.median(d)) / s
        prev = g
    dv.motion = motion
    return motion


def select_keyframes(dv: DecodedVideo, target: int = 24, min_step_px: float = 4.0) -> list[int]:
    """Indices into ``dv.frames`` spaced evenly in accumulated motion, about ``target`` of them.

    Frames that are blank or flashes (:func:`flash_frames`) are skipped. The first and last usable frames are always included.
    """
    motion = dv.motion or measure_motion(dv)
    good = [i for i, f in enumerate(dv.frames) if usable(f) and i not in dv.flashes]
    if not good:
        return []
    cum = np.cumsum(motion)
    total = cum[good[-1]] - cum[good[0]]
    step = max(min_step_px, total / max(1, target - 1))
    chosen = [good[0]]
    for i in good[1:]:
        if cum[i] - cum[chosen[-1]] >= step:
            chosen.append(i)
    if chosen[-1] != good[-1] and cum[good[-1]] - cum[chosen[-1]] >= 0.5 * step:
        chosen.append(good[-1])
    return chosen


def write_images(dv: DecodedVideo, idx: list[int], image_dir: Path) -> list[str]:
    """Write chosen frames as JPEG named by original frame number (COLMAP reads them for point
    colours); returns the names."""
    image_dir.mkdir(parents=True, exist_ok=True)
    names = []
    for i in idx:
        name = f"{dv.frame_ids[i]:06d}.jpg"
        cv2.imwrite(str(image_dir / name), cv2.cvtColor(dv.frames[i], cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95])
        names.append(name)
    return names
