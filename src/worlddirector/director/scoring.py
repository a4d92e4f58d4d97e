"""The loop's quality score: what ``--target`` is compared with and what "best iteration" means.

Two kinds of evidence, equally weighted:

* ``analysis_overall``: the analysis stage's pixel-level ``overall`` metric in [0, 1] (flicker,
  smoothness, consistency, ... see ``docs/analysis.md``).
* ``physics``: what the agents found in the rebuilt world, ``1 / (1 + P)`` with
  ``P = sum over violation types of min(sum of severities of that type, 3)``. No findings gives 1;
  one severe finding about 0.5; the per-type cap keeps one noisy check from drowning the rest.

``overall = 0.5 * analysis_overall + 0.5 * physics`` (``physics`` alone when the analysis has no
overall). Both halves are measured, never assumed: a stage that did not run leaves the score unset.
"""

from __future__ import annotations

from collections import Counter

from worlddirector.artifacts.agent_report import AgentReport
from worlddirector.artifacts.analysis import Analysis

PER_TYPE_CAP = 3.0
ANALYSIS_WEIGHT = 0.5


def violation_counts(report: AgentReport) -> dict[str, int]:
    return dict(sorted(Counter(v.type for v in report.violations).items()))


def physics_score(report: AgentReport) -> float:
    per_type: dict[str, float] = {}
    for v in report.violations:
        per_type[v.type] = per_type.get(v.type, 0.0) + v.severity
    penalty = sum(min(s, PER_TYPE_CAP) for s in per_type.values())
    return 1.0 / (1.0 + penalty)


def overall_score(analysis: Analysis | None, report: AgentReport) -> tuple[float, float | None, float]:
    """(overall, analysis_overall, physics)."""
    phys = physics_score(report)
    a = analysis.metrics.get("overall") if analysis is not None else None
    if a is None:
        return phys, None, phys
    return ANALYSIS_WEIGHT * float(a) + (1 - ANALYSIS_WEIGHT) * phys, float(a), phys
