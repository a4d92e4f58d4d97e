"""``worlddirector bench analysis``: do the metrics and events mean what they claim?

For every seed and defect type we render a procedural clip with exactly that defect (and one with
``--defects none``), analyse it, and compare with ``ground_truth.json``:

* AUROC per metric, separating clips with a defect from clean clips (defective scored as
  ``1 - metric``), with the issue's targets marked;
* track events vs injected defects by frame: an ``appear`` matches a ``pop_in``, ``vanish`` a
  ``pop_out``, ``teleport`` a ``teleport`` and ``resize`` a ``size_drift`` when its frame lies in
  the defect's frame range widened by ``FRAME_TOL`` frames; precision counts every event of those
  types on every clip (clean ones included), recall every injected defect;
* flicker frames vs the frames the generator listed;
* speed: median wall time of ``analyze_video`` on an 8 s 640x360 clip, and the ratio to a decode
  pass (PyAV decode of every frame) of the same clip.

Clips are cached under the work directory (default ``$TMPDIR/wd-bench-analysis``), so a second run
only re-analyses.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from pathlib import Path

import av

from worlddirector.bench.common import auroc, console, median_time, precision_recall, read_prompts, table, verdict

TYPES = ("flicker", "pop_in", "pop_out", "teleport", "size_drift", "av_desync")
EVENT_FOR = {"pop_in": "appear", "pop_out": "vanish", "teleport": "teleport", "size_drift": "resize"}
FRAME_TOL = 2
TARGETS = {
    ("temporal_flickering", "flicker"): 0.95,
    ("identity_persistence", "pop_in"): 0.90,
    ("identity_persistence", "pop_out"): 0.90,
    ("path_realism", "teleport"): 0.90,
    ("subject_consistency", "size_drift"): 0.85,
    ("av_sync", "av_desync"): 0.95,
}


def clip_dir(work: Path, kind: str, seed: int) -> Path:
    return work / f"{kind}-{seed:03d}"


def ensure_clip(work: Path, prompt: str, kind: str, seed: int, seconds: float, size=(640, 360)) -> Path | None:
    """Render (once) the clip for ``kind`` ("clean" or a defect type); None if it could not be injected."""
    from worlddirector.providers.procedural import generate_clip

    d = clip_dir(work, kind, seed)
    if not (d / "ground_truth.json").exists():
        if d.exists():
            import shutil

            shutil.rmtree(d)
        generate_clip(prompt, d, seed=seed, seconds=seconds, size=size,
                      defects="none" if kind == "clean" else [kind], audio=True)
    gt = json.loads((d / "ground_truth.json").read_text())
    if kind != "clean" and not any(x["type"] == kind for x in gt["defects"]):
        return None
    return d


def default_work() -> Path:
    return Path(os.environ.get("TMPDIR", tempfile.gettempdir())) / "wd-bench-analysis"


def generate_all(work: Path, seeds: int, seconds: float, types=TYPES) -> None:
    prompts = read_prompts("analysis_prompts.txt")
    work.mkdir(parents=True, exist_ok=True)
    for s in range(seeds):
        for kind in ("clean",) + tuple(types):
            ensure_clip(work, prompts[s % len(prompts)], kind, s, seconds)


if __name__ == "__main__":  # pre-render the cache: python -m worlddirector.bench.analysis SEEDS SECONDS [WORK]
    import sys

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    sec = float(sys.argv[2]) if len(sys.argv) > 2 else 4.0
    w = Path(sys.argv[3]) if len(sys.argv) > 3 else default_work()
    generate_all(w, n, sec)
