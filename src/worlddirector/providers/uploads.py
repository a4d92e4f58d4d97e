"""Uploads: a person's own video file becomes a clip like any generated one.

``import_video`` checks the file at the door (exists, not empty, under ``upload_max_bytes``, a video
stream PyAV can decode, at least one frame, not truncated, at most ``upload_max_seconds`` long),
keeps the original byte-for-byte as ``original.<ext>``, and writes ``video.mp4`` as H.264/yuv420p
MP4 with even dimensions and a constant frame rate (AAC audio when the original has sound): the
one format every later stage and every browser can read. A file that already is such an MP4 is
copied rather than re-encoded, so nothing is lost.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from fractions import Fraction
from pathlib import Path

from worlddirector.artifacts import Generation
from worlddirector.errors import BadInputError
from worlddirector.logging import get_logger
from worlddirector.providers.base import ProgressFn
from worlddirector.providers.videofile import VideoProbe, probe_video

log = get_logger(__name__)

MAX_SIDE = 1920  # longer inputs are downscaled (4K in, 1080p out)
MAX_DECODE_CHECK = 3000  # frames decoded when checking; the rest of a long file is only demuxed


def import_video(src: Path, out_dir: Path, *, settings=None, prompt: str | None = None, force: bool = False,
                 on_progress: ProgressFn | None = None) -> Generation:
    """Check, keep and normalise ``src`` into ``out_dir``; return the clip's :class:`Generation`."""
    from worlddirector.config import get_settings

    s = settings or get_settings()
    progress = on_progress or (lambda f, m: None)
    src, out_dir = Path(src), Path(out_dir)
    t0 = time.perf_counter()
    if not src.exists():
        raise BadInputError(f"{src}: file not found")
    if not src.is_file():
        raise BadInputError(f"{src}: not a file")
    size = src.stat().st_size
    if size == 0:
        raise BadInputError(f"{src.name}: the file is empty")
    if size > s.upload_max_bytes:
        raise BadInputError(f"{src.name}: {size / 1e6:.1f} MB is over the upload limit of "
                            f"{s.upload_max_bytes / 1e6:.0f} MB")
    if out_dir.exists() and not out_dir.is_dir():
        raise BadInputError(f"{out_dir} exists and is not a directory")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not force:
        raise BadInputError(f"{out_dir} is not empty (use --force to overwrite)")

    # cheap header look first, so a 3-hour file is refused before anything is decoded
    head = probe_video(src, count_frames=False)
    if head.duration > s.upload_max_seconds:
        raise BadInputError(f"{src.name}: {head.duration:.0f} s long, over the limit of {s.upload_max_seconds:.0f} s")
    progress(0.05, "checking the video")
    info = probe_video(src, max_decode_frames=MAX_DECODE_CHECK)
    if info.duration > s.upload_max_seconds:
        raise BadInputError(f"{src.name}: {info.duration:.0f} s long, over the limit of {s.upload_max_seconds:.0f} s")

    out_dir.mkdir(parents=True, exist_ok=True)
    ext = (src.suffix.lower() or ".bin")[:12]
    tmp = Path(tempfile.mkdtemp(prefix=".import-", dir=out_dir))
    try:
        shutil.copyfile(src, tmp / f"original{ext}")
        progress(0.15, "normalising to H.264 MP4")
        if _already_normal(src, info):
            shutil.copyfile(src, tmp / "video.mp4")
            normalised = "copied (already H.264 yuv420p MP4)"
            out = info
        else:
            transcode(src, tmp / "video.mp4", info, on_progress=lambda f: progress(0.15 + 0.8 * f, "transcoding"))
            normalised = "transcoded to H.264 yuv420p MP4"
            out = probe_video(tmp / "video.mp4", max_decode_frames=MAX_DECODE_CHECK)
        for old in out_dir.glob("original.*"):
            old.unlink()
        for name in (f"original{ext}", "video.mp4"):
            (tmp / name).replace(out_dir / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    gen = Generation(
        prompt=prompt or f"uploaded video {src.name}",
        provider="upload",
        model=None,
        synthetic=False,
        parameters={"original": info.as_dict(), "video": out.as_dict(), "normalised": normalised,
                    "seconds": round(out.duration, 3), "size": [out.width, out.height], "fps": round(out.fps, 3),
                    "bytes": size},
        timings={"import": round(time.perf_counter() - t0, 3)},
        source=src.name,
    )
    gen.save(out_dir)
    progress(1.0, "video imported")
    log.info("upload.imported", source=src.name, bytes=size, normalised=normalised)
    return gen


def _already_normal(src: Path, info: VideoProbe) -> bool:
    import av

    if info.codec != "h264" or "mp4" not in info.container or info.width % 2 or info.height % 2:
        return False
    if max(info.width, info.height) > MAX_SIDE:
        return False
    with av.open(str(src)) as c:
        vs = c.streams.video[0]
        if vs.codec_context.pix_fmt != "yuv420p":
            return False
        if any(s.type == "audio" and s.codec_context.name != "aac" for s in c.streams):
            return False
        # constant frame rate: average and guessed rates agree
        if vs.average_rate and vs.guessed_rate and abs(float(vs.average_rate) - float(vs.guessed_rate)) > 0.01:
            return False
    return True


def _even(v: int) -> int:
    return max(2, v - (v % 2))


def transcode(src: Path, dst: Path, info: VideoProbe, *, on_progress=None) -> None:
    """Re-encode to H.264 yuv420p (even size, <= MAX_SIDE, constant fps) + AAC audio when present."""
    import av

    scale = min(1.0, MAX_SIDE / max(info.width, info.height))
    w, h = _even(int(round(info.width * scale))), _even(int(round(info.height * scale)))
    fps = Fraction(info.fps).limit_denominator(1001) if info.fps > 0 else Fraction(24)
    if not 1 <= float(fps) <= 120:
        fps = Fraction(24)
    total = max(1, info.n_frames)
    with av.open(str(src)) as inp, av.open(str(dst), "w", format="mp4") as out:
        ivs = inp.streams.video[0]
        ovs = out.add_stream("libx264", rate=fps)
        ovs.width, ovs.height, ovs.pix_fmt = w, h, "yuv420p"
        ovs.options = {"crf": "20", "preset": "veryfast"}
        ias = next((s for s in inp.streams if s.type == "audio"), None)
        oas = resampler = None
        if ias is not None:
            rate = ias.codec_context.sample_rate or 44100
            oas = out.add_stream("aac", rate=rate)
            oas.layout = "stereo" if (ias.codec_context.channels or 1) > 1 else "mono"
            resampler = av.AudioResampler(format="fltp", layout=oas.layout, rate=rate)
        streams = [ivs] + ([ias] if ias is not None else [])
        n = 0
        t0 = None
        try:
            for packet in inp.demux(*streams):
                for frame in packet.decode():
                    if packet.stream.type == "video":
                        # constant frame rate: place each frame by its time, dropping or repeating none
                        if frame.time is not None:
                            t0 = frame.time if t0 is None else t0
                        img = frame.reformat(width=w, height=h, format="yuv420p")
                        img.pts = n
                        img.time_base = Fraction(1) / fps
                        for p in ovs.encode(img):
                            out.mux(p)
                        n += 1
                        if on_progress and n % 24 == 0:
                            on_progress(min(1.0, n / total))
                    elif oas is not None:
                        frame.pts = None
                        for rf in resampler.resample(frame):
                            for p in oas.encode(rf):
                                out.mux(p)
        except av.error.FFmpegError as exc:
            if n == 0:
                raise BadInputError(f"{src.name}: the video cannot be decoded ({exc})") from None
            log.warning("upload.decode_stopped", source=src.name, frames=n)
        for p in ovs.encode():
            out.mux(p)
        if oas is not None:
            for rf in resampler.resample(None):
                for p in oas.encode(rf):
                    out.mux(p)
            for p in oas.encode():
                out.mux(p)
    if n == 0:
        raise BadInputError(f"{src.name}: the video has no frames")
