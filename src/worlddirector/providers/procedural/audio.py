"""The soundtrack: an ambient bed per setting plus event sounds synthesised from the scene's physics.

Events come from the animation itself (see :mod:`.layout`): a ``footstep`` at every heel strike
of the walk cycle (the legs at their widest spread; steps vary in length by a few per cent, as real
gait does), an ``impact`` whenever a falling, bouncing or launched object lands, a ``launch`` when
a catapult arm fires, and continuous ``engine`` / ``rolling`` sounds for driving and rolling things.
Each sound is attenuated by its distance to the camera and panned by its side of the image.

Event times are the physical moments, not rounded to video frames (a heel strike or a landing
happens between frames). Ground truth: ``audio_events`` lists every discrete sound at the time it
is *heard* in the track (seconds). Emulated audio failures:

* ``av_desync``: every event sound is shifted by ``magnitude`` seconds (0.15–0.40 s, either sign;
  positive = the sound comes late); ``frames`` = the first and last shifted event's video frame,
  ``note`` gives the offset in frames too. Needs at least one discrete event, otherwise not injected.
* ``silent``: the clip has no audio track at all (``frames`` = whole clip, ``magnitude`` 1.0).
"""

from __future__ import annotations

import numpy as np

from worlddirector.artifacts.ground_truth import AudioEvent, Defect
from worlddirector.providers.procedural import camera as cam
from worlddirector.providers.procedural.scene import Scene

SR = 48000
DISCRETE = ("footstep", "impact", "launch")


def _lowpass(x: np.ndarray, alpha: float) -> np.ndarray:
    """One-pole low-pass ``y[n] = a x[n] + (1 - a) y[n-1]``, applied in the frequency domain.

    (numpy FFT instead of ``scipy.signal.lfilter``: importing scipy.signal alone took seconds.)
    The input is zero-padded so the circular wrap-around is negligible.
    """
    n = len(x)
    pad = n + int(min(8.0 / max(alpha, 1e-4), 4 * n)) + 1
    m = 1 << (pad - 1).bit_length()
    w = np.fft.rfftfreq(m) * 2 * np.pi
    h = alpha / (1 - (1 - alpha) * np.exp(-1j * w))
    return np.fft.irfft(np.fft.rfft(x, m) * h, m)[:n]


