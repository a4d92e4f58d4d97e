"""``av_desync``: sounds that are heard out of step with the events that make them.

Input: the analysis' sound details (``metric_details.av_sync``: audio onset times and visual event
times/kinds, both from the clip), its tracks and fps; the world's cameras and moving objects only
to place each event. Nothing is reported when the analysis has no ``av_sync`` value (no audio
track, no onsets or no visual events: ``av_sync: null``).

Why a check of its own rather than ``av_sync < x``: the analysis' visual events are noisy (many
false impacts on a small picture), so a low ``av_sync`` alone is as common on clean clips as on
desynced ones. A *consistent* shift is the evidence of desync: the same lag pairs several visual
events with onsets, clearly more than the clip's own timing (lag 0) and clearly more than lags
pair by chance. The rule (all must hold; constants below):

* lag scan over ``-MAX_LAG..+MAX_LAG`` s in steps of one video frame; at each lag, visual events
  and onsets are paired one-to-one when within ``PAIR_FRAMES`` (1) frame;
* the best lag (most pairs, ties to the smaller ``|lag|``) is at least ``MIN_OFFSET`` (0.15 s)
  and at least ``MIN_OFFSET_FRAMES`` (3) frames away from 0: outside the ±2-frame window in which
  ``av_sync`` counts a sound as in sync, and beyond what people notice (sound ≥ ~45 ms early or
  ≥ ~125 ms late, ITU-R BT.1359); at 24 fps that is 4 frames (167 ms). 3 frames (125 ms) was
  tried and gave the one false alarm in 40 clean bench clips (a visual event timed 3 frames early);
* it pairs at least ``MIN_PAIRS`` (3) events, at least ``MIN_GAIN`` (2) more than lag 0 pairs
  within the ±2-frame sync window, and at least ``CHANCE_RATIO`` (2.5) times the mean count over
  all lags (what an unrelated shift pairs by chance).

Then one violation per paired event, at most ``MAX_REPORTED`` (3: first, middle and last pair;
one shifted track is one cause, and the loop's score caps each type's weight anyway),
at the frame of the visual event, placed where the object making the sound is: the track whose
box bottom is landing at that frame (on its reconstructed trajectory or where its box meets the
floor), else the floor point in view. Severity grows with the offset: ``0.4 + 0.6 · min(1,
|offset| / 0.4 s)``.
"""

from __future__ import annotations

import numpy as np

from worlddirector.artifacts.agent_report import Violation
from worlddirector.artifacts.analysis import Analysis, Track
from worlddirector.artifacts.world import World
from worlddirector.simulation.checks import violation
from worlddirector.simulation.checks.continuity import _place
from worlddirector.simulation.placement import Cameras

MAX_LAG = 0.5  # s, the same range the analysis scans
PAIR_FRAMES = 1.0
SYNC_FRAMES = 2.5  # the analysis' ±2-frame window (+ half a frame of rounding)
MIN_OFFSET_FRAMES = 3
MIN_OFFSET = 0.15  # s
MIN_PAIRS = 3
MIN_GAIN = 2
CHANCE_RATIO = 2.5
MAX_REPORTED = 3  # one cause (a shifted track): a few findings spread over the clip, not one per bounce
LANDING_PX = 2.0  # a track's box bottom moving down this much over the 2 frames before the event


def _pairs(ev: np.ndarray, on: np.ndarray, lag: float, tol: float) -> list[tuple[float, float]]:
    """One-to-one (event, onset) pairs with ``|onset - (event + lag)| <= tol``, events in time order."""
    used: set[int] = set()
    out = []
    for v in ev:
        if not len(on):
            break
        k = int(np.argmin(np.abs(on - (v + lag))))
        if k not in used and abs(on[k] - (v + lag)) <= tol:
            used.add(k)
            out.append((float(v), float(on[k])))
    return out


def desync_evidence(vis_times, onset_times, fps: float) -> dict | None:
    """The lag scan and the decision (see module docstring); ``None`` when there is nothing to align.

    Returns ``{desynced, lag, pairs, counts, zero, chance, offset}`` (offset = median onset - event
    over the pairs at the best lag, s; positive = the sound comes late).
    """
    ev = np.sort(np.asarray(vis_times, float))
    on = np.sort(np.asarray(onset_times, float))
    if not len(ev) or not len(on) or not fps or fps <= 0:
        return None
    frame = 1.0 / fps
    lags = [k * frame for k in range(-int(MAX_LAG * fps), int(MAX_LAG * fps) + 1)]
    counts = [len(_pairs(ev, on, lag, PAIR_FRAMES * frame)) for lag in lags]
    best = max(range(len(lags)), key=lambda i: (counts[i], -abs(lags[i])))
    lag = lags[best]
    pairs = _pairs(ev, on, lag, PAIR_FRAMES * frame)
    zero = len(_pairs(ev, on, 0.0, SYNC_FRAMES * frame))
    chance = float(np.mean(counts))
    offset = float(np.median([a - v for v, a in pairs])) if pairs else 0.0
    desynced = (
        abs(round(lag * fps)) >= MIN_OFFSET_FRAMES
        and abs(lag) >= MIN_OFFSET - 1e-9
        and len(pairs) >= MIN_PAIRS
        and len(pairs) >= zero + MIN_GAIN
        and len(pairs) >= CHANCE_RATIO * chance
    )
    return {"desynced": bool(desynced), "lag": lag, "pairs": pairs, "counts": counts, "zero": zero,
            "chance": chance, "offset": offset}


