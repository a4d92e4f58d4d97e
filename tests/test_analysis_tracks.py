"""Tracker segmentation (``tracks.detect``): the vectorised version must give exactly what the
straightforward per-component computation gives (session 9 speed work)."""

from __future__ import annotations

import cv2
import numpy as np

from worlddirector.analysis import tracks as T


def _reference_detect(rgb_small, lab_small, motion_mask, labels, fg_labels, pos):
    """The per-mask, per-component detect of session 8 (numpy means over gathered pixels)."""
    h, w = labels.shape
    min_px, max_px = T.MIN_AREA * h * w, T.MAX_AREA * h * w
    counts = np.bincount(labels.ravel(), minlength=256)
    fg_labels = [k for k in fg_labels if counts[k] >= min_px]
    masks = [(labels == k).astype(np.uint8) for k in fg_labels]
    if motion_mask is not None and motion_mask.any():
        masks.append(motion_mask.astype(np.uint8))
    dets = []
    kernel = np.ones((3, 3), np.uint8)
    for mi, m in enumerate(masks):
        op = cv2.MORPH_OPEN if mi < len(fg_labels) else cv2.MORPH_CLOSE
        m = cv2.morphologyEx(m, op, kernel)
        _, lab, stats, _ = cv2.connectedComponentsWithStats(m, connectivity=8)
        for c in range(1, len(stats)):
            x, y, bw, bh, area = stats[c]
            if not (min_px <= area <= max_px and area >= 0.3 * bw * bh):
                continue
            if mi >= len(fg_labels) and area > T.MAX_MOVING_AREA * h * w:
                continue
            x0, y0, x1, y1 = max(0, x - 3), max(0, y - 3), min(w, x + bw + 3), min(h, y + bh + 3)
            sub = lab[y0:y1, x0:x1] == c
            ring = cv2.dilate(sub.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool) & ~sub
            mean_in = lab_small[y0:y1, x0:x1][sub].astype(np.float32).mean(axis=0)
            contrast = 0.0
            if ring.any():
                mean_ring = lab_small[y0:y1, x0:x1][ring].astype(np.float32).mean(axis=0)
                contrast = float(np.linalg.norm(mean_in - mean_ring))
            if contrast < T.CONTRAST:
                continue
            dets.append(T.Det(pos, np.array([x, y, x + bw, y + bh], float), float(area), mean_in,
                              rgb_small[y0:y1, x0:x1][sub].mean(axis=0), mi >= len(fg_labels)))
    dets.sort(key=lambda d: -d.area)
    kept = []
    for d in dets:
        if not any(T._iou(d.box, k.box) > 0.5 for k in kept):
            kept.append(d)
    return kept


