"""``analyze_video``: one video in, ``analysis.json`` and ``keyframes/`` out.

The steps share their expensive intermediates: frames are decoded once (:mod:`.decode`), dense
flow and camera fits are computed once (:mod:`.flow`) and reused by cuts, camera motion, tracks,
transient events and the metrics. Every frame number written is in the ORIGINAL video's
numbering; every box is in original pixels.
"""

from __future__ import annotations

import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np

from worlddirector.analysis import describe as describe_mod
from worlddirector.analysis.audio import av_sync, read_soundtrack, visual_events
from worlddirector.analysis.camera import classify_camera
from worlddirector.analysis.decode import DecodedVideo, convert_stack, decode, keyframe_images, probe
from worlddirector.analysis.events import (
    RawEvent,
    drop_pattern_explained,
    drop_unverifiable,
    events_from_blobs,
    events_from_tracks,
    link_refound_pops,
    merge_events,
    refound_jumps,
    view_jumps,
)
from worlddirector.analysis.flicker import detect_flicker
from worlddirector.analysis.flow import area_resize_stack, compute_motion
from worlddirector.analysis.impacts import flow_impacts
from worlddirector.analysis.keyframes import select_keyframes
from worlddirector.analysis.metrics.consistency import background_consistency, subject_consistency
from worlddirector.analysis.metrics.dynamic_degree import dynamic_degree
from worlddirector.analysis.metrics.identity import identity_persistence
from worlddirector.analysis.metrics.imaging_quality import imaging_quality
from worlddirector.analysis.metrics.motion_smoothness import motion_smoothness
from worlddirector.analysis.metrics.overall import overall
from worlddirector.analysis.metrics.path_realism import path_realism
from worlddirector.analysis.metrics.temporal_flickering import temporal_flickering
from worlddirector.analysis.refind import LabFrames
from worlddirector.analysis.scale_drift import confirm_resizes, measure_drifts
from worlddirector.analysis.shots import detect_cuts
from worlddirector.analysis.tracks import RawTrack, _iou, track_objects
from worlddirector.analysis.transients import error_maps, find_transients
from worlddirector.artifacts.analysis import (
    METRIC_KEYS,
    Analysis,
    Keyframe,
    Shot,
    Track,
    TrackEvent,
    TrackPoint,
)
from worlddirector.errors import BadInputError, StageError
from worlddirector.logging import get_logger

log = get_logger(__name__)


class _Progress:
    def __init__(self, fn):
        self.fn = fn

    def __call__(self, frac: float, msg: str) -> None:
        if self.fn:
            self.fn(float(min(1.0, max(0.0, frac))), msg)


def _shots_from_cuts(cuts: list[int], n: int) -> list[tuple[int, int]]:
    edges = [0] + [c for c in cuts if 0 < c < n] + [n]
    return [(a, b) for a, b in zip(edges[:-1], edges[1:]) if b > a]


def _to_tracks(raw: list[RawTrack], dec: DecodedVideo, factor: float) -> list[Track]:
    out = []
    for t in raw:
        pts = []
        for d in t.dets:
            b = d.box * factor
            box = (round(float(b[0]), 1), round(float(b[1]), 1), round(float(b[2]), 1), round(float(b[3]), 1))
            pts.append(
                TrackPoint(
                    frame=int(dec.index[d.pos]),
                    box=box,
                    color=tuple(int(round(v)) for v in d.rgb),
                    area=round(float(d.area * factor**2), 1),
                )
            )
        out.append(Track(id=f"t{t.id}", points=pts, label=None))
    return out


def _link_event(e: RawEvent, raw: list[RawTrack]) -> str:
    if e.track is not None:
        return f"t{e.track}"
    best, best_iou = None, 0.05
    box = np.array(e.box)
    for t in raw:
        for d in t.dets:
            if abs(d.pos - e.pos) <= 3:
                iou = _iou(d.box, box)
                if iou > best_iou:
                    best, best_iou = t, iou
    return f"t{best.id}" if best else f"region@{int(e.box[0])},{int(e.box[1])}"


