"""Tracker segmentation rules (issue 4, coverage): each test breaks if its rule is removed."""

from __future__ import annotations

import cv2
import numpy as np

from worlddirector.analysis.events import _track_candidates
from worlddirector.analysis.tracks import BG_CONTRAST, CONTRAST, Det, RawTrack, detect
from worlddirector.analysis.transients import Blob

H, W = 90, 160


def _frame(obj_lab):
    """A grey floor (Lab 150,128,128) with one 12x16 object of colour ``obj_lab``; both pixels
    carry background label 0 (k-means merged the object's colour into the floor's cluster)."""
    lab = np.zeros((H, W, 3), np.uint8)
    lab[:] = (150, 128, 128)
    lab[40:56, 70:82] = obj_lab
    rgb = cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)
    labels = np.ones((H, W), np.uint8)  # label 1: the floor
    labels[40:56, 70:82] = 0  # label 0: the object's (background) cluster
    return rgb, lab, labels


def test_an_object_in_a_background_cluster_is_found_when_it_stands_out_strongly():
    dark = (60, 128, 128)  # 90 Lab units darker than the floor: well above BG_CONTRAST
    assert 150 - 60 > BG_CONTRAST
    rgb, lab, labels = _frame(dark)
    dets = detect(rgb, lab, None, labels, [0, 1], 3, {0, 1})
    assert len(dets) == 1
    d = dets[0]
    assert d.bg and not d.moving
    assert np.allclose(d.box, [70, 40, 82, 56])
    # the floor (label 1) is one huge component: never an object
    assert all(det.area < 0.25 * H * W for det in dets)


def test_a_background_cluster_patch_needs_more_contrast_than_a_foreground_one():
    faint = (125, 128, 128)  # 25 Lab units: enough for a foreground cluster, not a background one
    assert CONTRAST < 150 - 125 < BG_CONTRAST
    rgb, lab, labels = _frame(faint)
    assert detect(rgb, lab, None, labels, [0, 1], 3, {1}) != []  # label 0 foreground: found
    assert detect(rgb, lab, None, labels, [0, 1], 3, {0, 1}) == []  # label 0 background: a floor patch


def _track(tid, start, n, box, bg):
    dets = [
        Det(pos=start + k, box=np.array(box, float), area=100.0, lab=np.zeros(3), rgb=np.zeros(3), moving=False, bg=bg)
        for k in range(n)
    ]
    return RawTrack(id=tid, dets=dets)


def test_a_background_colour_track_ending_at_a_change_is_not_evidence_of_a_vanish():
    mask = np.zeros((H, W), bool)
    mask[20:40, 60:90] = True
    blob = Blob(pair=10, box=(60, 20, 90, 40), area=int(mask.sum()), mean_error=60.0, mask=mask)
    sky_piece = _track(1, 0, 11, (50, 10, 100, 35), bg=True)  # split by the object appearing in front
    starts, ends = _track_candidates(blob, [sky_piece])
    assert ends == [] and starts == []
    crate = _track(2, 0, 11, (50, 10, 100, 35), bg=False)
    starts, ends = _track_candidates(blob, [crate])
    assert [t.id for _, t in ends] == [2]


def test_track_objects_tracks_an_object_whose_colour_joined_a_background_cluster(monkeypatch):
    from worlddirector.analysis import tracks as T
    from worlddirector.analysis.flow import compute_motion

    n = 12
    lab = np.zeros((n, H, W, 3), np.uint8)
    lab[:] = (150, 128, 128)  # floor
    lab[:, :25] = (60, 128, 128)  # a dark wall along the top: a background surface
    for k in range(n):
        lab[k, 50:66, 40 + 2 * k : 52 + 2 * k] = (55, 128, 128)  # a dark object walking right
    rgb = np.stack([cv2.cvtColor(f, cv2.COLOR_LAB2RGB) for f in lab])
    gray = np.stack([cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in rgb])
    motion = compute_motion(gray)
    # the palette k-means would fit: floor and wall, both background (>= BG_FRACTION of pixels);
    # the object is nearest the wall's centre
    centres = np.array([[150, 128, 128], [60, 128, 128]], np.float32)
    monkeypatch.setattr(T, "fit_palette", lambda frames: (centres, np.array([0.7, 0.3])))
    tracks = T.track_objects(rgb, motion, [(0, n)])
    hits = [
        t for t in tracks
        if sum(abs(d.box[0] - (40 + 2 * d.pos)) <= 2 and abs(d.box[1] - 50) <= 2 for d in t.dets) >= n - 2
    ]
    assert len(hits) == 1
