"""Track-free visual impacts: where something moving down in the picture turns back up at once.

Why: the colour tracker often has no track for a small ball (a few pixels, low contrast, shadow
beside it), so :func:`worlddirector.analysis.contacts.landing_events` finds no landing and the
clip's sounds cannot be aligned. Here no track is needed.

How. Dense flow (OpenCV DIS, ``PRESET``) between consecutive analysis frames (320 px wide, 4x the
pixels of the shared flow grid, where a ball is a few pixels), minus the camera's flow (the shared
per-pair homography, rescaled), leaves the objects' own motion. Its vertical component, averaged
over a ``BOX`` x ``BOX`` neighbourhood (about a small ball), is ``vy_q`` for the pair q -> q+1
(positive = down). A landing between frames q and q+1 shows as ``vy_{q-1}`` down and ``vy_{q+1}``
up at the same place (the landing point hardly moves: a bounce is a cusp), so the per-frame
signal is ``max_x sqrt(max(0, vy_{q-1}) * max(0, -vy_{q+1}))`` (px/frame; both must hold, so
flow noise, which rarely reverses that strongly, stays low), taken only where the reversal looks
like a landing: about as fast out as in (``SYMMETRY``), the fall and the rebound continuing in the
pairs before and after (``SUSTAIN``), a cusp, not a smooth turn (``CUSP``), and a flight around
it, no earlier rise or later fall within a few frames (``FLIGHT``). An impact is a local maximum of it
above ``MIN_SPEED`` and ``MAD_K`` robust deviations above its median. Its sub-frame time: the
pair q straddles the contact at q + a, moving down for a and up for 1 - a of it, so its net
vertical flow is ``v (2a - 1)`` with ``v`` the mean of the speeds before and after:
``a = (1 + vy_q / v) / 2``.

Measured with ``bench av-sync`` on the dev seeds (0..19 and 40..59) by adding these impacts to
the visual events: bouncing-object scenes, seeds 0..19, av_sync AUROC 0.882 on 13+13 judged clips
-> 0.975 on 18+18, offset within +-1 frame 8/20 -> 15/20 (seeds 40..59: 0.997 on 19+19, 17/20);
mixed scenes unchanged (1.000 on 9+9 and 0.975 on 9+9, offsets 8/14 and 6/14). Without the cusp
rule (at ``MIN_SPEED`` 0.6) a walker's legs gave impacts between the footfalls (mixed 0-19: 0.930
instead of 0.970); ``CUSP`` 2-3 gave the same numbers, 4-6 lost offsets. The tiny far balls of street scenes stay unseen. Cost: one DIS flow
at 320 px per frame pair, ~0.6 s for a 4 s clip.
"""

from __future__ import annotations

import cv2
import numpy as np

from worlddirector.analysis.flow import camera_flow

PRESET = cv2.DISOPTICAL_FLOW_PRESET_FAST
BOX = 9
"""Neighbourhood (analysis px) the vertical flow is averaged over: a small ball's size."""
MIN_SPEED = 0.25
"""Speed (analysis px/frame) into and out of a landing the signal must reach: flow noise on
textured ground gives 0.1-0.2, the bench's bouncing balls 0.2-9 (a far ball lands at 0.5-0.9),
walkers' legs (false impacts) mostly 0.6-1.0. Session 4: 0.6 let those through (on the mixed dev
scenes 40..59 a walker clip got five false impacts and a false av_desync, AUROC 0.975 -> 0.810), so
it was 1.0. Session 7: a landing is now matched only with thud sounds
(:func:`worlddirector.analysis.audio.pairable`), so false impacts in a scene of footsteps pair with
nothing, and the floor came down: dev seeds (0..19 / 40..59), bouncing offsets within +-1 frame
with typed matching at 1.0: 14/20, 15/20; 0.6: 18, 18; 0.45: 19, 18; 0.4: 19, 18; 0.3: 19, 19;
mixed scenes unchanged at every value, AUROC 1.000 on all bouncing rows. Session 8: 0.4 -> 0.25.
The remaining bouncing misses were balls with 0-2 landings over the floor (a far street ball, a
ball in a dim cave), whose landings were yet the signal's highest peaks at 0.23-0.6 (dev seeds,
ground truth read for diagnosis only); offsets 19/20, 18/20 at 0.4; 19, 19 at 0.3; 19, 20 at
0.25 and 0.2; mixed scenes, AUROC and false alarms unchanged at each; the real Sora clip still has
no flow impact. Not lower: textured ground's flow noise reaches 0.1-0.2."""
MAD_K = 5.0
SYMMETRY = 0.5
"""Slower of the two speeds (into, out of the contact) over the faster at least this: a bounce
leaves about as fast as it lands; a foot planting or a box edge jumping does not."""
SUSTAIN = 0.6
"""The pairs before and after must keep going the same way at this fraction of the speed: a fall
and a rebound last several frames, flow noise one."""
FLIGHT = 5
FLIGHT_TOL = 0.2
"""A thrown or bouncing thing flies: in pairs q-5..q-3 it is not yet rising and in q+3..q+5 not
falling again (vertical flow beyond ``FLIGHT_TOL`` x the impact's strength the wrong way; the
thing may have left the neighbourhood, which is no evidence either way). A walker's leg reverses
within a few frames. On the dev clean clips (seeds 0..19, 40..59) it cut the flow impacts not
within a frame of any sound in the mixed scenes from 20 to 9 and kept all 163 right ones."""
CUSP = 3.0
"""A landing is a cusp: the speed flips within one frame (``down + up``) but hardly changes in the
frames before and after (gravity adds ~10 % per frame), at least ``CUSP`` times the change there.
A walker's body, lowest at mid-stance, turns smoothly (ratio ~2)."""


