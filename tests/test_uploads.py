"""Uploads and the built-in sample: checked at the door, normalised to H.264 MP4, original kept."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from fakes.media import make_mp4

from worlddirector.artifacts import Generation
from worlddirector.config import load_settings
from worlddirector.errors import BadInputError
from worlddirector.providers.uploads import import_video
from worlddirector.providers.videofile import probe_video

SORA = Path(__file__).resolve().parents[1].parent / "shared/testdata/real/sora_catapult.mp4"


@pytest.fixture
def settings(tmp_path):
    return load_settings(data_dir=tmp_path / "data")


def test_h264_mp4_is_kept_as_is(tmp_path, settings):
    src = make_mp4(tmp_path / "My Clip.mp4", seconds=2, size=(320, 180))
    gen = import_video(src, tmp_path / "out", settings=settings)
    out = tmp_path / "out"
    assert gen.provider == "upload" and gen.synthetic is False and gen.source == "My Clip.mp4"
    assert (out / "original.mp4").read_bytes() == src.read_bytes()
    assert gen.parameters["normalised"].startswith("copied")
    assert Generation.load(out).source == "My Clip.mp4"
    assert probe_video(out / "video.mp4").n_frames == 24


def test_other_codecs_are_transcoded_to_h264_with_audio(tmp_path, settings):
    src = make_mp4(tmp_path / "clip.mkv", seconds=2, size=(320, 180), codec="mpeg4", audio=True)
    assert probe_video(src).codec == "mpeg4"
    gen = import_video(src, tmp_path / "out", settings=settings)
    info = probe_video(tmp_path / "out" / "video.mp4")
    assert info.codec == "h264" and info.has_audio and info.n_frames == 24
    assert (info.width, info.height) == (320, 180)
    assert (tmp_path / "out" / "original.mkv").read_bytes() == src.read_bytes()
    assert gen.parameters["normalised"].startswith("transcoded")
    with av.open(str(tmp_path / "out" / "video.mp4")) as c:
        assert c.streams.video[0].codec_context.pix_fmt == "yuv420p"
        assert c.streams.audio[0].codec_context.name == "aac"


def test_real_sora_clip_imports(tmp_path, settings):
    gen = import_video(SORA, tmp_path / "out", settings=settings)
    assert gen.parameters["video"]["width"] == 1280 and gen.parameters["video"]["n_frames"] == 240


def _wav(path: Path) -> Path:
    with av.open(str(path), "w") as out:
        s = out.add_stream("pcm_s16le", rate=8000)
        fr = av.AudioFrame.from_ndarray(np.zeros((1, 8000), np.int16), format="s16", layout="mono")
        fr.sample_rate = 8000
        for p in s.encode(fr):
            out.mux(p)
        for p in s.encode():
            out.mux(p)
    return path


def _zero_frames(path: Path) -> Path:
    with av.open(str(path), "w") as out:
        s = out.add_stream("libx264", rate=24)
        s.width, s.height, s.pix_fmt = 64, 64, "yuv420p"
        out.start_encoding()  # header written, no frame ever
    return path


@pytest.mark.parametrize("make,reason", [
    (lambda d: (d / "notes.mp4").write_text("hello, not a video") and d / "notes.mp4", "not a video file"),
    (lambda d: (d / "empty.mp4").write_bytes(b"") or d / "empty.mp4", "empty"),
    (lambda d: _wav(d / "sound.wav"), "audio only"),
    (lambda d: _zero_frames(d / "zero.mp4"), "no frames|not a video|cannot be decoded"),
])
def test_bad_files_are_rejected_with_a_reason(tmp_path, settings, make, reason):
    src = make(tmp_path)
    with pytest.raises(BadInputError, match=reason):
        import_video(src, tmp_path / "out", settings=settings)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_truncated_file_is_rejected(tmp_path, settings):
    full = make_mp4(tmp_path / "full.mp4", seconds=3, size=(320, 180)).read_bytes()
    src = tmp_path / "cut.mp4"
    src.write_bytes(full[: len(full) * 2 // 3])
    with pytest.raises(BadInputError, match="truncated|corrupt|not a video"):
        import_video(src, tmp_path / "out", settings=settings)


def test_limits(tmp_path):
    src = make_mp4(tmp_path / "c.mp4", seconds=2, size=(160, 96))
    with pytest.raises(BadInputError, match="over the upload limit"):
        import_video(src, tmp_path / "a", settings=load_settings(upload_max_bytes=1000))
    with pytest.raises(BadInputError, match="over the limit of 1 s"):
        import_video(src, tmp_path / "b", settings=load_settings(upload_max_seconds=1))
    with pytest.raises(BadInputError, match="file not found"):
        import_video(tmp_path / "missing.mp4", tmp_path / "c", settings=load_settings())


def test_non_empty_out_dir_is_refused(tmp_path, settings):
    src = make_mp4(tmp_path / "c.mp4")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    with pytest.raises(BadInputError, match="not empty"):
        import_video(src, tmp_path / "out", settings=settings)
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["keep.txt"]


def test_sample_clip_is_offline_labelled_and_cached(tmp_path, settings):
    from worlddirector.providers.samples import sample_clip, sample_dir

    gen = sample_clip(tmp_path / "s1", settings=settings)
    assert gen.synthetic is True and gen.provider == "procedural" and gen.parameters["sample"] is True
    assert probe_video(tmp_path / "s1" / "video.mp4").n_frames == 8 * 24
    mtime = (sample_dir(settings) / "video.mp4").stat().st_mtime_ns
    again = sample_clip(tmp_path / "s2", settings=settings)
    assert again.prompt == gen.prompt
    assert (sample_dir(settings) / "video.mp4").stat().st_mtime_ns == mtime  # reused, not re-rendered
    assert (tmp_path / "s2" / "video.mp4").read_bytes() == (tmp_path / "s1" / "video.mp4").read_bytes()