def ambient(setting: str, n: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(n) / SR
    white = rng.standard_normal(n)
    if setting in ("forest", "field", "desert"):
        wind = _lowpass(white, 0.02) * (0.6 + 0.4 * np.sin(2 * np.pi * 0.13 * t + rng.uniform(0, 6)))
        return 0.5 * wind
    if setting == "street":
        return 0.35 * _lowpass(white, 0.03) + 0.01 * np.sin(2 * np.pi * 55 * t)
    if setting == "cave":
        return 0.4 * _lowpass(white, 0.008)
    hum = 0.006 * np.sin(2 * np.pi * 60 * t) + 0.003 * np.sin(2 * np.pi * 120 * t)
    return 0.12 * _lowpass(white, 0.05) + hum


def _burst(kind: str, rng: np.random.Generator) -> np.ndarray:
    if kind == "footstep":
        n = int(0.07 * SR)
        env = np.exp(-np.arange(n) / (0.012 * SR))
        return 0.6 * _lowpass(rng.standard_normal(n), 0.25) * env
    if kind == "impact":
        n = int(0.25 * SR)
        t = np.arange(n) / SR
        env = np.exp(-t / 0.05)
        return (0.9 * np.sin(2 * np.pi * 70 * t) + 0.6 * _lowpass(rng.standard_normal(n), 0.3)) * env
    n = int(0.3 * SR)  # launch: a creak and a whoosh
    t = np.arange(n) / SR
    env = np.sin(np.pi * t / t[-1]) * np.exp(-t / 0.15)
    return 0.5 * (_lowpass(rng.standard_normal(n), 0.15) + 0.5 * np.sin(2 * np.pi * (200 + 400 * t) * t)) * env


def _gain_pan(scene: Scene, pos: np.ndarray, i: int) -> tuple[float, float]:
    c = scene.cams[min(i, scene.n - 1)]
    pc = c[:, :3] @ pos + c[:, 3]
    d = float(np.linalg.norm(pc))
    gain = 1.0 / (1.0 + d / 4.0)
    pan = float(np.clip(pc[0] / (abs(pc[2]) + 1.0), -1, 1))
    return gain, pan


def add_soundtrack(scene: Scene, writer, types: list[str], rng: np.random.Generator) -> tuple[list[AudioEvent], list[Defect]]:
    """Mix and encode the track into ``writer``; return (audio_events, audio defect records)."""
    mix, events, records = mix_soundtrack(scene, types, rng)
    if mix is not None:
        writer.write_audio(mix, SR)
    return events, records


def mix_soundtrack(scene: Scene, types: list[str], rng: np.random.Generator
                   ) -> tuple[np.ndarray | None, list[AudioEvent], list[Defect]]:
    """The (2, N) float32 track at :data:`SR` (None for ``silent``), its events and audio defects."""
    n_video = scene.n
    duration = n_video / scene.fps
    n = int(round(duration * SR))
    if "silent" in types:
        return None, [], [Defect(type="silent", object_id=None, frames=(0, n_video - 1), magnitude=1.0,
                                 note="the clip has no audio track")]
    mix = np.zeros((2, n))
    amb = ambient(scene.setting, n, rng)
    mix += amb[None, :]
    events = []
    for o in scene.objects:
        for kind, frame in o.events:
            events.append((frame, kind, o))
    events.sort(key=lambda e: (e[0], e[2].id, e[1]))
    discrete = [e for e in events if e[1] in DISCRETE]
    offset = 0.0
    records: list[Defect] = []
    if "av_desync" in types and discrete:
        offset = float(rng.uniform(0.15, 0.4)) * float(rng.choice([-1, 1]))
        frames = [round(e[0]) for e in discrete]
        records.append(Defect(type="av_desync", object_id=None, frames=(min(frames), max(frames)),
                              magnitude=round(offset, 4),
                              note=f"all event sounds shifted by {offset:+.3f} s ({offset * scene.fps:+.1f} frames)"))
    out_events: list[AudioEvent] = []
    t_all = np.arange(n) / SR
    for frame, kind, o in events:
        i = min(max(round(frame), 0), n_video - 1)  # physical events may fall between frames
        if not o.visible[i]:
            continue
        gain, pan = _gain_pan(scene, o.pos[i], i)
        lr = np.array([np.sqrt(0.5 * (1 - pan)), np.sqrt(0.5 * (1 + pan))])
        if kind in DISCRETE:
            t_ev = frame / scene.fps + offset
            start = int(round(t_ev * SR))
            if start < 0 or start >= n:
                continue
            snd = _burst(kind, rng) * gain * (1.6 if kind != "footstep" else 1.0)
            end = min(n, start + len(snd))
            mix[:, start:end] += lr[:, None] * snd[None, : end - start]
            out_events.append(AudioEvent(kind=kind, time=round(t_ev, 4), object_id=o.id))
        else:
            # continuous: engine (sawtooth hum) or rolling (low rumble), following the object's distance
            idx = np.minimum((t_all * scene.fps).astype(int), n_video - 1)
            dist = np.array([np.linalg.norm(cam.centre_of(scene.cams[i]) - o.pos[i]) for i in range(n_video)])
            g = (1.0 / (1.0 + dist / 4.0))[idx] * o.visible[idx]
            if kind == "engine":
                f0 = 55.0
                saw = 2 * ((f0 * t_all) % 1.0) - 1
                snd = 0.25 * _lowpass(saw, 0.1) * g
            else:
                snd = 0.5 * _lowpass(rng.standard_normal(n), 0.01) * g
            mix += lr[:, None] * snd[None, :]
            out_events.append(AudioEvent(kind=kind, time=0.0, object_id=o.id))
    peak = float(np.abs(mix).max()) or 1.0
    mix = (mix * min(0.9 / peak, 4.0)).astype(np.float32)
    out_events.sort(key=lambda e: (e.time, e.object_id or "", e.kind))
    return mix, out_events, records
