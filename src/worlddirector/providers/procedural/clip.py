"""``generate_clip``: prompt → ``video.mp4`` + ``generation.json`` + ``ground_truth.json``.

The steps are plain and separately testable: parse (:mod:`.parse`) → lay out and animate
(:mod:`.scene`, :mod:`.layout`) → inject failures (:mod:`.defects`) → render (:mod:`.render`) and
encode (:mod:`.encode`) frame by frame, streaming → add the soundtrack (:mod:`.audio`) → write the
two JSON artifacts. Inputs are validated before anything is written.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from worlddirector.artifacts import Generation
from worlddirector.artifacts.ground_truth import CameraTrack, GroundTruth, ObjectTrack, Room
from worlddirector.errors import BadInputError
from worlddirector.providers.procedural import camera as cam
from worlddirector.providers.procedural.defects import choose_types, inject, parse_defects_arg
from worlddirector.providers.procedural.parse import parse_prompt
from worlddirector.providers.procedural.rates import AUDIO_DEFECTS
from worlddirector.providers.procedural.scene import LANE_MOTIONS, Scene, build_scene, scene_rng

MAX_W, MAX_H = 1920, 1080
ProgressFn = Callable[[float, str], None]


def validate(prompt: str, out_dir: Path, seconds: float, size: tuple[int, int], fps: int, force: bool) -> None:
    """Raise :class:`BadInputError` with one line of reason; write nothing."""
    if not isinstance(prompt, str) or not prompt.strip():
        raise BadInputError("prompt is empty")
    if len(prompt) > 4000:
        raise BadInputError(f"prompt is too long ({len(prompt)} characters; at most 4000)")
    try:
        w, h = int(size[0]), int(size[1])
    except (TypeError, ValueError, IndexError):
        raise BadInputError(f"size must be (width, height), got {size!r}") from None
    if w > MAX_W or h > MAX_H:
        raise BadInputError(f"size {w}x{h} is above the maximum {MAX_W}x{MAX_H}")
    if w < 64 or h < 64:
        raise BadInputError(f"size {w}x{h} is below the minimum 64x64")
    if w % 2 or h % 2:
        raise BadInputError(f"size {w}x{h}: width and height must be even (H.264 yuv420p)")
    if not (isinstance(seconds, (int, float)) and np.isfinite(seconds) and 1.0 <= float(seconds) <= 60.0):
        raise BadInputError(f"seconds must be between 1 and 60, got {seconds}")
    if isinstance(fps, bool) or not isinstance(fps, (int, np.integer)) or not 1 <= int(fps) <= 60:
        raise BadInputError(f"fps must be a whole number between 1 and 60, got {fps}")
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise BadInputError(f"{out_dir} exists and is not a directory")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not force:
        raise BadInputError(f"{out_dir} is not empty (use --force to overwrite)")


def load_state(continue_from: Path) -> dict:
    """The scene state a previous procedural clip left behind (for ``continue_from``)."""
    d = Path(continue_from)
    if not d.is_dir():
        raise BadInputError(f"continue_from {d}: not a directory")
    gen = Generation.load(d)
    state = gen.parsed.get("scene_state")
    if gen.provider != "procedural" or not state:
        raise BadInputError(f"continue_from {d}: not a procedural clip (no scene state in generation.json)")
    return state


def _scene_state(scene: Scene, clean_last: dict[str, tuple[list[float], float]]) -> dict:
    last = scene.cams[-1]
    eye = cam.centre_of(last)
    fwd = last[2, :3]
    objs = []
    for o in scene.objects:
        if o.role == "defect" or o.id not in clean_last:
            continue
        pos, yaw = clean_last[o.id]
        motion = o.motion if o.motion in LANE_MOTIONS else None
        path = None
        if motion and o.path and o.path.get("lane"):
            path = {"lane": o.path["lane"], "s_end": o.path["s_end"]}
        if motion is None:
            pos = [pos[0], pos[1], float(o.size[2] / 2)] if o.motion in ("fall", "launch") else pos
        objs.append(dict(id=o.id, kind=o.kind, color_name=o.color_name, factor=o.factor, motion=motion,
                         role="asked" if o.role == "projectile_source" else o.role, last_pos=pos, last_yaw=yaw, path=path))
    return dict(setting=scene.setting, light=scene.light, floor_min=list(scene.floor_min), floor_max=list(scene.floor_max),
                stage_min=list(scene.stage_min), stage_max=list(scene.stage_max), cam_eye=eye.tolist(),
                cam_forward=fwd.tolist(), objects=objs)


def _box3d(o, i: int) -> tuple[np.ndarray, np.ndarray]:
    """Centre and size of what is drawn of ``o`` at frame ``i``.

    A walker with planted feet (``anim["legs"]``) keeps its soles on the floor while its body bobs
    below its standing height at double support, so its box runs from the floor (or, in a run's
    flight, from the lowered body's bottom) to the top of the bobbing body; everything else is the
    box of its size about its position.
    """
    center, size = np.array(o.pos[i], dtype=float), np.array(o.size, dtype=float) * o.scale[i]
    if "legs" in o.anim:
        top, bottom = center[2] + size[2] / 2, max(0.0, center[2] - size[2] / 2)
        center[2], size[2] = (top + bottom) / 2, top - bottom
    return center, size


def _bboxes(scene: Scene, o) -> list:
    out = []
    for i in range(scene.n):
        if not o.visible[i]:
            out.append(None)
            continue
        center, size = _box3d(o, i)
        corners = cam.box_corners(center, size, o.yaw[i])
        out.append(cam.projected_box(corners, scene.cams[i], scene.kmat, scene.width, scene.height))
    return out


def _r(v, nd=4):
    return [round(float(x), nd) for x in v]


def ground_truth(scene: Scene, defects) -> GroundTruth:
    objects = []
    for o in scene.objects:
        objects.append(ObjectTrack(
            id=o.id, kind=o.kind, color_name=o.color_name, rgb=tuple(int(c) for c in o.rgb),
            size=tuple(round(float(s), 4) for s in o.size), static=bool(o.static), motion=o.motion,
            position=[tuple(_r(p)) for p in o.pos], yaw=_r(o.yaw, 5), scale=_r(o.scale, 5),
            visible=[bool(v) for v in o.visible], bbox2d=_bboxes(scene, o),
        ))
    return GroundTruth(
        prompt=scene.prompt, seed=scene.seed, fps=scene.fps, width=scene.width, height=scene.height, n_frames=scene.n,
        setting=scene.setting, light=scene.light,
        room=Room(floor_min=tuple(scene.floor_min), floor_max=tuple(scene.floor_max), walls=scene.walls,
                  wall_height=scene.wall_h if scene.walls else 0.0),
        camera=CameraTrack(intrinsics=scene.intr, move=scene.cam_move,
                           cam_from_world=[[_r(row, 6) for row in c] for c in scene.cams], height_m=round(scene.cam_height, 4)),
        objects=objects, defects=defects,
    )


def plan_clip(prompt: str, *, seed: int = 0, seconds: float = 8.0, size: tuple[int, int] = (640, 360), fps: int = 24,
              defects="auto", audio: bool = True, continue_from: Path | None = None):
    """Everything but pixels: (scene, parsed prompt, defect records, chosen types, scene state). Cheap; used by tests."""
    parsed = parse_prompt(prompt)
    prev = load_state(continue_from) if continue_from is not None else None
    dsel = parse_defects_arg(defects)
    scene = build_scene(parsed, prompt, seed, seconds, size, fps, prev)
    clean_last = {o.id: (o.pos[-1].tolist(), float(o.yaw[-1])) for o in scene.objects}
    rng_sel = np.random.default_rng([seed & 0xFFFFFFFF, 101, len(prompt)])
    types = choose_types(dsel, parsed.pins, rng_sel, audio)
    rng_def = scene_rng(prompt, seed + 7919)
    records = inject(scene, [t for t in types if t not in AUDIO_DEFECTS], rng_def)
    state = _scene_state(scene, clean_last)
    return scene, parsed, records, types, state


class _EncodeThread:
    """Encode frames on a second thread while the next one renders (x264 and llvmpipe both release
    the GIL), keeping at most a few frames in flight. Frame order is preserved (one consumer)."""

    def __init__(self, writer) -> None:
        import queue
        import threading

        self.writer = writer
        self.q: queue.Queue = queue.Queue(maxsize=4)
        self.error: BaseException | None = None
        self.busy = 0.0
        self.done = False
        self.thread = threading.Thread(target=self._run, name="wd-encode", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        from worlddirector.providers.procedural.audio import SR

        while True:
            item = self.q.get()
            if item is None:
                return
            if self.error is not None:
                continue
            try:
                a = time.perf_counter()
                if isinstance(item, tuple):  # ("audio", mix): the whole soundtrack, after the last frame
                    self.writer.write_audio(item[1], SR)
                else:
                    self.writer.write(item)
                self.busy += time.perf_counter() - a
            except BaseException as exc:  # re-raised on the caller's thread in finish()
                self.error = exc

    def put(self, img: np.ndarray) -> None:
        if self.error is not None:
            raise self.error
        self.q.put(img)

    def put_audio(self, mix: np.ndarray) -> None:
        self.put(("audio", mix))

    def finish(self) -> float:
        """Wait for every queued frame to be encoded; return the encoder's busy seconds."""
        if not self.done:
            self.done = True
            self.q.put(None)
            self.thread.join()
        if self.error is not None:
            err, self.error = self.error, None
            raise err
        return self.busy


class _MixThread:
    """Mix the soundtrack (numpy, mostly outside the GIL) while the frames render."""

    def __init__(self, scene: Scene, types: list[str], rng: np.random.Generator) -> None:
        import threading

        self.out = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(scene, types, rng), name="wd-mix", daemon=True)
        self.thread.start()

    def _run(self, scene, types, rng) -> None:
        from worlddirector.providers.procedural.audio import mix_soundtrack

        try:
            a = time.perf_counter()
            mix, events, records = mix_soundtrack(scene, types, rng)
            self.out = (mix, events, records, time.perf_counter() - a)
        except BaseException as exc:
            self.error = exc

    def result(self):
        self.thread.join()
        if self.error is not None:
            raise self.error
        return self.out


