"""Probing video files with PyAV: is this a playable video, and what is in it?

Used on every file that enters the system from outside (uploads, provider downloads), so a
truncated download or a renamed text file is caught at the door with a reason a person can act on,
instead of failing three stages later.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from worlddirector.errors import BadInputError


@dataclass(frozen=True)
class VideoProbe:
    width: int
    height: int
    fps: float
    duration: float
    n_frames: int
    codec: str
    has_audio: bool
    container: str

    def as_dict(self) -> dict:
        return dict(width=self.width, height=self.height, fps=round(self.fps, 3), duration=round(self.duration, 3),
                    n_frames=self.n_frames, codec=self.codec, has_audio=self.has_audio, container=self.container)


def probe_video(path: Path, *, count_frames: bool = True, max_decode_frames: int | None = None) -> VideoProbe:
    """Open ``path`` and decode it; raise :class:`BadInputError` saying what is wrong with it.

    ``count_frames`` decodes every frame (the only reliable way to catch a file truncated in the
    middle: containers often still announce the full duration). ``max_decode_frames`` bounds that
    for long files, after which the rest is only demuxed (packets read, checked for errors).
    """
    import av

    path = Path(path)
    if not path.is_file():
        raise BadInputError(f"{path.name}: file not found")
    if path.stat().st_size == 0:
        raise BadInputError(f"{path.name}: the file is empty")
    try:
        container = av.open(str(path))
    except (av.error.InvalidDataError, av.error.EOFError, av.error.FileNotFoundError) as exc:
        raise BadInputError(f"{path.name}: not a video file ({_why(exc)})") from None
    except av.error.FFmpegError as exc:
        raise BadInputError(f"{path.name}: cannot be opened as a video ({_why(exc)})") from None
    with container:
        vstreams = [s for s in container.streams if s.type == "video"]
        has_audio = any(s.type == "audio" for s in container.streams)
        if not vstreams:
            kind = "audio only" if has_audio else "no video stream"
            raise BadInputError(f"{path.name}: not a video ({kind})")
        vs = vstreams[0]
        codec = vs.codec_context.name if vs.codec_context else "unknown"
        width, height = vs.codec_context.width or 0, vs.codec_context.height or 0
        rate = vs.average_rate or vs.guessed_rate or vs.base_rate
        fps = float(rate) if rate else 0.0
        n = 0
        last_t = 0.0
        try:
            if count_frames:
                for frame in container.decode(vs):
                    n += 1
                    if frame.time is not None:
                        last_t = float(frame.time)
                    if frame.width and not width:
                        width, height = frame.width, frame.height
                    if max_decode_frames is not None and n >= max_decode_frames:
                        for pkt in container.demux(vs):
                            if pkt.pts is not None and pkt.time_base is not None:
                                last_t = max(last_t, float(pkt.pts * pkt.time_base))
                            if pkt.size:
                                n += 1
                        break
            else:
                n = vs.frames or 0
        except av.error.FFmpegError as exc:
            if n == 0:
                raise BadInputError(f"{path.name}: the video data cannot be decoded ({_why(exc)})") from None
            raise BadInputError(f"{path.name}: the video is truncated or corrupt after frame {n} ({_why(exc)})") from None
        if count_frames and n == 0:
            raise BadInputError(f"{path.name}: the video has no frames")
        duration = 0.0
        if container.duration:
            duration = container.duration / 1_000_000
        elif vs.duration and vs.time_base:
            duration = float(vs.duration * vs.time_base)
        if count_frames and fps > 0:
            decoded_span = last_t + 1.0 / fps - (float(vs.start_time * vs.time_base) if vs.start_time and vs.time_base else 0.0)
            if duration and decoded_span < 0.8 * duration - 0.5:
                raise BadInputError(
                    f"{path.name}: the video is truncated (frames stop at {decoded_span:.1f}s of {duration:.1f}s)")
            duration = max(duration, decoded_span) if not duration else duration
        if not fps and duration and n:
            fps = n / duration
        if width <= 0 or height <= 0:
            raise BadInputError(f"{path.name}: the video has no picture size")
        return VideoProbe(width=width, height=height, fps=fps, duration=duration, n_frames=n, codec=codec,
                          has_audio=has_audio, container=container.format.name)


def _why(exc: Exception) -> str:
    msg = getattr(exc, "strerror", None) or str(exc)
    return " ".join(str(msg).split())[:120]
