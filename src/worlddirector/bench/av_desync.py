"""How well the simulation's ``av_desync`` check finds the generator's ``av_desync`` defect.

``python -m worlddirector.bench.av_desync [SEEDS] [SECONDS] [WORK]``: for each seed, the analysis
bench's clean clip and its ``av_desync`` clip (same prompt and seed, 640x360), for two prompt
sets: ``benchmarks/analysis_prompts.txt`` (mixed scenes, clip cache shared with ``bench analysis``)
and ``benchmarks/av_desync_prompts.txt`` (bouncing objects: sounds from visible impacts), analysed, then the check's decision
(:func:`worlddirector.simulation.checks.av_sync.desync_evidence`, exactly what ``simulate`` runs).
Reports clips flagged (recall on desynced clips, false alarms on clean ones), whether the reported
direction (late / early) is right, and the estimated offset's error against the injected one.

It also prints the issue's two analysis numbers on the same clips: the AUROC of the ``av_sync``
metric for desynced vs clean clips (desynced scored as ``1 - av_sync``; clips where ``av_sync`` is
null, too few visual events or no onsets, cannot be ranked and are counted beside it), and the
fraction of desynced clips whose ``av_offset_frames`` is within one frame of the injected shift
(a null estimate counts as a miss). ``seed_start`` selects the seeds (tune on one range, report
on another). Ground truth is read here only, for evaluation.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from worlddirector.bench.analysis import analyse_cached, default_work, ensure_clip
from worlddirector.bench.common import auroc, precision_recall, read_prompts, table, verdict
from worlddirector.simulation.checks.av_sync import analysis_estimate, desync_evidence


def evaluate(seeds: int = 12, seconds: float = 4.0, work: Path | None = None,
             prompts_file: str = "analysis_prompts.txt", seed_start: int = 0, reanalyse: bool = False) -> dict:
    work = Path(work) if work else default_work()
    if prompts_file != "analysis_prompts.txt":
        work = work / Path(prompts_file).stem  # its own clip cache
    prompts = read_prompts(prompts_file)
    rows = []
    for s in range(seed_start, seed_start + seeds):
        for kind in ("clean", "av_desync"):
            d = ensure_clip(work, prompts[s % len(prompts)], kind, s, seconds)
            if d is None:
                continue  # nothing discrete to shift in this scene
            a = analyse_cached(d, force=reanalyse)
            gt = json.loads((d / "ground_truth.json").read_text())
            inj = next((x["magnitude"] for x in gt["defects"] if x["type"] == "av_desync"), None)
            det = a.metric_details.get("av_sync") or {}
            ev = None
            if a.metrics.get("av_sync") is not None:
                ev = desync_evidence([e["time"] for e in det.get("visual_events", [])], det.get("audio_onsets", []),
                                     a.video.fps, *analysis_estimate(a))
            rows.append({"seed": s, "kind": kind, "injected": inj, "flagged": bool(ev and ev["desynced"]),
                         "offset": ev["offset"] if ev else None, "fps": a.video.fps,
                         "null": a.metrics.get("av_sync") is None, "av_sync": a.metrics.get("av_sync"),
                         "est_frames": det.get("av_offset_frames")})
    return {"rows": rows, "seeds": seeds, "seconds": seconds}


def summarize(res: dict) -> list[list[object]]:
    rows = res["rows"]
    bad = [r for r in rows if r["kind"] == "av_desync"]
    clean = [r for r in rows if r["kind"] == "clean"]
    tp = sum(r["flagged"] for r in bad)
    fp = sum(r["flagged"] for r in clean)
    p, rec = precision_recall(tp, fp, len(bad) - tp)
    hits = [r for r in bad if r["flagged"]]
    sign = sum(np.sign(r["offset"]) == np.sign(r["injected"]) for r in hits)
    err = [abs(r["offset"] - r["injected"]) * r["fps"] for r in hits]
    return [
        ["desynced clips flagged (recall)", f"{tp}/{len(bad)} = {rec:.2f}"],
        ["clean clips flagged (false alarms)", f"{fp}/{len(clean)}"],
        ["precision (clips)", f"{p:.2f}"],
        ["av_sync null (no onsets or no visual events)",
         f"{sum(r['null'] for r in bad)}/{len(bad)} desynced, {sum(r['null'] for r in clean)}/{len(clean)} clean"],
        ["direction (late/early) right, of flagged", f"{sign}/{len(hits)}"],
        ["offset error, median (frames)", f"{np.median(err):.2f}" if err else "-"],
        ["offset within ±1 frame, of flagged", f"{sum(e <= 1.0 for e in err)}/{len(hits)}"],
    ] + metric_rows(rows)


def metric_rows(rows: list[dict]) -> list[list[object]]:
    """The issue's analysis targets on these clips: av_sync AUROC and the offset estimate."""
    bad = [r for r in rows if r["kind"] == "av_desync"]
    pos = [1 - r["av_sync"] for r in bad if r["av_sync"] is not None]
    neg = [1 - r["av_sync"] for r in rows if r["kind"] == "clean" and r["av_sync"] is not None]
    auc = auroc(pos, neg) if pos and neg else float("nan")
    ok = sum(r["est_frames"] is not None and abs(r["est_frames"] - r["injected"] * r["fps"]) <= 1.0 for r in bad)
    frac = ok / len(bad) if bad else float("nan")
    return [
        ["av_sync AUROC desynced vs clean (judged clips; target ≥ 0.95)",
         f"{auc:.3f} on {len(pos)} desynced + {len(neg)} clean {verdict(auc >= 0.95)}"],
        ["analysis offset within ±1 frame, of all desynced (target ≥ 0.9)",
         f"{ok}/{len(bad)} = {frac:.2f} {verdict(frac >= 0.9)}"],
    ]


def run(seeds: int = 12, seconds: float = 4.0, work: Path | None = None, seed_start: int = 0,
        reanalyse: bool = False) -> None:
    """Print the av_desync check's table on the mixed bench scenes and on bouncing-object scenes."""
    for name, label in (("analysis_prompts.txt", "mixed scenes (bench analysis prompts)"),
                        ("av_desync_prompts.txt", "bouncing-object scenes")):
        res = evaluate(seeds, seconds, work, name, seed_start, reanalyse)
        table(f"av_desync check, {label}: seeds {seed_start}..{seed_start + seeds - 1}, {seconds:g} s 640x360 clips",
              ["measure", "value"], summarize(res))


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 12, float(sys.argv[2]) if len(sys.argv) > 2 else 4.0,
        Path(sys.argv[3]) if len(sys.argv) > 3 else None, int(sys.argv[4]) if len(sys.argv) > 4 else 0)
