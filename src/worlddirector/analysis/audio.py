"""Sound: audio onsets, visual events, and the ``av_sync`` metric.

Audio onsets (no model): the track is decoded with PyAV, mixed to mono and resampled to 16 kHz;
a short-time Fourier transform (scipy, 20 ms Hann window, 5 ms hop) gives the *spectral flux*
(sum of positive magnitude increases across frequency bins, on log-compressed magnitudes). An
onset is a local maximum of the flux above ``median + ONSET_K * MAD`` (robust threshold) and at
least ``MIN_GAP`` s after the previous one.

Visual events (when something in the picture should make a sound):

* impacts: a track moving down that stops or reverses (local maximum of the box bottom with a
  downward speed above ``IMPACT_SPEED`` px/frame before it);
* footfalls: for tracks whose lower half moves periodically (a gait) and clearly more than the
  upper half (legs swing, a torso or a box does not), the minima of the lower body's motion
  relative to the body: both feet are planted at a contact;
* motion onsets: frames where the global motion energy (median flow magnitude of moving pixels)
  jumps to ``SPIKE_RATIO`` x its running median (a launch, a slam).

``av_sync`` = fraction of visual events with an audio onset within ``SYNC_FRAMES`` (2) frames.
The offset is estimated by scanning lags of -0.5..+0.5 s in steps of one video frame and keeping
the lag that pairs the most visual events with onsets (one-to-one, within one frame), ties going
to the smaller |lag|; ``av_offset_ms`` is the median (onset - event) over those pairs (positive: the
sound comes late). A clip without an audio track gets ``av_sync: null`` and a note; so does a clip
where no visual events or no onsets are found (nothing to align, rather than a made-up value).
"""

from __future__ import annotations

import av
import numpy as np
from scipy.signal import stft

SR = 16000
ONSET_K = 6.0
MIN_GAP = 0.06
IMPACT_SPEED = 0.6
SPIKE_RATIO = 3.0
SYNC_FRAMES = 2
MAX_LAG = 0.5


def load_audio(path, sr: int = SR) -> np.ndarray | None:
    """Mono float32 samples at ``sr`` Hz, or None when the file has no (decodable) audio."""
    try:
        with av.open(str(path)) as c:
            streams = [s for s in c.streams if s.type == "audio"]
            if not streams:
                return None
            res = av.AudioResampler(format="flt", layout="mono", rate=sr)
            chunks = []
            for frame in c.decode(streams[0]):
                for out in res.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
            for out in res.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
    except (av.error.FFmpegError, ValueError):
        return None
    if not chunks:
        return None
    return np.concatenate(chunks).astype(np.float32)


def onsets(samples: np.ndarray, sr: int = SR) -> tuple[np.ndarray, np.ndarray, float]:
    """Onset times (s), their strengths, and the flux hop (s)."""
    nper = int(0.02 * sr)
    hop = int(0.005 * sr)
    if len(samples) < nper * 2:
        return np.zeros(0), np.zeros(0), hop / sr
    _, _, Z = stft(samples, fs=sr, nperseg=nper, noverlap=nper - hop, boundary=None, padded=False)
    mag = np.log1p(100.0 * np.abs(Z))
    flux = np.maximum(0.0, np.diff(mag, axis=1)).sum(axis=0)
    flux = np.concatenate([[0.0], flux])
    med = float(np.median(flux))
    mad = float(np.median(np.abs(flux - med))) + 1e-9
    thr = med + ONSET_K * 1.4826 * mad
    times, strength = [], []
    last = -1e9
    gap = int(MIN_GAP / (hop / sr))
    for i in range(1, len(flux) - 1):
        if flux[i] > thr and flux[i] >= flux[i - 1] and flux[i] >= flux[i + 1] and i - last >= gap:
            # the STFT frame is centred nperseg/2 after its start: report the frame's start time,
            # which is where an attack enters the window
            times.append(i * hop / sr)
            strength.append(float(flux[i]))
            last = i
    return np.asarray(times), np.asarray(strength), hop / sr


