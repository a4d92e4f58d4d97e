"""Event post-processing rules (issue 4 follow-up): each test breaks if its rule is removed."""

from __future__ import annotations

import numpy as np

from worlddirector.analysis.events import (
    RawEvent,
    _uniform_scale,
    drop_unverifiable,
    merge_events,
)
from worlddirector.analysis.flow import compute_motion
from worlddirector.analysis.shots import local_change
from worlddirector.analysis.tracks import Det, RawTrack


def _ev(kind, pos, box, track=None):
    return RawEvent(kind, pos, tuple(float(v) for v in box), 10.0, "test", track)


def test_pops_in_the_last_frames_and_teleports_at_the_border_are_dropped():
    shape = (90, 160)
    evs = [
        _ev("vanish", 94, (50, 40, 60, 60)),  # 96 frames: persistence cannot be checked
        _ev("vanish", 40, (50, 40, 60, 60)),
        _ev("teleport", 30, (0, 40, 12, 60)),  # cut by the left border
        _ev("teleport", 50, (70, 40, 80, 60)),
    ]
    kept = drop_unverifiable(evs, 96, shape)
    assert [(e.type, e.pos) for e in kept] == [("vanish", 40), ("teleport", 50)]


def test_events_at_a_shot_cut_are_dropped():
    evs = [_ev("teleport", 87, (60, 40, 80, 60), track=5), _ev("teleport", 50, (60, 40, 80, 60), track=2)]
    kept = drop_unverifiable(evs, 96, (90, 160), cuts=[87])
    assert [e.pos for e in kept] == [50]


def test_appear_and_vanish_at_one_moment_are_a_teleport_even_without_tracks():
    out = merge_events([_ev("vanish", 35, (20, 40, 30, 60)), _ev("appear", 35, (100, 40, 110, 60))])
    assert [e.type for e in out] == ["teleport"]


def test_what_a_popped_object_hides_is_not_a_second_event():
    big = _ev("appear", 19, (30, 5, 90, 80), track=11)
    hidden = _ev("vanish", 19, (50, 20, 60, 40), track=0)
    out = merge_events([big, hidden])
    assert [(e.type, e.track) for e in out] == [("appear", 11)]


def _track(widths, heights):
    dets = []
    for k, (w, h) in enumerate(zip(widths, heights)):
        box = np.array([50.0, 70.0 - h, 50.0 + w, 70.0])
        dets.append(Det(pos=k, box=box, area=w * h, lab=np.zeros(3), rgb=np.zeros(3), moving=False))
    return RawTrack(id=1, dets=dets)


def test_a_resize_keeps_the_shape_a_merge_does_not():
    n = 30
    grow = np.linspace(1.0, 1.6, n)
    uniform = _track(10 * grow, 20 * grow)  # both sides grow: a real size change
    widening = _track(10 * grow**2, 20 * np.ones(n))  # only the width changes: boxes merging
    final = float(np.log(1.6))
    assert _uniform_scale(uniform, 90, 160, final)
    assert not _uniform_scale(widening, 90, 160, final)


def _frames(pop: bool) -> np.ndarray:
    yy, xx = np.mgrid[:180, :320]
    base = (60 + 0.4 * xx + 40 * np.sin(yy / 9.0) * np.cos(xx / 23.0)).astype(np.uint8)
    base[30:70, 20:60] = 230  # two bright boxes at the left
    base[110:150, 40:90] = 20
    a, b = base.copy(), base.copy()
    if pop:
        b[60:110, 200:250] = 250  # one object appears
    else:
        b = np.ascontiguousarray(base[:, ::-1])  # a different view
    return np.stack([a, a, b, b])


def test_a_local_one_region_change_is_told_apart_from_a_new_view():
    frac, share = local_change(compute_motion(_frames(pop=True)), 1)
    assert frac < 0.3 and share >= 0.9
    frac, share = local_change(compute_motion(_frames(pop=False)), 1)
    assert frac >= 0.3 or share < 0.9