def _write_keyframes(
    video: Path, out_dir: Path, dec: DecodedVideo, picks: list[tuple[int, str]]
) -> list[Keyframe]:
    kdir = out_dir / "keyframes"
    kdir.mkdir(parents=True, exist_ok=True)
    for old in kdir.glob("*.jpg"):
        old.unlink()
    numbers = [int(dec.index[p]) for p, _ in picks]
    try:
        full = keyframe_images(video, dec, numbers)
    except Exception as exc:  # the full-size frames are a nicety; fall back to the analysis frames
        log.warning("analysis.keyframes_fallback", video=str(video), reason=str(exc)[:200])
        full = {}
    out = []
    for (p, reason), num in zip(picks, numbers):
        img = full.get(num, dec.rgb[p])
        name = f"{num:05d}.jpg"
        cv2.imwrite(str(kdir / name), cv2.cvtColor(img, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 88])
        out.append(
            Keyframe(frame=num, time=round(float(dec.time[p]), 4), path=f"keyframes/{name}", reason=reason)
        )
    return out


def find_events(
    rgb_small: np.ndarray, motion, shots: list[tuple[int, int]], cuts: list[int], flicker_pos: list[int],
    rgb: np.ndarray | None = None,
) -> tuple[list[RawTrack], list, list[RawEvent]]:
    """Tracks, transient blobs and the appear/vanish/teleport/resize events (flow resolution,
    analysed-frame positions) from the shared decode/flow intermediates. Events of type
    ``"change"`` are lone unexplained changes with no object to name: not written as events,
    counted by ``path_realism`` as half a discontinuity. ``rgb``: the analysis-resolution frames
    (default ``rgb_small``) in which event patterns are re-found (:mod:`.refind`)."""
    n, fh, fw = rgb_small.shape[:3]
    skip_pairs = set()
    for c in cuts:
        skip_pairs.update({c - 1})
    for f in flicker_pos:
        skip_pairs.update({f - 1, f})
    lab_small = convert_stack(rgb_small, cv2.COLOR_RGB2LAB)
    blobs = find_transients(error_maps(rgb_small, motion), skip_pairs) if n >= 4 else []
    raw_tracks = track_objects(rgb_small, lab_small, motion, shots) if n >= 2 else []
    rgb = rgb_small if rgb is None else rgb
    k = rgb.shape[2] / fw  # analysis pixels per flow pixel
    lab = LabFrames(rgb)
    raw_events = drop_unverifiable(
        merge_events(
            events_from_blobs(blobs, lab_small, raw_tracks, motion)
            + view_jumps(motion, lab_small, blobs, skip_pairs)
            + refound_jumps(blobs, lab_small, lab, motion.homography, k)
            + events_from_tracks(raw_tracks, motion.homography, blobs, (fh, fw), lab_small),
            frame_shape=(fh, fw),
        ),
        n,
        (fh, fw),
        cuts,
    )
    raw_events = drop_pattern_explained(raw_events, lab, motion.homography, k)
    linked = link_refound_pops(raw_events, lab, motion.homography, k, raw_tracks)
    return raw_tracks, blobs, drop_unverifiable(linked, n, (fh, fw), cuts)


def _soundtrack(video: Path):
    """The clip's soundtrack (:func:`read_soundtrack`), needing only the file: it is read on a
    second thread while the frames are decoded (decoding leaves most of a core idle)."""
    return read_soundtrack(video, probe(video)[0].has_audio)


def _decode_only_work(video: Path, dec: DecodedVideo, sound: Future | None = None):
    """The measurements that need only the decoded frames: dynamic degree, imaging quality and
    the soundtrack (``sound``: :func:`_soundtrack` already started). Returns
    ``(dynamic_degree, imaging_quality, sound)`` (metric, details pairs)."""
    dyn, iq = dynamic_degree(dec.gray, dec.fps), imaging_quality(dec.gray)
    return dyn, iq, sound.result() if sound is not None else read_soundtrack(video, dec.info.has_audio)