def visual_events(tracks, motion, fps: float, positions_to_time) -> list[dict]:
    """Candidate sound-making moments from tracks and motion (see module docstring)."""
    events: list[dict] = []
    fl = motion.flow
    for t in tracks:
        d = t.dets
        if len(d) < 6:
            continue
        pos = np.array([x.pos for x in d])
        bottom = np.array([x.box[3] for x in d], float)
        vy = np.diff(bottom)
        for k in range(2, len(d) - 1):
            if pos[k + 1] - pos[k - 2] != 3:
                continue
            falling = vy[k - 2] + vy[k - 1]
            if falling > 2 * IMPACT_SPEED and vy[k] <= 0.1 * abs(vy[k - 1]) and bottom[k] >= bottom[k - 1]:
                events.append(
                    {"pos": int(pos[k]), "kind": "impact", "track": t.id, "strength": float(falling)}
                )
        if any(e["track"] == t.id and e["kind"] == "impact" for e in events):
            continue  # a bouncing thing is not walking
        # gait: motion of the lower half relative to the whole box (legs swing, the torso does not)
        rel, rel_up = [], []
        for x in d:
            if x.pos >= len(fl):
                rel.append(np.nan)
                rel_up.append(np.nan)
                continue
            x0, y0, x1, y1 = x.box.astype(int)
            x0, y0 = max(0, x0), max(0, y0)
            x1, y1 = min(fl.shape[2], x1), min(fl.shape[1], y1)
            if x1 - x0 < 2 or y1 - y0 < 4:
                rel.append(np.nan)
                rel_up.append(np.nan)
                continue
            f = fl[x.pos, y0:y1, x0:x1]
            body = np.median(f.reshape(-1, 2), axis=0)
            low = f[(y1 - y0) // 2 :]
            rel.append(float(np.mean(np.linalg.norm(low - body, axis=2))))
            rel_up.append(float(np.mean(np.linalg.norm(f[: (y1 - y0) // 2] - body, axis=2))))
        rel = np.asarray(rel)
        ok = ~np.isnan(rel)
        if ok.sum() < 16 or np.nanmax(rel) < 0.3 or np.nanmean(rel) < 1.5 * np.nanmean(np.asarray(rel_up)):
            continue
        r = np.where(ok, rel, np.nanmedian(rel))
        r = r - r.mean()
        ac = np.correlate(r, r, mode="full")[len(r) - 1 :]
        ac /= ac[0] + 1e-9
        lag_lo, lag_hi = max(3, int(0.2 * fps)), min(len(r) // 2, int(1.0 * fps))
        if lag_hi <= lag_lo or ac[lag_lo:lag_hi].max() < 0.3:
            continue
        sm = np.convolve(r, np.ones(3) / 3, mode="same")
        for k in range(1, len(sm) - 1):
            if sm[k] < sm[k - 1] and sm[k] <= sm[k + 1] and sm[k] < -0.2 * np.std(sm):
                events.append(
                    {"pos": int(pos[k]), "kind": "footfall", "track": t.id, "strength": float(-sm[k])}
                )
    # global motion onsets
    if len(motion.magnitude) > 8:
        sub = fl[:, ::3, ::3]
        mags = np.percentile(np.sqrt((sub**2).sum(axis=3)).reshape(len(sub), -1), 95, axis=1)
        for i in range(1, len(mags)):
            local = float(np.median(mags[max(0, i - 12) : i]))
            if (
                mags[i] > SPIKE_RATIO * max(local, 0.3)
                and mags[i] > 1.0
                and mags[i - 1] <= SPIKE_RATIO * max(local, 0.3)
            ):
                events.append(
                    {"pos": i + 1, "kind": "motion_onset", "track": None, "strength": float(mags[i])}
                )
    events.sort(key=lambda e: e["pos"])
    out = []
    for e in events:  # one event per frame neighbourhood
        if out and e["pos"] - out[-1]["pos"] <= 1:
            continue
        e["time"] = float(positions_to_time(e["pos"]))
        out.append(e)
    return out


def _pairs(ev: np.ndarray, on: np.ndarray, lag: float, tol: float) -> list[tuple[float, float]]:
    used = set()
    pairs = []
    for v in ev:
        k = int(np.argmin(np.abs(on - (v + lag)))) if len(on) else -1
        if k >= 0 and k not in used and abs(on[k] - (v + lag)) <= tol:
            used.add(k)
            pairs.append((v, on[k]))
    return pairs


def av_sync(video_path, has_audio: bool, vis_events: list[dict], fps: float) -> tuple[float | None, dict]:
    """The ``av_sync`` metric and its details (see module docstring)."""
    if not has_audio:
        return None, {
            "note": "no audio track: av_sync is not defined",
            "audio_onsets": [],
            "visual_events": [],
        }
    samples = load_audio(video_path)
    if samples is None or len(samples) < SR // 10:
        return None, {"note": "audio track could not be decoded", "audio_onsets": [], "visual_events": []}
    on_t, on_s, _ = onsets(samples)
    vis_t = np.array([e["time"] for e in vis_events], float)
    details = {
        "audio_onsets": [round(float(x), 3) for x in on_t],
        "visual_events": [{"time": round(e["time"], 3), "kind": e["kind"]} for e in vis_events],
        "sync_window_frames": SYNC_FRAMES,
    }
    if len(on_t) == 0 or len(vis_t) == 0:
        details["note"] = ("no audio onsets" if len(on_t) == 0 else "no visual events") + ": nothing to align"
        details["av_offset_ms"] = None
        return None, details
    frame = 1.0 / fps
    tol = SYNC_FRAMES * frame + 0.5 * frame
    synced = len(_pairs(vis_t, on_t, 0.0, tol))
    score = synced / len(vis_t)
    best = (-1, 0.0)
    for k in range(-int(MAX_LAG * fps), int(MAX_LAG * fps) + 1):
        lag = k * frame
        n = len(_pairs(vis_t, on_t, lag, 1.0 * frame))
        if n > best[0] or (n == best[0] and abs(lag) < abs(best[1])):
            best = (n, lag)
    pairs = _pairs(vis_t, on_t, best[1], 1.0 * frame)
    offset = float(np.median([a - v for v, a in pairs])) if pairs else None
    details.update(
        av_offset_ms=None if offset is None else round(1000 * offset, 1),
        av_offset_frames=None if offset is None else round(offset * fps, 2),
        matched_at_offset=best[0],
        synced_events=synced,
        n_visual_events=int(len(vis_t)),
        n_audio_onsets=int(len(on_t)),
    )
    return float(score), details