def _landing_track(tracks: list[Track], frame: int) -> tuple[Track | None, tuple | None]:
    """The track whose box bottom moves down most into ``frame`` (what lands there), with its box."""
    best, best_drop = (None, None), LANDING_PX
    for t in tracks:
        pts = {p.frame: p for p in t.points}
        p, before = pts.get(frame), pts.get(frame - 2) or pts.get(frame - 1)
        if p is None or before is None:
            continue
        drop = p.box[3] - before.box[3]
        if drop >= best_drop:
            best, best_drop = (t, p.box), drop
    return best


def av_desync(analysis: Analysis, world: World, cams: Cameras, stats: dict | None = None) -> list[Violation]:
    """``av_desync`` violations, one per visual event heard at the shifted time (see module docstring).

    ``stats`` (the report's ``stats``), when given, gets ``av_sync_check``: the decision and its
    numbers, so a clip without a finding still shows why (or that there was no sound to judge).
    """
    stats = stats if stats is not None else {}
    if analysis.metrics.get("av_sync") is None or not analysis.video.has_audio:
        note = (analysis.metric_details.get("av_sync") or {}).get("note") if isinstance(
            analysis.metric_details.get("av_sync"), dict) else None
        stats["av_sync_check"] = {"judged": False, "reason": note or "analysis has no av_sync value"}
        return []
    det = analysis.metric_details.get("av_sync")
    if not isinstance(det, dict):
        stats["av_sync_check"] = {"judged": False, "reason": "analysis has no av_sync details"}
        return []
    fps = analysis.video.fps or 24.0
    vis = [e for e in det.get("visual_events") or [] if isinstance(e, dict) and isinstance(e.get("time"), (int, float))]
    onsets = [float(x) for x in det.get("audio_onsets") or [] if isinstance(x, (int, float))]
    found = desync_evidence([e["time"] for e in vis], onsets, fps)
    if found is None:
        stats["av_sync_check"] = {"judged": False, "reason": "no visual events or no audio onsets"}
        return []
    stats["av_sync_check"] = {
        "judged": True, "desynced": found["desynced"], "best_lag_ms": round(found["lag"] * 1000, 1),
        "pairs_at_best_lag": len(found["pairs"]), "in_sync_at_zero": found["zero"],
        "chance_pairs": round(found["chance"], 2), "offset_ms": round(found["offset"] * 1000, 1),
        "visual_events": len(vis), "audio_onsets": len(onsets),
    }
    if not found["desynced"]:
        return []
    kinds = {round(e["time"], 3): e.get("kind", "event") for e in vis}
    offset = found["offset"]
    n = len(found["pairs"])
    summary = (f"median offset over {n} events {abs(offset) * 1000:.0f} ms "
               f"({'late' if offset > 0 else 'early'}, {offset * fps:+.1f} frames); "
               f"in sync (±2 frames): {found['zero']} of {len(vis)} visual events, "
               f"{len(onsets)} sound onsets")
    sev = 0.4 + 0.6 * min(1.0, abs(offset) / 0.4)
    out = []
    pairs = found["pairs"]
    picks = sorted({round(i * (len(pairs) - 1) / max(1, MAX_REPORTED - 1)) for i in range(MAX_REPORTED)})
    for v_t, a_t in [pairs[i] for i in picks if i < len(pairs)]:
        frame = round(v_t * fps)
        kind = kinds.get(round(v_t, 3), "event")
        what = {"impact": "impact", "footfall": "footstep", "motion_onset": "sudden motion"}.get(kind, kind)
        track, box = _landing_track(analysis.tracks, frame)
        pos, how = _place(world, cams, track.id if track else None, box, frame, fps)
        d = a_t - v_t
        out.append(violation(
            "av_desync", sev, pos, v_t,
            f"sound of {what}{f' (track {track.id})' if track else ''} heard {abs(d) * 1000:.0f} ms {'after' if d > 0 else 'before'} the visual "
            f"{'contact' if kind in ('impact', 'footfall') else 'event'} at frame {frame} (t={v_t:.2f} s); "
            f"{summary}; {how}",
            frames=[frame], object_id=track.id if track else None,
        ))
    return out
