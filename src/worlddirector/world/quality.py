"""The quality gate (beyond the seed): check a new branch before publishing it; regenerate once.

Checks, on the freshly generated clip:

1. analysis (:func:`worlddirector.analysis.analyze_video`): the ``overall`` metric must reach
   ``WD_QUALITY_THRESHOLD`` (default 0.6);
2. agent checks (reconstruction + simulation, when ``WD_QUALITY_AGENTS`` is on): no violation with
   severity >= 0.7.

A branch that fails is regenerated once, with a prompt revised by the model layer from the findings
(:meth:`LLM.revise_prompt`) and a new seed; the second clip is published whatever its verdict (both verdicts are
kept in the scene's ``quality``), so a branch never loops. Off by default (``WD_QUALITY_GATE``):
it costs an analysis (about a second) plus, with agents, a reconstruction and a simulation.
"""

from __future__ import annotations

import os
from pathlib import Path

SEVERE = 0.7


def check_clip(video: Path, qa_dir: Path, *, threshold: float, agents: bool) -> dict:
    from worlddirector.analysis import analyze_video

    qa_dir.mkdir(parents=True, exist_ok=True)
    analysis = analyze_video(video, qa_dir)
    overall = analysis.metrics.get("overall")
    verdict: dict = {"overall": overall, "metrics": {k: v for k, v in analysis.metrics.items() if v is not None},
                     "violations": [], "agents": None}
    failed = overall is None or overall < threshold
    if agents:
        try:
            from worlddirector.reconstruction import reconstruct
            from worlddirector.simulation import simulate

            reconstruct(video, qa_dir, analysis=analysis)
            report = simulate(qa_dir, agents=4, seconds=5.0, seed=0)
            verdict["agents"] = {"n": report.n_agents, "violations": len(report.violations)}
            verdict["violations"] = [
                {"id": v.id, "type": str(v.type), "severity": v.severity, "evidence": v.evidence[:200],
                 "object_id": v.object_id}
                for v in report.violations
            ]
            failed = failed or any(v.severity >= SEVERE for v in report.violations)
        except Exception as exc:  # noqa: BLE001 - a reconstruction that cannot run is reported, not fatal
            verdict["agents"] = {"error": type(exc).__name__, "reason": str(exc)[:200]}
    verdict["passed"] = not failed
    return verdict


def quality_gate(service, world, row, token, api_key, work: Path, parent_dir, lease, wlog, generate_fn):
    """Return ``(quality, regenerated)``; ``regenerated`` is ``(Generation, ledger row)`` or ``None``."""
    agents = os.environ.get("WD_QUALITY_AGENTS", "1") not in ("0", "false", "no")
    thr = service.ws.quality_threshold
    lease.progress(0.86, "quality check", force=True)
    first = check_clip(work / "video.mp4", work.parent / (work.name + "-qa1"), threshold=thr, agents=agents)
    if first["passed"]:
        return {"checks": [first], "regenerated": False}, None
    from worlddirector.llm import RevisionRequest, ViolationBrief, get_llm

    llm = get_llm(world["llm"], api_key=api_key.get_secret_value() if api_key else None, settings=service.settings)
    revised = llm.revise_prompt(RevisionRequest(
        original_prompt=row["prompt"], prompt=row["prompt"],
        violations=[ViolationBrief(id=v["id"], type=v["type"], severity=v["severity"], evidence=v["evidence"],
                                   object_id=v["object_id"]) for v in first["violations"]],
        metrics={k: v for k, v in first["metrics"].items()},
    ))
    wlog.info("quality gate failed; regenerating once", overall=first["overall"])
    lease.progress(0.5, "regenerating after the quality check", force=True)
    regenerated = generate_fn(service, world, row, token, api_key, work, parent_dir, lease, wlog,
                              prompt=revised.revised_prompt, reroll=1)
    original, row["prompt"] = row["prompt"], revised.revised_prompt
    second = check_clip(work / "video.mp4", work.parent / (work.name + "-qa2"), threshold=thr, agents=agents)
    return {"checks": [first, second], "regenerated": True, "original_prompt": original,
            "changes": [c.model_dump() for c in revised.changes]}, regenerated
