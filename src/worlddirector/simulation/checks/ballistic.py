"""``implausible_motion``: airborne motion of a tracked object that gravity cannot explain.

A hop (the object leaves the floor and comes back down) should follow a parabola with vertical
acceleration -g. We fit ``z(t) = a t^2 + b t + c`` to each airborne stretch of a reconstructed
trajectory that both starts and ends near the floor, and flag fits whose acceleration is far from
gravity (outside ``[LOW, HIGH]`` x g). Objects that stay aloft (flying) are not judged: a powered
flight has no reason to be ballistic.
"""

from __future__ import annotations

import numpy as np

from worlddirector.artifacts.agent_report import Violation
from worlddirector.artifacts.world import World
from worlddirector.simulation.checks import violation
from worlddirector.simulation.mjcf import GRAVITY

AIRBORNE = 0.15  # m: base above the floor
MIN_POINTS = 8
MIN_DURATION = 0.3  # s
MIN_APEX = 0.3  # m: small hops are within reconstruction noise
LOW, HIGH = 0.4, 2.0  # accepted |a| / g


def implausible_motion(world: World) -> list[Violation]:
    out = []
    for m in world.moving_objects:
        tr = m.trajectory
        if len(tr) < MIN_POINTS:
            continue
        t = np.array([p.time for p in tr])
        z = np.array([p.position[2] for p in tr]) - m.size[2] / 2
        air = z > AIRBORNE
        k = 0
        while k < len(tr):
            if not air[k]:
                k += 1
                continue
            s = k
            while k < len(tr) and air[k]:
                k += 1
            e = k - 1
            if s == 0 or k >= len(tr):  # must take off from and land on the floor within the clip
                continue
            if e - s + 1 < MIN_POINTS or t[e] - t[s] < MIN_DURATION or z[s: e + 1].max() < MIN_APEX:
                continue
            tt = t[s: e + 1] - t[s]
            coef = np.polyfit(tt, z[s: e + 1], 2)
            acc = 2 * coef[0]
            ratio = -acc / GRAVITY
            if LOW <= ratio <= HIGH:
                continue
            apex = s + int(np.argmax(z[s: e + 1]))
            off = abs(ratio - 1.0)
            out.append(violation(
                "implausible_motion", min(1.0, off / 2.0), tr[apex].position, tr[apex].time,
                f"tracked object {m.id} is airborne for {t[e] - t[s]:.2f} s (frames {tr[s].frame}-{tr[e].frame}) with a "
                f"fitted vertical acceleration of {acc:.1f} m/s² ({ratio:.2f} g downwards); free flight under gravity "
                f"gives -{GRAVITY:.2f} m/s²",
                frames=[p.frame for p in tr[s: e + 1]][:64], object_id=m.id,
            ))
    return out