def _track_free_work(
    video: Path, out_dir: Path, dec: DecodedVideo, shots, cuts: list[int], n_flicker: int, early: Future | None = None
):
    """The measurements that need no tracks: the frame metrics (flickering, dynamic degree, motion
    smoothness, imaging quality), the soundtrack and the keyframes (chosen and written). ``early``:
    :func:`_decode_only_work` already started. Returns ``(metrics, details, sound, picks, keyframes)``."""
    metrics: dict[str, float | None] = {}
    details: dict[str, dict] = {}
    metrics["temporal_flickering"], details["temporal_flickering"] = temporal_flickering(dec.rgb, n_flicker)
    dyn, iq, sound = early.result() if early is not None else _decode_only_work(video, dec)
    metrics["dynamic_degree"], details["dynamic_degree"] = dyn
    straddle = set()
    for c in cuts:
        straddle.update({c - 1, c})
    metrics["motion_smoothness"], details["motion_smoothness"] = motion_smoothness(dec.rgb, dec.gray, straddle)
    metrics["imaging_quality"], details["imaging_quality"] = iq
    picks = select_keyframes(dec.rgb, shots, dec.fps)
    keyframes = _write_keyframes(video, out_dir, dec, picks)
    return metrics, details, sound, picks, keyframes


def _described(rgb_small: np.ndarray, raw_tracks: list[RawTrack], shots, dec: DecodedVideo, factor: float,
               picks: list[tuple[int, str]], camera: Future):
    """What needs the tracks but not the sound: the background consistency (metric, details), the
    tracks in original pixels, the offline scene description (keyframes, tracks, the camera
    label of the ``camera`` future) and the camera motion. Returns ``(background, tracks, scene, camera)``."""
    background = background_consistency(rgb_small, raw_tracks, shots)
    tracks = _to_tracks(raw_tracks, dec, factor)
    cam = camera.result()
    kf_imgs = np.stack([dec.rgb[p] for p, _ in picks]) if picks else dec.rgb[:1]
    scene = describe_mod.describe_scene(kf_imgs, tracks, dec.info.analysed_width or dec.info.width, cam["label"])
    return background, tracks, scene, cam


