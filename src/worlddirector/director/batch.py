"""Many prompts at once: one ``worlddirector direct`` process per prompt, ``jobs`` at a time.

Separate processes (not threads) because every stage is CPU-bound and holds the GIL, and because
a run that crashes must not take the others with it. Each run writes its own directory
``OUT/NN-slug/`` (with ``direct.log``, its console output); the batch then reads every ``run.json``
into one summary (``OUT/batch.json``).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from worlddirector.artifacts.run import Run
from worlddirector.errors import BadInputError, WDError


def read_prompt_file(path: Path) -> list[str]:
    """Non-empty lines that are not ``#`` comments."""
    path = Path(path)
    if not path.is_file():
        raise BadInputError(f"{path}: prompt file not found")
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInputError(f"{path}: cannot read the prompt file ({exc})") from None
    prompts = [" ".join(ln.split()) for ln in text.splitlines()]
    prompts = [p for p in prompts if p and not p.startswith("#")]
    if not prompts:
        raise BadInputError(f"{path}: no prompts (one per line; lines starting with # are comments)")
    return prompts


def slug(text: str, n: int = 40) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return s[:n].rstrip("-") or "prompt"


def summarize(run_dir: Path) -> dict[str, Any]:
    """One row of the summary from a run directory (whatever state it is in)."""
    row: dict[str, Any] = {"dir": run_dir.name}
    try:
        run = Run.load(run_dir)
    except WDError as exc:
        row.update(status="failed", error=str(exc))
        return row
    its = sorted(run.iterations, key=lambda i: i.index)
    first = its[0] if its else None
    best = run.iteration(run.best_iteration) if run.best_iteration else None
    row.update(
        prompt=run.original_prompt,
        status=run.status,
        stop_reason=run.stop_reason,
        error=run.error,
        iterations=len(its),
        best_iteration=run.best_iteration,
        overall_first=first.overall if first else None,
        overall_best=best.overall if best else None,
        violations_first=first.violations if first else None,
        violations_best=best.violations if best else None,
        intent_best=best.intent_similarity if best else None,
        cost_usd=run.cost_usd,
    )
    return row


def run_batch(
    prompts: list[str],
    out_dir: Path,
    *,
    jobs: int = 2,
    direct_args: list[str] | None = None,
    on_done: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Run ``worlddirector direct`` for every prompt; return the summary rows in prompt order."""
    if jobs < 1:
        raise BadInputError(f"--jobs must be at least 1, got {jobs}")
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / ".wd-write-test").write_text("")
        (out_dir / ".wd-write-test").unlink()
    except OSError as exc:
        raise BadInputError(f"--out {out_dir}: not writable ({exc.strerror or exc})") from None
    width = max(2, len(str(len(prompts))))
    dirs = [out_dir / f"{k + 1:0{width}d}-{slug(p)}" for k, p in enumerate(prompts)]

    def one(k: int) -> dict[str, Any]:
        d = dirs[k]
        d.mkdir(parents=True, exist_ok=True)
        cmd = [
            sys.executable,
            "-m",
            "worlddirector",
            "direct",
            prompts[k],
            "--out",
            str(d),
            "--quiet",
            *(direct_args or []),
        ]
        t0 = time.perf_counter()
        with (d / "direct.log").open("w") as log:
            rc = subprocess.call(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        row = summarize(d)
        row.update(prompt=prompts[k], exit_code=rc, seconds=round(time.perf_counter() - t0, 2))
        if rc != 0 and not row.get("error"):
            tail = (d / "direct.log").read_text(errors="replace").strip().splitlines()[-1:] or ["(no output)"]
            row["error"] = tail[0][:300]
            row["status"] = "failed"
        return row

    rows: list[dict[str, Any] | None] = [None] * len(prompts)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futs = {pool.submit(one, k): k for k in range(len(prompts))}
        for fut in as_completed(futs):
            row = fut.result()
            rows[futs[fut]] = row
            if on_done:
                on_done(row)
    done = [r for r in rows if r is not None]
    (out_dir / "batch.json").write_text(json.dumps({"runs": done}, indent=1))
    return done
