"""Prompt parsing, layout rules, rates and pins, continuation: the cheap parts (no pixels, except one)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from worlddirector.artifacts.ground_truth import GroundTruth
from worlddirector.providers.base import VideoRequest
from worlddirector.providers.generate import generate
from worlddirector.providers.procedural import generate_clip, plan_clip
from worlddirector.providers.procedural.defects import choose_types
from worlddirector.providers.procedural.kinds import KINDS
from worlddirector.providers.procedural.parse import parse_prompt
from worlddirector.providers.procedural.rates import RATES
from worlddirector.providers.procedural.scene import OBB
from worlddirector.providers.procedural.settings import SETTINGS


def test_parse_objects_colours_counts_sizes():
    p = parse_prompt("Three small red crates and a huge blue ball roll across a wide hallway, well-lit, camera orbits")
    assert p.setting == "hallway" and p.light == "bright" and p.camera == "orbit"
    crates, ball = p.groups
    assert (crates.kind, crates.count, crates.color, crates.size_factor) == ("crate", 3, "red", 0.7)
    assert (ball.kind, ball.count, ball.color, ball.motion) == ("ball", 1, "blue", "roll")
    assert ball.size_factor == pytest.approx(1.9)
    assert p.room_scale[1] > 1.0  # "wide" widened the hallway
    assert p.unparsed == []


def test_parse_lists_unknown_words_and_launch():
    p = parse_prompt("a catapult launches a boulder over the glorbnax at dusk")
    assert p.groups[0].kind == "catapult" and p.groups[1].kind == "rock"
    assert p.groups[1].motion == "launch" and p.groups[1].projectile_of == 0
    assert p.light == "sunset" and "glorbnax" in p.unparsed
    assert parse_prompt("a rolling ball").groups[0].motion == "roll"
    assert parse_prompt("a robot walks").groups[0].motion == "walk"


def test_vocabulary_size():
    assert len(SETTINGS) >= 8 and len(KINDS) >= 20
    for motion in ("walk", "run", "roll", "fly", "drive", "fall", "bounce", "launch"):
        assert any(motion in k.motions or k.default_motion == motion for k in KINDS.values()), motion
    for move in ("static", "dolly", "orbit", "pan", "tracking"):
        assert parse_prompt(f"a robot in a room, {move} camera").camera == move


def test_pins_lower_rates():
    rng = np.random.default_rng(0)
    n = 2000
    plain = sum("floating" in choose_types("auto", [], rng, True) for _ in range(n)) / n
    pinned = sum("floating" in choose_types("auto", ["floating"], rng, True) for _ in range(n)) / n
    assert abs(plain - RATES["floating"]) < 0.04
    assert pinned < plain / 3
    p = parse_prompt("a robot walks down a hallway; objects rest firmly on the floor, steady lighting")
    assert set(p.pins) == {"floating", "flicker"} and p.unparsed == []
    assert choose_types("none", [], rng, True) == []
    assert choose_types(["teleport"], [], rng, True) == ["teleport"]


@pytest.mark.parametrize("setting", sorted(SETTINGS))
def test_layout_is_clean(setting):
    """Clean scenes: nothing overlaps, everything inside the room, on the floor, away from the camera."""
    for seed in range(2):
        scene, parsed, records, _, _ = plan_clip(f"a person walks past a crate and a ball bounces in a {setting}",
                                                 seed=seed, seconds=3.0, size=(320, 180), fps=8, defects="none")
        assert records == [] and scene.setting == setting
        statics = [o for o in scene.objects if o.static and not o.anim]
        boxes = [OBB(o.pos[0, 0], o.pos[0, 1], o.size[0] / 2, o.size[1] / 2, o.yaw[0], o.id) for o in statics]
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                assert not a.overlaps(b), (setting, seed, a.owner, b.owner)
        for o in scene.objects:
            if o.static:
                assert abs(o.pos[0, 2] - o.size[2] / 2) < 1e-6
            # movers never touch an obstacle
            if o.motion in ("walk", "bounce", "roll"):
                for i in range(0, scene.n, 4):
                    mb = OBB(o.pos[i, 0], o.pos[i, 1], o.size[0] / 2, o.size[1] / 2, o.yaw[i], o.id)
                    assert not any(mb.overlaps(b) for b in boxes), (setting, o.kind)
            if scene.walls:
                assert scene.floor_min[0] < o.pos[0, 0] < scene.floor_max[0]
                assert scene.floor_min[1] < o.pos[0, 1] < scene.floor_max[1]
        asked = [o for o in scene.objects if o.role == "asked"]
        assert {o.kind for o in asked} >= {"person", "crate", "ball"}
        for o in asked:  # every asked-for object is in view for part of the clip
            assert any(scene.on_screen_fraction(o.pos[i]) > 0 for i in range(0, scene.n, 2)), (setting, o.kind)


def test_camera_moves_have_parallax():
    for move in ("dolly", "orbit", "tracking"):
        scene, *_ = plan_clip(f"a robot walks through a warehouse, {move} camera", seed=1, seconds=4.0,
                              size=(320, 180), fps=8, defects="none")
        assert scene.cam_move == move
        centres = [-(c[:, :3].T @ c[:, 3]) for c in scene.cams]
        assert np.linalg.norm(centres[-1] - centres[0]) > 1.0, move
    scene, *_ = plan_clip("a robot walks through a warehouse, static camera", seed=1, seconds=2.0, size=(320, 180),
                          fps=8, defects="none")
    assert np.ptp(np.asarray(scene.cams), axis=0).max() == 0


def test_continue_from(tmp_path: Path):
    a, b = tmp_path / "a", tmp_path / "b"
    kw = dict(seconds=1.5, size=(320, 180), fps=8, defects="none", audio=False)
    generate_clip("a robot walks past two crates in a warehouse", a, seed=1, **kw)
    generate_clip("a red ball rolls by", b, seed=2, continue_from=a, **kw)
    ga, gb = GroundTruth.load(a), GroundTruth.load(b)
    assert gb.setting == ga.setting and gb.light == ga.light and gb.room == ga.room
    ids_b = {o.id: o for o in gb.objects}
    for o in ga.objects:
        nb = ids_b[o.id]
        assert (nb.kind, nb.color_name) == (o.kind, o.color_name)
        if o.static:
            assert nb.position[0] == o.position[-1]
        else:  # the robot takes its next step from where it stopped
            step = np.linalg.norm(np.subtract(nb.position[0], o.position[-1]))
            assert step < 0.3
    assert any(o.kind == "ball" and o.motion == "roll" for o in gb.objects)
    assert np.allclose(gb.camera.cam_from_world[0], ga.camera.cam_from_world[-1], atol=1e-5)


def test_generate_entry_point(tmp_path: Path):
    out = tmp_path / "g"
    req = VideoRequest(prompt="a drone flies over a field", seconds=1.0, size=(160, 90), fps=8, seed=3,
                       defects="none", audio=False)
    gen = generate(req, out)
    assert gen.provider == "procedural" and (out / "ground_truth.json").exists()
    gt = GroundTruth.load(out)
    drone = next(o for o in gt.objects if o.kind == "drone")
    assert drone.motion == "fly" and min(p[2] for p in drone.position) > 1.5
    from worlddirector.errors import BadInputError

    with pytest.raises(BadInputError, match="not empty"):
        generate(req, out)


def test_bench_smoke():
    from worlddirector.bench.generate import run_bench

    rows = run_bench(repeats=1, seconds=1.0, size=(160, 90), fps=8)
    assert len(rows) == 3
    for r in rows:
        assert r["wall"] > 0 and r["render"] > 0 and r["encode"] > 0 and r["cpu"] > 0
        assert r["wall"] >= r["render_encode_wall"]