def generate_clip(prompt: str, out_dir: Path, *, seed: int = 0, seconds: float = 8.0, size: tuple[int, int] = (640, 360),
                  fps: int = 24, defects="auto", audio: bool = True, continue_from: Path | None = None,
                  on_progress: ProgressFn | None = None, force: bool = False) -> Generation:
    """Render a clip for ``prompt`` into ``out_dir`` and return its :class:`Generation`."""
    out_dir = Path(out_dir)
    validate(prompt, out_dir, seconds, size, fps, force)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise BadInputError(f"seed must be a non-negative whole number, got {seed!r}")
    size = (int(size[0]), int(size[1]))
    progress = on_progress or (lambda f, m: None)
    t_start = time.perf_counter()
    scene, parsed, records, types, state = plan_clip(prompt, seed=seed, seconds=float(seconds), size=size, fps=int(fps),
                                                     defects=defects, audio=audio, continue_from=continue_from)
    t_layout = time.perf_counter() - t_start
    progress(0.02, f"{scene.setting}, {len(scene.objects)} objects, camera {scene.cam_move}")

    created = not out_dir.exists()
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".gen-", dir=out_dir))
    ok = False
    try:
        from worlddirector.providers.procedural.encode import H264Writer
        from worlddirector.providers.procedural.render import Renderer

        t0 = time.perf_counter()
        renderer = Renderer(scene)
        t_setup = time.perf_counter() - t0
        from worlddirector.providers.procedural.audio import SR

        with_track = bool(audio) and "silent" not in types
        writer = H264Writer(tmp / "video.mp4", scene.width, scene.height, scene.fps, audio_rate=SR if with_track else None)
        t_render = 0.0
        t_loop = time.perf_counter()
        encoder = _EncodeThread(writer)
        mixer = _MixThread(scene, types, scene_rng(prompt, seed + 104729)) if audio else None
        try:
            for i in range(scene.n):
                a = time.perf_counter()
                img = renderer.render(i)
                t_render += time.perf_counter() - a
                encoder.put(img)
                if i % 8 == 0 or i == scene.n - 1:
                    progress(0.02 + 0.9 * (i + 1) / scene.n, f"frame {i + 1}/{scene.n}")
            audio_events, audio_records, t_audio = [], [], 0.0
            if mixer is not None:
                mix, audio_events, audio_records, t_audio = mixer.result()
                if mix is not None:
                    encoder.put_audio(mix)
            t_encode = encoder.finish()
            b = time.perf_counter()
            writer.close()
            t_encode += time.perf_counter() - b
            t_loop = time.perf_counter() - t_loop
        finally:
            encoder.finish()
            renderer.release()
        gt = ground_truth(scene, records + audio_records)
        gt.audio_events = audio_events
        timings = {"layout": round(t_layout, 4), "render_setup": round(t_setup, 4), "render": round(t_render, 4),
                   "encode": round(t_encode, 4), "render_encode_wall": round(t_loop, 4), "audio": round(t_audio, 4),
                   "total": round(time.perf_counter() - t_start, 4)}
        gen = Generation(
            prompt=prompt, provider="procedural", model="procedural-v1", synthetic=True,
            parameters=dict(seed=int(seed), seconds=float(seconds), size=list(size), fps=int(fps),
                            defects=defects if isinstance(defects, str) else list(defects), audio=bool(audio),
                            continue_from=str(continue_from) if continue_from else None),
            timings=timings,
            parsed=dict(
                setting=scene.setting, light=scene.light, camera=scene.cam_move,
                groups=[g.model_dump() for g in parsed.groups],
                objects=[dict(id=o.id, kind=o.kind, color=o.color_name, motion=o.motion, role=o.role) for o in scene.objects],
                pins=parsed.pins, pin_phrases=parsed.pin_phrases, defects_injected=[d.type for d in gt.defects],
                notes=scene.notes, dropped=scene.dropped, ignored_settings=parsed.ignored_settings,
                scene_state=state,
            ),
            unparsed=parsed.unparsed, video="video.mp4", intrinsics=scene.intr,
        )
        gt.save(tmp / GroundTruth.FILENAME)
        gen.save(tmp / Generation.FILENAME)
        for name in ("video.mp4", GroundTruth.FILENAME, Generation.FILENAME):
            os.replace(tmp / name, out_dir / name)
        progress(1.0, "done")
        ok = True
        return gen
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if not ok and created and out_dir.is_dir() and not any(out_dir.iterdir()):
            out_dir.rmdir()  # a failed render leaves no empty directory behind
