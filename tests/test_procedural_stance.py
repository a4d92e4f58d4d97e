"""Walkers plant their feet: compass-gait stance of the procedural generator's legged movers.

The legs' drawn vertices are computed exactly as the renderer places them (``render.object_geometry``),
so these tests check what is drawn, not a model of it.
"""

from __future__ import annotations

import numpy as np
import pytest

from worlddirector.providers.procedural.clip import ground_truth, plan_clip
from worlddirector.providers.procedural.kinds import leg_geometry
from worlddirector.providers.procedural.meshes import rot_z
from worlddirector.providers.procedural.render import Batch, _anim_rot, _parts, leg_column, object_geometry

WALKERS = [
    ("a person walks across a field, static camera", "person"),
    ("a person runs across a field, static camera", "person"),
    ("a robot walks across a studio, static camera", "robot"),
    ("a dog walks across a park, static camera", "dog"),
    ("a dog runs across a park, static camera", "dog"),
]


def _walker(prompt: str, kind: str, seed: int = 5, seconds: float = 5.0):
    scene, *_ = plan_clip(prompt, seed=seed, seconds=seconds, size=(320, 180), fps=24, defects="none")
    o = next(o for o in scene.objects if o.kind == kind and o.motion in ("walk", "run"))
    return scene, o


def _leg_vertices(o, i: int) -> list[np.ndarray]:
    """World positions of each leg part's vertices at frame i, placed as the renderer places them."""
    out = []
    for part in _parts(o.kind):
        if part.anim and part.anim[0] == "leg":
            pv = np.asarray(part.anim[1])
            rel = (part.geometry()[0] - pv) * (1.0, 1.0, 1.0 - o.anim["bend"][i, leg_column(part)])
            p = rel @ _anim_rot(part, o, i).T + pv
            out.append((p * o.factor * o.scale[i]) @ rot_z(o.yaw[i]).T + o.pos[i])
    return out


def _soles(o, i: int) -> np.ndarray:
    """World position of each leg's sole centre at frame i."""
    pts = []
    for part in _parts(o.kind):
        if part.anim and part.anim[0] == "leg":
            sole = np.array([part.center[0], part.center[1], part.center[2] - part.dims[2] / 2])
            pv = np.asarray(part.anim[1])
            rel = (sole - pv) * (1.0, 1.0, 1.0 - o.anim["bend"][i, leg_column(part)])
            p = rel @ _anim_rot(part, o, i).T + pv
            pts.append((p * o.factor * o.scale[i]) @ rot_z(o.yaw[i]).T + o.pos[i])
    return np.asarray(pts)


@pytest.mark.parametrize(("prompt", "kind"), WALKERS)
def test_feet_on_the_floor_at_every_strike_and_never_below_it(prompt, kind):
    scene, o = _walker(prompt, kind)
    steps = [f for k, f in o.events if k == "footstep"]
    assert len(steps) >= 5
    lowest = np.array([[v[:, 2].min() for v in _leg_vertices(o, i)] for i in range(scene.n)])
    assert lowest.min() > -1e-3  # no leg goes through the floor
    for f in steps:
        k = int(round(f))
        if k >= scene.n:
            continue
        # the landing foot is on the floor at the strike (within the half frame to it; it comes down
        # gently), and when no flight precedes it (walking people, robots) the trailing one too:
        # double support (it lifts off at once, so half a frame later it may be a few cm up)
        flight = kind == "dog" or o.motion == "run"  # the leg swings down onto the floor at the end of a flight
        assert lowest[k].min() < (0.05 if flight else 0.02), (f, lowest[k])
        if not flight:
            assert lowest[k].max() < 0.04, (f, lowest[k])
    # and between strikes one foot (pair) is planted, or the walker is in a short flight (runs, a dog)
    planted = lowest.min(axis=1) < 1e-3
    assert planted.mean() > (0.4 if o.motion == "run" else 0.6)


