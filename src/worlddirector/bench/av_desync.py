"""How well the simulation's ``av_desync`` check finds the generator's ``av_desync`` defect.

``python -m worlddirector.bench.av_desync [SEEDS] [SECONDS] [WORK]``: for each seed, the analysis
bench's clean clip and its ``av_desync`` clip (same prompt and seed, 640x360), for two prompt
sets: ``benchmarks/analysis_prompts.txt`` (mixed scenes, clip cache shared with ``bench analysis``)
and ``benchmarks/av_desync_prompts.txt`` (bouncing objects: sounds from visible impacts), analysed, then the check's decision
(:func:`worlddirector.simulation.checks.av_sync.desync_evidence`, exactly what ``simulate`` runs).
Reports clips flagged (recall on desynced clips, false alarms on clean ones), whether the reported
direction (late / early) is right, and the estimated offset's error against the injected one.
Ground truth is read here only, for evaluation.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from worlddirector.bench.analysis import analyse_cached, default_work, ensure_clip
from worlddirector.bench.common import precision_recall, read_prompts, table
from worlddirector.simulation.checks.av_sync import desync_evidence


def evaluate(seeds: int = 12, seconds: float = 4.0, work: Path | None = None,
             prompts_file: str = "analysis_prompts.txt") -> dict:
    work = Path(work) if work else default_work()
    if prompts_file != "analysis_prompts.txt":
        work = work / Path(prompts_file).stem  # its own clip cache
    prompts = read_prompts(prompts_file)
    rows = []
    for s in range(seeds):
        for kind in ("clean", "av_desync"):
            d = ensure_clip(work, prompts[s % len(prompts)], kind, s, seconds)
            if d is None:
                continue  # nothing discrete to shift in this scene
            a = analyse_cached(d)
            gt = json.loads((d / "ground_truth.json").read_text())
            inj = next((x["magnitude"] for x in gt["defects"] if x["type"] == "av_desync"), None)
            det = a.metric_details.get("av_sync") or {}
            ev = None
            if a.metrics.get("av_sync") is not None:
                ev = desync_evidence([e["time"] for e in det.get("visual_events", [])], det.get("audio_onsets", []),
                                     a.video.fps)
            rows.append({"seed": s, "kind": kind, "injected": inj, "flagged": bool(ev and ev["desynced"]),
                         "offset": ev["offset"] if ev else None, "fps": a.video.fps,
                         "null": a.metrics.get("av_sync") is None})
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
    ]


def run(seeds: int = 12, seconds: float = 4.0, work: Path | None = None) -> None:
    """Print the av_desync check's table on the mixed bench scenes and on bouncing-object scenes."""
    for name, label in (("analysis_prompts.txt", "mixed scenes (bench analysis prompts)"),
                        ("av_desync_prompts.txt", "bouncing-object scenes")):
        res = evaluate(seeds, seconds, work, name)
        table(f"av_desync check, {label}: {seeds} seeds, {seconds:g} s 640x360 clips", ["measure", "value"],
              summarize(res))


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 12, float(sys.argv[2]) if len(sys.argv) > 2 else 4.0,
        Path(sys.argv[3]) if len(sys.argv) > 3 else None)
