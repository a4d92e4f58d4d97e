"""Shared helpers for benchmarks: timing with medians, AUROC, precision/recall, rich tables.

Speed is measured, never asserted by wall clock: benches print medians of repeats and ratios to a
baseline run in the same process, and mark a target as met or missed.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

console = Console()


def benchmarks_dir() -> Path:
    """The repository's ``benchmarks/`` folder (prompt sets live there), else ``./benchmarks``."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        cand = parent / "benchmarks"
        if cand.is_dir() and (parent / "pyproject.toml").exists():
            return cand
    return Path("benchmarks")


def read_prompts(name: str) -> list[str]:
    path = benchmarks_dir() / name
    lines = [ln.strip() for ln in path.read_text().splitlines()]
    return [ln for ln in lines if ln and not ln.startswith("#")]


def median_time(fn: Callable[[], object], repeats: int = 3) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def auroc(positives: Sequence[float], negatives: Sequence[float]) -> float:
    """Probability that a random positive scores higher than a random negative (ties count half).

    Callers pass scores oriented so that *defective* clips score higher (e.g. ``1 - metric``).
    """
    if not positives or not negatives:
        return float("nan")
    wins = 0.0
    for p in positives:
        for n in negatives:
            wins += 1.0 if p > n else 0.5 if p == n else 0.0
    return wins / (len(positives) * len(negatives))


def precision_recall(tp: int, fp: int, fn: int) -> tuple[float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r


def verdict(ok: bool) -> str:
    return "[green]met[/green]" if ok else "[red]missed[/red]"


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> Table:
    t = Table(title=title)
    for c in columns:
        t.add_column(str(c))
    for r in rows:
        t.add_row(*[f"{v:.3f}" if isinstance(v, float) else str(v) for v in r])
    console.print(t)
    return t
