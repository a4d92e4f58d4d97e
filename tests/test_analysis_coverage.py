"""The bench's track-coverage diagnostic counts a ground-truth box as covered only when a track
point at the same frame overlaps it (IoU >= 0.3)."""

from types import SimpleNamespace

from worlddirector.bench.analysis import coverage_summary, object_coverage


def _analysis(points):
    pts = [SimpleNamespace(frame=f, box=b) for f, b in points]
    return SimpleNamespace(tracks=[SimpleNamespace(points=pts)])


def _gt(boxes, defect=True):
    return {
        "width": 100,
        "height": 100,
        "objects": [{"id": "obj_01", "bbox2d": boxes}, {"id": "obj_02", "bbox2d": [[0, 0, 1, 1]] * len(boxes)}],
        "defects": [{"type": "pop_in", "object_id": "obj_01"}] if defect else [],
    }


def test_coverage_counts_only_overlapping_points_at_the_same_frame():
    box = [10, 10, 30, 30]
    gt = _gt([box, box, None, box])
    a = _analysis([(0, (10, 10, 30, 30)), (1, (50, 50, 70, 70)), (2, (10, 10, 30, 30)), (0, (12, 12, 30, 30))])
    cov = object_coverage(a, gt)
    # frame 0 matched, frame 1 a far box, frame 2 off screen, frame 3 no point; obj_02 too small
    assert cov == {"obj_01": (1, 3)}


def test_coverage_summary_reports_never_covered_defect_objects():
    box = [10, 10, 30, 30]
    rows = [
        ("pop_in", 0, _analysis([(0, (10, 10, 30, 30))]), _gt([box, box])),
        ("pop_in", 1, _analysis([]), _gt([box, box])),
    ]
    out = coverage_summary(rows)
    defect = out[0]
    assert defect[0] == "defect object" and defect[1] == 2
    assert defect[3] == "0.25" and defect[4] == "0.50"