@pytest.mark.parametrize(("prompt", "kind"), WALKERS[:3] + WALKERS[3:4])
def test_hip_is_lowest_at_the_strikes(prompt, kind):
    scene, o = _walker(prompt, kind)
    steps = np.array([f for k, f in o.events if k == "footstep"])
    z = o.pos[:, 2]
    length, _, _ = leg_geometry(kind)
    nominal = o.size[2] / 2
    assert z.max() <= nominal + 0.01 and z.min() < nominal - 0.03 * length  # it bobs, never above upright
    # the bob's minima are the strikes (one per step, within a frame; a short flight before the
    # strike can flatten the minimum to its start)
    # (local minima deeper than 1 cm: a box-shaped sole rolling from heel to toe dips the hip by a
    # few mm at mid-stance, where the sole is flat)
    minima = [i for i in range(1, scene.n - 1) if z[i] < z[i - 1] and z[i] <= z[i + 1]
              and z[max(i - 3, 0):i + 4].max() - z[i] > 0.01]
    inner = steps[(steps > 1) & (steps < scene.n - 2)]
    for f in inner:
        assert min(abs(m - f) for m in minima) <= 1.0 + (2.0 if o.motion == "run" or kind == "dog" else 0.0), (f, minima)
    # the bob has the step period
    if o.motion == "walk" and kind != "dog":
        assert len(minima) == pytest.approx(len(inner), abs=1)
        mid = [(a + b) / 2 for a, b in zip(steps[:-1], steps[1:])]
        for m in mid:
            if 1 < m < scene.n - 2:
                k = int(round(m))
                assert z[k] > z[int(round(steps[np.argmin(abs(steps - m))]))]


@pytest.mark.parametrize(("prompt", "kind"), WALKERS)
def test_planted_foot_does_not_slide(prompt, kind):
    scene, o = _walker(prompt, kind, seconds=6.0)
    soles = np.asarray([_soles(o, i) for i in range(scene.n)])  # (frames, legs, 3)
    lowest = np.array([[v[:, 2].min() for v in _leg_vertices(o, i)] for i in range(scene.n)])
    cols = [leg_column(p) for p in _parts(o.kind) if p.anim and p.anim[0] == "leg"]
    checked = 0
    for leg in range(soles.shape[1]):
        # stance: this leg on the floor while the other one swings (bends)
        on = (lowest[:, leg] < 1e-3) & (o.anim["bend"][:, 1 - cols[leg]] > 0)
        i = 0
        while i < scene.n:
            if not on[i]:
                i += 1
                continue
            j = i
            while j + 1 < scene.n and on[j + 1]:
                j += 1
            seg = np.arange(i, j + 1)
            if len(seg) >= 3 and np.ptp(o.yaw[seg]) < 1e-3:  # on the lane's straights (turns pivot)
                xy = soles[seg, leg, :2]
                assert np.linalg.norm(xy - xy[0], axis=1).max() < 0.01, (leg, seg)
                checked += 1
            i = j + 1
    assert checked >= 3


def test_ground_truth_box_follows_the_drawn_body():
    scene, o = _walker(*WALKERS[0])
    gt = ground_truth(scene, [])
    track = next(t for t in gt.objects if t.id == o.id)
    z = np.array([p[2] for p in track.position])
    assert np.ptp(z) > 0.04  # the bob is in the ground truth
    for i in range(scene.n):
        b = Batch()
        object_geometry(o, i, b)
        top = b.data()[:, 2].max()
        # the box top is the head's top: the body (not the legs) carries the box
        assert abs(top - (z[i] + track.size[2] / 2 * track.scale[i])) < 0.02
        # and the legs reach the floor: the box bottom is at or below it by at most the bob
        assert -0.12 < z[i] - track.size[2] / 2 <= 0.005


@pytest.mark.parametrize(("prompt", "kind"), WALKERS[:3])
def test_ground_truth_2d_box_never_reaches_below_the_floor(prompt, kind):
    """``bbox2d`` of a bobbing walker ends at the floor under it, not below (its soles are planted)."""
    from worlddirector.providers.procedural import camera as cam

    scene, o = _walker(prompt, kind)
    gt = ground_truth(scene, [])
    track = next(t for t in gt.objects if t.id == o.id)
    z = np.array([p[2] for p in track.position])
    dips = 0
    for i, box in enumerate(track.bbox2d):
        if box is None:
            continue
        size = np.array(track.size) * track.scale[i]
        footprint = cam.box_corners([*track.position[i][:2], 0.0], [size[0], size[1], 0.0], track.yaw[i])
        floor = cam.projected_box(footprint, scene.cams[i], scene.kmat, scene.width, scene.height)
        assert floor is not None
        assert box[3] <= floor[3] + 0.02, f"frame {i}: box bottom {box[3]:.2f} below the floor {floor[3]:.2f}"
        dips += z[i] < size[2] / 2 - 0.01
    assert dips >= 10  # the body did bob below its standing height