def residual_vertical_flow(gray: np.ndarray, homography: np.ndarray, factor: float) -> np.ndarray:
    """(N-1, h, w) vertical flow minus the camera's, analysis px per frame (positive = down).

    ``homography``: the shared per-pair camera model (frame q -> q+1) at flow resolution;
    ``factor``: analysis pixels per flow pixel.
    """
    n, h, w = gray.shape
    if n < 2:
        return np.zeros((0, h, w), np.float32)
    s = np.diag([factor, factor, 1.0])
    si = np.linalg.inv(s)
    dis = cv2.DISOpticalFlow_create(PRESET)
    out = np.zeros((n - 1, h, w), np.float32)
    for q in range(n - 1):
        fl = dis.calc(gray[q], gray[q + 1], None)
        np.subtract(fl[..., 1], camera_flow(s @ homography[q] @ si, h, w, component=1), out=out[q])
    return out


def impact_signal(vy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per frame q, the landing strength (px/frame) and the contact's fraction ``a`` of pair q.

    Per q the landing tests (module docstring) decide which pixels count, and the strongest
    ``down * up`` wins (the first in raster order on a tie). Only pixels moving down in pair q-1
    and up in pair q+1 (``down * up`` can be above 0) inside the border can win, so the tests run
    on those pixels alone, dropping the ones the cheap tests reject before the flight tests: the
    same float32 arithmetic per pixel, so the same winner and value as testing every pixel. With
    no winner (every product 0) the result is pixel 0's, as ``argmax`` of zeros gives
    (``test_impact_signal_is_the_every_pixel_computation``)."""
    n = len(vy)
    sig, frac = np.zeros(n), np.zeros(n)
    if n < 3:
        return sig, frac
    v = np.empty_like(vy)  # filled in place: no stacked copy of the (N-1, h, w) field
    for x, out in zip(vy, v):
        cv2.boxFilter(x, -1, (BOX, BOX), dst=out)
    inner = np.zeros(v.shape[1:], bool)
    inner[BOX:-BOX, BOX:-BOX] = True  # the box filter replicates the border: no evidence there
    vf = v.reshape(n, -1)
    inner = inner.ravel()
    falling, rising = vf > 0, vf < 0
    for q in range(1, n - 1):
        idx = np.flatnonzero(inner & falling[q - 1] & rising[q + 1])
        before, after = vf[q - 1].take(idx), vf[q + 1].take(idx)
        down, up = np.maximum(0.0, before), np.maximum(0.0, -after)
        ok = np.minimum(down, up) >= SYMMETRY * np.maximum(down, up)
        if q >= 2:
            prev2 = vf[q - 2].take(idx)
            ok &= prev2 >= SUSTAIN * down
        if q + 2 < n:
            next2 = vf[q + 2].take(idx)
            ok &= -next2 >= SUSTAIN * up
        keep = np.flatnonzero(ok)
        idx, before, after, down, up = idx[keep], before[keep], after[keep], down[keep], up[keep]
        side = np.zeros_like(down)
        if q >= 2:
            side += np.abs(prev2[keep] - before)
        if q + 2 < n:
            side += np.abs(next2[keep] - after)
        ok = down + up >= CUSP * side
        if FLIGHT:
            tol = FLIGHT_TOL * np.sqrt(down * up)
            for k in range(max(0, q - FLIGHT), q - 2):
                ok &= vf[k].take(idx) >= -tol  # still falling (or out of view), not rising, shortly before
            for k in range(q + 3, min(n, q + FLIGHT + 1)):
                ok &= vf[k].take(idx) <= tol  # still rising, not falling again, shortly after
        prod = np.where(ok, down * up, 0.0)
        i, best = 0, np.float32(0.0)
        if len(prod):
            j = int(np.argmax(prod))
            if prod[j] > 0:
                i, best = int(idx[j]), prod[j]
        sig[q] = float(np.sqrt(best))  # float32's sqrt, as on the whole image
        speed = 0.5 * (float(vf[q - 1, i]) - float(vf[q + 1, i]))
        frac[q] = float(np.clip(0.5 * (1.0 + float(vf[q, i]) / max(speed, 1e-6)), 0.0, 1.0))
    return sig, frac


def flow_impacts(gray: np.ndarray, homography: np.ndarray, factor: float) -> list[dict]:
    """Landings as ``{pos, time_pos, kind: "impact", track: None, strength}`` (see module docstring)."""
    if len(gray) < 4:
        return []
    return impacts_from_flow(residual_vertical_flow(gray, homography, factor))


def impacts_from_flow(vy: np.ndarray) -> list[dict]:
    """:func:`flow_impacts` from the residual vertical flow (:func:`residual_vertical_flow`)."""
    sig, frac = impact_signal(vy)
    med = float(np.median(sig))
    mad = float(np.median(np.abs(sig - med))) + 1e-6
    thr = max(MIN_SPEED, med + MAD_K * 1.4826 * mad)
    out = []
    for q in range(1, len(sig) - 1):
        if sig[q] > thr and sig[q] >= sig[q - 1] and sig[q] >= sig[q + 1]:
            out.append({"pos": q, "time_pos": float(q + frac[q]), "kind": "impact", "track": None,
                        "strength": float(sig[q])})
    return out