def _scene(rng, h, w):
    """A textured two-tone background with coloured blobs, some touching the border or each other."""
    img = np.zeros((h, w, 3), np.uint8)
    img[: h // 2] = (120, 160, 200)
    img[h // 2 :] = (90, 110, 70)
    img = np.clip(img.astype(int) + rng.integers(-12, 13, img.shape), 0, 255).astype(np.uint8)
    for _ in range(rng.integers(4, 10)):
        col = tuple(int(v) for v in rng.integers(0, 256, 3))
        cx, cy = int(rng.integers(-5, w + 5)), int(rng.integers(-5, h + 5))
        if rng.random() < 0.5:
            cv2.ellipse(img, (cx, cy), (int(rng.integers(3, 25)), int(rng.integers(3, 20))),
                        float(rng.integers(0, 180)), 0, 360, col, -1)
        else:
            cv2.rectangle(img, (cx, cy), (cx + int(rng.integers(4, 40)), cy + int(rng.integers(4, 30))), col, -1)
    return img


def _key(dets):
    return [(d.pos, d.box.tobytes(), d.area, d.lab.dtype.str, d.lab.tobytes(), d.rgb.dtype.str,
             d.rgb.tobytes(), d.moving) for d in dets]


def test_detect_matches_the_per_component_computation_bit_for_bit():
    rng = np.random.default_rng(3)
    n_dets = 0
    for i, (h, w) in enumerate([(90, 160)] * 10 + [(91, 160), (120, 160), (284, 160), (45, 160)]):
        rgb = _scene(rng, h, w)
        lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)
        centers, frac = T.fit_palette(lab[None])
        labels = T._assign(lab, T.palette_lut(centers))
        fg = [k for k in range(len(centers)) if frac[k] < 0.3]
        motion = None
        if i % 3:
            motion = np.zeros((h, w), bool)
            for _ in range(3):
                x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
                motion[y : y + int(rng.integers(3, 15)), x : x + int(rng.integers(3, 15))] = True
        got = T.detect(rgb, lab, motion, labels, fg, i)
        assert _key(got) == _key(_reference_detect(rgb, lab, motion, labels, fg, i))
        n_dets += len(got)
    assert n_dets > 20  # the scenes do produce candidates


def test_tiled_components_number_each_mask_as_alone():
    rng = np.random.default_rng(5)
    for h in (90, 91, 17):
        masks = [cv2.morphologyEx((rng.random((h, 64)) < p).astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
                 for p in (0.3, 0.5, 0.6, 0.45)]
        masks[1][: h // 3] = 0  # set rows only in part of the mask (odd and even first rows)
        masks[2][: h // 3 + 1] = 0
        masks[2][-5:] = 0
        masks.append(np.zeros((h, 64), np.uint8))  # an empty mask
        masks.append(masks[0].copy())
        masks[3][:] = 0
        masks[3][h // 2, 10:20] = 1  # one row
        lab, stats, tile, shift = T._tiled_components(masks)
        assert (shift % 2 == 0).all()
        first = 1
        for i, m in enumerate(masks):
            n, lab_i, stats_i, _ = cv2.connectedComponentsWithStats(m, connectivity=8)
            rows = np.flatnonzero(m.any(axis=1))
            if len(rows):  # the mask's rows with something set, where the tile holds them
                part = lab[shift[i] + rows[0] : shift[i] + rows[-1] + 1]
                assert np.array_equal(part, np.where(lab_i > 0, lab_i + first - 1, 0)[rows[0] : rows[-1] + 1])
            assert np.array_equal(stats[first : first + n - 1], stats_i[1:])
            assert (tile[first : first + n - 1] == i).all()
            first += n - 1
        assert first == len(stats)


def test_colour_prefilter_keeps_every_pair_within_the_limit():
    rng = np.random.default_rng(7)
    box = np.array([0, 0, 4, 4], float)
    for _ in range(50):
        tr = [T.RawTrack(id=i, dets=[T.Det(0, box, 16.0, rng.uniform(0, 255, 3).astype(np.float32), np.zeros(3),
                                           bool(rng.random() < 0.3))]) for i in range(6)]
        ds = [T.Det(1, box, 16.0, (tr[0].last.lab + rng.normal(0, 25, 3)).astype(np.float32), np.zeros(3),
                    bool(rng.random() < 0.3)) for _ in range(7)]
        near = T._colour_near(tr, ds)
        for ti, t in enumerate(tr):
            for di, d in enumerate(ds):
                limit = 1.5 * T.COLOR_DIST if (d.moving or t.last.moving) else T.COLOR_DIST
                if float(np.linalg.norm(d.lab - t.last.lab)) <= limit:
                    assert near[ti, di]


def test_norm_is_numpys_norm_in_the_arrays_precision():
    rng = np.random.default_rng(9)
    for dtype in (np.float32, np.float64):
        for n in (2, 3):
            for _ in range(2000):
                v = (rng.normal(0, 40, n)).astype(dtype)
                assert T._norm(v) == float(np.linalg.norm(v))


def _iou_numpy(a, b):
    """The straightforward IoU: the arrays' own scalars and arithmetic."""
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    ua = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / ua if ua > 0 else 0.0


def test_iou_on_floats_is_the_iou_on_numpy_scalars():
    """Float64 boxes go through Python floats: the same value; float32 and integer boxes keep
    their own arithmetic (events pass those too)."""
    rng = np.random.default_rng(12)
    for _ in range(3000):
        a = np.sort(rng.normal(50, 30, (2, 2)), axis=0).T.ravel()[[0, 2, 1, 3]]  # x0, y0, x1, y1
        b = a + rng.normal(0, 20, 4) * (rng.random() < 0.8)
        if rng.random() < 0.1:
            b = a.copy()  # identical boxes
        if rng.random() < 0.05:
            b[2] = b[0]  # empty box
        for x, y in ((a, b), (a.astype(np.float32), b.astype(np.float32)), (a, b.astype(np.float32)),
                     (np.round(a).astype(int), np.round(b).astype(int)), (a, tuple(b.tolist()))):
            got, ref = T._iou(x, y), _iou_numpy(x, y)
            assert got == ref and np.float64(got).tobytes() == np.float64(ref).tobytes()


def test_assign_is_the_lut_at_the_quantised_colour():
    rng = np.random.default_rng(13)
    centers = rng.uniform(0, 255, (8, 3)).astype(np.float32)
    lut = T.palette_lut(centers)
    lab = rng.integers(0, 256, (45, 80, 3), dtype=np.uint8)
    lab[0, :4] = [[0, 0, 0], [255, 255, 255], [255, 0, 255], [7, 8, 248]]
    q = (lab >> 3).astype(np.int64)
    ref = lut[q[..., 0] * 1024 + q[..., 1] * 32 + q[..., 2]]
    got = T._assign(lab, lut)
    assert got.dtype == ref.dtype and np.array_equal(got, ref)
