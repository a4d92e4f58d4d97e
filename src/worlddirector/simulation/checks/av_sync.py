"""``av_desync``: sounds that are heard out of step with the events that make them.

Input: the analysis' sound details (``metric_details.av_sync``: audio onset times and visual event
times/kinds, both from the clip), its tracks and fps; the world's cameras and moving objects only
to place each event. Nothing is reported when the analysis has no ``av_sync`` value (no audio
track, no onsets or no visual events: ``av_sync: null``).

The decision reuses the analysis' estimate (``av_offset_ms``, sub-frame, and ``av_sync``, the
trains' agreement near lag 0 over their best agreement at any lag): desynced when ``av_sync <=
MAX_AV_SYNC`` (0.45: another alignment explains the sounds clearly better than the clip's own
timing), the offset is at least ``MIN_OFFSET`` (0.15 s) and ``MIN_OFFSET_FRAMES`` (3) frames from 0
(outside the ±2-frame window in which the analysis counts a sound as in sync, and beyond what people
notice, sound >= ~45 ms early or >= ~125 ms late, ITU-R BT.1359), and the offset pairs at least
``MIN_PAIRS`` (3) events with onsets within ``PAIR_FRAMES`` (1) frame. Reusing it (instead of this
module's own one-frame lag scan, which is kept for analyses written before the estimate existed)
flagged 12 of 28 desynced dev clips instead of 9, every direction right, 0 of 36 clean clips.
The lag scan still gives the stats (pairs per lag, chance level, pairs in sync at lag 0); its rule:
best lag (most pairs within 1 frame, ties to the smaller ``|lag|``) far enough from 0 as above,
pairing >= ``MIN_PAIRS``, >= ``MIN_GAIN`` (2) more than lag 0 pairs within ±2 frames and >=
``CHANCE_RATIO`` (2.5) times the mean count over all lags.

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
MAX_AV_SYNC = 0.45  # analysis av_sync at or below which its shifted alignment is the clip's own
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


def _far_from_zero(lag: float, fps: float) -> bool:
    """A shift outside the analysis' sync window and past what people notice (module docstring)."""
    return abs(round(lag * fps)) >= MIN_OFFSET_FRAMES and abs(lag) >= MIN_OFFSET - 1e-9


def desync_evidence(vis_times, onset_times, fps: float, analysis_offset: float | None = None,
                    analysis_sync: float | None = None) -> dict | None:
    """The decision (see module docstring); ``None`` when there is nothing to align.

    ``analysis_offset`` (s) and ``analysis_sync``: the analysis' own estimate (``av_offset_ms`` / 1000)
    and ``av_sync``. When given, the offset is the analysis' and the clip is desynced when
    ``av_sync <= MAX_AV_SYNC`` (another lag explains the sounds clearly better than lag 0), the
    offset is at least ``MIN_OFFSET`` s and ``MIN_OFFSET_FRAMES`` frames, and it pairs at least
    ``MIN_PAIRS`` events. Without them (an analysis written before they existed) the check's own
    one-frame lag scan decides (the older rule, kept for those files).

    Returns ``{desynced, lag, pairs, counts, zero, chance, offset}`` (offset = median onset - event
    over the pairs at the chosen lag, s; positive = the sound comes late).
    """
    ev = np.sort(np.asarray(vis_times, float))
    on = np.sort(np.asarray(onset_times, float))
    if not len(ev) or not len(on) or not fps or fps <= 0:
        return None
    frame = 1.0 / fps
    lags = [k * frame for k in range(-int(MAX_LAG * fps), int(MAX_LAG * fps) + 1)]
    counts = [len(_pairs(ev, on, lag, PAIR_FRAMES * frame)) for lag in lags]
    zero = len(_pairs(ev, on, 0.0, SYNC_FRAMES * frame))
    chance = float(np.mean(counts))
    if analysis_offset is not None and analysis_sync is not None:
        lag = float(analysis_offset)
        pairs = _pairs(ev, on, lag, PAIR_FRAMES * frame)
        desynced = analysis_sync <= MAX_AV_SYNC and _far_from_zero(lag, fps) and len(pairs) >= MIN_PAIRS
    else:
        best = max(range(len(lags)), key=lambda i: (counts[i], -abs(lags[i])))
        lag = lags[best]
        pairs = _pairs(ev, on, lag, PAIR_FRAMES * frame)
        desynced = (_far_from_zero(lag, fps) and len(pairs) >= MIN_PAIRS and len(pairs) >= zero + MIN_GAIN
                    and len(pairs) >= CHANCE_RATIO * chance)
    offset = float(np.median([a - v for v, a in pairs])) if pairs else 0.0
    return {"desynced": bool(desynced), "lag": lag, "pairs": pairs, "counts": counts, "zero": zero,
            "chance": chance, "offset": offset}


def analysis_estimate(analysis: Analysis) -> tuple[float | None, float | None]:
    """The analysis' offset (s) and ``av_sync`` to decide on, or (None, None) if it has no offset."""
    det = analysis.metric_details.get("av_sync")
    ms = det.get("av_offset_ms") if isinstance(det, dict) else None
    sync = analysis.metrics.get("av_sync")
    if not isinstance(ms, (int, float)) or sync is None:
        return None, None
    return ms / 1000.0, float(sync)


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
    estimate = analysis_estimate(analysis)
    found = desync_evidence([e["time"] for e in vis], onsets, fps, *estimate)
    if found is None:
        stats["av_sync_check"] = {"judged": False, "reason": "no visual events or no audio onsets"}
        return []
    stats["av_sync_check"] = {
        "judged": True, "desynced": found["desynced"], "best_lag_ms": round(found["lag"] * 1000, 1),
        "pairs_at_best_lag": len(found["pairs"]), "in_sync_at_zero": found["zero"],
        "chance_pairs": round(found["chance"], 2), "offset_ms": round(found["offset"] * 1000, 1),
        "visual_events": len(vis), "audio_onsets": len(onsets),
        "decided_by": "analysis offset and av_sync" if estimate[0] is not None else "lag scan",
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
