"""End-to-end reconstruction: a ray-cast moving-camera clip with known truth, the real Sora clip,
a static clip with analysis tracks (single view), and bad input through the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
import trimesh

from worlddirector.artifacts.analysis import Analysis, Track, TrackPoint, VideoInfo
from worlddirector.artifacts.world import World
from worlddirector.errors import BadInputError
from worlddirector.reconstruction import reconstruct

SORA = Path(__file__).resolve().parents[1].parent / "shared/testdata/real/sora_catapult.mp4"


# ---- a tiny ray caster: textured floor, a back wall and boxes, camera moving sideways ----------

def _noise(p, base, cell, seed):
    q = np.floor(p / cell).astype(np.int64)
    h = (q[..., 0] * 73856093) ^ (q[..., 1] * 19349663) ^ (q[..., 2] * 83492791) ^ seed
    return np.clip(base[None, :] * (0.45 + 0.75 * ((h % 1000) / 1000.0))[:, None], 0, 255)


def _look_at(C, target):
    f = target - C
    f = f / np.linalg.norm(f)
    r = np.cross(f, [0, 0, 1.0])
    r /= np.linalg.norm(r)
    R = np.stack([r, np.cross(f, r), f])
    return R, -R @ C


BOXES = [((5.0, -1.2, 0.4), (0.8, 0.8, 0.8), (200, 50, 50)),
         ((6.5, 1.3, 0.6), (1.0, 0.6, 1.2), (50, 80, 200)),
         ((8.0, -0.2, 0.5), (0.7, 1.0, 1.0), (60, 170, 60))]


def _render(path: Path, cams, K, size, fps=24, wall_x=11.0, blank=False):
    w, h = size
    uu, vv = np.meshgrid(np.arange(w) + 0.5, np.arange(h) + 0.5)
    pix = np.stack([uu.ravel(), vv.ravel(), np.ones(w * h)], 1) @ np.linalg.inv(K).T
    out = av.open(str(path), "w")
    st = out.add_stream("libx264", rate=fps)
    st.width, st.height, st.pix_fmt = w, h, "yuv420p"
    for R, t in cams:
        if blank:
            img = np.zeros((h, w, 3), np.uint8)
        else:
            C = -R.T @ t
            d = pix @ R
            best = np.full(len(d), np.inf)
            col = np.tile(np.array([140.0, 190, 235]), (len(d), 1))
            with np.errstate(divide="ignore", invalid="ignore"):
                tf = -C[2] / d[:, 2]
                tw = (wall_x - C[0]) / d[:, 0]
            m = (tf > 0) & (tf < best)
            best[m] = tf[m]
            col[m] = _noise(C + tf[m, None] * d[m], np.array([120.0, 110, 90]), 0.08, 1)
            m = (tw > 0) & (tw < best)
            best[m] = tw[m]
            col[m] = _noise(C + tw[m, None] * d[m], np.array([200.0, 190, 170]), 0.1, 2)
            for c, s, rgb in BOXES:
                lo, hi = np.array(c) - np.array(s) / 2, np.array(c) + np.array(s) / 2
                with np.errstate(divide="ignore", invalid="ignore"):
                    t1, t2 = (lo - C) / d, (hi - C) / d
                tn = np.nanmax(np.minimum(t1, t2), 1)
                tx = np.nanmin(np.maximum(t1, t2), 1)
                m = (tn <= tx) & (tn > 0) & (tn < best)
                best[m] = tn[m]
                col[m] = _noise(C + tn[m, None] * d[m] + 1e-4, np.array(rgb, float), 0.05, 3)
            img = col.reshape(h, w, 3).astype(np.uint8)
        for p in st.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
            out.mux(p)
    for p in st.encode():
        out.mux(p)
    out.close()


def _clip(path: Path, moving: bool = True, n: int = 48, size=(320, 180), blank=False):
    w, h = size
    f = 0.9 * w
    K = np.array([[f, 0, w / 2], [0, f, h / 2], [0, 0, 1.0]])
    cams = []
    for i in range(n):
        a = i / (n - 1) if moving else 0.0
        cams.append(_look_at(np.array([2.0 * a, -1.5 + 3.0 * a, 1.6]), np.array([7.0, 0.0, 0.5])))
    _render(path, cams, K, size, blank=blank)
    return cams, K


def _centres(Ms):
    return np.array([-np.asarray(M)[:, :3].T @ np.asarray(M)[:, 3] for M in Ms])


@pytest.fixture(scope="module")
def dolly(tmp_path_factory):
    d = tmp_path_factory.mktemp("dolly")
    cams, K = _clip(d / "video.mp4")
    world = reconstruct(d / "video.mp4", d / "out")
    return d / "out", world, cams


def test_moving_camera_clip_reconstructs_metric_world(dolly):
    from worlddirector.reconstruction.evaluate import _mean_rotation, _scale_translation

    out, world, cams = dolly
    assert world.method == "multiview", world.reason
    assert len(world.cameras) >= 8
    est = np.array([c.cam_from_world for c in world.cameras])
    true = np.array([np.c_[cams[c.frame][0], cams[c.frame][1]] for c in world.cameras])
    R = _mean_rotation(true[:, :, :3], est[:, :, :3])
    # gravity: the reconstructed +z is the true +z (floor normal within 3 degrees)
    assert np.degrees(np.arccos(np.clip((R @ [0, 0, 1.0])[2], -1, 1))) < 3.0
    # the camera height prior (1.6 m, which is the truth here) gives metric scale
    s, t = _scale_translation(_centres(est), _centres(true), R)
    assert s == pytest.approx(1.0, abs=0.1)
    ce = (s * (R @ _centres(est).T)).T + t
    ate = np.sqrt(np.mean(np.sum((ce - _centres(true)) ** 2, 1)))
    assert ate / 3.6 < 0.05
    # cameras stay at eye level above the fitted floor
    assert np.allclose(_centres(est)[:, 2], 1.6, atol=0.15)
    # at least two of the three boxes are found within 0.5 m, standing on the floor
    found = 0
    for c, size, _ in BOXES:
        for o in world.obstacles:
            if np.linalg.norm((s * R @ np.array(o.center) + t) - np.array(c)) < 0.5:
                found += 1
                assert o.center[2] - o.size[2] / 2 == pytest.approx(0.0, abs=0.05)
                break
    assert found >= 2
    # every multi-view obstacle says what holds it up (world.json), and what was seen of its base
    assert world.obstacles and all(o.support in ("floor_contact", "floor_assumed", "free_below") for o in world.obstacles)
    assert all(o.observed_bottom is not None for o in world.obstacles)
    assert world.n_points > 100 and world.scale_source.startswith("camera height prior")


def test_exports_are_loadable_and_consistent(dolly):
    out, world, _ = dolly
    again = World.load(out / "world.json")
    assert again.method == "multiview" and len(again.obstacles) == len(world.obstacles)
    scene = trimesh.load(out / "world.glb")
    names = set(scene.graph.nodes_geometry)
    assert {"floor", "collider_floor", "points"} <= names
    for o in world.obstacles:
        assert o.id in names and f"collider_{o.id}" in names
    # glTF is Y-up: the floor slab is thin along Y
    floor = scene.graph.get("floor")[0] @ np.r_[scene.geometry["floor"].bounds.T, [[1, 1]]]
    assert abs(floor[1, 1] - floor[1, 0]) < 0.1
    head = (out / "points.ply").read_bytes()[:400].decode("latin-1")
    assert f"element vertex {world.n_points}" in head and "property uchar red" in head


def test_the_same_video_gives_the_same_world(dolly, tmp_path):
    """Reconstruction is deterministic: COLMAP's verification RANSAC is seeded (its default seeds
    from the clock) and mapping runs on one thread (multi-threaded bundle adjustment sums in a
    varying order), so a second run writes the same world, byte for byte except its timings."""
    out, world, _ = dolly
    again = reconstruct(out.parent / "video.mp4", tmp_path / "again")
    a, b = world.model_dump(mode="json"), again.model_dump(mode="json")
    a.pop("timings"), b.pop("timings")
    assert a == b
    assert (tmp_path / "again" / "points.ply").read_bytes() == (out / "points.ply").read_bytes()


def test_sora_clip_is_an_honest_single_view_world(tmp_path):
    if not SORA.exists():
        pytest.skip(f"{SORA} missing")
    world = reconstruct(SORA, tmp_path)
    assert world.method == "single_view"
    assert "static camera" in world.reason
    assert world.scale_source.startswith("single-view guess")
    assert world.floor.confidence <= 0.2
    assert world.stats["horizon_source"] == "colour boundary"
    # the real horizon sits ~62% down the frame (sky above, grass below)
    assert 0.5 < world.stats["horizon_row"] / world.intrinsics["height"] < 0.72
    assert (tmp_path / "world.glb").stat().st_size > 0 and (tmp_path / "points.ply").exists()


def test_static_clip_with_tracks_gives_billboards_and_movers(tmp_path):
    cams, K = _clip(tmp_path / "video.mp4", moving=False, n=24)
    # an analysis with one static object (standing box) and one object walking towards the camera
    pts_static = [TrackPoint(frame=i, box=(100, 80, 140, 120), color=(200, 50, 50), area=1600) for i in range(24)]
    pts_walk = [TrackPoint(frame=i, box=(200, 80 + i, 220, 110 + 2 * i), color=(50, 80, 200), area=600)
                for i in range(24)]
    an = Analysis(video=VideoInfo(path="video.mp4", width=320, height=180, fps=24, n_frames=24, duration=1.0),
                  metrics={}, tracks=[Track(id="t1", points=pts_static), Track(id="t2", points=pts_walk)],
                  scene_description={"objects": [{"label": "red crate", "color": "red"}]})
    (tmp_path / "out").mkdir()
    an.save(tmp_path / "out")
    world = reconstruct(tmp_path / "video.mp4", tmp_path / "out")  # analysis.json picked up from out/
    assert world.method == "single_view"
    assert [o.kind for o in world.obstacles] == ["billboard"]
    assert world.obstacles[0].label == "red crate"
    assert world.obstacles[0].confidence <= 0.3
    assert len(world.moving_objects) == 1
    traj = world.moving_objects[0].trajectory
    # the walker's feet move down the image: it approaches the camera (x decreases)
    assert traj[-1].position[0] < traj[0].position[0] - 0.4


def test_blank_video_is_bad_input(tmp_path):
    _clip(tmp_path / "black.mp4", n=6, blank=True)
    with pytest.raises(BadInputError, match="no usable frames"):
        reconstruct(tmp_path / "black.mp4", tmp_path / "out")
    assert not (tmp_path / "out" / "world.json").exists()


@pytest.mark.parametrize("content", [b"", b"not a video at all" * 100, b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 500])
def test_cli_rejects_bad_files_with_one_line(tmp_path, content):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(content)
    r = subprocess.run([sys.executable, "-m", "worlddirector", "reconstruct", str(bad), "--out", str(tmp_path / "o")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode != 0
    lines = [ln for ln in r.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and "Traceback" not in r.stderr
    assert not (tmp_path / "o" / "world.json").exists()


def test_cli_writes_world(tmp_path):
    _clip(tmp_path / "v.mp4", moving=False, n=12)
    r = subprocess.run([sys.executable, "-m", "worlddirector", "reconstruct", str(tmp_path / "v.mp4"), "--out",
                        str(tmp_path / "o")], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().startswith("single_view: static camera")
    assert json.loads((tmp_path / "o" / "world.json").read_text())["method"] == "single_view"
