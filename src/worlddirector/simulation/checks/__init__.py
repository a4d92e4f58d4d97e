"""One module per kind of finding. Each check is a plain function returning ``Violation``\\ s (ids
are assigned once, in a stable order, by :func:`worlddirector.simulation.simulate`)."""

from __future__ import annotations

from worlddirector.artifacts.agent_report import Violation


def violation(type_: str, severity: float, position, time: float, evidence: str, *, frames=(), object_id=None) -> Violation:
    """A violation with severity clamped to [0, 1] and numbers rounded for a readable, stable report."""
    return Violation(
        id="",
        type=type_,
        severity=round(min(1.0, max(0.0, float(severity))), 3),
        position=tuple(round(float(v), 3) for v in position),
        time=round(float(time), 3),
        frames=[int(f) for f in frames],
        object_id=object_id,
        evidence=evidence,
    )
