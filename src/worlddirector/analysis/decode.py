"""Decode a video into small analysis frames with PyAV, whatever the input looks like.

Why a dedicated decoder: every later step (flow, tracks, metrics) runs on every analysed frame,
so its cost is set here. We decode once, downscale with libswscale while converting (cheap, in C)
to at most ``max_width`` pixels wide, and for long inputs keep only every ``frame_step``-th frame.
Frame numbers stay in the ORIGINAL video's numbering (the n-th presented frame), because the
simulation places violations by those numbers.

Bad input becomes :class:`BadInputError` with a one-line reason: not a video, audio only, zero
frames, a file cut short before its first frame. A file truncated after some frames is analysed
as far as it goes, with a note.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from worlddirector.artifacts.analysis import VideoInfo
from worlddirector.errors import BadInputError

MAX_WIDTH = 320
"""Analysis width in pixels; 640x360 clips are analysed at 320x180 (4x fewer pixels)."""
MAX_ANALYSED_FRAMES = 480
"""Longer inputs are sampled with a frame step so at most this many frames are analysed."""
FULL_DECODE_BUDGET = 2.0e10
"""frames x pixels above which we stop decoding every frame and seek between samples instead."""
KEEP_FRAMES_BUDGET = 6.0e7
"""sampled frames x original pixels up to which :func:`decode` keeps the decoded frames (yuv420p,
1.5 bytes a pixel: <= 90 MB) so the keyframe JPEGs need no second decoding pass
(:func:`keyframe_images`); an 8 s 640x360 clip at 24 fps is 4.4e7."""
KEYFRAME_WIDTH = 640
"""Keyframe JPEGs are written at up to this width (:func:`read_frames_rgb`)."""


@dataclass
class DecodedVideo:
    """Frames at analysis resolution plus the mapping back to the original video."""

    info: VideoInfo
    rgb: np.ndarray  # (N, h, w, 3) uint8
    gray: np.ndarray  # (N, h, w) uint8
    index: np.ndarray  # (N,) original frame numbers
    time: np.ndarray  # (N,) seconds from the first frame
    scale: float  # original pixels per analysis pixel
    notes: list[str] = field(default_factory=list)
    kept: dict[int, av.VideoFrame] | None = field(default=None, repr=False)
    """The decoded frames by original number, for :func:`keyframe_images`: small inputs decoded
    to their end only (``KEEP_FRAMES_BUDGET``); None otherwise or once the keyframes are read."""

    @property
    def n(self) -> int:
        return int(self.rgb.shape[0])

    @property
    def fps(self) -> float:
        """Analysed frames per second (original fps / frame step)."""
        return self.info.fps / max(1, self.info.frame_step)


def _open(path: Path):
    if not path.exists():
        raise BadInputError(f"{path}: file not found")
    if path.is_dir():
        raise BadInputError(f"{path}: is a directory, not a video file")
    if path.stat().st_size == 0:
        raise BadInputError(f"{path}: empty file")
    try:
        return av.open(str(path))
    except av.error.FFmpegError as exc:
        raise BadInputError(f"{path.name}: not a readable video ({_reason(exc)})") from None
    except (UnicodeDecodeError, ValueError, OSError) as exc:
        raise BadInputError(f"{path.name}: not a readable video ({exc})") from None


def _reason(exc: Exception) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return str(text).splitlines()[0][:120]


def _analysis_size(width: int, height: int, max_width: int) -> tuple[int, int]:
    if width <= max_width:
        w, h = width, height
    else:
        w, h = max_width, round(height * max_width / width)
    return max(2, w - w % 2), max(2, h - h % 2)


def probe(path: Path) -> tuple[VideoInfo, dict]:
    """Read the container header: size, rate, estimated frame count, audio presence."""
    path = Path(path)
    with _open(path) as c:
        vs = [s for s in c.streams if s.type == "video"]
        has_audio = any(s.type == "audio" for s in c.streams)
        if not vs:
            what = "audio only" if has_audio else "no video stream"
            raise BadInputError(f"{path.name}: {what}: nothing to analyse")
        s = vs[0]
        width, height = s.codec_context.width or 0, s.codec_context.height or 0
        rate = s.average_rate or s.guessed_rate or s.base_rate
        fps = float(rate) if rate else 0.0
        dur = float(s.duration * s.time_base) if s.duration and s.time_base else 0.0
        if not dur and c.duration:
            dur = c.duration / 1e6
        n_est = int(s.frames or 0) or (int(round(dur * fps)) if dur and fps else 0)
    if width < 16 or height < 16:
        raise BadInputError(f"{path.name}: video is {width}x{height}: too small to analyse")
    if not (0 < fps < 1000):
        fps = 0.0
    info = VideoInfo(
        path=str(path),
        width=width,
        height=height,
        fps=fps or 24.0,
        n_frames=n_est,
        duration=dur,
        has_audio=has_audio,
    )
    return info, {"fps_known": bool(fps), "n_est": n_est}


def decode(
    path: Path,
    *,
    max_width: int = MAX_WIDTH,
    max_frames: int = MAX_ANALYSED_FRAMES,
    on_progress=None,
) -> DecodedVideo:
    """Decode ``path`` to analysis frames (see module docstring for the sampling policy)."""
    path = Path(path)
    info, extra = probe(path)
    notes: list[str] = []
    n_est = extra["n_est"]
    step = max(1, math.ceil(n_est / max_frames)) if n_est else 1
    aw, ah = _analysis_size(info.width, info.height, max_width)
    seek_mode = n_est * info.width * info.height > FULL_DECODE_BUDGET and step > 1
    if info.width > max_width:
        notes.append(f"downscaled {info.width}x{info.height} to {aw}x{ah} for analysis")
    if step > 1:
        notes.append(f"long input: analysed every {step}th frame")
    if seek_mode:
        notes.append("very long/large input: seeked between sampled frames instead of decoding all")

    rgb: list[np.ndarray] = []
    idx: list[int] = []
    times: list[float] = []
    pts_all: list[float] = []
    truncated = None
    too_many = math.ceil(n_est / step) * info.width * info.height > KEEP_FRAMES_BUDGET  # known from the header
    kept: dict[int, av.VideoFrame] | None = None if seek_mode or too_many else {}
    with _open(path) as c:
        s = next(st for st in c.streams if st.type == "video")
        s.thread_type = "AUTO"
        tb = s.time_base or Fraction(1, 1000)
        n = 0
        t0 = None
        next_sample = 0
        try:
            frames = _seek_frames(c, s, info, step) if seek_mode else c.decode(s)
            for item in frames:
                frame, number = item if seek_mode else (item, n)
                t = float(frame.pts * tb) if frame.pts is not None else number / info.fps
                if t0 is None:
                    t0 = t
                pts_all.append(t - t0)
                if seek_mode or number >= next_sample:
                    rgb.append(_to_rgb(frame, aw, ah))
                    if kept is not None:
                        kept[number] = frame
                        if len(kept) * info.width * info.height > KEEP_FRAMES_BUDGET:
                            kept = None
                    idx.append(number)
                    times.append(t - t0)
                    next_sample = number + step
                    if on_progress and len(rgb) % 16 == 0 and n_est:
                        on_progress(min(1.0, number / n_est), "decoding")
                n = number + 1
        except av.error.FFmpegError as exc:
            truncated = _reason(exc)
        except (ValueError, OSError) as exc:
            truncated = str(exc)[:120]
    if not rgb:
        if truncated:
            raise BadInputError(f"{path.name}: no decodable frames ({truncated})")
        raise BadInputError(f"{path.name}: the video has zero frames")
    if truncated:
        notes.append(f"decoding stopped after frame {n - 1}: {truncated} (truncated file?)")
        kept = None  # the second pass's own ending decides what it reads
    if len(rgb) < 2:
        notes.append("only one frame: temporal metrics are undefined")

    # Frame rate and variable-frame-rate handling: trust presentation times over the header.
    if not seek_mode and len(pts_all) >= 3:
        d = np.diff(np.asarray(pts_all))
        d = d[d > 0]
        if d.size:
            med = float(np.median(d))
            if med > 0:
                if np.std(d) > 0.1 * med:
                    notes.append(
                        f"variable frame rate (frame interval {d.min() * 1000:.0f}-{d.max() * 1000:.0f} ms)"
                    )
                    fps_measured = (len(pts_all) - 1) / max(1e-6, pts_all[-1] - pts_all[0])
                else:
                    fps_measured = 1.0 / med
                if not extra["fps_known"] or abs(fps_measured - info.fps) > 0.02 * info.fps:
                    info.fps = round(fps_measured, 3)
    n_frames = n if not seek_mode else max(n_est, idx[-1] + 1)
    duration = n_frames / info.fps if info.fps else info.duration
    info = info.model_copy(
        update=dict(
            n_frames=n_frames,
            duration=round(duration, 4),
            analysed_width=aw,
            analysed_height=ah,
            frame_step=step,
            notes=notes,
        )
    )
    arr = np.stack(rgb)
    gray = convert_stack(arr, cv2.COLOR_RGB2GRAY)
    return DecodedVideo(
        info=info,
        rgb=arr,
        gray=gray,
        index=np.asarray(idx),
        time=np.asarray(times),
        scale=info.width / aw,
        notes=notes,
        kept=kept,
    )


def _to_rgb(frame, w: int, h: int) -> np.ndarray:
    """Frame -> (h, w, 3) RGB. For yuv420p we resize the planar buffer with OpenCV's area filter
    and convert there: 3-4x faster than libswscale for the common case, same result to a level."""
    W, H = frame.width, frame.height
    if frame.format.name == "yuv420p" and W % 8 == 0 and H % 8 == 0 and w % 4 == 0 and h % 4 == 0:
        yuv = frame.to_ndarray(format="yuv420p")
        if yuv.shape == (H * 3 // 2, W):
            small = cv2.resize(yuv, (w, h * 3 // 2), interpolation=cv2.INTER_AREA)
            return cv2.cvtColor(small, cv2.COLOR_YUV2RGB_I420)
    return frame.to_ndarray(format="rgb24", width=w, height=h, interpolation="AREA")


def _seek_frames(c, s, info: VideoInfo, step: int):
    """Yield (frame, original number) for every ``step``-th frame, seeking over long gaps.

    Frame numbers are derived from timestamps (``round(t * fps)``), which is exact for constant
    frame rate and the best available for the very long inputs that take this path.
    """
    tb = s.time_base
    fps = info.fps
    start = float(s.start_time * tb) if s.start_time is not None else 0.0
    target = 0
    n_total = info.n_frames
    while target < n_total:
        t_target = start + target / fps
        c.seek(int(t_target / tb), stream=s, backward=True, any_frame=False)
        got = False
        for frame in c.decode(s):
            if frame.pts is None:
                continue
            number = int(round((float(frame.pts * tb) - start) * fps))
            if number < target:
                continue
            yield frame, number
            got = True
            target = number + step
            break
        if not got:
            break


def keyframe_images(path: Path, dec: DecodedVideo, numbers: list[int]) -> dict[int, np.ndarray]:
    """:func:`read_frames_rgb` ``(path, numbers)``: from the frames :func:`decode` kept when it kept
    them (the same decoded frames, converted by the same call: the same pixels), else by the second
    decoding pass. The kept frames are released either way."""
    kept, dec.kept = dec.kept, None
    want = sorted(set(numbers))
    if kept is None or not want or want[-1] > READ_SEEK_FROM or any(k not in kept for k in want):
        return read_frames_rgb(path, numbers)
    w, h = _analysis_size(dec.info.width, dec.info.height, KEYFRAME_WIDTH)
    return {k: kept[k].to_ndarray(format="rgb24", width=w, height=h) for k in want}


READ_SEEK_FROM = 2000
""":func:`read_frames_rgb` seeks to each frame when the last one wanted is beyond this number."""


def read_frames_rgb(path: Path, numbers: list[int], max_width: int = KEYFRAME_WIDTH) -> dict[int, np.ndarray]:
    """Second pass: the given original frame numbers at up to ``max_width`` (for keyframe JPEGs)."""
    want = sorted(set(numbers))
    out: dict[int, np.ndarray] = {}
    if not want:
        return out
    info, _ = probe(Path(path))
    w, h = _analysis_size(info.width, info.height, max_width)
    with _open(Path(path)) as c:
        s = next(st for st in c.streams if st.type == "video")
        s.thread_type = "AUTO"
        tb = s.time_base
        start = float(s.start_time * tb) if s.start_time is not None else 0.0
        if want[-1] > READ_SEEK_FROM and info.fps:  # long input: seek per frame
            for num in want:
                c.seek(int((start + num / info.fps) / tb), stream=s, backward=True)
                for fr in c.decode(s):
                    if fr.pts is not None and round((float(fr.pts * tb) - start) * info.fps) >= num:
                        out[num] = fr.to_ndarray(format="rgb24", width=w, height=h)
                        break
            return out
        wanted = set(want)
        try:
            for i, fr in enumerate(c.decode(s)):
                if i in wanted:
                    out[i] = fr.to_ndarray(format="rgb24", width=w, height=h)
                if i >= want[-1]:
                    break
        except av.error.FFmpegError:
            pass
    return out


def convert_stack(frames: np.ndarray, code: int) -> np.ndarray:
    """``np.stack([cv2.cvtColor(f, code) for f in frames])`` for a per-pixel conversion, by one call
    on the frames stacked into one image."""
    n, h, w = frames.shape[:3]
    out = cv2.cvtColor(np.ascontiguousarray(frames).reshape((n * h, w) + frames.shape[3:]), code)
    return out.reshape((n, h, w) + out.shape[2:])
