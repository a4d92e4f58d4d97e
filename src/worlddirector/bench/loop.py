"""``worlddirector bench loop``: does the offline director loop actually make worlds better?

For every prompt in ``benchmarks/loop_prompts.txt`` x ``seeds`` the full loop runs offline
(procedural generator -> analysis -> reconstruction -> simulation -> rules reviser). Per run it
prints the violations and overall score at iteration 1 and at the best iteration, and the intent
similarity of the best iteration's prompt to the original. Targets (issue 7):

* median violations cut by at least 50% by iteration 3 (median at iteration 1 vs median at the best
  iteration within the first 3);
* median overall score up (best vs first; the last iteration is printed beside it, so a loop that
  only "wins" by keeping iteration 1 is visible);
* median intent similarity at least 0.75.

It then times one full offline iteration of an 8 s 640x360 clip and prints the per-stage split
(target: at most 30 s wall on 2 cores). The quality runs default to shorter, smaller clips so the
whole bench fits in minutes; pass ``--seconds 8 --size 640x360`` for full-size runs.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from worlddirector.bench.common import console, read_prompts, table, verdict

PROMPTS_FILE = "loop_prompts.txt"
VISUAL = ("floating", "interpenetration", "pop_in", "pop_out", "flicker", "teleport", "size_drift")


def _env() -> None:
    os.environ.setdefault("MUJOCO_GL", "egl")
    os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def run_one(job: dict[str, Any]) -> dict[str, Any]:
    """One director run; returns its row (also used in worker processes)."""
    _env()
    import logging

    logging.disable(logging.WARNING)
    from worlddirector.director import direct
    from worlddirector.errors import WDError

    row: dict[str, Any] = {"prompt": job["prompt"], "seed": job["seed"]}
    t0 = time.perf_counter()
    try:
        run = direct(
            job["prompt"],
            Path(job["out"]),
            iterations=job["iterations"],
            target=job["target"],
            seed=job["seed"],
            size=tuple(job["size"]),
            seconds=job["seconds"],
            fps=job["fps"],
            agents=job["agents"],
            sim_seconds=job["sim_seconds"],
            report=False,
        )
    except WDError as exc:
        row.update(status="failed", error=str(exc), seconds=time.perf_counter() - t0)
        return row
    its = sorted(run.iterations, key=lambda i: i.index)
    first, last = its[0], its[-1]
    within3 = [i for i in its if i.index <= 3 and i.overall is not None]
    best = max(within3, key=lambda i: (i.overall, -i.index))

    def injected(it) -> int | None:
        """Defects the generator really injected (ground truth: evaluation only, never the loop)."""
        gt = Path(job["out"]) / it.dir / "ground_truth.json"
        if not gt.exists():
            return None
        return sum(1 for d in json.loads(gt.read_text()).get("defects", []) if d["type"] in VISUAL)

    row.update(
        gt_first=injected(first),
        gt_best=injected(best),
        status="ok",
        stop=run.stop_reason,
        iterations=len(its),
        best_iteration=best.index,
        v_first=first.violations,
        v_best=best.violations,
        v_last=last.violations,
        o_first=first.overall,
        o_best=best.overall,
        o_last=last.overall,
        intent_best=best.intent_similarity,
        intent_last=last.intent_similarity,
        types_first=first.violations_by_type,
        types_best=best.violations_by_type,
        seconds=round(time.perf_counter() - t0, 2),
    )
    return row


def _med(values: list[float]) -> float | None:
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else None


def quality(rows: list[dict[str, Any]]) -> dict[str, Any]:
    ok = [r for r in rows if r["status"] == "ok"]
    m = {
        "runs": len(rows),
        "failed": len(rows) - len(ok),
        "v_first": _med([r["v_first"] for r in ok]),
        "v_best": _med([r["v_best"] for r in ok]),
        "v_last": _med([r["v_last"] for r in ok]),
        "o_first": _med([r["o_first"] for r in ok]),
        "o_best": _med([r["o_best"] for r in ok]),
        "o_last": _med([r["o_last"] for r in ok]),
        "intent_best": _med([r["intent_best"] for r in ok]),
        "total_first": sum(r["v_first"] for r in ok),
        "total_best": sum(r["v_best"] for r in ok),
        "gt_first": sum(r.get("gt_first") or 0 for r in ok),
        "gt_best": sum(r.get("gt_best") or 0 for r in ok),
    }
    m["cut"] = (1 - m["v_best"] / m["v_first"]) if m["v_first"] else None
    m["total_cut"] = (1 - m["total_best"] / m["total_first"]) if m["total_first"] else None
    return m


def time_full_iteration(out: Path, *, agents: int, sim_seconds: float) -> dict[str, Any]:
    """One offline iteration, 8 s 640x360 24 fps, in this process, with the intent model warm."""
    _env()
    from worlddirector.artifacts.run import STAGES
    from worlddirector.director import direct
    from worlddirector.revision import intent_similarity

    intent_similarity("warm up", "the embedding model")  # loaded once per process, not per iteration
    t0 = time.perf_counter()
    run = direct(
        "A silver robot walks down a long hallway past wooden crates, the camera dollies forward",
        out,
        iterations=1,
        seed=11,
        size=(640, 360),
        seconds=8.0,
        fps=24,
        agents=agents,
        sim_seconds=sim_seconds,
        report=False,
    )
    wall = time.perf_counter() - t0
    it = run.iterations[0]
    split = {s: it.stages[s].seconds for s in STAGES if it.stages[s].seconds is not None}
    return {"wall": wall, "split": split}


def run_bench(
    *,
    n_prompts: int = 0,
    seeds: int = 2,
    iterations: int = 3,
    size=(320, 180),
    seconds: float = 3.0,
    jobs: int = 1,
    timing: bool = True,
    quality_runs: bool = True,
    out: Path | None = None,
    agents: int = 8,
    sim_seconds: float = 30.0,
    target: float = 0.85,
    fps: int = 24,
) -> dict[str, Any]:
    prompts = read_prompts(PROMPTS_FILE)
    if n_prompts:
        prompts = prompts[:n_prompts]
    tmp = None
    if out is None:
        tmp = tempfile.TemporaryDirectory(prefix="wd-bench-loop-")
        out = Path(tmp.name)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    jobs_list = [
        {
            "prompt": p,
            "seed": 1000 + s,
            "out": str(out / f"p{k:02d}-s{s}"),
            "iterations": iterations,
            "target": target,
            "size": list(size),
            "seconds": seconds,
            "fps": fps,
            "agents": agents,
            "sim_seconds": sim_seconds,
        }
        for k, p in enumerate(prompts)
        for s in range(seeds)
    ]
    if not quality_runs:
        jobs_list = []
    console.print(
        f"bench loop: {len(prompts)} prompts x {seeds} seeds, up to {iterations} iterations, "
        f"{size[0]}x{size[1]} {seconds:g} s clips, {jobs} worker(s); runs in {out}"
    )
    rows: list[dict[str, Any]] = []
    from rich.progress import Progress

    t0 = time.perf_counter()
    with Progress(console=console) as prog:
        task = prog.add_task("runs", total=len(jobs_list))
        if jobs <= 1:
            for j in jobs_list:
                rows.append(run_one(j))
                prog.advance(task)
        else:
            with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
                for r in pool.map(run_one, jobs_list):
                    rows.append(r)
                    prog.advance(task)
    quality_wall = time.perf_counter() - t0
    result: dict[str, Any] = {"rows": rows, "quality_wall": quality_wall}
    if rows:
        result["quality"] = report_quality(rows, quality_wall)
    if timing:
        tm = time_full_iteration(out / "timing", agents=agents, sim_seconds=sim_seconds)
        split = tm["split"]
        table(
            "One full offline iteration (8 s, 640x360, 24 fps)",
            ["stage", "seconds", "share"],
            [[s, round(v, 2), f"{v / max(1e-9, sum(split.values())):.0%}"] for s, v in split.items()]
            + [
                ["total (stages)", round(sum(split.values()), 2), ""],
                ["wall", round(tm["wall"], 2), verdict(tm["wall"] <= 30.0) + " (<= 30 s)"],
            ],
        )
        load = os.getloadavg()[0]
        console.print(f"load average during timing: {load:.1f} on {os.cpu_count()} cores")
        result["timing"] = {**tm, "load": load}
    (out / "bench_loop.json").write_text(json.dumps(result, indent=1, default=str))
    if tmp is not None:
        tmp.cleanup()
    return result


def report_quality(rows: list[dict[str, Any]], quality_wall: float) -> dict[str, Any]:
    def f(v, nd=3):
        return "–" if v is None else (f"{v:.{nd}f}" if isinstance(v, float) else str(v))

    table(
        "Per run: iteration 1 -> best (last)",
        ["prompt", "seed", "violations", "injected", "overall", "intent", "iters", "stop"],
        [
            [
                r["prompt"][:48],
                r["seed"],
                f"{f(r.get('v_first'))} -> {f(r.get('v_best'))} ({f(r.get('v_last'))})",
                f"{f(r.get('gt_first'))} -> {f(r.get('gt_best'))}",
                f"{f(r.get('o_first'))} -> {f(r.get('o_best'))} ({f(r.get('o_last'))})",
                f(r.get("intent_best")),
                f(r.get("iterations")),
                r.get("stop") or (r.get("error") or "")[:40],
            ]
            for r in rows
        ],
    )
    q = quality(rows)
    type_first: dict[str, int] = {}
    type_best: dict[str, int] = {}
    for r in rows:
        for k, v in (r.get("types_first") or {}).items():
            type_first[k] = type_first.get(k, 0) + v
        for k, v in (r.get("types_best") or {}).items():
            type_best[k] = type_best.get(k, 0) + v
    table(
        "Violations by type, all runs: iteration 1 -> best",
        ["type", "iteration 1", "best", "cut"],
        [
            [
                t,
                type_first.get(t, 0),
                type_best.get(t, 0),
                f"{1 - type_best.get(t, 0) / type_first[t]:.0%}" if type_first.get(t) else "–",
            ]
            for t in sorted(set(type_first) | set(type_best))
        ],
    )
    cut_ok = q["cut"] is not None and q["cut"] >= 0.5
    cut_txt = "–" if q["cut"] is None else f"{q['cut']:.0%}"
    table(
        "Loop quality (medians over runs)",
        ["measure", "iteration 1", "best (<= 3)", "last", "target", "verdict"],
        [
            [
                "violations",
                f(q["v_first"]),
                f(q["v_best"]),
                f(q["v_last"]),
                "cut >= 50%",
                f"{verdict(cut_ok)} ({cut_txt})",
            ],
            [
                "violations (sum)",
                q["total_first"],
                q["total_best"],
                "",
                "",
                "–" if q["total_cut"] is None else f"{q['total_cut']:.0%} cut",
            ],
            [
                "injected visual defects (sum, ground truth)",
                q["gt_first"],
                q["gt_best"],
                "",
                "",
                "–" if not q["gt_first"] else f"{1 - q['gt_best'] / q['gt_first']:.0%} fewer",
            ],
            [
                "overall",
                f(q["o_first"]),
                f(q["o_best"]),
                f(q["o_last"]),
                "up",
                verdict(q["o_best"] is not None and q["o_first"] is not None and q["o_best"] > q["o_first"]),
            ],
            [
                "intent similarity",
                "1.000",
                f(q["intent_best"]),
                "",
                ">= 0.75",
                verdict(q["intent_best"] is not None and q["intent_best"] >= 0.75),
            ],
            ["runs failed", "", "", "", "0", verdict(q["failed"] == 0)],
        ],
    )
    console.print(f"quality runs took {quality_wall:.0f} s wall")
    return q
