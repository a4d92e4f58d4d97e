"""The procedural generator: files, ground truth matching pixels, determinism, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest

from worlddirector.artifacts import Generation
from worlddirector.artifacts.ground_truth import GroundTruth
from worlddirector.errors import BadInputError
from worlddirector.providers.procedural import generate_clip
from worlddirector.providers.procedural.camera import project

SMALL = dict(seconds=2.0, size=(320, 180), fps=12)


def frames_of(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


@pytest.fixture(scope="module")
def red_crate(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("red") / "clip"
    generate_clip("a big red crate in a bright room, camera dollies forward", out, seed=3, defects="none", **SMALL)
    return out


def test_files_and_decode(red_crate: Path):
    gen = Generation.load(red_crate)
    gt = GroundTruth.load(red_crate)
    assert gen.provider == "procedural" and gen.synthetic
    assert gen.intrinsics == gt.camera.intrinsics
    frames = frames_of(red_crate / "video.mp4")
    assert len(frames) == gt.n_frames == 24
    assert frames[0].shape == (180, 320, 3)
    with av.open(str(red_crate / "video.mp4")) as c:
        v = c.streams.video[0]
        assert v.codec_context.name == "h264" and v.codec_context.pix_fmt == "yuv420p"
        assert c.streams.audio and c.streams.audio[0].codec_context.name == "aac"
    # fast start: the moov atom comes before mdat
    head = (red_crate / "video.mp4").read_bytes()[:200_000]
    assert head.find(b"moov") != -1 and head.find(b"moov") < head.find(b"mdat")
    assert gt.defects == [] and gt.setting == "room" and gt.light == "bright" and gt.camera.move == "dolly"
    for cam in gt.camera.cam_from_world:
        r = np.asarray(cam)[:, :3]
        assert np.allclose(r @ r.T, np.eye(3), atol=1e-4)


def test_object_colour_at_projected_centre(red_crate: Path):
    gt = GroundTruth.load(red_crate)
    frames = frames_of(red_crate / "video.mp4")
    k = gt.camera.intrinsics
    kmat = np.array([[k.fx, 0, k.cx], [0, k.fy, k.cy], [0, 0, 1]])
    crate = next(o for o in gt.objects if o.kind == "crate" and o.color_name == "red")
    assert crate.static and crate.scale == [1.0] * gt.n_frames
    hits = checked = 0
    for i, img in enumerate(frames):
        uv, z = project(np.asarray([crate.position[i]]), np.asarray(gt.camera.cam_from_world[i]), kmat)
        u, v = uv[0]
        if z[0] <= 0 or not (2 <= u < k.width - 2 and 2 <= v < k.height - 2):
            continue
        x0, y0, x1, y1 = crate.bbox2d[i]
        assert x0 <= u <= x1 and y0 <= v <= y1
        checked += 1
        r, g, b = img[int(v) - 1:int(v) + 2, int(u) - 1:int(u) + 2].reshape(-1, 3).mean(0)
        hits += r > g + 40 and r > b + 40
    assert checked >= 12
    assert hits >= 0.8 * checked


def test_bbox_is_none_when_off_screen_or_invisible(tmp_path: Path):
    out = tmp_path / "c"
    generate_clip("a blue ball rolls through a warehouse", out, seed=5, defects=["pop_out"], audio=False, **SMALL)
    gt = GroundTruth.load(out)
    d = gt.defects[0]
    obj = next(o for o in gt.objects if o.id == d.object_id)
    f = d.frames[0]
    assert obj.visible[f - 1] and not any(obj.visible[f:])
    assert all(b is None for b in obj.bbox2d[f:]) and obj.bbox2d[f - 1] is not None


def test_determinism(tmp_path: Path):
    a, b = tmp_path / "a", tmp_path / "b"
    kw = dict(seed=11, defects="auto", **SMALL)
    generate_clip("two people walk through a forest at sunset", a, **kw)
    generate_clip("two people walk through a forest at sunset", b, **kw)
    assert (a / "ground_truth.json").read_bytes() == (b / "ground_truth.json").read_bytes()
    fa, fb = frames_of(a / "video.mp4"), frames_of(b / "video.mp4")
    assert len(fa) == len(fb) and all(np.array_equal(x, y) for x, y in zip(fa, fb, strict=True))
    c = tmp_path / "c"
    generate_clip("two people walk through a forest at sunset", c, **dict(kw, seed=12))
    assert (c / "ground_truth.json").read_bytes() != (a / "ground_truth.json").read_bytes()


@pytest.mark.parametrize(
    "kwargs, reason",
    [
        (dict(prompt="   "), "prompt is empty"),
        (dict(size=(2000, 1000)), "above the maximum"),
        (dict(size=(641, 360)), "even"),
        (dict(seconds=0.5), "seconds"),
        (dict(seconds=61), "seconds"),
        (dict(fps=0), "fps"),
        (dict(fps=61), "fps"),
        (dict(defects="floating,bogus"), "unknown defect"),
    ],
)
def test_bad_input_writes_nothing(tmp_path: Path, kwargs, reason):
    out = tmp_path / "out"
    args = dict(prompt="a robot walks down a hallway", seconds=2.0, size=(320, 180), fps=12)
    args.update(kwargs)
    prompt = args.pop("prompt")
    with pytest.raises(BadInputError, match=reason):
        generate_clip(prompt, out, **args)
    assert not out.exists()


def test_non_empty_out_needs_force(tmp_path: Path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(BadInputError, match="not empty"):
        generate_clip("a robot walks down a hallway", out, **SMALL)
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    generate_clip("a robot walks down a hallway", out, force=True, audio=False, **SMALL)
    assert (out / "video.mp4").exists() and (out / "keep.txt").exists()


def test_cli_generate_and_bad_input(tmp_path: Path):
    out = tmp_path / "cli"
    cmd = [sys.executable, "-m", "worlddirector", "generate", "a zorblax robot walks in a hallway", "--out", str(out),
           "--seconds", "1", "--size", "160x90", "--fps", "8", "--defects", "none", "--audio", "off"]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    gen = json.loads((out / "generation.json").read_text())
    assert "zorblax" in gen["unparsed"]
    with av.open(str(out / "video.mp4")) as c:
        assert not c.streams.audio
    bad = subprocess.run(cmd[:5] + ["--out", str(tmp_path / "x"), "--size", "4000x4000"], capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0
    assert bad.stderr.strip().count("\n") == 0 and "1920x1080" in bad.stderr
    assert not (tmp_path / "x").exists()
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert again.returncode != 0 and "not empty" in again.stderr