def _in_background(fn, *args) -> Future:
    """``fn(*args)`` started on a second thread; its result (or exception) comes from ``.result()``."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="analysis")
    try:
        return pool.submit(fn, *args)
    finally:
        pool.shutdown(wait=False)  # the submitted call still runs to its end


SWITCH_INTERVAL = 0.0005
"""Python's thread switch interval (s) while a video is analysed (default 0.005). The tracker's
Python loops hold the GIL; the second-core work (flow, warps, metrics) is short OpenCV/numpy calls
that release it and must win it back each time, waiting up to one interval when the main thread
is busy in Python. With 0.5 ms the flow impacts run alongside the tracker ~25 % faster (session 9,
loaded machine, 3 pairs); outputs cannot change."""


@contextmanager
def _short_switch_interval():
    old = sys.getswitchinterval()
    sys.setswitchinterval(min(old, SWITCH_INTERVAL))
    try:
        yield
    finally:
        if sys.getswitchinterval() == min(old, SWITCH_INTERVAL):  # unless someone else changed it since
            sys.setswitchinterval(old)


def analyze_video(video: Path, out_dir: Path, *, llm=None, on_progress=None) -> Analysis:
    """Measure ``video`` and write ``out_dir/analysis.json`` and ``out_dir/keyframes/*.jpg``.

    ``llm``: ``None``/``"offline"`` for the offline description only; an LLM object (or backend
    name) that is not offline adds ``scene_description.scene_graph`` from the keyframes.
    Raises :class:`BadInputError` for unusable input (one-line reason).
    """
    with _short_switch_interval():
        return _analyze_video(video, out_dir, llm=llm, on_progress=on_progress)


def _track_event(e, track_id: str, frame: int, factor: float) -> TrackEvent:
    """An event in original pixels and frames. The evidence quotes the same (rounded) numbers the
    typed fields hold: the box, a teleport's origin, the objectness before -> after."""
    box = [round(float(v) * factor) for v in e.box]
    origin = [round(float(v) * factor) for v in e.origin] if e.origin is not None else None
    ob = (round(e.objectness[0]), round(e.objectness[1])) if e.objectness is not None else None
    change = ob[1] - ob[0] if ob is not None else (round(e.objectness_change) if e.objectness_change is not None else None)
    return TrackEvent(
        type=e.type,
        track_id=track_id,
        frame=frame,
        magnitude=round(float(e.magnitude * (factor if e.type == "teleport" else 1.0)), 3),
        evidence=f"{e.evidence}; box {box}" + (f"; from box {origin}" if origin is not None else ""),
        box=tuple(float(v) for v in box),
        from_box=tuple(float(v) for v in origin) if origin is not None else None,
        objectness_before=float(ob[0]) if ob is not None else None,
        objectness_after=float(ob[1]) if ob is not None else None,
        objectness_change=float(change) if change is not None else None,
        basis=e.basis,
    )


def _analyze_video(video: Path, out_dir: Path, *, llm=None, on_progress=None) -> Analysis:
    video, out_dir = Path(video), Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise BadInputError(f"{out_dir}: exists and is not a directory")
    prog = _Progress(on_progress)
    timings: dict[str, float] = {}
    t_all = time.perf_counter()

    def lap(name: str, t0: float) -> float:
        now = time.perf_counter()
        timings[name] = round(now - t0, 4)
        return now

    t0 = time.perf_counter()
    sound_f = _in_background(_soundtrack, video)  # on the second core while the frames are decoded
    dec = decode(video, on_progress=lambda f, m: prog(0.3 * f, m))
    t0 = lap("decode", t0)
    # what needs only the frames (dynamic degree, imaging quality) starts at once, on the second
    # core, while the flow is computed
    early = _in_background(_decode_only_work, video, dec, sound_f)
    prog(0.3, "optical flow")
    motion = compute_motion(dec.gray)
    fw = motion.gray_small.shape[2]
    fh = motion.gray_small.shape[1]
    rgb_small = (
        area_resize_stack(dec.rgb, fw, fh)
        if dec.rgb.shape[2] != fw
        else dec.rgb
    )
    factor = dec.info.width / fw
    # the flow impacts need only the frames and the camera model: they run on the second core
    # while the tracker works (DIS flow and numpy release the GIL; 8 s clip 0.88 -> 0.65 s for both)
    impacts = _in_background(flow_impacts, dec.gray, motion.homography, motion.factor)
    t0 = lap("flow", t0)
    prog(0.45, "shots and flicker")
    cuts, cut_details = detect_cuts(rgb_small, dec.fps, motion)
    shots = _shots_from_cuts(cuts, dec.n)
    flicker_pos, flicker_details = detect_flicker(dec.rgb, cuts)
    t0 = lap("shots_flicker", t0)
    # what needs no tracks (frame metrics, the soundtrack, keyframes: ~0.6 s) runs on the second
    # core while the tracker works
    independent = _in_background(_track_free_work, video, out_dir, dec, shots, cuts, len(flicker_pos), early)
    camera_f = _in_background(classify_camera, motion, shots)  # needs only the flow and the shots
    prog(0.55, "tracks and events")
    raw_tracks, blobs, raw_events = find_events(rgb_small, motion, shots, cuts, flicker_pos, dec.rgb)
    if any(e.type == "resize" for e in raw_events):  # the texture scales only confirm resizes
        drifts = measure_drifts(dec.gray, dec.rgb, raw_tracks, motion.homography, motion.factor, shots)
        raw_events = confirm_resizes(raw_events, drifts)
    t0 = lap("tracks_events", t0)
    prog(0.7, "metrics")
    metrics, details, sound, picks, keyframes = independent.result()
    # the background consistency and the description need the tracks but not the sound events:
    # they run on the second core while the sound events are found (left idle otherwise)
    described = _in_background(_described, rgb_small, raw_tracks, shots, dec, factor, picks, camera_f)
    metrics["subject_consistency"], details["subject_consistency"] = subject_consistency(
        raw_tracks, motion.homography, sum(e.type == "resize" for e in raw_events)
    )
    metrics["background_consistency"] = details["background_consistency"] = None  # its place; set below
    n_change = sum(e.type == "change" for e in raw_events)  # unclassified lone changes
    raw_events = [e for e in raw_events if e.type != "change"]
    n_app = sum(e.type == "appear" for e in raw_events)
    n_van = sum(e.type == "vanish" for e in raw_events)
    n_tel = sum(e.type == "teleport" for e in raw_events)
    metrics["identity_persistence"], details["identity_persistence"] = identity_persistence(
        len(raw_tracks), n_app, n_van, n_tel
    )
    metrics["path_realism"], details["path_realism"] = path_realism(
        raw_tracks, motion.homography, motion.translation, n_tel, n_app + n_van + n_change
    )
    vis = visual_events(raw_tracks, motion, dec.fps, lambda p: dec.time[min(p, dec.n - 1)], gray=dec.gray,
                        sound=sound, impacts=impacts.result())
    metrics["av_sync"], details["av_sync"] = av_sync(sound, vis, dec.fps)
    background, tracks, scene, camera = described.result()
    metrics["background_consistency"], details["background_consistency"] = background
    metrics["overall"] = overall(metrics)
    for k in list(METRIC_KEYS) + ["av_sync"]:
        v = metrics.get(k)
        if v is not None:
            if not np.isfinite(v):
                raise StageError(f"metric {k} is not finite for {video.name}")
            metrics[k] = round(float(min(1.0, max(0.0, v))), 5)
    t0 = lap("metrics", t0)  # includes waiting for the camera motion and background (second core)
    prog(0.8, "events and description")
    events = [_track_event(e, _link_event(e, raw_tracks), int(dec.index[e.pos]), factor) for e in raw_events]
    if llm is not None:
        scene.update(_scene_graph(llm, out_dir, keyframes, scene.get("text", "")))
    t0 = lap("describe", t0)
    timings["total"] = round(time.perf_counter() - t_all, 4)
    shots_out = [Shot(start_frame=int(dec.index[a]), end_frame=int(dec.index[b - 1])) for a, b in shots]
    details["shots"] = cut_details
    details["flicker"] = flicker_details
    details["transient_blobs"] = len(blobs)
    analysis = Analysis(
        video=dec.info,
        metrics={k: metrics.get(k) for k in list(METRIC_KEYS) + ["av_sync"]},
        metric_details=_jsonable(details),
        shots=shots_out,
        keyframes=keyframes,
        camera_motion=_jsonable(camera),
        tracks=tracks,
        events=events,
        flicker_frames=[int(dec.index[p]) for p in flicker_pos],
        scene_description=_jsonable(scene),
        timings=timings,
    )
    analysis.save(out_dir)
    prog(1.0, "done")
    log.info(
        "analysis.done", video=str(video), frames=dec.n, seconds=timings["total"], overall=metrics["overall"]
    )
    return analysis


def _scene_graph(llm, out_dir: Path, keyframes: list[Keyframe], hint: str) -> dict:
    if isinstance(llm, str):
        if llm.strip().lower() in ("", "offline"):
            return {}
        from worlddirector.llm import get_llm

        llm = get_llm(llm)
    if getattr(llm, "offline", False):
        return {}
    images = [out_dir / k.path for k in keyframes][:6]
    graph = llm.describe_keyframes(images, hint=hint)
    return {"scene_graph": graph.model_dump(mode="json"), "scene_graph_model": getattr(llm, "name", "")}


def _jsonable(x):
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, (np.floating,)):
        v = float(x)
        return v if np.isfinite(v) else None
    if isinstance(x, float):
        return x if np.isfinite(x) else None
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.bool_,)):
        return bool(x)
    return x
