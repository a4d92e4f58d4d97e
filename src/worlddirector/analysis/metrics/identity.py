"""``identity_persistence``: do tracked things stay in existence?

A real object does not pop into or out of existence in the middle of a shot. We count the
``appear`` and ``vanish`` events (unexplained, frame-precise: see :mod:`..events`) against the
number of tracked objects::

    identity_persistence = 1 - n_pop / (n_pop + max(1, n_tracks))

so 0 events -> 1.0, one pop among three tracks -> 0.75, and many pops drive it towards 0. Objects
that enter or leave across the frame border or behind another object do not make events (their
change is explained by the flow), so they do not count.
"""

from __future__ import annotations


def identity_persistence(n_tracks: int, n_appear: int, n_vanish: int) -> tuple[float, dict]:
    n_pop = n_appear + n_vanish
    score = 1.0 - n_pop / (n_pop + max(1, n_tracks))
    return score, {"tracks": n_tracks, "appear": n_appear, "vanish": n_vanish}
